"""Board settings (admins) and the supervisor's acknowledgement over HTTP: values checked, bad and
hostile input refused with the form kept and nothing written, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.services import AcdService
from contactcenter.audit.models import AuditEntry
from contactcenter.board import services as board_settings
from contactcenter.board.models import AlertAck
from tests.support.board import small_floor
from tests.support.board_floor import team_with, thresholds_on
from tests.support.factories import gen_agent
from tests.support.web_client import logged_in


@pytest.fixture
def floor(db, runtime):  # type: ignore[no-untyped-def]
    people = small_floor(db)
    people["ada"] = gen_agent(db, "ada", role=Role.ADMIN, display_name="Ada")
    AcdService(db, runtime.acd).sync_configuration()
    runtime.acd_configured = True
    return people


def _actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_admin_opens_board_settings(app, floor):
    resp = logged_in(app, "ada").get("/board/settings")
    assert resp.status_code == 200 and b"Queue thresholds" in resp.data and b"Support" in resp.data


@pytest.mark.parametrize("who", ["sam", "alice"])
def test_only_admins_change_board_settings(app, floor, who):
    client = logged_in(app, who)
    assert client.get("/board/settings").status_code == 403
    assert client.post("/board/settings/teams", data={"name": "Red"}).status_code == 403


def test_admin_sets_a_queues_thresholds(app, floor, db):
    resp = logged_in(app, "ada").post(
        f"/board/settings/queues/{floor['support'].id}/thresholds",
        data={
            "waiting_warn": "3",
            "waiting_critical": "6",
            "service_level_warn": "80",
            "service_level_critical": "70%",
        },
    )
    assert resp.status_code == 302
    saved = board_settings.thresholds_by_queue(db)["support"]
    assert (saved["waiting"].warn, saved["waiting"].critical) == (3, 6)
    assert (saved["service_level"].warn, saved["service_level"].critical) == (0.8, 0.7)
    assert "board.thresholds_update" in _actions(db)


@pytest.mark.parametrize(
    "form",
    [
        {"waiting_warn": "6", "waiting_critical": "3"},
        {"waiting_warn": "3"},
        {"waiting_warn": "<script>alert(1)</script>", "waiting_critical": "4"},
        {"waiting_warn": "1' OR '1'='1", "waiting_critical": "4"},
        {"waiting_warn": "9" * 5000, "waiting_critical": "4"},
        {"service_level_warn": "150", "service_level_critical": "120"},
    ],
)
def test_bad_thresholds_are_refused_with_the_form_kept(app, floor, db, form):
    resp = logged_in(app, "ada").post(f"/board/settings/queues/{floor['support'].id}/thresholds", data=form)
    assert resp.status_code == 400 and b'id="form-error"' in resp.data and b"<script>alert" not in resp.data
    assert board_settings.thresholds_by_queue(db) == {}


def test_thresholds_of_an_unknown_queue_are_not_found(app, floor):
    client = logged_in(app, "ada")
    assert client.post("/board/settings/queues/999999/thresholds", data={}).status_code == 404
    assert client.post("/board/settings/queues/99999999999/thresholds", data={}).status_code == 404


def test_admin_creates_a_team_and_puts_an_agent_in_it(app, floor, db):
    client = logged_in(app, "ada")
    assert client.post("/board/settings/teams", data={"name": "Red"}).status_code == 302
    [red] = board_settings.teams(db)
    resp = client.post(f"/board/settings/agents/{floor['alice'].id}/team", data={"team_id": str(red.id)})
    assert resp.status_code == 302
    assert board_settings.agent_teams(db) == {str(floor["alice"].id): "Red"}
    assert {"board.team_create", "board.agent_team"} <= set(_actions(db))


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "x" * 300, ""])
def test_bad_team_names_are_refused(app, floor, db, name):
    resp = logged_in(app, "ada").post("/board/settings/teams", data={"name": name})
    assert resp.status_code == 400 and b"<img src=x" not in resp.data
    assert board_settings.teams(db) == []


@pytest.mark.parametrize("team_id", ["abc", "1; DROP TABLE teams", "9" * 40, "424242"])
def test_an_agent_is_not_put_in_a_team_that_is_not_one(app, floor, db, team_id):
    resp = logged_in(app, "ada").post(f"/board/settings/agents/{floor['alice'].id}/team", data={"team_id": team_id})
    assert resp.status_code == 400
    assert board_settings.agent_teams(db) == {}


def test_a_supervisor_cannot_be_put_in_a_team(app, floor, db):
    red = team_with(db, "Red")
    resp = logged_in(app, "ada").post(f"/board/settings/agents/{floor['sam'].id}/team", data={"team_id": str(red.id)})
    assert resp.status_code == 404


def test_admin_removes_a_team(app, floor, db):
    red = team_with(db, "Red", floor["alice"])
    assert logged_in(app, "ada").post(f"/board/settings/teams/{red.id}/delete").status_code == 302
    assert board_settings.teams(db) == [] and board_settings.agent_teams(db) == {}


def test_supervisor_opens_the_wallboard(app, floor):
    resp = logged_in(app, "sam").get("/board/wall")
    assert resp.status_code == 200 and b'data-mode="wall"' in resp.data and b"set-state" not in resp.data


def test_an_agent_is_refused_the_wallboard(app, floor):
    assert logged_in(app, "alice").get("/board/wall").status_code == 403


def test_supervisor_acknowledges_a_raised_alert(app, floor, db, runtime):
    thresholds_on(db, floor["support"], waiting=(1, 5))
    runtime.acd.enqueue("CA" + "7" * 32, "support")
    resp = logged_in(app, "sam").post("/board/alerts/ack", json={"key": "support:waiting.warn"})
    assert resp.status_code == 200 and resp.json["acknowledged"]["by"] == "Sam" and resp.json["new"]
    assert db.scalar(select(AlertAck.user_name)) == "Sam"
    assert "board.alert_acknowledged" in _actions(db)


def test_an_alert_not_raised_cannot_be_acknowledged(app, floor, db):
    resp = logged_in(app, "sam").post("/board/alerts/ack", json={"key": "support:waiting.warn"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "alert_gone"
    assert db.scalar(select(AlertAck.id)) is None


@pytest.mark.parametrize(
    "body",
    [{"key": "<script>x</script>"}, {"key": ["a"]}, {"key": "k" * 500}, {}, {"key": "x' OR 1=1 --"}],
)
def test_bad_acknowledgements_are_refused(app, floor, db, body):
    resp = logged_in(app, "sam").post("/board/alerts/ack", json=body)
    assert resp.status_code in (400, 404) and "error" in resp.json
    assert db.scalar(select(AlertAck.id)) is None


def test_an_oversized_acknowledgement_is_refused(app, floor):
    padded = "{" + " " * 10_000 + "}"
    resp = logged_in(app, "sam").post("/board/alerts/ack", data=padded, content_type="application/json")
    assert resp.status_code == 413


def test_an_agent_cannot_acknowledge(app, floor):
    assert logged_in(app, "alice").post("/board/alerts/ack", json={"key": "support:long_wait"}).status_code == 403
