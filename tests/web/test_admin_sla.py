"""The SLA pages: admins edit calendars and policies (every value checked, each message next to
its input, nothing written on error), supervisors look and preview, agents are kept out; the
preview says when a ticket would be due, and a change recomputes the open tickets' clocks."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from contactcenter.app import jobs
from contactcenter.audit.models import AuditEntry
from contactcenter.tickets import sla
from contactcenter.tickets.models import BusinessCalendarRecord, SlaPolicy, TicketSla
from tests.support.factories import gen_queue, gen_staff, gen_ticket
from tests.support.sla_forms import HOSTILE, WEEKDAYS, calendar_form, policy_form
from tests.support.web_client import logged_in

NY = ZoneInfo("America/New_York")
OFFICE = {"time_zone": "America/New_York", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS[:5]}}


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    return gen_staff(db)


@pytest.fixture
def admin(app, people):  # type: ignore[no-untyped-def]
    return logged_in(app, "ann")


@pytest.fixture
def supervisor(app, people):  # type: ignore[no-untyped-def]
    return logged_in(app, "sam")


@pytest.fixture
def office(db) -> BusinessCalendarRecord:  # type: ignore[no-untyped-def]
    record = sla.create_calendar(db, "NY office", OFFICE)
    sla.create_policy(
        db, "Standard", calendar_id=record.id, targets={"first_response": 4 * 3600, "resolution": 8 * 3600}
    )
    db.commit()
    return record


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(model.id)))


def due_cells(html: str) -> dict[str, datetime | None]:
    """The preview's due instants by metric (None: never due)."""
    found = re.findall(r'<tr data-metric="(\w+)">.*?data-due="([^"]*)"', html, re.S)
    return {metric: datetime.fromisoformat(due) if due else None for metric, due in found}


def error_of(html: str, key: str) -> str | None:
    found = re.search(rf'id="error-{re.escape(key)}"[^>]*>([^<]*)<', html)
    return found.group(1) if found else None


def first_response_deadline(db, ticket_id: int) -> datetime | None:  # type: ignore[no-untyped-def]
    return db.scalar(
        select(TicketSla.deadline_at).where(TicketSla.ticket_id == ticket_id, TicketSla.metric == "first_response")
    )


FRIDAY_3PM = {"preview_at": "2026-12-11T15:00", "preview_priority": "normal"}


# -- access --------------------------------------------------------------------------------------


def test_the_index_lists_policies_and_calendars_for_a_supervisor(supervisor, office):
    page = supervisor.get("/admin/sla").data.decode()
    assert "Standard" in page and "NY office" in page and "America/New_York" in page
    assert 'id="new-policy"' not in page


@pytest.mark.parametrize("url", ["/admin/sla", "/admin/sla/calendars/new", "/admin/sla/policies/new", "/staffing"])
def test_agents_are_kept_out(app, people, url):
    assert logged_in(app, "alice").get(url).status_code == 403


@pytest.mark.parametrize("url", ["/admin/sla/calendars/preview", "/admin/sla/policies/preview"])
def test_agents_cannot_use_the_previews(app, people, url):
    assert logged_in(app, "alice").post(url, data=FRIDAY_3PM).status_code == 403


def test_a_supervisor_sees_a_calendar_read_only(supervisor, office):
    page = supervisor.get(f"/admin/sla/calendars/{office.id}").data.decode()
    assert "<fieldset disabled" in page and 'id="save-button"' not in page and 'id="preview-button"' in page


def test_a_supervisor_cannot_save_a_calendar(supervisor, office, db):
    resp = supervisor.post(f"/admin/sla/calendars/{office.id}", data=calendar_form(name="Changed"))
    assert resp.status_code == 403
    db.refresh(office)
    assert office.name == "NY office"


def test_a_supervisor_cannot_create_a_policy(supervisor, db):
    assert supervisor.post("/admin/sla/policies/new", data=policy_form()).status_code == 403
    assert count(db, SlaPolicy) == 0


def test_a_supervisor_previews_the_stored_calendar(supervisor, office):
    resp = supervisor.post(
        "/admin/sla/calendars/preview", data={"calendar_id": str(office.id), "hours_fri": "09:00-10:00", **FRIDAY_3PM}
    )
    assert due_cells(resp.data.decode())["first_response"] == datetime(2026, 12, 14, 11, tzinfo=NY)


# -- calendars -----------------------------------------------------------------------------------


def test_an_admin_creates_a_calendar(admin, db):
    resp = admin.post(
        "/admin/sla/calendars/new", data=calendar_form(holidays="2026-12-25\n2026-12-31", sat="10:00-14:00")
    )
    assert resp.status_code == 303
    record = db.scalars(select(BusinessCalendarRecord)).one()
    assert record.definition["hours"]["sat"] == ["10:00-14:00"] and record.definition["holidays"] == [
        "2026-12-25",
        "2026-12-31",
    ]
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "business_calendar")) == (
        "sla_calendar.create"
    )


