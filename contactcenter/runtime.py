"""Wires the process: settings → database, Redis, carrier. One `Runtime` per process.

Web workers, RQ workers and CLI commands all build the same runtime from the environment, so a
job sees exactly the connections a request would.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from contactcenter import redis_conn
from contactcenter.config import Settings, load_settings
from contactcenter.db import make_engine, make_sessionmaker
from contactcenter.telephony.interfaces import Telephony


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    _telephony_factory: Callable[[Settings], Telephony] | None = None
    _telephony: Telephony | None = field(default=None, repr=False)

    @property
    def telephony(self) -> Telephony:
        if self._telephony is None:
            factory = self._telephony_factory or build_telephony
            self._telephony = factory(self.settings)
        return self._telephony

    def use_telephony(self, telephony: Telephony) -> None:
        self._telephony = telephony

    def close(self) -> None:
        self.engine.dispose()


def build_telephony(settings: Settings) -> Telephony:
    from contactcenter.telephony.twilio_adapter import TwilioTelephony

    if settings.carrier == "twilio":
        return TwilioTelephony(settings.twilio_account_sid, settings.twilio_auth_token)
    from contactcenter.telephony.simulator.http_layer import SimulatorHttpClient

    if not settings.simulator_url:
        raise RuntimeError(
            "CARRIER=simulator needs SIMULATOR_URL (the demo sets it) or an in-process carrier "
            "attached with Runtime.use_telephony"
        )
    return TwilioTelephony(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=SimulatorHttpClient(base_url=settings.simulator_url),
    )


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_sessionmaker(engine),
        redis=redis_conn.connect(settings.redis_url),
    )


_current: Runtime | None = None
_lock = threading.Lock()


def current() -> Runtime:
    """The process runtime, built from the environment on first use (RQ workers rely on this)."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime()
        return _current


def install(runtime: Runtime | None) -> Runtime | None:
    global _current
    with _lock:
        previous, _current = _current, runtime
        return previous
