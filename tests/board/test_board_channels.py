"""The board's written channels: tickets waiting for a first reply per channel now, the oldest
wait, and today's first replies against the channel's target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from contactcenter.board.channel_stats import channel_rows
from contactcenter.board.feed import BoardFeed, BoardSource
from contactcenter.tickets import sla
from contactcenter.tickets.services import add_comment, change_status, open_ticket

T0 = datetime(2026, 6, 15, 14, tzinfo=UTC)


@pytest.fixture
def written(db):  # type: ignore[no-untyped-def]
    """Chat in 30 s and e-mail in 4 h; at 14:10 two chats wait (one past target), one was answered."""
    sla.create_policy(db, "Chat", targets={"first_response": 30}, channels=["chat"], position=10)
    sla.create_policy(db, "Mail", targets={"first_response": 4 * 3600}, channels=["email"], position=20)
    with freeze_time(T0) as frozen:
        answered = open_ticket(db, "Chat answered in 10 s", channel="chat")
        frozen.tick(timedelta(seconds=10))
        add_comment(db, answered, "Hi!", public=True)
        open_ticket(db, "Chat nobody took", channel="chat")
        open_ticket(db, "Mail waiting", channel="email")
        open_ticket(db, "A phone ticket", channel="phone")
        frozen.move_to(T0 + timedelta(minutes=9, seconds=50))
        open_ticket(db, "Chat just in", channel="chat")
        solved = open_ticket(db, "Mail solved at once", channel="email")
        change_status(db, solved, "open")
        change_status(db, solved, "solved")
    db.commit()


def test_each_written_channel_shows_who_waits_and_todays_rate(db, written) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(T0 + timedelta(minutes=10)):
        rows = {r["channel"]: r for r in channel_rows(db)}
    assert set(rows) == {"chat", "email"}  # phone tickets are the queue tiles' business
    chat = rows["chat"]
    assert (chat["waiting"], chat["breaching"], chat["opened_today"]) == (2, 1, 3)
    assert chat["oldest_wait_s"] == pytest.approx(590, abs=1)
    assert (chat["met_today"], chat["breached_today"], chat["service_level"], chat["target"]) == (1, 1, 0.5, "30 s")
    mail = rows["email"]
    assert (mail["waiting"], mail["breaching"], mail["target"]) == (1, 0, "4 h")


def test_the_board_snapshot_and_updates_carry_the_channels(db, runtime, written) -> None:  # type: ignore[no-untyped-def]
    sent: list[tuple[str, dict]] = []
    with freeze_time(T0 + timedelta(minutes=10)):
        source = BoardSource(runtime.session_factory, runtime.acd)
        snapshot = source.snapshot()
        feed = BoardFeed(source, lambda name, data: sent.append((name, data)), sql_in_background=False)
        assert feed.pump()
    assert [r["channel"] for r in snapshot["channels"]] == ["chat", "email"]
    assert [r["channel"] for r in sent[0][1]["channels"]] == ["chat", "email"]
