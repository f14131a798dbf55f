"""WSGI entry point for production servers: `gunicorn -w 1 --threads 32 web.wsgi:app`, or
`contactcenter web`, which runs the same thing.

Configuration comes from the environment (see the README); in production
(CONTACTCENTER_ENV=production) the process refuses to start with defaulted secrets. Every
process relays live events from Redis to its own Socket.IO clients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class _Gunicorn:
    """gunicorn's programmatic entry (BaseApplication), built lazily so importing is cheap."""

    @staticmethod
    def run(app_factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        class Application(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> Flask:
                # Called in the worker, after gunicorn forked it: the app's threads (the Redis
                # event relay, the board feed, leases) and its connections must be born in the
                # process that serves, or they stay behind in the master.
                return app_factory()

        Application().run()


def serve(app_factory: Callable[[], Flask], *, host: str, port: int, threads: int) -> None:
    """One gunicorn worker with `threads` threads (gthread): Socket.IO in threading mode keeps a
    client's session in one process, so processes are added as separate servers, not workers.

    Takes a factory, not an app: the app is built in the worker once gunicorn has forked it."""
    _Gunicorn.run(
        app_factory,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 20,
            "keepalive": 5,
            "accesslog": None,  # requests are logged by the app, masked; not with numbers in URLs
            "forwarded_allow_ips": "127.0.0.1",
            "control_socket_disable": True,  # several servers may share a machine (and a home folder)
            "preload_app": False,  # never build the app in the master (see _Gunicorn.load)
        },
    )


def _production_app() -> Flask:
    from contactcenter.app import logging_setup
    from contactcenter.config import check_production, load_settings
    from web import create_serving_app

    settings = load_settings()
    logging_setup.configure("web", json_lines=settings.log_json)
    check_production(settings)
    return create_serving_app()


def __getattr__(name: str) -> Any:
    # `gunicorn web.wsgi:app` asks for `app`; build it on first access only, so that importing
    # this module (for `serve`) never builds a second app.
    if name == "app":
        globals()["app"] = _production_app()
        return globals()["app"]
    raise AttributeError(name)
