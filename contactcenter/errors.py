"""The one base of the errors a domain raises to whoever drives it.

A domain knows why it refuses something, not how a web page or an API answers it. So every
domain error carries two words and a sentence:

* `kind`, one of the closed set `KINDS`: what sort of refusal it is. The web layer maps a kind
  to an HTTP status in one place (`web.errors.STATUS_BY_KIND`), so a status is decided once for
  all errors instead of by every view, and no domain module names a status.
* `code`, a machine-readable word a client can act on ("already_on_hold", "validation_failed");
  it is what the API and the desktop send as `{"error": {"code": ...}}`.
* `message`, the human sentence (also `str(error)`).

A subclass sets its usual `kind` and `code` as class attributes; a raise site passes its own
when one subclass covers several situations (a call control that is refused, or whose call
does not exist). Classes that were ValueError or LookupError before keep that base as well, so
the `except ValueError` clauses that relied on it still catch them.
"""

from __future__ import annotations

from typing import Final, Literal

Kind = Literal["invalid", "unprocessable", "forbidden", "not_found", "conflict", "dependency_failed", "unavailable"]

# invalid: the request itself is malformed or names something unusable (a bad query, a bad target).
# unprocessable: well-formed, but the values cannot be accepted (a ticket or customer field).
# forbidden: this person may not do this.
# not_found: what the request names does not exist.
# conflict: the state of things refuses it now (already on hold, not running, wrong step).
# dependency_failed: a service we depend on (the carrier) refused or failed.
# unavailable: nothing to do it with right now (no carrier configured, a store unreachable).
KINDS: Final[frozenset[str]] = frozenset(
    {"invalid", "unprocessable", "forbidden", "not_found", "conflict", "dependency_failed", "unavailable"}
)


class DomainError(Exception):
    """An operation a domain refuses, with a `kind` (mapped to a status by the web layer), a
    `code` for machines and a `message` for people."""

    kind: Kind = "invalid"
    code: str = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None, kind: Kind | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if kind is not None:
            if kind not in KINDS:
                raise ValueError(f"unknown error kind {kind!r}")
            self.kind = kind
