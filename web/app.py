"""Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from contactcenter.app.runtime import Runtime, build_runtime
from contactcenter.telephony.signatures import SignatureChecker
from web import (
    chat,  # the web chat's Socket.IO namespace, registered before any server
    database,
    errors,
    presence,  # Socket.IO presence handlers, registered before any server
    ratelimit,
)
from web.extensions import csrf, login_manager, socketio

MAX_FORM_BYTES = 1024 * 1024


def create_app(runtime: Runtime | None = None, *, testing: bool = False, relay_events: bool = True) -> Flask:
    runtime = runtime or build_runtime()
    settings = runtime.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["contactcenter.app.runtime"] = runtime
    app.extensions["contactcenter.signatures"] = SignatureChecker(settings.twilio_auth_token)

    database.init_app(app)
    errors.init_app(app)  # the store or Redis unreachable: 503 and Retry-After, not a 500
    login_manager.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app, runtime)  # login and webhook rate limits, shared through Redis
    presence.init_app(app, runtime)  # this process's lease on its agents' desktop sockets
    # No Socket.IO message queue: every web process relays the events it hears on Redis
    # pub/sub to its own clients (web.sockets.EventRelay), which reaches agents on any process.
    socketio.init_app(
        app,
        async_mode="threading",
        # The chat widget's socket comes from the sites that carry it (CHAT_ALLOWED_ORIGINS);
        # web.sockets still refuses any origin but ours on the staff namespaces.
        cors_allowed_origins=socket_origin_check(settings.public_base_url, settings.chat_allowed_origins),
    )
    if settings.trusted_proxy_hops:  # believe X-Forwarded-* from that many proxies, no more
        n = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)  # type: ignore[method-assign]

    from web import (
        admin,
        admin_audit,
        admin_content,
        admin_dialer,
        admin_dnc,
        admin_macros,
        admin_mail,
        admin_orders,
        admin_people,
        admin_sla,
        admin_tokens,
        api,
        auth,
        customer_pages,
        desktop,
        desktop_calls,
        desktop_offers,
        desktop_preview,
        dialer_hooks,
        hooks,
        knowledge,
        pages,
        portal,
        quality,
        recordings,
        reports,
        segment_reports,
        sms_hooks,
        sockets,
        softphone,
        staffing,
        surveys,
        ticket_pages,
    )
    from web.board import bp as board_bp

    app.register_blueprint(hooks.bp)
    csrf.exempt(hooks.bp)  # the carrier signs its requests instead
    app.register_blueprint(dialer_hooks.bp)
    csrf.exempt(dialer_hooks.bp)  # signed by the carrier too
    app.register_blueprint(sms_hooks.bp)
    csrf.exempt(sms_hooks.bp)  # signed by the carrier too
    app.register_blueprint(recordings.hooks_bp)
    csrf.exempt(recordings.hooks_bp)  # recording status callbacks, signed by the carrier
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer tokens, not cookies
    app.register_blueprint(chat.bp)
    csrf.exempt(chat.bp)  # the widget on other sites: a signed chat token and an allowed Origin, no cookies
    for blueprint in (
        auth.bp,
        pages.bp,
        desktop.bp,
        desktop_calls.bp,
        desktop_offers.bp,
        chat.agent_bp,
        admin.bp,
        knowledge.bp,
        admin_content.bp,
        desktop_preview.bp,
        admin_dialer.bp,
        admin_dnc.bp,
        admin_people.bp,
        admin_audit.bp,
        admin_orders.bp,
        admin_tokens.bp,
        board_bp,
        ticket_pages.bp,
        customer_pages.bp,
        admin_sla.bp,
        staffing.bp,
        reports.bp,
        segment_reports.bp,
        admin_macros.bp,
        admin_mail.bp,
        surveys.bp,
        portal.bp,
        portal.staff_bp,
        recordings.bp,
        quality.bp,
        softphone.bp,
    ):
        app.register_blueprint(blueprint)
    sockets.init_app(app, runtime, relay=relay_events)
    logging.getLogger("contactcenter").setLevel(logging.INFO)
    return app


def socket_origin_check(public_base_url: str, chat_origins: tuple[str, ...]) -> Callable[[str | None, dict], bool]:
    """Which browser origins may open a socket: ours (PUBLIC_BASE_URL, or the host asked for when
    unset) and the sites that carry the chat widget. The staff namespaces refuse the latter
    themselves (web.sockets), so a widget's site never reaches a desktop's events."""
    allowed = {o.lower() for o in chat_origins}
    own = public_base_url.rstrip("/").lower()

    def check(origin: str | None, environ: dict) -> bool:
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        here = own or f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}".lower()
        return origin == here or origin in allowed

    return check


def create_serving_app(runtime: Runtime | None = None) -> Flask:
    """The app of a process that serves (`contactcenter web`, the demo): as `create_app`, and the
    router learns queues, skills and agents from the store once, as the process starts. With the
    store away, the first request that needs the router does it instead (as it does in an app
    built by `create_app` alone, e.g. one whose data is seeded after it was built)."""
    app = create_app(runtime)
    _configure_router(app.extensions["contactcenter.app.runtime"])
    return app


def _configure_router(runtime: Runtime) -> None:
    from contactcenter.app.services import configure_router
    from web.errors import outage_message

    try:
        configure_router(runtime)
    except Exception as exc:
        if outage_message(exc) is None:
            raise
        logging.getLogger("contactcenter.web").warning(
            "router not configured at start (%s): on first use instead", type(exc).__name__
        )