def test_calendar_errors_are_shown_next_to_their_inputs_and_nothing_is_written(admin, db):
    resp = admin.post(
        "/admin/sla/calendars/new",
        data=calendar_form(time_zone="Mars/Olympus", fri="17:00-09:00", holidays="2026-13-01"),
    )
    page = resp.data.decode()
    assert resp.status_code == 400 and count(db, BusinessCalendarRecord) == 0
    assert "unknown time zone" in error_of(page, "time_zone")
    assert "ends before it starts" in error_of(page, "hours_fri")
    assert "bad holiday date" in error_of(page, "holidays")
    assert error_of(page, "hours_mon") is None


def test_a_taken_calendar_name_is_shown_next_to_the_name(admin, office, db):
    page = admin.post("/admin/sla/calendars/new", data=calendar_form(name="NY office")).data.decode()
    assert "is taken" in error_of(page, "name") and count(db, BusinessCalendarRecord) == 1


def test_hostile_text_in_every_calendar_field_is_shown_escaped_and_not_saved(admin, db):
    for text in HOSTILE:
        form = calendar_form(name=text, time_zone=text, holidays=text, **{day: text for day in WEEKDAYS})
        form.update(preview_priority=text, preview_at=text, preview_policy_id=text)
        resp = admin.post("/admin/sla/calendars/new", data=form)
        page = resp.data.decode()
        assert resp.status_code == 400 and count(db, BusinessCalendarRecord) == 0
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&#39; OR 1=1 --" in page


def test_an_oversized_calendar_input_is_refused_clearly(admin, db):
    resp = admin.post("/admin/sla/calendars/new", data=calendar_form(name="x" * 5000))
    assert resp.status_code == 400 and count(db, BusinessCalendarRecord) == 0
    assert "too long" in error_of(resp.data.decode(), "name")


def test_the_preview_button_shows_due_times_without_saving(admin, office, db):
    form = {**calendar_form(fri="09:00-13:00"), **FRIDAY_3PM, "action": "preview"}
    resp = admin.post(f"/admin/sla/calendars/{office.id}", data=form)
    assert resp.status_code == 200
    # Friday closes at 13:00, so the 4 hours start on Monday at 09:00.
    assert due_cells(resp.data.decode())["first_response"] == datetime(2026, 12, 14, 13, tzinfo=NY)
    db.refresh(office)
    assert office.definition["hours"]["fri"] == ["09:00-17:00"]


def test_the_preview_endpoint_follows_a_new_holiday(admin, office):
    before = admin.post(
        "/admin/sla/calendars/preview", data={**calendar_form(), **FRIDAY_3PM, "calendar_id": str(office.id)}
    )
    after = admin.post(
        "/admin/sla/calendars/preview",
        data={**calendar_form(holidays="2026-12-14"), **FRIDAY_3PM, "calendar_id": str(office.id)},
    )
    assert due_cells(before.data.decode())["first_response"] == datetime(2026, 12, 14, 11, tzinfo=NY)
    assert due_cells(after.data.decode())["first_response"] == datetime(2026, 12, 15, 11, tzinfo=NY)


def test_the_preview_of_a_calendar_with_errors_asks_to_fix_it(admin, office):
    resp = admin.post("/admin/sla/calendars/preview", data={**calendar_form(mon="nine to five"), **FRIDAY_3PM})
    assert "Fix the calendar" in resp.data.decode()


def test_saving_a_calendar_queues_the_recompute_that_moves_open_deadlines(app, people, office, db, runtime):
    with freeze_time(datetime(2026, 12, 11, 15, tzinfo=NY)):
        ticket = gen_ticket(db, "Router down")
        db.commit()
        assert first_response_deadline(db, ticket.id) == datetime(2026, 12, 14, 11, tzinfo=NY)
        admin = logged_in(app, "ann")
        resp = admin.post(f"/admin/sla/calendars/{office.id}", data=calendar_form(holidays="2026-12-14"))
        assert resp.status_code == 303
        [job] = [j for j in jobs.queue("low", runtime.redis).jobs if j.func_name.endswith("recompute_open_tickets")]
        job.perform()
    db.expire_all()
    assert first_response_deadline(db, ticket.id) == datetime(2026, 12, 15, 11, tzinfo=NY)


# -- policies ------------------------------------------------------------------------------------


def test_an_admin_creates_a_policy_with_conditions_and_targets(admin, office, db):
    support = gen_queue(db, "support")
    db.commit()
    form = policy_form(
        "Gold support",
        position="10",
        calendar_id=str(office.id),
        priorities=["high", "urgent"],
        segments=["gold"],
        channels=["email"],
        queue_ids=[str(support.id)],
        target_first_response_urgent="1h",
        target_resolution_any="2d",
        warn_before="15m",
        on_breach_raise_priority="1",
    )
    assert admin.post("/admin/sla/policies/new", data=form).status_code == 303
    policy = db.scalars(select(SlaPolicy).where(SlaPolicy.name == "Gold support")).one()
    assert policy.targets == {"first_response": {"*": 4 * 3600, "urgent": 3600}, "resolution": {"*": 48 * 3600}}
    assert (policy.position, policy.calendar_id, policy.warn_before_s) == (10, office.id, 900)
    assert policy.priorities == ["high", "urgent"] and policy.queue_ids == [support.id]
    assert policy.segments == ["gold"] and policy.channels == ["email"] and policy.on_breach_raise_priority


