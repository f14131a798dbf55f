"""The one place domain services are built.

A service is bound to one unit of work (a request, a job, a tick): a session, the router's live
state, the carrier and, for anything that may place or steer a call, the webhook URLs the carrier
must call back. Building them in one place means a service cannot be built half-wired (an
`AcdService` without its connect URLs never connects a call) and a new dependency is added once.

Web views pass the URLs of the host they were called on (`CarrierUrls`); processes without a
request (the worker's jobs, the ticker, recovery) build services that never place a call, and
say so by passing no URLs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from contactcenter.acd.services import AcdService, ConnectUrls
from contactcenter.app.runtime import Runtime
from contactcenter.calls.controls import CallControls, ControlUrls
from contactcenter.calls.services import CallService, HookUrls
from contactcenter.calls.supervision import SupervisionService
from contactcenter.calls.wrapup import WrapUpService
from contactcenter.dialer import outage
from contactcenter.dialer.campaign_dialers import CampaignDialers
from contactcenter.dialer.connect import (
    AcdAgentPool,
    ConnectingPacerWorker,
    DialerHookUrls,
    OutboundCalls,
    OutboundConnector,
)
from contactcenter.dialer.dialing import CallUrls
from contactcenter.ivr.engine import IvrUrls
from contactcenter.ivr.flow import Flow
from contactcenter.ivr.services import IvrService
from contactcenter.ivr.session import SessionStore
from contactcenter.quality.services import QualityService
from contactcenter.recordings.interfaces import RecordingUrls
from contactcenter.recordings.services import RecordingService


@dataclass(frozen=True)
class CarrierUrls:
    """Our webhook URLs as the carrier must call them, for one public host."""

    hooks: HookUrls
    ivr: IvrUrls
    connect: ConnectUrls
    control: ControlUrls
    dialer: DialerHookUrls
    recordings: RecordingUrls = RecordingUrls()

    @classmethod
    def under(cls, base_url: str) -> CarrierUrls:
        """The URLs of a web app served at `base_url` (its public address, e.g. the demo's);
        the paths are those of `web.hooks` (a test keeps the two the same)."""
        hooks = base_url.rstrip("/") + "/hooks"
        return cls(
            hooks=HookUrls(
                voice=f"{hooks}/voice",
                status=f"{hooks}/status",
                wait=f"{hooks}/wait",
                queue_key=f"{hooks}/queue/key",
                hold=f"{hooks}/hold",
                overflow_recording=f"{hooks}/overflow/recording",
            ),
            ivr=IvrUrls(gather=f"{hooks}/ivr", recording=f"{hooks}/ivr/recording", dial=f"{hooks}/ivr/dial"),
            connect=ConnectUrls(
                connect=f"{hooks}/connect",
                agent_status=f"{hooks}/agent-leg",
                callback_answer=f"{hooks}/callback-answer",
            ),
            control=ControlUrls(wait=f"{hooks}/wait", agent_status=f"{hooks}/agent-leg"),
            dialer=DialerHookUrls.under(base_url),
            recordings=RecordingUrls(status=f"{hooks}/recording-status"),
        )


_CONFIGURE_LOCK = threading.Lock()


def configure_router(runtime: Runtime, session: Session | None = None) -> None:
    """Load queues, skills and agents from the store into the router, once per process.

    Called when a process starts serving; a process whose store was unreachable then does it on
    first use instead, in the session of the request that needs it (on SQLite a second session
    would wait for that request's write lock). One thread configures, the others of a process
    just started wait instead of each repeating the same work (0.2-0.4 s per thread with a few
    hundred agents).
    """
    if runtime.acd_configured:
        return
    with _CONFIGURE_LOCK:
        if runtime.acd_configured:
            return
        if session is not None:
            AcdService(session, runtime.acd).sync_configuration()
        else:
            with runtime.session_factory() as own:
                AcdService(own, runtime.acd).sync_configuration()
                own.commit()
        runtime.acd_configured = True


class Services:
    """Every service of one unit of work, built on demand from one session."""

    def __init__(
        self,
        runtime: Runtime,
        session: Session,
        urls: CarrierUrls | None = None,
        schedule_callback: Callable[[int, datetime], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.urls = urls
        self._schedule_callback = schedule_callback

    def _telephony(self) -> Any:
        return self.runtime.telephony

    @cached_property
    def acd(self) -> AcdService:
        """The router bound to this session (web processes configure it at start: `configure_router`)."""
        return AcdService(self.session, self.runtime.acd, self._telephony, self.urls.connect if self.urls else None)

    def ivr(self, flow: Flow) -> IvrService:
        urls = self._require_urls("the IVR")
        settings = self.runtime.settings
        return IvrService(
            self.session, SessionStore(self.runtime.redis), flow, urls.ivr, settings.default_region, acd=self.acd
        )

    def calls(self, flow: Flow | None = None) -> CallService:
        """Call lifecycle; with the IVR when a flow is published. Without URLs it only records
        what the carrier reports (status callbacks replayed from the outbox)."""
        settings = self.runtime.settings
        ivr = self.ivr(flow) if flow is not None else None
        hooks = self.urls.hooks if self.urls else HookUrls("", "", "")
        return CallService(
            self.session,
            hooks,
            ivr=ivr,
            acd=self.acd,
            default_region=settings.default_region,
            short_abandon_s=settings.short_abandon_s,
            ivr_sessions=SessionStore(self.runtime.redis),
        )

    def controls(self) -> CallControls:
        urls = self._require_urls("call controls")
        return CallControls(
            self.session,
            self.acd,
            self._telephony,
            urls.control,
            redis_client=self.runtime.redis,
            default_region=self.runtime.settings.default_region,
        )

    def wrapups(self) -> WrapUpService:
        from contactcenter.app.tasks.calls import schedule_callback_release  # the job imports this module

        return WrapUpService(
            self.session,
            self.acd,
            default_region=self.runtime.settings.default_region,
            schedule_callback=self._schedule_callback or schedule_callback_release,
        )

    def outbound_calls(self) -> OutboundCalls:
        """Campaign calls' webhooks; without URLs it only records what the carrier reported."""
        urls = self.urls.dialer if self.urls else DialerHookUrls("", "", "")
        return OutboundCalls(self.session, self.acd, urls, default_region=self.runtime.settings.default_region)

    def supervision(self) -> SupervisionService:
        return SupervisionService(self.session, self.runtime.acd, self._telephony)

    def recordings(self) -> RecordingService:
        """Recordings; without URLs (jobs) it never starts one, only keeps, fetches and deletes."""
        callback = self.urls.recordings.status if self.urls and self.urls.recordings.status else None
        return RecordingService(self.session, self._telephony, callback)

    def quality(self) -> QualityService:
        """Scorecard forms, evaluations of recorded calls and their report."""
        return QualityService(self.session)

    def _require_urls(self, what: str) -> CarrierUrls:
        if self.urls is None:
            raise RuntimeError(f"{what} steer calls: build Services with the carrier's URLs")
        return self.urls


def pacer_worker(runtime: Runtime, base_url: str, *, tick_s: float = 1.0, lock: Any = None) -> ConnectingPacerWorker:
    """The pacer of `contactcenter pacer`: the ACD's agents, the carrier, dialer webhooks under `base_url`."""
    urls = DialerHookUrls.under(base_url)
    connector = OutboundConnector(runtime.session_factory, runtime.acd, lambda: runtime.telephony, urls, runtime.redis)
    pool = AcdAgentPool(runtime.acd, runtime.session_factory)
    dialers = CampaignDialers(
        runtime.session_factory,
        lambda: runtime.telephony,  # looked up at each use: tests attach their carrier after building
        pool,
        urls=CallUrls(base_url.rstrip("/")),
        on_answered=connector.on_answered,
        on_reload=lambda campaigns: outage.remember(runtime.redis, campaigns),
    )
    return ConnectingPacerWorker(runtime.redis, dialers, connector, tick_s=tick_s, lock=lock)


def mail_transport(settings: Any) -> Any:
    """The outgoing mail server the settings name (SMTP_HOST…), or None when none is set up."""
    from contactcenter.mail.smtp import SmtpTransport

    if not settings.smtp_host:
        return None
    return SmtpTransport(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        security=settings.smtp_security,
    )
