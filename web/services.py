"""A request's services: built by `contactcenter.app.services` with this host's webhook URLs.

The URLs are the same for every request to one host, so they are built once per app and host, and
only a few hosts are kept.
"""

from __future__ import annotations

from flask import current_app, g, request, url_for

from contactcenter.acd.services import AcdService
from contactcenter.app.services import CarrierUrls, Services, configure_router
from web import database

# Distinct hosts whose URLs are kept per app: without PUBLIC_BASE_URL the Host header decides.
_URL_SETS_KEPT = 16


def external_url(endpoint: str) -> str:
    """`endpoint`'s absolute URL as the carrier (or a customer's browser) must call it."""
    base = database.runtime().settings.public_base_url
    if base:
        return base + url_for(endpoint)
    return url_for(endpoint, _external=True)


def carrier_urls() -> CarrierUrls:
    """The webhook URLs for this request's host: `CarrierUrls.under` its public root (a test checks
    they are this app's routes). Kept per root, since they are the same for every request."""
    kept: dict[str, CarrierUrls] = current_app.extensions.setdefault("contactcenter.hook_urls", {})
    root = database.runtime().settings.public_base_url
    if not root:
        environ = request.environ  # read raw: request.host_url builds and re-quotes a URL per call
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        root = f"{request.scheme}://{host}{environ.get('SCRIPT_NAME', '')}"
    found = kept.get(root)
    if found is None:
        found = CarrierUrls.under(root)
        if len(kept) >= _URL_SETS_KEPT:
            kept.clear()
        kept[root] = found
    return found


def services() -> Services:
    """This request's services, bound to its session (one set per request)."""
    found = g.get("services")
    if found is None:
        rt = database.runtime()
        session = database.session()
        # The router is configured when the app starts; a process whose store was unreachable then
        # (or an app built without starting to serve, as in tests) does it here, once.
        configure_router(rt, session)
        found = g.services = Services(rt, session, carrier_urls())
    return found


def acd_service() -> AcdService:
    """The ACD bound to this request's session."""
    return services().acd
