"""The OpenAPI 3 description of /api, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from contactcenter import __version__
from contactcenter.acd.service_level import FORMULAS
from contactcenter.tickets.models import CHANNELS
from contactcenter.tickets.services import LINK_KINDS, PRIORITIES, STATUSES

_ERROR_CODES = {
    "400": "Malformed JSON, bad filter, bad cursor or query",
    "401": "No valid API token",
    "403": "The token's role (or read-only token) does not allow this",
    "404": "Unknown id, or not visible to this token",
    "409": "The status move is not allowed from the ticket's status",
    "413": "Body larger than 256 KiB",
    "415": "Body is not application/json",
    "422": "The body is well-formed but a value is not acceptable",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in ("401", *codes)}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list_of(name: str) -> dict[str, Any]:
    return _json(
        {
            "type": "object",
            "required": ["data", "next_cursor"],
            "properties": {
                "data": {"type": "array", "items": _ref(name)},
                "next_cursor": {"type": ["string", "null"], "description": "pass as `cursor` for the next page"},
            },
        }
    )


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


PAGING = [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}]
_INT = {"type": "integer"}
_NINT = {"type": ["integer", "null"]}
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NTIME = {"type": ["string", "null"], "format": "date-time"}


def _obj(props: dict[str, Any], required: list[str] | None = None, *, extra: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    if not extra:
        schema["additionalProperties"] = False
    return schema


SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({"code": _STR, "message": _STR}, ["code", "message"])}, ["error"]),
    "SlaRow": _obj(
        {
            "id": _INT,
            "ticket_id": _INT,
            "metric": {"enum": ["first_response", "next_reply", "resolution"]},
            "cycle": _INT,
            "policy_id": _NINT,
            "target_s": _INT,
            "business_hours": {"type": "boolean"},
            "unanswered": {"type": "boolean"},
            "state": {"enum": ["running", "paused", "stopped"]},
            "started_at": _TIME,
            "stopped_at": _NTIME,
            "deadline": _NTIME,
            "elapsed_s": {"type": ["number", "null"]},
            "computed_at": _TIME,
        }
    ),
    "SlaClock": _obj(
        {
            "metric": _STR,
            "cycle": _INT,
            "policy_id": _NINT,
            "target_s": _INT,
            "business_hours": {"type": "boolean"},
            "status": {"enum": ["running", "paused", "met", "breached", "unanswered"]},
            "started_at": _TIME,
            "stopped_at": _NTIME,
            "deadline": _NTIME,
            "elapsed_s": {"type": "number"},
            "remaining_s": {"type": "number"},
        }
    ),
    "Ticket": _obj(
        {
            "id": _INT,
            "subject": _STR,
            "description": _STR,
            "status": {"enum": list(STATUSES)},
            "priority": {"enum": list(PRIORITIES)},
            "channel": {"enum": list(CHANNELS)},
            "queue_id": _NINT,
            "assignee_id": _NINT,
            "customer_id": _NINT,
            "tags": {"type": "array", "items": _STR},
            "created_at": _TIME,
            "updated_at": _TIME,
            "sla": {"type": "array", "items": _ref("SlaRow")},
        }
    ),
    "TicketDetail": _obj(
        {
            "id": _INT,
            "subject": _STR,
            "description": _STR,
            "status": {"enum": list(STATUSES)},
            "priority": {"enum": list(PRIORITIES)},
            "channel": {"enum": list(CHANNELS)},
            "queue_id": _NINT,
            "assignee_id": _NINT,
            "customer_id": _NINT,
            "tags": {"type": "array", "items": _STR},
            "created_at": _TIME,
            "updated_at": _TIME,
            "sla": {"type": "array", "items": _ref("SlaClock")},
            "merged_into_id": _NINT,
            "interaction_ids": {"type": "array", "items": _INT},
            "links": {"type": "array", "items": _obj({"ticket_id": _INT, "kind": {"enum": list(LINK_KINDS)}})},
        }
    ),
    "TicketInput": _obj(
        {
            "subject": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": _STR,
            "priority": {"enum": list(PRIORITIES)},
            "channel": {"enum": list(CHANNELS)},
            "queue_id": _NINT,
            "assignee_id": _NINT,
            "customer_id": _NINT,
            "tags": {"type": "array", "items": _STR, "maxItems": 20},
            "interaction_ids": {"type": "array", "items": _INT, "maxItems": 50},
        },
        ["subject"],
    ),
    "TicketPatch": _obj(
        {
            "subject": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": _STR,
            "priority": {"enum": list(PRIORITIES)},
            "channel": {"enum": list(CHANNELS)},
            "queue_id": _NINT,
            "assignee_id": _NINT,
            "customer_id": _NINT,
            "tags": {"type": "array", "items": _STR},
            "status": {
                "enum": [s for s in STATUSES if s != "merged"],
                "description": "new → open ↔ pending / on_hold → solved → closed; solved → open reopens",
            },
        }
    ),
    "Comment": _obj(
        {
            "id": _INT,
            "ticket_id": _INT,
            "author_id": _NINT,
            "author_kind": {"enum": ["agent", "customer", "system"]},
            "public": {"type": "boolean"},
            "body": _STR,
            "created_at": _TIME,
        }
    ),
    "CommentInput": _obj(
        {
            "body": {"type": "string", "minLength": 1, "maxLength": 20000},
            "public": {"type": "boolean", "default": False},
            "author": {
                "enum": ["agent", "customer"],
                "default": "agent",
                "description": "customer: relay the customer's own message (always public)",
            },
        },
        ["body"],
    ),
    "Event": _obj(
        {
            "id": _INT,
            "ticket_id": _INT,
            "actor_id": _NINT,
            "at": _TIME,
            "kind": _STR,
            "field": _NSTR,
            "before": {"type": "object"},
            "after": {"type": "object"},
        }
    ),
    "Customer": _obj(
        {
            "id": _INT,
            "name": _STR,
            "email": _NSTR,
            "segment": _STR,
            "phones": {"type": "array", "items": _STR},
            "attributes": {"type": "object"},
            "created_at": _TIME,
            "updated_at": _TIME,
        }
    ),
    "CustomerInput": _obj(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "email": _NSTR,
            "segment": {"enum": ["standard", "silver", "gold", "vip"]},
            "attributes": {"type": "object"},
            "phones": {"type": "array", "items": _STR, "description": "any format; stored as E.164"},
        }
    ),
    "Interaction": _obj(
        {
            "id": _INT,
            "call_sid": _STR,
            "direction": {"enum": ["inbound", "outbound"]},
            "from_number": _STR,
            "to_number": _STR,
            "customer_id": _NINT,
            "status": _STR,
            "outcome": _NSTR,
            "queue_id": _NINT,
            "agent_id": _NINT,
            "arrived_at": _TIME,
            "queued_at": _NTIME,
            "answered_at": _NTIME,
            "ended_at": _NTIME,
            "duration_s": _NINT,
            "disposition": _NSTR,
            "notes": _NSTR,
            "ivr_path": {"type": "array"},
            "ticket_ids": {"type": "array", "items": _INT},
        }
    ),
    "SlaPolicy": _obj(
        {
            "id": _INT,
            "name": _STR,
            "position": _INT,
            "active": {"type": "boolean"},
            "priorities": {"type": "array", "items": {"enum": list(PRIORITIES)}},
            "queue_ids": {"type": "array", "items": _INT},
            "segments": {"type": "array", "items": _STR},
            "channels": {"type": "array", "items": {"enum": list(CHANNELS)}},
            "calendar_id": {"type": ["integer", "null"], "description": "null: calendar hours (24x7)"},
            "targets": {"type": "object", "description": "{metric: seconds} or {metric: {priority or '*': seconds}}"},
            "warn_before_s": _INT,
            "on_breach_raise_priority": {"type": "boolean"},
            "on_breach_assignee_id": _NINT,
            "on_breach_queue_id": _NINT,
            "created_at": _TIME,
            "updated_at": _TIME,
        }
    ),
    "SlaPolicyInput": _obj(
        {
            "name": _STR,
            "position": _INT,
            "active": {"type": "boolean"},
            "priorities": {"type": "array"},
            "queue_ids": {"type": "array"},
            "segments": {"type": "array"},
            "channels": {"type": "array"},
            "calendar_id": _NINT,
            "targets": {"type": "object"},
            "warn_before_s": _INT,
            "on_breach_raise_priority": {"type": "boolean"},
            "on_breach_assignee_id": _NINT,
            "on_breach_queue_id": _NINT,
        }
    ),
    "Calendar": _obj(
        {"id": _INT, "name": _STR, "definition": _ref("CalendarDefinition"), "created_at": _TIME, "updated_at": _TIME}
    ),
    "CalendarInput": _obj({"name": _STR, "definition": _ref("CalendarDefinition")}),
    "CalendarDefinition": _obj(
        {
            "time_zone": {"type": "string", "example": "Europe/Berlin"},
            "hours": {"description": "{'mon': ['09:00-12:00', '13:00-17:00'], ...} or '24x7'"},
            "holidays": {"type": "array", "items": {"type": "string", "format": "date"}},
        },
        ["time_zone"],
    ),
    "SlaReport": _obj(
        {
            "from": _NTIME,
            "to": _NTIME,
            "generated_at": _TIME,
            "rows": {
                "type": "array",
                "items": _obj(
                    {
                        "policy_id": _NINT,
                        "policy": _NSTR,
                        "priority": _STR,
                        "queue_id": _NINT,
                        "queue": _NSTR,
                        "metric": _STR,
                        "met": _INT,
                        "breached": _INT,
                        "unanswered": _INT,
                        "hit_rate": {"type": ["number", "null"]},
                    }
                ),
            },
            "totals": {"type": "object"},
        }
    ),
    "Token": _obj(
        {
            "id": _INT,
            "user_id": _INT,
            "name": _STR,
            "prefix": _STR,
            "read_only": {"type": "boolean"},
            "created_at": _TIME,
            "expires_at": _NTIME,
            "last_used_at": _NTIME,
            "revoked_at": _NTIME,
            "token": {"type": "string", "description": "only in the response that creates it"},
        }
    ),
    "TokenInput": _obj(
        {"name": _STR, "read_only": {"type": "boolean"}, "expires_at": _NTIME, "user_id": _INT}, ["name"]
    ),
    "User": _obj(
        {
            "id": _INT,
            "username": _STR,
            "display_name": _STR,
            "role": {"enum": ["agent", "supervisor", "admin"]},
            "active": {"type": "boolean"},
            "token": _ref("Token"),
        }
    ),
}

_TICKET_FILTERS = [
    _q("status", "comma-separated statuses"),
    _q("priority", "comma-separated priorities"),
    _q("channel", "comma-separated channels"),
    _q("queue_id", "queue id", _INT),
    _q("customer_id", "customer id", _INT),
    _q("assignee_id", "user id, 'me' or 'none'"),
    _q("tag", "one tag"),
    _q("created_after", "ISO 8601 with offset", _TIME),
    _q("created_before", "ISO 8601 with offset", _TIME),
    _q("updated_after", "ISO 8601 with offset", _TIME),
    _q("updated_before", "ISO 8601 with offset", _TIME),
    _q("sla_due_before", "an SLA clock is due (or overdue) by then", _TIME),
    _q("sort", "order of the pages", {"enum": ["-id", "id", "-updated_at", "updated_at"], "default": "-id"}),
]


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[Any] | None = None,
    body: str | None = None,
    errors: tuple[str, ...] = (),
    public: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**responses, **({} if public else _errors(*errors))}}
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = _body(body)
    if public:
        op["security"] = []
    return op


T = [_path_id("ticket_id")]
PATHS: dict[str, Any] = {
    "/api/openapi.json": {"get": _op("This document", {"200": _json({"type": "object"})}, public=True)},
    "/api/me": {"get": _op("The token's user and the token", {"200": _json(_ref("User"))})},
    "/api/users": {"get": _op("Users (supervisors, admins)", {"200": _list_of("User")}, errors=("403",))},
    "/api/tokens": {
        "get": _op(
            "Your tokens (admins: anyone's, with user_id)",
            {"200": _list_of("Token")},
            params=[_q("user_id", "admins only", _INT)],
            errors=("400", "403"),
        ),
        "post": _op(
            "Create a token; the response holds it, once. An admin signed in to the web pages may "
            "send the sign-in cookie and the CSRF token (X-CSRFToken) instead of a token",
            {"201": _json(_ref("Token"), "Created")},
            body="TokenInput",
            errors=("400", "403", "413", "415", "422"),
        ),
    },
    "/api/tokens/{token_id}": {
        "delete": _op(
            "Revoke a token", {"204": {"description": "Revoked"}}, params=[_path_id("token_id")], errors=("403", "404")
        )
    },
    "/api/customers": {
        "get": _op(
            "Customers, newest first",
            {"200": _list_of("Customer")},
            params=[
                _q("phone", "any format; exact owner of the number"),
                _q("email", "exact, any case"),
                _q("segment", "comma-separated segments"),
                _q("q", "full-text on name and e-mail"),
                *PAGING,
            ],
            errors=("400",),
        ),
        "post": _op(
            "Create a customer",
            {"201": _json(_ref("Customer"), "Created")},
            body="CustomerInput",
            errors=("400", "403", "413", "415", "422"),
        ),
    },
    "/api/customers/{customer_id}": {
        "get": _op("A customer", {"200": _json(_ref("Customer"))}, params=[_path_id("customer_id")], errors=("404",)),
        "patch": _op(
            "Change a customer (phones replaces the list)",
            {"200": _json(_ref("Customer"))},
            params=[_path_id("customer_id")],
            body="CustomerInput",
            errors=("400", "403", "404", "413", "415", "422"),
        ),
    },
    "/api/interactions": {
        "get": _op(
            "Calls, latest first",
            {"200": _list_of("Interaction")},
            params=[
                _q("direction", "inbound or outbound"),
                _q("status", "comma-separated call statuses"),
                _q("outcome", "comma-separated outcomes"),
                _q("customer_id", "", _INT),
                _q("queue_id", "", _INT),
                _q("agent_id", "", _INT),
                _q("arrived_after", "", _TIME),
                _q("arrived_before", "", _TIME),
                *PAGING,
            ],
            errors=("400",),
        )
    },
    "/api/interactions/{interaction_id}": {
        "get": _op("A call", {"200": _json(_ref("Interaction"))}, params=[_path_id("interaction_id")], errors=("404",))
    },
    "/api/tickets": {
        "get": _op(
            "Tickets you may see", {"200": _list_of("Ticket")}, params=[*_TICKET_FILTERS, *PAGING], errors=("400",)
        ),
        "post": _op(
            "Open a ticket (status new)",
            {"201": _json(_ref("Ticket"), "Created")},
            body="TicketInput",
            errors=("400", "403", "413", "415", "422"),
        ),
    },
    "/api/tickets/{ticket_id}": {
        "get": _op(
            "A ticket with live SLA clocks, links and calls",
            {"200": _json(_ref("TicketDetail"))},
            params=T,
            errors=("404",),
        ),
        "patch": _op(
            "Change fields and/or status",
            {"200": _json(_ref("TicketDetail"))},
            params=T,
            body="TicketPatch",
            errors=("400", "403", "404", "409", "413", "415", "422"),
        ),
    },
    "/api/tickets/{ticket_id}/comments": {
        "get": _op(
            "Comments, oldest first",
            {"200": _list_of("Comment")},
            params=[*T, _q("public", "true or false"), *PAGING],
            errors=("400", "404"),
        ),
        "post": _op(
            "Add a comment",
            {"201": _json(_ref("Comment"), "Created")},
            params=T,
            body="CommentInput",
            errors=("400", "403", "404", "413", "415", "422"),
        ),
    },
    "/api/tickets/{ticket_id}/events": {
        "get": _op(
            "The audit trail, oldest first", {"200": _list_of("Event")}, params=[*T, *PAGING], errors=("400", "404")
        )
    },
    "/api/tickets/{ticket_id}/merge": {
        "post": _op(
            "Merge this ticket into another (final)",
            {"200": _json({"type": "object"})},
            params=T,
            body="MergeInput",
            errors=("400", "403", "404", "413", "415", "422"),
        )
    },
    "/api/tickets/{ticket_id}/links": {
        "post": _op(
            "Link to another ticket",
            {"201": _json({"type": "object"}, "Created")},
            params=T,
            body="LinkInput",
            errors=("400", "403", "404", "413", "415", "422"),
        )
    },
    "/api/tickets/{ticket_id}/links/{other_id}": {
        "delete": _op(
            "Remove a link",
            {"204": {"description": "Removed"}},
            params=[*T, _path_id("other_id")],
            errors=("403", "404"),
        )
    },
    "/api/tickets/{ticket_id}/interactions": {
        "post": _op(
            "Link a call (an answered call counts as a response)",
            {"201": _json({"type": "object"}, "Linked"), "200": _json({"type": "object"}, "Already linked")},
            params=T,
            body="CallLinkInput",
            errors=("400", "403", "404", "413", "415", "422"),
        )
    },
    "/api/search": {
        "get": _op(
            "Full-text search, newest first",
            {"200": _json({"type": "object"})},
            params=[
                _q("q", "words (each a prefix, all must match)"),
                _q("type", "what to search", {"enum": ["tickets", "comments", "customers"], "default": "tickets"}),
                *PAGING,
            ],
            errors=("400",),
        )
    },
    "/api/sla/due": {
        "get": _op(
            "SLA clocks due soon, soonest first",
            {"200": _list_of("SlaRow")},
            params=[
                _q("within", "seconds from now (default 3600)", _INT),
                _q("include_breached", "true: overdue ones too"),
                *PAGING,
            ],
            errors=("400",),
        )
    },
    "/api/sla/policies": {
        "get": _op("SLA policies (supervisors, admins)", {"200": _list_of("SlaPolicy")}, errors=("403",)),
        "post": _op(
            "Create a policy (admins)",
            {"201": _json(_ref("SlaPolicy"), "Created")},
            body="SlaPolicyInput",
            errors=("400", "403", "413", "415", "422"),
        ),
    },
    "/api/sla/policies/{policy_id}": {
        "get": _op(
            "A policy", {"200": _json(_ref("SlaPolicy"))}, params=[_path_id("policy_id")], errors=("403", "404")
        ),
        "patch": _op(
            "Change a policy (admins)",
            {"200": _json(_ref("SlaPolicy"))},
            params=[_path_id("policy_id")],
            body="SlaPolicyInput",
            errors=("400", "403", "404", "413", "415", "422"),
        ),
    },
    "/api/sla/calendars": {
        "get": _op("Business calendars (supervisors, admins)", {"200": _list_of("Calendar")}, errors=("403",)),
        "post": _op(
            "Create a calendar (admins)",
            {"201": _json(_ref("Calendar"), "Created")},
            body="CalendarInput",
            errors=("400", "403", "413", "415", "422"),
        ),
    },
    "/api/sla/calendars/{calendar_id}": {
        "get": _op(
            "A calendar", {"200": _json(_ref("Calendar"))}, params=[_path_id("calendar_id")], errors=("403", "404")
        ),
        "patch": _op(
            "Change a calendar (admins)",
            {"200": _json(_ref("Calendar"))},
            params=[_path_id("calendar_id")],
            body="CalendarInput",
            errors=("400", "403", "404", "413", "415", "422"),
        ),
    },
    "/api/reports/sla": {
        "get": _op(
            "Ticket SLA hit rates (supervisors, admins)",
            {"200": _json(_ref("SlaReport"))},
            params=[_q("from", "decided on or after", _TIME), _q("to", "decided before", _TIME)],
            errors=("400", "403"),
        )
    },
}

SCHEMAS.update(
    {
        "MergeInput": _obj({"into": _INT}, ["into"]),
        "LinkInput": _obj({"ticket_id": _INT, "kind": {"enum": list(LINK_KINDS), "default": "related"}}, ["ticket_id"]),
        "CallLinkInput": _obj({"interaction_id": _INT}, ["interaction_id"]),
    }
)


# -- /api/reports/{intervals,agents,daily,dialer}: local days in a time zone, JSON or CSV --------
_NUM = {"type": ["number", "null"]}
_DAY = {"type": "string", "format": "date"}
_REPORT_PARAMS = {
    "from": _q("from", "first local day (default: 6 days before `to`)", _DAY),
    "to": _q("to", "last local day, at most 92 days after `from` (default: today)", _DAY),
    "tz": _q("tz", "IANA time zone the days are cut in (default: the zone most queues use, else UTC)"),
    "interval": _q(
        "interval", "minutes per row (at most 31 days), or one row per day", {"enum": ["15", "30", "60", "day"]}
    ),
    "queue": _q("queue", "only this queue (its name)"),
    "agent": _q("agent", "only this agent (username)"),
    "formula": _q("formula", "service-level formula (default offered)", {"enum": list(FORMULAS)}),
    "format": _q("format", "json (default) or csv (the report pages' CSV download)", {"enum": ["json", "csv"]}),
}


def _report_op(summary: str, schema: str, params: tuple[str, ...]) -> dict[str, Any]:
    op = _op(
        summary + " (supervisors, admins)",
        {"200": _json(_ref(schema))},
        params=[_REPORT_PARAMS[name] for name in (*params, "format")],
        errors=("400", "403"),
    )
    op["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return op


_WINDOW = {"from": _DAY, "to": _DAY, "time_zone": _STR}
SCHEMAS.update(
    {
        "IntervalReport": _obj(
            {
                **_WINDOW,
                "granularity": {"enum": ["interval", "30min", "hour", "day"], "description": "interval = 15 minutes"},
                "formula": _STR,
                "formula_label": _STR,
                "hold_note": _STR,
                "rows": {
                    "type": "array",
                    "items": _obj(
                        {
                            "queue_id": _INT,
                            "queue": _STR,
                            "start": {"type": "string", "description": "local start (or local date)"},
                            "start_utc": _TIME,
                            "threshold_s": _INT,
                            **{
                                k: _INT
                                for k in (
                                    "offered",
                                    "answered",
                                    "answered_in_t",
                                    "abandoned",
                                    "abandoned_in_t",
                                    "abandoned_after_t",
                                    "short_abandons",
                                    "flowed_out",
                                )
                            },
                            **{
                                k: _NUM
                                for k in (
                                    "service_level",
                                    "abandon_rate",
                                    "asa_s",
                                    "aht_s",
                                    "talk_s",
                                    "hold_s",
                                    "wrap_s",
                                    "longest_wait_s",
                                )
                            },
                        }
                    ),
                },
            }
        ),
        "AgentReport": _obj(
            {
                **_WINDOW,
                "granularity": {"enum": ["interval", "30min", "hour", "day"]},
                "occupancy": _STR,
                "rows": {
                    "type": "array",
                    "items": _obj(
                        {
                            "agent_id": _INT,
                            "agent": _STR,
                            "start": _STR,
                            "start_utc": _TIME,
                            "handled": _INT,
                            "aht_s": _NUM,
                            "logged_in_s": {"type": "number"},
                            "handling_s": {"type": "number"},
                            "occupancy": _NUM,
                            "state_s": {"type": "object", "additionalProperties": {"type": "number"}},
                        }
                    ),
                },
            }
        ),
        "DailyReport": _obj(
            {
                **_WINDOW,
                "containment": {
                    "type": "array",
                    "items": _obj(
                        {
                            "day": _DAY,
                            "flow": _STR,
                            "entered": _INT,
                            "contained": _INT,
                            "rate": _NUM,
                            "exits": {"type": "object", "additionalProperties": _INT},
                        }
                    ),
                },
                "csat": {"type": "array", "items": _obj({"day": _DAY, "count": _INT, "mean": _NUM})},
            }
        ),
        "ChannelReport": _obj(
            {
                **_WINDOW,
                "granularity": {"enum": ["interval", "30min", "hour", "day"], "description": "interval = 15 minutes"},
                "targets": {
                    "type": "array",
                    "items": _obj(
                        {"channel": _STR, "target_s": _INT, "business_hours": {"type": "boolean"}, "target": _STR}
                    ),
                },
                **{
                    key: {
                        "type": "array",
                        "items": _obj(
                            {
                                "channel": _STR,
                                "start": {**_STR, "description": "local start of the interval, or 'total'"},
                                **{
                                    k: _INT for k in ("opened", "met", "breached", "unanswered", "waiting", "no_target")
                                },
                                "service_level": {**_NUM, "description": "met ÷ (met + breached)"},
                                "median_first_reply_s": _NUM,
                            }
                        ),
                    }
                    for key in ("rows", "totals")
                },
            }
        ),
        "DialerReport": _obj(
            {
                **_WINDOW,
                "period_at": {**_TIME, "description": "the instant the regulatory period is taken at"},
                "rows": {
                    "type": "array",
                    "items": _obj(
                        {
                            "campaign_id": _INT,
                            "campaign": _STR,
                            "rule_set": {"enum": ["US", "UK"]},
                            "status": _STR,
                            **{
                                k: _INT
                                for k in ("dials", "live_answered", "connects", "abandoned", "machines", "period")
                            },
                            "connect_rate": _NUM,
                            "abandon_rate": {**_NUM, "description": "abandoned ÷ live answers over the range"},
                            "period_live_answered": _INT,
                            "period_abandoned": _INT,
                            "period_abandon_rate": {
                                "type": "number",
                                "description": "the current regulatory period's rate, as compliance counts it",
                            },
                            "cap": {"type": "number"},
                        }
                    ),
                },
            }
        ),
    }
)
PATHS.update(
    {
        "/api/reports/intervals": {
            "get": _report_op(
                "Calls per queue and 15/30/60-minute interval or day",
                "IntervalReport",
                ("from", "to", "tz", "interval", "queue", "formula"),
            )
        },
        "/api/reports/agents": {
            "get": _report_op(
                "Agents per interval or day: handled, AHT, occupancy, time in each state",
                "AgentReport",
                ("from", "to", "tz", "interval", "agent"),
            )
        },
        "/api/reports/daily": {
            "get": _report_op("IVR containment per flow and CSAT per day", "DailyReport", ("from", "to", "tz"))
        },
        "/api/reports/channels": {
            "get": _report_op(
                "First replies per channel (chat, e-mail, SMS, …) and interval or day, against their targets",
                "ChannelReport",
                ("from", "to", "tz", "interval"),
            )
        },
        "/api/reports/dialer": {
            "get": _report_op(
                "Per campaign: dials, connects, abandons and the regulatory period's abandon rate",
                "DialerReport",
                ("from", "to", "tz"),
            )
        },
        "/api/reports/segments": {
            "get": _op(
                "Segment migration between two UTC days and revenue per segment per month (supervisors, admins)",
                {"200": _json(_ref("SegmentReport"))},
                params=[
                    _q("from", "the earlier day (required)", _DAY),
                    _q("to", "the later day (required, at most 3660 days after `from`)", _DAY),
                    _REPORT_PARAMS["format"],
                ],
                errors=("400", "403"),
            )
        },
    }
)


SCHEMAS["SegmentReport"] = _obj(
    {
        "migration": _obj(
            {
                "from": _DAY,
                "to": _DAY,
                "segments": {"type": "array", "items": _STR},
                "matrix": {
                    "type": "array",
                    "items": _obj({"from_segment": _STR, "to_segment": _STR, "customers": _INT}),
                },
            }
        ),
        "revenue": _obj(
            {
                "months": {"type": "array", "items": _STR},
                "segments": {"type": "array", "items": _STR},
                "rows": {
                    "type": "array",
                    "items": _obj({"month": _STR, "segment": _STR, "orders": _INT, "revenue": _STR}),
                },
            }
        ),
    }
)
PATHS["/api/reports/segments"]["get"]["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}


# -- outbound: campaigns and do-not-call lists (supervisors and admins) --------------------------

_NUMBER = {"type": "number"}
_OBJ = {"type": "object"}
_CAMPAIGN_SETTINGS: dict[str, Any] = {
    "name": _STR,
    "description": _STR,
    "dial_mode": {"enum": ["preview", "progressive", "predictive"]},
    "rule_set": {"enum": ["US", "UK"]},
    "queue_id": _NINT,
    "agent_ids": {"type": "array", "items": _INT},
    "caller_id": _STR,
    "company_name": _STR,
    "callback_number": _STR,
    "safe_harbor_message": _NSTR,
    "calling_window": {
        "type": "object",
        "description": 'called party\'s local time: {"start": "09:00", "end": "20:00", "days": ["mon", …], '
        '"holidays": ["2026-12-25"], "regions": {"US-FL": {…}}}; within the rule set\'s 08:00-21:00',
    },
    "allowed_regions": {"type": "array", "items": _STR},
    "time_zone": _STR,
    "abandon_cap": {"type": "number", "minimum": 0, "maximum": 0.03},
    "ring_timeout_s": {"type": "integer", "minimum": 15, "maximum": 120},
    "amd_enabled": {"type": "boolean"},
    "amd_action": {"enum": ["hangup", "message"]},
    "amd_message": _NSTR,
    "amd_false_positive_share": _NUMBER,
    "max_attempts": _INT,
    "retry_delays": {
        "type": "object",
        "description": "seconds before a retry, per outcome: busy, no-answer, machine, failed, canceled, abandoned",
    },
    "dispositions": {
        "type": "array",
        "items": _OBJ,
        "description": '[{"code", "label", "final", "dnc", "retry_after_s"}]; one must be "dnc": true',
    },
    "script": _STR,
    "lead_order": {"enum": ["fifo", "lifo", "priority", "fewest_attempts"]},
    "max_dial_ratio": _NUMBER,
    "order_by_value": {"type": "boolean"},
    "default_lead_value": _NUMBER,
    "pacing": _OBJ,
    "default_region": _STR,
}
_LEAD = {
    "id": _INT,
    "campaign_id": _INT,
    "phone": _STR,
    "name": _STR,
    "status": {"enum": ["ready", "dialing", "done", "dnc", "exhausted", "invalid"]},
    "attempts": _INT,
    "last_outcome": _NSTR,
    "disposition": _NSTR,
    "next_attempt_at": _NTIME,
}
SCHEMAS.update(
    {
        "Campaign": _obj(
            {
                "id": _INT,
                "status": {"enum": ["draft", "running", "paused", "stopped"]},
                **_CAMPAIGN_SETTINGS,
                "created_at": _TIME,
                "started_at": _NTIME,
                "stopped_at": _NTIME,
                "totals": _obj({k: _INT for k in ("dialed", "answered", "connected", "abandoned", "refused")}),
            }
        ),
        "CampaignInput": _obj(_CAMPAIGN_SETTINGS, ["name", "caller_id", "company_name", "callback_number"]),
        "CampaignPatch": _obj(_CAMPAIGN_SETTINGS),
        "CloneInput": _obj({"name": _STR}, ["name"]),
        "StopInput": _obj({"confirm": {"const": True}}, ["confirm"]),
        "Lead": _obj(_LEAD),
        "LeadDetail": _obj(
            {
                **_LEAD,
                "refusals": {
                    "type": "array",
                    "items": _obj(
                        {
                            "decided_at": _TIME,
                            "action": {"enum": ["skip", "defer"]},
                            "reason": _STR,
                            "meaning": _STR,
                            "retry_at": _NTIME,
                            "dnc_source": _NSTR,
                        }
                    ),
                },
                "attempts": {"type": "array", "items": _OBJ},
            }
        ),
        "DncEntry": _obj(
            {
                "id": _INT,
                "phone": _STR,
                "list": {"type": ["string", "integer"], "description": '"internal" or a campaign id'},
                "source": {"enum": ["manual", "import", "national", "disposition", "api"]},
                "reason": _STR,
                "created_at": _TIME,
                "expires_at": _NTIME,
            }
        ),
        "OrderLineInput": _obj(
            {
                "amount": {"type": ["string", "number"], "description": "the line's total, not negative"},
                "quantity": _INT,
                "sku": _STR,
                "product": _STR,
                "category": _STR,
            },
            ["amount"],
        ),
        "OrderInput": _obj(
            {
                "order_id": {"type": "string", "description": "the shop's order number (idempotency key)"},
                "customer_id": _INT,
                "customer_email": _STR,
                "ordered_at": {"type": "string", "description": "YYYY-MM-DD or ISO 8601 (no zone: UTC)"},
                "currency": {"type": "string", "description": "ISO 4217, one of ANALYTICS_CURRENCIES"},
                "channel": _STR,
                "lines": {"type": "array", "items": _ref("OrderLineInput"), "minItems": 1, "maxItems": 500},
            },
            ["order_id", "ordered_at", "currency", "lines"],
        ),
        "Order": _obj(
            {
                "id": _INT,
                "order_id": _STR,
                "customer_id": _INT,
                "ordered_at": _STR,
                "currency": _STR,
                "channel": _STR,
                "total": {"type": "string", "description": "decimal, two places"},
                "lines": {"type": "array", "items": {"type": "object"}},
            },
            ["id", "order_id", "customer_id", "ordered_at", "currency", "total", "lines"],
        ),
        "CustomerAnalytics": _obj(
            {
                "segment": _STR,
                "rfm": _STR,
                "value_tier": _STR,
                "clv_12m": {"type": ["number", "null"]},
                "p_alive": {"type": ["number", "null"]},
                "expected_purchases_12m": {"type": ["number", "null"]},
                "churn_risk": {"type": ["number", "null"]},
                "churn_band": _STR,
                "churn_reasons": {"type": "array", "items": _STR},
                "computed_at": _STR,
            },
            [],
        ),
        "OfferAcceptance": _obj(
            {
                "offers": _INT,
                "accepted": _INT,
                "declined": _INT,
                "rate": {"type": ["number", "null"]},
                "by_version": {"type": "object", "description": "the same figures per model version that proposed"},
            },
            ["offers", "accepted", "declined", "rate", "by_version"],
        ),
        "DncInput": _obj({"phone": _STR, "list": {"type": ["string", "integer"]}, "reason": _STR}, ["phone"]),
        "DncImportInput": _obj(
            {
                "csv": {
                    "type": "string",
                    "description": "CSV text: a phone column, else the first (at most 200,000 characters)",
                },
                "list": {"type": ["string", "integer"]},
                "national": {
                    "type": "boolean",
                    "description": "a national register (TPS, DNC registry): internal list, source national",
                },
                "reason": _STR,
            },
            ["csv"],
        ),
        "DncImportReport": _obj(
            {
                "rows": _INT,
                "imported": _INT,
                "already_listed": _INT,
                "duplicates_in_file": _INT,
                "rejected": {"type": "array", "items": _obj({"line": _INT, "value": _STR, "reason": _STR})},
            }
        ),
        "DncCheck": _obj(
            {"phone": _STR, "blocked": {"type": "boolean"}, "list": _NSTR, "source": _NSTR, "reason": _NSTR}
        ),
    }
)
_C = [_path_id("campaign_id")]
_WRITE = ("400", "403", "404", "413", "415", "422")
PATHS.update(
    {
        "/api/campaigns": {
            "get": _op(
                "Campaigns (supervisors, admins)",
                {"200": _list_of("Campaign")},
                params=[_q("status", "comma-separated statuses"), *PAGING],
                errors=("400", "403"),
            ),
            "post": _op(
                "Create a campaign (a draft), checked against its rule set",
                {"201": _json(_ref("Campaign"), "Created")},
                body="CampaignInput",
                errors=("400", "403", "413", "415", "422"),
            ),
        },
        "/api/campaigns/{campaign_id}": {
            "get": _op(
                "A campaign with its totals", {"200": _json(_ref("Campaign"))}, params=_C, errors=("403", "404")
            ),
            "patch": _op(
                "Change a campaign's settings (not a stopped one)",
                {"200": _json(_ref("Campaign"))},
                params=_C,
                body="CampaignPatch",
                errors=_WRITE,
            ),
        },
        "/api/campaigns/{campaign_id}/clone": {
            "post": _op(
                "A new draft with the campaign's settings and agents, no leads",
                {"201": _json(_ref("Campaign"), "Created")},
                params=_C,
                body="CloneInput",
                errors=_WRITE,
            )
        },
        "/api/campaigns/{campaign_id}/start": {
            "post": _op(
                "Start or resume dialing", {"200": _json(_ref("Campaign"))}, params=_C, errors=("403", "404", "409")
            )
        },
        "/api/campaigns/{campaign_id}/pause": {
            "post": _op(
                "Pause a running campaign", {"200": _json(_ref("Campaign"))}, params=_C, errors=("403", "404", "409")
            )
        },
        "/api/campaigns/{campaign_id}/stop": {
            "post": _op(
                'Stop for good; the body must confirm it ({"confirm": true})',
                {"200": _json(_ref("Campaign"))},
                params=_C,
                body="StopInput",
                errors=(*_WRITE, "409"),
            )
        },
        "/api/campaigns/{campaign_id}/leads": {
            "get": _op(
                "A campaign's leads",
                {"200": _list_of("Lead")},
                params=[*_C, _q("status", "comma-separated lead statuses"), *PAGING],
                errors=("400", "403", "404"),
            )
        },
        "/api/leads/{lead_id}": {
            "get": _op(
                "A lead with its calls and every refusal to dial it, with the reason",
                {"200": _json(_ref("LeadDetail"))},
                params=[_path_id("lead_id")],
                errors=("403", "404"),
            )
        },
        "/api/orders": {
            "get": _op(
                "Orders, newest first",
                {"200": _list_of("Order")},
                params=[_q("customer_id", "", _INT), *PAGING],
                errors=("400",),
            ),
            "post": _op(
                "Add an order (the same order_id again: 200 with the stored order)",
                {"201": _json(_ref("Order"), "Created"), "200": _json(_ref("Order"), "Already stored")},
                body="OrderInput",
                errors=_WRITE,
            ),
        },
        "/api/customers/{customer_id}/analytics": {
            "get": _op(
                "A customer's stored figures: RFM segment, value tier, 12-month CLV, P(alive) (null: none yet)",
                {"200": _json(_ref("CustomerAnalytics"))},
                params=[_path_id("customer_id")],
                errors=("404",),
            )
        },
        "/api/analytics/offers/acceptance": {
            "get": _op(
                "Next-best offer acceptance: accepted among accepted or declined, each call's offer once",
                {"200": _json(_ref("OfferAcceptance"))},
                params=[_q("since", "a date, YYYY-MM-DD")],
                errors=("400",),
            )
        },
        "/api/dnc": {
            "get": _op(
                "Entries of a do-not-call list",
                {"200": _list_of("DncEntry")},
                params=[
                    _q("list", '"internal" (default) or a campaign id'),
                    _q("source", "comma-separated sources"),
                    _q("phone", "one number, any format"),
                    *PAGING,
                ],
                errors=("400", "403", "404", "422"),
            ),
            "post": _op(
                "Put a number on a list (already listed: kept)",
                {"201": _json(_ref("DncEntry"), "Created")},
                body="DncInput",
                errors=_WRITE,
            ),
        },
        "/api/dnc/{entry_id}": {
            "delete": _op(
                "Take a number off its list",
                {"204": {"description": "Removed"}},
                params=[_path_id("entry_id")],
                errors=("403", "404"),
            )
        },
        "/api/dnc/check": {
            "get": _op(
                "Whether a number may be called now, and which list forbids it",
                {"200": _json(_ref("DncCheck"))},
                params=[_q("phone", "the number, any format"), _q("list", '"internal" or a campaign id')],
                errors=("400", "403", "404", "422"),
            )
        },
        "/api/dnc/import": {
            "post": _op(
                "Add the numbers of a CSV text, with a report of every row",
                {"200": _json(_ref("DncImportReport"))},
                body="DncImportInput",
                errors=_WRITE,
            )
        },
    }
)


# -- /api/quality: the weekly quality report and the evaluations behind it ------------------------
_QUALITY_PARAMS = [
    _q("from", "first local day, in the centre's time zone (default: eight weeks before `to`)", _DAY),
    _q("to", "last local day, at most 366 days after `from` (default: today)", _DAY),
    _q("queue", "only this queue (its name)"),
    _q("agent", "only this agent (username); an agent may name only themselves"),
]
_QUALITY_ROW = _obj(
    {"week_starting": _DAY, "name": _STR, "evaluations": _INT, "average_score": _NUMBER, "auto_fails": _INT}
)
SCHEMAS.update(
    {
        "QualityReport": _obj(
            {
                "from": _DAY,
                "to": _DAY,
                "time_zone": _STR,
                "queue": {"type": ["string", "null"]},
                "agent": {"type": ["string", "null"]},
                "weeks": {"type": "array", "items": _DAY},
                "evaluations": _INT,
                "auto_fails": _INT,
                "by_agent": {"type": "array", "items": _QUALITY_ROW},
                "by_queue": {"type": "array", "items": _QUALITY_ROW},
            }
        ),
        "QualityEvaluations": _obj(
            {
                "from": _DAY,
                "to": _DAY,
                "time_zone": _STR,
                "items": {
                    "type": "array",
                    "items": _obj(
                        {
                            "id": _INT,
                            "interaction_id": _INT,
                            "agent": _STR,
                            "agent_name": _STR,
                            "queue": {"type": ["string", "null"]},
                            "evaluator": {"type": ["string", "null"]},
                            "form": _STR,
                            "form_version": _INT,
                            "score": _NUMBER,
                            "auto_failed": {"type": "boolean"},
                            "auto_fail_reason": {"type": ["string", "null"]},
                            "status": {"enum": ["submitted", "acknowledged", "disputed"]},
                            "submitted_at": _TIME,
                            "responded_at": {"type": ["string", "null"], "format": "date-time"},
                        }
                    ),
                },
            }
        ),
    }
)
_quality_report = _op(
    "Average score, evaluations and auto-fails per agent and queue per week, weeks starting Monday "
    "in the centre's time zone (supervisors, admins)",
    {"200": _json(_ref("QualityReport"))},
    params=[*_QUALITY_PARAMS, _REPORT_PARAMS["format"]],
    errors=("400", "403"),
)
_quality_report["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
PATHS.update(
    {
        "/api/quality/report": {"get": _quality_report},
        "/api/quality/evaluations": {
            "get": _op(
                "Evaluations submitted in the range, newest first (agents: their own only)",
                {"200": _json(_ref("QualityEvaluations"))},
                params=[*_QUALITY_PARAMS, {"$ref": "#/components/parameters/limit"}],
                errors=("400", "403"),
            )
        },
    }
)


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "contactcenter API",
            "version": __version__,
            "description": (
                "Customers, calls, tickets, comments, SLA clocks and search. Authenticate with an API "
                "token (`Authorization: Bearer <token>`); the token acts as its user, whose role limits "
                "what it sees: agents see the tickets of their queues and those assigned to them. Lists "
                "are paged with opaque cursors (`next_cursor`). Errors are "
                '`{"error": {"code": ..., "message": ...}}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "an API token"}},
            "schemas": SCHEMAS,
            "parameters": {
                "limit": {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                },
                "cursor": {
                    "name": "cursor",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "the next_cursor of the previous page",
                },
            },
            "responses": {
                f"E{code}": {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
                for code, text in _ERROR_CODES.items()
            },
        },
    }
