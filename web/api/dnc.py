"""/api/dnc: do-not-call lists for integrations (supervisors and admins).

`list` is "internal" (every campaign; national registers are imported into it with source
"national") or a campaign id. Add or remove one number, check one, list entries, and import a
CSV text with the same report as the CLI and the DNC page. Numbers in any format; stored E.164.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select

from contactcenter.dialer import dnc, dnc_import
from contactcenter.dialer.models import Campaign, DncEntry
from contactcenter.phones import InvalidPhoneNumber, normalize
from web import database
from web.api.core import (
    MAX_ID,
    Query,
    created,
    cursor_id,
    encode_cursor,
    fail,
    iso,
    json_body,
    not_found,
    page,
    principal,
    require_supervisor,
    require_write,
)
from web.audit import audit

MAX_CSV_CHARS = 200_000  # the API's body limit is 256 KiB; larger registers go through the CLI


def render_entry(entry: DncEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "phone": entry.phone,
        "list": "internal" if entry.campaign_id is None else entry.campaign_id,
        "source": entry.source,
        "reason": entry.reason,
        "created_at": iso(entry.created_at),
        "expires_at": iso(entry.expires_at),
    }


def _list(value: Any) -> Campaign | None:
    if value is None or value == "internal":
        return None
    if isinstance(value, str) and value.isdigit() and len(value) < 11:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        fail(422, "validation_failed", 'list must be "internal" or a campaign id')
    campaign = database.session().get(Campaign, value)
    if campaign is None:
        not_found("campaign", value)
    return campaign


def _region(campaign: Campaign | None) -> str:
    return campaign.default_region if campaign else database.runtime().settings.default_region


def _phone(value: Any, campaign: Campaign | None) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        fail(422, "validation_failed", "phone must be a phone number of at most 40 characters")
    try:
        return normalize(value, _region(campaign))
    except InvalidPhoneNumber as exc:
        fail(422, "validation_failed", f"phone: {exc}")


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        fail(422, "validation_failed", f"{key} must be text of at most {limit} characters")
    return value


def list_entries() -> Response:
    require_supervisor()
    q = Query(("list", "source", "phone"))
    limit = q.limit()
    after = q.cursor("dnc", cursor_id)
    campaign = _list(q.text("list", 20))
    stmt = select(DncEntry).where(
        DncEntry.campaign_id.is_(None) if campaign is None else DncEntry.campaign_id == campaign.id
    )
    sources = q.choices("source", dnc_import.SOURCES)
    if sources:
        stmt = stmt.where(DncEntry.source.in_(sources))
    phone = q.text("phone", 40)
    if phone is not None:
        stmt = stmt.where(DncEntry.phone == _phone(phone, campaign))
    if after is not None:
        stmt = stmt.where(DncEntry.id > after)
    rows = list(database.session().scalars(stmt.order_by(DncEntry.id).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return page(rows, render_entry, encode_cursor("dnc", [rows[-1].id]) if more else None)


def add_entry() -> tuple[Response, int]:
    require_supervisor()
    require_write()
    data = json_body(("phone", "list", "reason"), required=("phone",))
    campaign = _list(data.get("list"))
    e164 = _phone(data["phone"], campaign)
    session = database.session()
    entry = dnc.add(
        session,
        e164,
        campaign_id=campaign.id if campaign else None,
        source="api",
        reason=_text(data, "reason", 255),
        added_by_id=principal().user.id,
    )
    audit("dnc.add", object_type="dnc_entry", object_id=entry.id, actor=principal().user, details={"via": "api"})
    session.commit()
    return created(render_entry(entry))


def remove_entry(entry_id: int) -> tuple[str, int]:
    require_supervisor()
    require_write()
    session = database.session()
    entry = session.get(DncEntry, entry_id) if 0 < entry_id <= MAX_ID else None
    if entry is None:
        not_found("do-not-call entry", entry_id)
    session.delete(entry)
    audit("dnc.remove", object_type="dnc_entry", object_id=entry_id, actor=principal().user, details={"via": "api"})
    session.commit()
    return "", 204


def check_number() -> Response:
    require_supervisor()
    q = Query(("phone", "list"))
    campaign = _list(q.text("list", 20))
    phone = q.text("phone", 40)
    if phone is None:
        fail(400, "invalid_filter", "give the number to check as phone")
    e164 = _phone(phone, campaign)
    hit = dnc.check(database.session(), e164, campaign.id if campaign else None)
    return jsonify(
        phone=e164,
        blocked=hit is not None,
        list=None if hit is None else hit.list,
        source=None if hit is None else hit.source,
        reason=None if hit is None else hit.reason,
    )


def import_entries() -> Response:
    require_supervisor()
    require_write()
    data = json_body(("csv", "list", "national", "reason"), required=("csv",))
    text = _text(data, "csv", MAX_CSV_CHARS)
    campaign = _list(data.get("list"))
    national = data.get("national", False)
    if not isinstance(national, bool):
        fail(422, "validation_failed", "national must be true or false")
    if national and campaign is not None:
        fail(422, "validation_failed", "a national register goes on the internal list")
    reason = _text(data, "reason", 255) or ("national register" if national else "API import")
    session = database.session()
    report = dnc_import.import_text(
        session,
        text,
        campaign_id=campaign.id if campaign else None,
        source="national" if national else "import",
        reason=reason,
        default_region=_region(campaign),
    )
    summary = {k: v for k, v in report.as_dict().items() if k != "rejected"}
    audit("dnc.import", object_type="dnc_list", actor=principal().user, details={"via": "api", **summary})
    session.commit()
    return jsonify(report.as_dict())


ROUTES = [
    ("/dnc", list_entries, ["GET"]),
    ("/dnc", add_entry, ["POST"]),
    ("/dnc/<int:entry_id>", remove_entry, ["DELETE"]),
    ("/dnc/check", check_number, ["GET"]),
    ("/dnc/import", import_entries, ["POST"]),
]