def test_an_admin_deactivates_a_policy(admin, office, db):
    policy = db.scalars(select(SlaPolicy)).one()
    form = policy_form("Standard", calendar_id=str(office.id))
    del form["active"]
    assert admin.post(f"/admin/sla/policies/{policy.id}", data=form).status_code == 303
    db.refresh(policy)
    assert policy.active is False


def test_saving_a_policy_queues_the_recompute(admin, db, runtime):
    assert admin.post("/admin/sla/policies/new", data=policy_form()).status_code == 303
    assert [j.func_name for j in jobs.queue("low", runtime.redis).jobs if "recompute" in j.func_name]


def test_a_bad_target_is_shown_in_its_cell_and_nothing_is_written(admin, db):
    page = admin.post("/admin/sla/policies/new", data=policy_form(target_resolution_high="soon")).data.decode()
    assert "write a duration" in error_of(page, "target_resolution_high") and count(db, SlaPolicy) == 0


def test_a_policy_needs_a_target(admin, db):
    form = policy_form(target_first_response_any="", target_resolution_any="")
    resp = admin.post("/admin/sla/policies/new", data=form)
    assert resp.status_code == 400 and "at least one target" in error_of(resp.data.decode(), "targets")


def test_an_unknown_calendar_is_shown_next_to_the_calendar(admin, db):
    page = admin.post("/admin/sla/policies/new", data=policy_form(calendar_id="4242")).data.decode()
    assert "does not exist" in error_of(page, "calendar_id") and count(db, SlaPolicy) == 0


def test_a_taken_policy_name_is_shown_next_to_the_name(admin, office, db):
    page = admin.post("/admin/sla/policies/new", data=policy_form("Standard")).data.decode()
    assert "is taken" in error_of(page, "name") and count(db, SlaPolicy) == 1


def test_hostile_text_in_every_policy_field_is_shown_escaped_and_not_saved(admin, db):
    keys = [k for k in policy_form() if k != "action"] + [
        f"target_{m}_{p}" for m in sla.METRICS for p in ("any", *sla.PRIORITIES)
    ]
    for text in HOSTILE:
        form = {key: text for key in keys}
        form.update(
            priorities=text, segments=text, channels=text, queue_ids=text, preview_priority=text, preview_at=text
        )
        form["action"] = "save"
        resp = admin.post("/admin/sla/policies/new", data=form)
        page = resp.data.decode()
        assert resp.status_code == 400 and count(db, SlaPolicy) == 0
        assert "<script>alert(1)</script>" not in page


def test_an_oversized_target_is_refused_clearly(admin, db):
    resp = admin.post("/admin/sla/policies/new", data=policy_form(target_resolution_any="9" * 5000))
    assert resp.status_code == 400 and "too long" in error_of(resp.data.decode(), "target_resolution_any")


def test_the_policy_preview_measures_on_the_chosen_calendar(admin, office):
    form = {**policy_form(calendar_id=str(office.id)), **FRIDAY_3PM}
    cells = due_cells(admin.post("/admin/sla/policies/preview", data=form).data.decode())
    assert cells["first_response"] == datetime(2026, 12, 14, 11, tzinfo=NY)
    assert cells["next_reply"] is None


def test_the_policy_preview_follows_the_priority(admin, office):
    form = {
        **policy_form(calendar_id=str(office.id), target_first_response_urgent="1h"),
        **FRIDAY_3PM,
        "preview_priority": "urgent",
    }
    cells = due_cells(admin.post("/admin/sla/policies/preview", data=form).data.decode())
    assert cells["first_response"] == datetime(2026, 12, 11, 16, tzinfo=NY)


def test_the_policy_page_shows_targets_as_durations(admin, office, db):
    policy = db.scalars(select(SlaPolicy)).one()
    page = admin.get(f"/admin/sla/policies/{policy.id}").data.decode()
    cell = re.search(r'<input name="target_first_response_any"[^>]*value="([^"]*)"', page)
    assert cell is not None and cell.group(1) == "4h"


def test_a_new_calendar_previews_example_targets_while_there_is_no_policy(admin):
    page = admin.get("/admin/sla/calendars/new").data.decode()
    assert "Example targets (there is no policy yet)" in page and 'value="09:00-17:00"' in page


def test_the_no_script_preview_of_a_new_calendar_writes_nothing(admin, db):
    form = {**calendar_form(time_zone="Europe/Berlin"), **FRIDAY_3PM, "action": "preview"}
    resp = admin.post("/admin/sla/calendars/new", data=form)
    cells = due_cells(resp.data.decode())
    assert resp.status_code == 200 and count(db, BusinessCalendarRecord) == 0
    assert cells["first_response"] == datetime(2026, 12, 14, 11, tzinfo=ZoneInfo("Europe/Berlin"))
