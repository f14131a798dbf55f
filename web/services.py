"""A request's services: built by `contactcenter.app.services` with this host's webhook URLs.

The URLs are the same for every request to one host, so they are built once per app and host (a
dozen url_for calls per webhook were a visible part of its cost), and only a few hosts are kept.
"""

from __future__ import annotations

from flask import current_app, g, request, url_for

from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.app.services import CarrierUrls, Services, configure_router
from contactcenter.calls.controls import ControlUrls
from contactcenter.calls.services import HookUrls
from contactcenter.dialer.connect import DialerHookUrls
from contactcenter.ivr.engine import IvrUrls
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
    kept: dict[tuple[str, ...], CarrierUrls] = current_app.extensions.setdefault("contactcenter.hook_urls", {})
    environ = request.environ  # read raw: request.host_url builds and re-quotes a URL per call
    key = (
        database.runtime().settings.public_base_url,
        request.scheme,
        environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
        environ.get("SCRIPT_NAME", ""),
    )
    found = kept.get(key)
    if found is None:
        found = CarrierUrls(
            hooks=HookUrls(
                voice=external_url("hooks.voice"),
                status=external_url("hooks.status"),
                wait=external_url("hooks.wait"),
                queue_key=external_url("hooks.queue_key"),
                hold=external_url("hooks.hold"),
                overflow_recording=external_url("hooks.overflow_recording"),
            ),
            ivr=IvrUrls(
                gather=external_url("hooks.ivr_gather"),
                recording=external_url("hooks.ivr_recording"),
                dial=external_url("hooks.ivr_dial"),
            ),
            connect=ConnectUrls(
                connect=external_url("hooks.connect"),
                agent_status=external_url("hooks.agent_leg"),
                callback_answer=external_url("hooks.callback_answer"),
            ),
            control=ControlUrls(wait=external_url("hooks.wait"), agent_status=external_url("hooks.agent_leg")),
            dialer=DialerHookUrls(
                answer=external_url("dialer_hooks.answer"),
                status=external_url("dialer_hooks.status"),
                hold=external_url("dialer_hooks.hold"),
            ),
        )
        if len(kept) >= _URL_SETS_KEPT:
            kept.clear()
        kept[key] = found
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
