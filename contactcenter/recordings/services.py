"""Call recording: who is recorded (consent rules), the recordings the carrier reports, pause and
resume from the call, who may listen, and deletion when a queue's retention runs out.

Consent is decided per call when the agent is about to connect. The most specific legal rule
wins: a rule for the caller's region (the country of their number) overrides the campaign's,
which overrides the queue's; with no rule the call is neither announced nor recorded. Retention
comes from the queue's rule (then the campaign's, then the region's).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.audit.services import Origin, record as audit
from contactcenter.contacts.models import Interaction
from contactcenter.dialer.models import DialAttempt
from contactcenter.recordings.interfaces import (
    DEFAULT_ANNOUNCEMENT,
    MAX_ANNOUNCEMENT,
    MAX_RETENTION_DAYS,
    Audio,
    CallbackOutcome,
    Consent,
    InvalidRecordingRule,
    PauseOutcome,
    RecordingCallback,
    RecordingError,
)
from contactcenter.recordings.models import MODES, SCOPES, CallRecording, RecordingEvent, RecordingMedia, RecordingRule
from contactcenter.telephony.interfaces import CarrierRef, CarrierSource, Say, TelephonyError
from contactcenter.tickets.access import Viewer

log = logging.getLogger("contactcenter.recordings")
NO_CONSENT = Consent("off", None, None, "default")
REGION = phonenumbers.region_code_for_number
# A callback's status moves a recording forward only: a late "in-progress" never reopens it.
RANK = {"in-progress": 0, "paused": 0, "completed": 1, "absent": 1, "failed": 1, "deleted": 2}


def caller_region(call: Interaction) -> str | None:
    """The ISO country of the customer's number (the caller inbound, the called party outbound)."""
    number = call.from_number if call.direction == "inbound" else call.to_number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return REGION(parsed)


