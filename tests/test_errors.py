"""One error base for the domains, one mapping to HTTP statuses in the web layer.

A view need not catch a domain error only to choose a status: every error the domains raise is a
`DomainError`, and `web.errors` answers it with the status of its kind and the API's error shape.
These tests keep it so: a new exception class in `contactcenter` that is not a DomainError, a
kind without a status, or a status number back in a domain module fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from flask import request

import contactcenter
from contactcenter.calls.controls import BadTarget, CallControlError, CallNotFound, CarrierFailed, NotYourCall
from contactcenter.calls.wrapup import WrapUpError
from contactcenter.dialer.preview_dialing import DialRefused
from contactcenter.errors import KINDS, DomainError
from contactcenter.tickets.api_tokens import issue
from contactcenter.tickets.search import SearchError
from contactcenter.tickets.services import InvalidTransition, TicketError, TicketNotFound
from tests.support.factories import gen_agent
from web import errors

# Never raised to the web layer, on purpose:
# - the simulated carrier is a stand-in for Twilio's REST API and answers with Twilio's own
#   statuses and error numbers, in its own app;
# - the append-only guards fire only on a programming error, for which a 500 is the right answer.
NOT_DOMAIN_ERRORS = {
    "contactcenter.audit.models.AuditLogIsAppendOnly",
    "contactcenter.tickets.models.AppendOnlyViolation",
}
NOT_DOMAIN_PACKAGES = ("contactcenter.telephony.simulator.",)


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for module_info in pkgutil.walk_packages(contactcenter.__path__, "contactcenter."):
        if module_info.name.startswith(NOT_DOMAIN_PACKAGES) or module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_domain_exception_is_a_domain_error() -> None:
    classes = _exception_classes()
    assert len(classes) > 20  # the walk did reach the packages
    outside = sorted(
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if not issubclass(c, DomainError) and f"{c.__module__}.{c.__qualname__}" not in NOT_DOMAIN_ERRORS
    )
    assert outside == []


def test_every_default_kind_has_a_status() -> None:
    assert set(errors.STATUS_BY_KIND) == KINDS
    for cls in _exception_classes():
        if issubclass(cls, DomainError):
            assert cls.kind in KINDS, cls


def test_no_domain_error_carries_an_http_status() -> None:
    """Statuses belong to web.errors; a domain error says what kind of refusal it is instead."""
    carrying = [
        cls
        for cls in _exception_classes()
        if issubclass(cls, DomainError)
        and any("status" in vars(klass) for klass in cls.__mro__ if klass is not DomainError)
    ]
    assert carrying == []


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("invalid", 400),
        ("unprocessable", 422),
        ("forbidden", 403),
        ("not_found", 404),
        ("conflict", 409),
        ("dependency_failed", 502),
        ("unavailable", 503),
    ],
)
def test_kind_maps_to_status(kind: Any, status: int) -> None:
    assert errors.status_for(DomainError("no", kind=kind)) == status


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (CallControlError("already_on_hold", "the caller is already on hold"), 409, "already_on_hold"),
        (CallNotFound("unknown_call", "no such call"), 404, "unknown_call"),
        (NotYourCall("not_your_call", "this call is not yours"), 403, "not_your_call"),
        (BadTarget("bad_target", "name an agent or a number"), 400, "bad_target"),
        (CarrierFailed("carrier_failed", "the carrier refused"), 502, "carrier_failed"),
        (WrapUpError("bad_disposition", "pick a disposition"), 400, "bad_disposition"),
        (WrapUpError("already_wrapped_up", "already wrapped up", "conflict"), 409, "already_wrapped_up"),
        (DialRefused("not_held", "this lead is no longer held for you"), 409, "not_held"),
        (TicketError("subject is required"), 422, "validation_failed"),
        (InvalidTransition("closed", "new"), 409, "invalid_transition"),
        (TicketNotFound("ticket 7 does not exist"), 404, "not_found"),
        (SearchError("no words to search for"), 400, "invalid_query"),
    ],
)
def test_errors_keep_the_status_and_code_their_views_answered(error: DomainError, status: int, code: str) -> None:
    assert (errors.status_for(error), error.code) == (status, code)


def test_value_errors_are_still_value_errors() -> None:
    """`except ValueError` clauses written before the base existed still catch them."""
    assert isinstance(TicketError("x"), ValueError) and isinstance(TicketNotFound("x"), LookupError)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        DomainError("no", kind="teapot")  # type: ignore[arg-type]


def _raising(error: DomainError) -> Any:
    def view(**_kw: Any) -> Any:
        raise error

    return view


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidTransition("closed", "new"), 409),
        (TicketNotFound("ticket 7 does not exist"), 404),
        (CarrierFailed("carrier_failed", "the carrier refused: busy"), 502),
    ],
)
def test_api_route_answers_a_domain_error_with_its_status_and_shape(  # type: ignore[no-untyped-def]
    app, client, db, error, status
) -> None:
    token = issue(db, gen_agent(db, "ada"), "integration").secret
    db.commit()
    app.view_functions["api.tickets_list_tickets"] = _raising(error)
    response = client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status
    assert response.get_json() == {"error": {"code": error.code, "message": str(error)}}
    assert response.headers["Cache-Control"] == "no-store"  # still the API's own answer


def test_page_answers_a_domain_error_with_the_error_page_of_its_status(  # type: ignore[no-untyped-def]
    app, client
) -> None:
    app.add_url_rule("/refused-for-a-test", "refused_for_a_test", _raising(TicketNotFound("ticket 7 does not exist")))
    page = client.get("/refused-for-a-test", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "ticket 7 does not exist" in page.get_data(as_text=True)
    fetched = client.get("/refused-for-a-test")
    assert (fetched.status_code, fetched.get_json()) == (
        404,
        {"error": {"code": "not_found", "message": "ticket 7 does not exist"}},
    )


def test_webhooks_are_left_to_their_own_handlers(app) -> None:  # type: ignore[no-untyped-def]
    """A carrier's request never gets the JSON answer: unhandled there, it stays the usual 500."""
    with app.test_request_context("/hooks/voice", method="POST"):
        assert request.blueprint == "hooks"
        with pytest.raises(TicketNotFound):
            errors.domain_error(TicketNotFound("no"))
