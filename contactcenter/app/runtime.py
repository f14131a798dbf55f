"""Wires the process: settings → database, Redis, carrier. One `Runtime` per process.

Web workers, RQ workers and CLI commands all build the same runtime from the environment, so a
job sees exactly the connections a request would.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from contactcenter import redis_conn
from contactcenter.config import Settings, load_settings
from contactcenter.db import configure_models, make_engine, make_sessionmaker
from contactcenter.ivr.flow import Flow
from contactcenter.ivr.validation import FlowRegistry, LoadResult
from contactcenter.telephony.interfaces import BrowserDevices, Telephony

if TYPE_CHECKING:
    from contactcenter.acd.realtime import RealtimeACD

log = logging.getLogger("contactcenter.app.runtime")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    _telephony_factory: Callable[[Settings], Telephony] | None = None
    _telephony: Telephony | None = field(default=None, repr=False)
    _flows: FlowRegistry | None = field(default=None, repr=False)
    _acd: Any = field(default=None, repr=False)
    acd_configured: bool = False

    def __post_init__(self) -> None:
        from contactcenter.app.wiring import connect_domains

        connect_domains()  # reactions between domains, once per process

    @property
    def telephony(self) -> Telephony:
        if self._telephony is None:
            factory = self._telephony_factory or build_telephony
            self._telephony = factory(self.settings)
        return self._telephony

    def use_telephony(self, telephony: Telephony) -> None:
        self._telephony = telephony

    def browser_devices(self) -> BrowserDevices | None:
        """The simulated softphone devices of the simulated carrier; None with Twilio (the Voice
        SDK in the browser is the device) or a carrier that offers none."""
        if self.settings.carrier == "twilio":
            return None
        try:
            telephony = self.telephony
        except RuntimeError:  # no simulator to reach (SIMULATOR_URL unset): nothing rings anywhere
            return None
        offer = getattr(telephony, "browser_devices", None)
        return offer() if callable(offer) else None

    def voice_token(self, identity: str) -> str:
        """A Voice SDK access token for `identity`, signed with the configured API key."""
        from contactcenter.telephony.softphone import voice_access_token

        s = self.settings
        return voice_access_token(
            account_sid=s.twilio_account_sid,
            api_key_sid=s.twilio_api_key_sid,
            api_key_secret=s.twilio_api_key_secret,
            twiml_app_sid=s.twilio_twiml_app_sid,
            identity=identity,
            ttl_s=s.voice_token_ttl_s,
        )

    @property
    def acd(self) -> RealtimeACD:
        """The router's live state in this runtime's Redis (scripts registered once)."""
        if self._acd is None:
            from contactcenter.acd.realtime import RealtimeACD

            self._acd = RealtimeACD(self.redis)
        return self._acd

    @property
    def flows(self) -> FlowRegistry:
        """IVR flows from `settings.ivr_flows_dir`, validated against the queues in the store."""
        if self._flows is None:
            self._flows = FlowRegistry(known_queues=self._queue_names)
            try:
                self.reload_flows()
            except Exception:
                self._flows = None  # the store was away: the next caller loads them again
                raise
        return self._flows

    def reload_flows(self) -> list[LoadResult]:
        """Load every flow file again; an invalid file leaves its last valid version serving."""
        if self._flows is None:
            self._flows = FlowRegistry(known_queues=self._queue_names)
        folder = Path(self.settings.ivr_flows_dir)
        results = [self._flows.load(path) for path in sorted(folder.glob("*.y*ml"))] if folder.is_dir() else []
        for result in results:
            if not result.accepted:
                log.error(
                    "IVR flow %s refused: %s", result.path, "; ".join(str(p) for p in result.problems if p.is_error)
                )
        return results

    def ivr_flow(self) -> Flow | None:
        name = self.settings.ivr_flow
        if not name:
            return None
        try:
            return self.flows.get(name)
        except KeyError:
            return None

    def queue_names(self, session: Session | None = None) -> set[str]:
        """Queue names in the store: a flow may only send callers to these.

        Pass the caller's session when it has a transaction open: on SQLite every transaction
        holds the write lock (BEGIN IMMEDIATE), so a second session of the same request would
        wait for it until the busy timeout.
        """
        return self._queue_names(session)

    def _queue_names(self, session: Session | None = None) -> set[str]:
        from sqlalchemy import select

        from contactcenter.acd.models import Queue

        if session is not None:
            return set(session.scalars(select(Queue.name)))
        with self.session_factory() as own:
            return set(own.scalars(select(Queue.name)))

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
        http_client=SimulatorHttpClient(settings.simulator_url),
    )


def build_runtime(settings: Settings | None = None) -> Runtime:
    # Mappers are configured here, in the thread that builds the process, before any thread of
    # ours starts or any work-horse is forked: SQLAlchemy configures them under a process-wide
    # lock, and a child forked while another thread held it would wait for it forever.
    configure_models()
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