class RecordingService:
    def __init__(self, session: Session, telephony: CarrierSource = None, status_callback: str | None = None) -> None:
        self.session = session
        self._carrier = CarrierRef(telephony)
        self.status_callback = status_callback

    # -- consent rules ---------------------------------------------------------------------
    def set_rule(
        self,
        scope: str,
        target: str,
        mode: str,
        *,
        announcement: str | None = None,
        retention_days: int | None = None,
    ) -> RecordingRule:
        """Add or replace the rule for one queue, campaign or region; refuses what cannot work."""
        if scope not in SCOPES:
            raise InvalidRecordingRule(f"scope must be one of {', '.join(SCOPES)}")
        if mode not in MODES:
            raise InvalidRecordingRule(f"mode must be one of {', '.join(MODES)}")
        target = target.strip()
        if scope == "region":
            target = target.upper()
            if len(target) != 2 or not target.isalpha() or target not in phonenumbers.SUPPORTED_REGIONS:
                raise InvalidRecordingRule("a region is a two-letter country code such as DE or US")
        elif not target.isdigit() or len(target) > 9:
            raise InvalidRecordingRule(f"a {scope} rule names the {scope} by its id")
        text = (announcement or "").strip() or None
        if text is not None and len(text) > MAX_ANNOUNCEMENT:
            raise InvalidRecordingRule(f"the announcement is longer than {MAX_ANNOUNCEMENT} characters")
        if retention_days is not None and not 0 < retention_days <= MAX_RETENTION_DAYS:
            raise InvalidRecordingRule(f"retention is from 1 to {MAX_RETENTION_DAYS} days")
        rule = self.session.scalar(
            select(RecordingRule).where(RecordingRule.scope == scope, RecordingRule.target == target)
        )
        if rule is None:
            rule = RecordingRule(scope=scope, target=target)
            self.session.add(rule)
        rule.mode, rule.announcement, rule.retention_days = mode, text, retention_days
        self.session.flush()
        return rule

    def delete_rule(self, rule_id: int) -> tuple[str, str]:
        """Remove a rule; its scope and target."""
        rule = self.session.get(RecordingRule, rule_id) if 0 < rule_id < 2**31 else None
        if rule is None:
            raise RecordingError("no such recording rule", kind="not_found", code="unknown_rule")
        removed = (rule.scope, rule.target)
        self.session.delete(rule)
        self.session.flush()
        return removed

    def rules(self) -> Sequence[RecordingRule]:
        return self.session.scalars(select(RecordingRule).order_by(RecordingRule.scope, RecordingRule.target)).all()

    def consent(self, call: Interaction) -> Consent:
        keys: list[tuple[str, str]] = []
        region = caller_region(call)
        if region:
            keys.append(("region", region))
        campaign_id = self.session.scalar(select(DialAttempt.campaign_id).where(DialAttempt.call_sid == call.call_sid))
        if campaign_id is not None:
            keys.append(("campaign", str(campaign_id)))
        if call.queue_id is not None:
            keys.append(("queue", str(call.queue_id)))
        if not keys:
            return NO_CONSENT
        found = {
            (r.scope, r.target): r
            for r in self.session.scalars(
                select(RecordingRule).where(
                    RecordingRule.scope.in_([k[0] for k in keys]), RecordingRule.target.in_([k[1] for k in keys])
                )
            )
        }
        rules = [found[k] for k in keys if k in found]
        if not rules:
            return NO_CONSENT
        deciding = rules[0]
        retention = next(
            (r.retention_days for r in sorted(rules, key=lambda r: SCOPE_ORDER[r.scope]) if r.retention_days), None
        )
        announcement = None
        if deciding.mode != "off":
            announcement = deciding.announcement or DEFAULT_ANNOUNCEMENT
        return Consent(deciding.mode, announcement, retention, f"{deciding.scope}:{deciding.target}")

    # -- starting ----------------------------------------------------------------------------
    def on_connect(self, call_sid: str) -> list[Say]:
        """The caller is about to meet their agent: what they hear first, and the recording
        started when the rules say so. A carrier that refuses to record never stops the call."""
        call = self.session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
        if call is None or call.is_ended:
            return []
        consent = self.consent(call)
        said = [Say(consent.announcement)] if consent.announcement else []
        if not consent.records or self.status_callback is None:
            return said
        if self.session.scalar(
            select(CallRecording.id).where(
                CallRecording.interaction_id == call.id, CallRecording.status.in_(("in-progress", "paused"))
            )
        ):
            return said  # connected again (a transfer): the recording already runs
        try:
            info = self._carrier.require().start_recording(call_sid, self.status_callback, dual_channel=True)
        except TelephonyError as exc:
            log.warning("recording not started: %s", exc, extra={"call_sid": call_sid})
            return said
        recording = self._recording(info.recording_sid, call)
        recording.channels = info.channels
        recording.retention_days = consent.retention_days
        if not recording.events:
            recording.events.append(RecordingEvent(action="started", at=clock.now()))
        self.session.flush()
        return said

    def _recording(self, recording_sid: str, call: Interaction) -> CallRecording:
        """The recording by its carrier id, added when the carrier's word comes first."""
        found = select(CallRecording).where(CallRecording.recording_sid == recording_sid)
        recording = self.session.scalar(found)
        if recording is not None:
            return recording
        # The carrier's first callback can race the request that started the recording: whichever
        # writes second waits for the first to commit, then finds its row.
        recording = CallRecording(recording_sid=recording_sid, interaction_id=call.id, status="in-progress")
        recording.started_at = clock.now()
        recording.events = []
        try:
            with self.session.begin_nested():
                self.session.add(recording)
                self.session.flush()
        except IntegrityError:
            recording = self.session.scalars(found.execution_options(populate_existing=True)).one()
        return recording

    # -- the carrier's callbacks ---------------------------------------------------------------
    def on_callback(self, cb: RecordingCallback) -> CallbackOutcome:
        """A recording status callback, applied once whatever the carrier repeats or reorders."""
        call = self.session.scalar(select(Interaction).where(Interaction.call_sid == cb.call_sid))
        if call is None:
            raise RecordingError("no such call", kind="not_found", code="unknown_call")
        existing = self.session.scalar(select(CallRecording).where(CallRecording.recording_sid == cb.recording_sid))
        if existing is not None and existing.interaction_id != call.id:
            raise RecordingError("the recording belongs to another call", kind="not_found", code="unknown_recording")
        recording = existing or self._recording(cb.recording_sid, call)
        if cb.channels:
            recording.channels = cb.channels
        if RANK[cb.status] <= RANK[recording.status] and existing is not None and cb.status != "in-progress":
            return CallbackOutcome(recording.recording_sid, recording.status, True, False)
        if cb.status == "in-progress":
            if not any(e.action == "started" for e in recording.events):
                recording.events.append(RecordingEvent(action="started", at=cb.started_at or clock.now()))
                self.session.flush()
                return CallbackOutcome(recording.recording_sid, recording.status, False, False)
            return CallbackOutcome(recording.recording_sid, recording.status, True, False)
        now = clock.now()
        recording.status = cb.status
        recording.duration_s = cb.duration_s
        recording.completed_at = now
        if recording.retention_days is None and existing is None:
            recording.retention_days = self.consent(call).retention_days
        if cb.status == "completed" and recording.retention_days:
            recording.retain_until = now + timedelta(days=recording.retention_days)
        recording.events.append(RecordingEvent(action=cb.status, at=now))
        self.session.flush()
        return CallbackOutcome(recording.recording_sid, recording.status, False, cb.status == "completed")

    def store_audio(self, recording_sid: str) -> int:
        """Fetch a completed recording's audio from the carrier into the store; its size."""
        recording = self.session.scalar(select(CallRecording).where(CallRecording.recording_sid == recording_sid))
        if recording is None or recording.status != "completed":
            return 0
        if recording.media_bytes is not None:
            return recording.media_bytes
        content = self._carrier.require().recording_audio(recording_sid)
        self.session.add(RecordingMedia(recording_id=recording.id, content=content, content_type="audio/wav"))
        recording.media_bytes = len(content)
        self.session.flush()
        return len(content)

    def awaiting_audio(self, completed_before: datetime, limit: int = 50) -> list[str]:
        """Completed recordings whose audio never arrived (its job lost or out of retries)."""
        return list(
            self.session.scalars(
                select(CallRecording.recording_sid)
                .where(
                    CallRecording.status == "completed",
                    CallRecording.media_bytes.is_(None),
                    CallRecording.completed_at < completed_before,
                )
                .order_by(CallRecording.completed_at)
                .limit(limit)
            )
        )

    # -- pause and resume --------------------------------------------------------------------
    def set_paused(self, call_sid: str, who: Viewer, paused: bool) -> PauseOutcome:
        """Pause (for payment details) or resume the call's running recording at the carrier."""
        call = self._visible_call(call_sid, who)
        recording = self.session.scalar(
            select(CallRecording)
            .where(CallRecording.interaction_id == call.id, CallRecording.status.in_(("in-progress", "paused")))
            .order_by(CallRecording.id.desc())
        )
        if recording is None:
            raise RecordingError("this call is not being recorded", kind="conflict", code="not_recording")
        wanted = "paused" if paused else "in-progress"
        now = clock.now()
        if recording.status != wanted:
            try:
                self._carrier.require().update_recording(call_sid, recording.recording_sid, wanted)
            except TelephonyError as exc:
                if exc.status in (400, 404):  # the call (and its recording) ended meanwhile
                    raise RecordingError(
                        "the recording has already ended", kind="conflict", code="recording_ended"
                    ) from exc
                raise
            recording.status = wanted
            recording.events.append(
                RecordingEvent(action="paused" if paused else "resumed", user_id=who.user_id, at=now)
            )
            self.session.flush()
        return PauseOutcome(recording.recording_sid, recording.status, who.user_id, now)

    def _visible_call(self, call_sid: str, who: Viewer) -> Interaction:
        call = self.session.scalar(select(Interaction).where(Interaction.call_sid == call_sid))
        if call is None or not (who.sees_all or call.agent_id == who.user_id):
            raise RecordingError("no such call", kind="not_found", code="unknown_call")
        return call

    # -- listening ---------------------------------------------------------------------------
    def of_call(self, interaction_id: int) -> Sequence[CallRecording]:
        return self.session.scalars(
            select(CallRecording)
            .where(CallRecording.interaction_id == interaction_id)
            .order_by(CallRecording.started_at, CallRecording.id)
        ).all()

    def may_listen(self, call: Interaction, who: Viewer) -> bool:
        """The agent who took the call, supervisors and admins; anyone else is told it does not exist."""
        return who.sees_all or call.agent_id == who.user_id

    def audio(self, recording_id: int, who: Viewer) -> Audio:
        """The recording's audio for `who`; anyone else (and a recording without audio) gets not found."""
        row = self.session.execute(
            select(CallRecording, Interaction)
            .join(Interaction, Interaction.id == CallRecording.interaction_id)
            .where(CallRecording.id == recording_id)
        ).first()
        if row is None or not self.may_listen(row[1], who):
            raise RecordingError("no such recording", kind="not_found", code="unknown_recording")
        recording = row[0]
        media = self.session.get(RecordingMedia, recording.id) if recording.status == "completed" else None
        if media is None:
            raise RecordingError("no such recording", kind="not_found", code="unknown_recording")
        return Audio(media.content, media.content_type, recording.recording_sid)

    # -- retention ---------------------------------------------------------------------------
    def due_for_deletion(self, now: datetime, limit: int = 200) -> list[str]:
        return list(
            self.session.scalars(
                select(CallRecording.recording_sid)
                .where(CallRecording.retain_until <= now, CallRecording.deleted_at.is_(None))
                .order_by(CallRecording.retain_until)
                .limit(limit)
            )
        )

    def delete(self, recording_sid: str, origin: Origin, reason: str) -> bool:
        """Delete the recording at the carrier and its audio here; the row stays, marked deleted,
        with an audit entry. False when it was already deleted."""
        recording = self.session.scalar(select(CallRecording).where(CallRecording.recording_sid == recording_sid))
        if recording is None or recording.deleted_at is not None:
            return False
        try:
            self._carrier.require().delete_recording(recording_sid)
        except TelephonyError as exc:
            if exc.status != 404:  # gone at the carrier already is what we want
                raise
        self.session.execute(delete(RecordingMedia).where(RecordingMedia.recording_id == recording.id))
        now = clock.now()
        recording.status, recording.deleted_at, recording.media_bytes = "deleted", now, None
        recording.events.append(RecordingEvent(action="deleted", user_id=origin.actor_id, at=now))
        audit(
            self.session,
            origin,
            "recording.delete",
            object_type="call_recording",
            object_id=recording_sid,
            details={"reason": reason, "interaction_id": recording.interaction_id},
        )
        self.session.flush()
        return True


SCOPE_ORDER = {"queue": 0, "campaign": 1, "region": 2}
