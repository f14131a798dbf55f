"""The demo records one queue's calls, so a new user finds recordings to play and to score, and
keeps them briefly so a demo left running does not fill the disk (bench/demo_recordings.py
measures the stored audio)."""

from __future__ import annotations

from sqlalchemy import select

from contactcenter.acd.models import Queue
from contactcenter.app.demo_data import RECORDED_QUEUE, seed
from contactcenter.contacts.models import Interaction
from contactcenter.recordings.models import RecordingRule
from contactcenter.recordings.services import RecordingService


def test_the_demo_records_the_billing_queue_for_a_day(db):
    seed(db)
    [rule] = db.scalars(select(RecordingRule)).all()
    queue = db.scalars(select(Queue).where(Queue.name == RECORDED_QUEUE)).one()
    assert (rule.scope, rule.target, rule.mode, rule.retention_days) == ("queue", str(queue.id), "record", 1)


def test_a_demo_call_to_the_recorded_queue_is_announced_and_recorded(db):
    seed(db)
    queue = db.scalars(select(Queue).where(Queue.name == RECORDED_QUEUE)).one()
    call = db.scalars(select(Interaction).where(Interaction.queue_id == queue.id)).first()
    consent = RecordingService(db).consent(call)
    assert consent.records and consent.retention_days == 1 and consent.announcement


def test_other_demo_queues_are_not_recorded(db):
    seed(db)
    support = db.scalars(select(Queue).where(Queue.name == "support")).one()
    call = db.scalars(select(Interaction).where(Interaction.queue_id == support.id)).first()
    assert not RecordingService(db).consent(call).records
