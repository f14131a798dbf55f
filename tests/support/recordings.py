"""Recorded calls for tests: a floor whose queue records (or only announces), the recordings a
call made at the carrier and in the store, the RQ jobs that keep and delete their audio."""

from __future__ import annotations

import io
import secrets
import wave
from dataclasses import dataclass
from typing import Any

from rq import SimpleWorker
from sqlalchemy import select

from contactcenter.app.jobs import queue
from contactcenter.recordings.models import CallRecording, RecordingRule
from contactcenter.recordings.services import RecordingService
from tests.support.calls import Floor, make_floor

ANNOUNCEMENT = "This call is recorded so we can train our team."


def recording_sid() -> str:
    return "RE" + secrets.token_hex(16)


def gen_rule(session: Any, scope: str, target: object, mode: str = "record", **kw: Any) -> RecordingRule:
    return RecordingService(session).set_rule(scope, str(target), mode, **kw)


@dataclass
class RecordedFloor:
    """The call-control floor (alice, bob, carmen in "support") with a rule on "support"."""

    floor: Floor

    @property
    def db(self) -> Any:
        return self.floor.db

    def connect(self, agent: Any, script: str = "hang up after 600") -> Any:
        return self.floor.connect(agent, script)

    def recordings(self, call_sid: str) -> list[CallRecording]:
        self.db.expire_all()
        call = self.floor.call(call_sid)
        return list(self.db.scalars(select(CallRecording).where(CallRecording.interaction_id == call.id)))

    def recording(self, call_sid: str) -> CallRecording:
        [found] = self.recordings(call_sid)
        return found


def make_recorded_floor(db: Any, runtime: Any, carrier: Any, mode: str = "record", **rule: Any) -> RecordedFloor:
    floor = make_floor(db, runtime, carrier)
    gen_rule(db, "queue", _queue_id(db, "support"), mode, announcement=rule.pop("announcement", ANNOUNCEMENT), **rule)
    db.flush()
    return RecordedFloor(floor)


def _queue_id(db: Any, name: str) -> int:
    from contactcenter.acd.models import Queue

    return int(db.scalar(select(Queue.id).where(Queue.name == name)))


class BurstWorker(SimpleWorker):
    """A worker for one burst in the test's process. It listens for no remote commands: RQ's
    command listener polls every 60 s and the worker's teardown would wait for its poll."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def run_jobs(redis_client: Any, *names: str) -> None:
    """Run what is queued on real Redis, in this process, until the queues are empty."""
    worker = BurstWorker([queue(name, redis_client) for name in names or ("default", "low")], connection=redis_client)
    worker.work(burst=True)


def wav_facts(content: bytes) -> tuple[int, float]:
    """(channels, seconds) of a WAV file."""
    with wave.open(io.BytesIO(content)) as wav:
        return wav.getnchannels(), wav.getnframes() / wav.getframerate()


def loudness(content: bytes, from_s: float, to_s: float) -> int:
    """The largest sample between two offsets (0: silence)."""
    with wave.open(io.BytesIO(content)) as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        wav.setpos(int(from_s * rate))
        frames = wav.readframes(int((to_s - from_s) * rate))
    samples = memoryview(frames).cast("h")
    return max((abs(s) for s in samples[: len(samples) - len(samples) % channels]), default=0)


def gen_recording(session: Any, call: Any, *, seconds: int = 12, status: str = "completed", **kw: Any) -> CallRecording:
    """A recording of `call` as the carrier left it, with its audio (a real WAV) in the store."""
    from contactcenter import clock
    from contactcenter.recordings.models import RecordingEvent, RecordingMedia
    from contactcenter.telephony.simulator.call_recordings import render_wav

    now = clock.now()
    rec = CallRecording(
        recording_sid=kw.pop("recording_sid", None) or recording_sid(),
        interaction_id=call.id,
        status=status,
        channels=2,
        duration_s=seconds,
        started_at=now,
        completed_at=now if status == "completed" else None,
        **kw,
    )
    rec.events = [RecordingEvent(action="started", at=now)]
    session.add(rec)
    session.flush()
    if status == "completed":
        content = render_wav(seconds, 2, [])
        session.add(RecordingMedia(recording_id=rec.id, content=content, content_type="audio/wav"))
        rec.media_bytes = len(content)
        rec.events.append(RecordingEvent(action="completed", at=now))
    session.flush()
    return rec
