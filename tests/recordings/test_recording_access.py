"""Who may hear a recording: the agent who took the call, supervisors and admins. Anyone else is
told it does not exist (404), the audio comes through the app (never the carrier's URL), and
Range requests work so the player can seek."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from tests.support.factories import gen_agent, gen_call, gen_member, gen_queue
from tests.support.recordings import gen_recording, wav_facts
from tests.support.web_client import logged_in


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    queue = gen_queue(db, "support")
    people = {
        "alice": gen_agent(db, "alice"),
        "bob": gen_agent(db, "bob"),
        "sam": gen_agent(db, "sam", role=Role.SUPERVISOR),
        "ann": gen_agent(db, "ann", role=Role.ADMIN),
    }
    gen_member(db, people["bob"], queue)  # bob sees the queue's calls, not their recordings
    call = gen_call(db, agent_id=people["alice"].id, queue_id=queue.id)
    rec = gen_recording(db, call)
    return people, call, rec


def _audio(app, who, rec, **headers):  # type: ignore[no-untyped-def]
    return logged_in(app, who).get(f"/recordings/{rec.id}/audio", headers=headers)


@pytest.mark.parametrize("who", ["alice", "sam", "ann"])
def test_the_agent_supervisors_and_admins_hear_the_recording(app, office, who):
    _, _, rec = office
    resp = _audio(app, who, rec)
    assert resp.status_code == 200 and resp.mimetype == "audio/wav"
    assert wav_facts(resp.data) == (2, 12.0)
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert "no-store" in resp.headers["Cache-Control"]


def test_another_agent_gets_404(app, office):
    _, _, rec = office
    assert _audio(app, "bob", rec).status_code == 404


def test_someone_signed_out_is_sent_to_log_in(client, office):
    _, _, rec = office
    resp = client.get(f"/recordings/{rec.id}/audio")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_a_range_request_gets_that_part(app, office):
    _, _, rec = office
    resp = _audio(app, "alice", rec, Range="bytes=100-199")
    assert resp.status_code == 206
    assert len(resp.data) == 100
    assert resp.headers["Content-Range"] == f"bytes 100-199/{rec.media_bytes}"


def test_an_open_ended_range_gets_the_rest(app, office):
    _, _, rec = office
    resp = _audio(app, "alice", rec, Range=f"bytes={rec.media_bytes - 10}-")
    assert resp.status_code == 206 and len(resp.data) == 10


def test_a_range_past_the_end_is_416(app, office):
    _, _, rec = office
    resp = _audio(app, "alice", rec, Range=f"bytes={rec.media_bytes + 10}-")
    assert resp.status_code == 416


def test_a_garbled_range_is_refused_with_416(app, office):
    _, _, rec = office
    resp = _audio(app, "alice", rec, Range="bytes=<script>-'; DROP")
    assert resp.status_code == 416 and resp.headers["Content-Range"] == f"bytes */{rec.media_bytes}"


def test_an_unknown_or_absurd_recording_id_is_404(app, office):
    client = logged_in(app, "ann")
    assert client.get("/recordings/999999/audio").status_code == 404
    assert client.get(f"/recordings/{2**40}/audio").status_code == 404
    assert client.get("/recordings/abc/audio").status_code == 404


def test_a_deleted_recording_has_no_audio(app, db, office):
    _, call, _ = office
    gone = gen_recording(db, call, status="deleted")
    assert _audio(app, "ann", gone).status_code == 404


def test_the_call_page_shows_the_player_to_the_agent(app, office):
    _, call, rec = office
    page = logged_in(app, "alice").get(f"/calls/{call.id}").get_data(as_text=True)
    assert f'src="/recordings/{rec.id}/audio"' in page
    assert "api.twilio.com" not in page


def test_the_call_page_shows_no_player_to_another_agent(app, office):
    _, call, rec = office
    resp = logged_in(app, "bob").get(f"/calls/{call.id}")
    assert resp.status_code == 200  # bob may see the call (his queue's) …
    assert f"/recordings/{rec.id}/audio" not in resp.get_data(as_text=True)  # … not hear it


def test_the_ticket_timeline_shows_the_calls_recording(app, db, office):
    from contactcenter.tickets.models import TicketInteraction
    from tests.support.factories import gen_ticket

    people, call, rec = office
    ticket = gen_ticket(db, "Card payment", assignee_id=people["alice"].id)
    db.add(TicketInteraction(ticket_id=ticket.id, interaction_id=call.id))
    db.flush()
    page = logged_in(app, "sam").get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'src="/recordings/{rec.id}/audio"' in page


def test_the_pause_endpoint_of_an_unknown_call_is_404(app, office):
    client = logged_in(app, "alice")
    assert client.post(f"/recordings/calls/CA{'1' * 32}/pause").status_code == 404
    assert client.post("/recordings/calls/'%3B DROP TABLE x/pause").status_code == 404


def test_another_agent_cannot_pause_through_the_endpoint(app, office):
    _, call, _ = office
    resp = logged_in(app, "bob").post(f"/recordings/calls/{call.call_sid}/pause")
    assert resp.status_code == 404


def test_pausing_a_call_with_no_running_recording_is_409(app, office):
    _, call, _ = office
    resp = logged_in(app, "alice").post(f"/recordings/calls/{call.call_sid}/pause")
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "not_recording"


def test_the_desktop_asks_whether_its_call_is_recorded(app, db, office):
    _, call, _ = office
    gen_recording(db, call, status="in-progress")
    assert logged_in(app, "alice").get(f"/recordings/calls/{call.call_sid}").get_json() == {
        "recording": True,
        "status": "in-progress",
    }
    assert logged_in(app, "bob").get(f"/recordings/calls/{call.call_sid}").status_code == 404
    assert logged_in(app, "alice").get("/recordings/calls/<svg onload=alert(1)>").status_code == 404
