"""Merging duplicate customers: one record survives and keeps the history of both.

Everything that points at the duplicate — phone numbers, calls, tickets, campaign leads,
callbacks, import reports, earlier merges, and whatever table is added later — is found from the
store's metadata (every foreign key to `customers.id`), not from a list kept by hand, and moved
to the survivor. Blank fields of the survivor (e-mail, company, time zone, missing attributes)
are filled from the duplicate; then the duplicate's row is deleted and a `CustomerMerge` row
remembers it, so old links to it redirect to the survivor, with a snapshot of what it was.

Tables are owned by packages above this one (tickets, dialer, acd); they are reached through
the metadata only, so this module imports none of them. A package whose rows keep a history of
their own re-points them itself first through `on_merging` (the ticket store records the change
of customer on each open ticket's trail, so its SLA clocks follow the kept customer's segment).

A moved foreign key column that is part of a unique constraint could collide (both customers
holding "the one row"): such a table needs a rule of its own in `HANDLED`, and merging refuses
until it has one, rather than failing half way. `HANDLED` also names every table that was
checked, and a test fails when a table referring to customers is missing from it.

The whole merge is one transaction with both customer rows locked (PostgreSQL), recorded in the
audit log in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Index, Table, UniqueConstraint, delete, func, select, update
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.audit.services import Origin, record
from contactcenter.contacts.models import Customer, CustomerMerge
from contactcenter.db import Base, configure_models
from contactcenter.errors import DomainError, Kind

# Every table known to refer to customers, with what its rows are called on the merge preview.
# Whatever the `on_merging` listeners leave is moved as it is. The one with a unique customer
# column, customer_model_scores (one row per model and customer), has its rule in a listener: the
# duplicate's figures are dropped (app.wiring), so nothing is left to collide; so has
# segment_snapshots (one row per customer and day): the duplicate's segment history is dropped.
HANDLED: dict[str, str] = {
    "customer_phones": "phone numbers",
    "interactions": "calls and messages",
    "tickets": "tickets",
    "dialer_leads": "campaign leads",
    "callback_requests": "callback requests",
    "customer_merges": "earlier merges",
    "customer_import_rows": "import report rows",
    "orders": "orders",
    "chats": "web chats",
    "customer_model_scores": "value figures (the survivor's are recomputed)",
    "segment_snapshots": "segment history (the survivor's is kept)",
    "offer_responses": "answers to offers",
}
MergeListener = Callable[[Session, int, int, "Origin | None"], None]
_merge_listeners: list[MergeListener] = []


def on_merging(listener: MergeListener) -> None:
    """Call `listener(session, survivor_id, duplicate_id, origin)` in the merge's transaction,
    before the generic move. A package above contacts whose rows keep a history of their own
    (tickets record a change of customer in their trail, and their SLA clocks follow the new
    customer's segment) re-points its rows itself there; whatever it leaves is moved as is."""
    if listener not in _merge_listeners:
        _merge_listeners.append(listener)


# Fields of the survivor that take the duplicate's value when they are blank.
FILLABLE = ("email", "company", "time_zone")
# A merge chain longer than this is a loop in the data, not a history.
MAX_REDIRECTS = 20


class MergeError(DomainError, ValueError):
    """Two customers cannot be merged as asked; the message says why."""

    kind: Kind = "unprocessable"
    code = "merge_refused"


@dataclass(frozen=True)
class Reference:
    """One foreign key column pointing at `customers.id`."""

    table: str
    column: str

    @property
    def label(self) -> str:
        return HANDLED.get(self.table, self.table.replace("_", " "))


@dataclass(frozen=True)
class FieldRow:
    """One line of the side-by-side preview: both values and what the survivor will hold."""

    field: str
    survivor: str
    duplicate: str
    result: str

    @property
    def filled(self) -> bool:
        return self.survivor != self.result


@dataclass(frozen=True)
class MergePreview:
    survivor: Customer
    duplicate: Customer
    fields: list[FieldRow]
    moves: dict[str, int]  # label -> rows that change owner

    @property
    def total_moves(self) -> int:
        return sum(self.moves.values())


@dataclass(frozen=True)
class MergeResult:
    survivor_id: int
    merged_id: int
    moved: dict[str, int]
    filled: list[str] = field(default_factory=list)


def references() -> list[Reference]:
    """Every column of the store whose foreign key names `customers.id` (all models loaded)."""
    configure_models()
    found: list[Reference] = []
    target = Base.metadata.tables["customers"].c.id
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.references(target.table) and fk.column is target:
                found.append(Reference(table.name, fk.parent.name))
    return sorted(found, key=lambda r: (r.table, r.column))


def is_unique(table: Table, column: str) -> bool:
    """Is `column` part of a unique constraint or unique index (moving it could collide)?"""
    if table.c[column].unique:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and column in constraint.columns.keys():
            return True
    return any(isinstance(index, Index) and index.unique and column in index.columns.keys() for index in table.indexes)


def unhandled() -> list[Reference]:
    """References that merging cannot move safely: a unique customer column in a table with no
    rule in `HANDLED`."""
    tables = Base.metadata.tables
    return [r for r in references() if r.table not in HANDLED and is_unique(tables[r.table], r.column)]


def _merged_into(session: Session, customer_id: int) -> int | None:
    """Who this id was last merged into (None: never merged)."""
    return session.scalar(
        select(CustomerMerge.survivor_id)
        .where(CustomerMerge.merged_id == customer_id)
        .order_by(CustomerMerge.id.desc())
        .limit(1)
    )


def resolve(session: Session, customer_id: int) -> int | None:
    """The customer that `customer_id` now is: itself, the survivor it was merged into, or None."""
    current = customer_id
    for _ in range(MAX_REDIRECTS):
        if session.get(Customer, current) is not None:
            return current
        survivor = _merged_into(session, current)
        if survivor is None:
            return None
        current = survivor
    return None


def _pair(session: Session, survivor_id: int, duplicate_id: int, *, lock: bool = False) -> tuple[Customer, Customer]:
    if survivor_id == duplicate_id:
        raise MergeError("a customer cannot be merged into itself")
    query = select(Customer).where(Customer.id.in_((survivor_id, duplicate_id))).order_by(Customer.id)
    if lock:
        query = query.with_for_update(of=Customer).execution_options(populate_existing=True)
    found = {c.id: c for c in session.scalars(query)}
    for wanted, role in ((survivor_id, "customer to keep"), (duplicate_id, "duplicate")):
        if wanted not in found:
            merged_into = _merged_into(session, wanted)
            if merged_into is not None:
                raise MergeError(f"the {role} (#{wanted}) was already merged into customer #{merged_into}")
            raise MergeError(f"the {role} (#{wanted}) does not exist")
    return found[survivor_id], found[duplicate_id]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _filled(survivor: Customer, duplicate: Customer) -> dict[str, Any]:
    """The survivor's blank fields that the duplicate can fill, with the values they take."""
    fills: dict[str, Any] = {}
    for name in FILLABLE:
        if not getattr(survivor, name) and getattr(duplicate, name):
            fills[name] = getattr(duplicate, name)
    missing = {k: v for k, v in (duplicate.attributes or {}).items() if k not in (survivor.attributes or {})}
    if missing:
        fills["attributes"] = {**(duplicate.attributes or {}), **(survivor.attributes or {})}
    return fills


def _counts(session: Session, duplicate_id: int) -> dict[str, int]:
    tables = Base.metadata.tables
    moves: dict[str, int] = {}
    for ref in references():
        table = tables[ref.table]
        n = session.scalar(select(func.count()).select_from(table).where(table.c[ref.column] == duplicate_id)) or 0
        if n:
            moves[ref.label] = moves.get(ref.label, 0) + int(n)
    return moves


def preview(session: Session, survivor_id: int, duplicate_id: int) -> MergePreview:
    """What merging `duplicate_id` into `survivor_id` would do, written nowhere."""
    survivor, duplicate = _pair(session, survivor_id, duplicate_id)
    fills = _filled(survivor, duplicate)

    def phones_of(c: Customer) -> str:
        return ", ".join(p.e164 for p in sorted(c.phones, key=lambda p: p.id))

    rows = [FieldRow("name", survivor.name, duplicate.name, survivor.name)]
    for name in FILLABLE:
        mine, theirs = _text(getattr(survivor, name)), _text(getattr(duplicate, name))
        rows.append(FieldRow(name, mine, theirs, _text(fills.get(name, getattr(survivor, name)))))
    rows.append(FieldRow("segment", survivor.segment, duplicate.segment, survivor.segment))
    both = ", ".join(x for x in (phones_of(survivor), phones_of(duplicate)) if x)
    rows.append(FieldRow("phones", phones_of(survivor), phones_of(duplicate), both))
    attrs = fills.get("attributes", survivor.attributes or {})
    rows.append(
        FieldRow(
            "attributes",
            ", ".join(sorted(survivor.attributes or {})),
            ", ".join(sorted(duplicate.attributes or {})),
            ", ".join(sorted(attrs)),
        )
    )
    return MergePreview(survivor, duplicate, rows, _counts(session, duplicate_id))


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "email": customer.email,
        "company": customer.company,
        "time_zone": customer.time_zone,
        "segment": customer.segment,
        "attributes": dict(customer.attributes or {}),
        "phones": [p.e164 for p in sorted(customer.phones, key=lambda p: p.id)],
        "created_at": customer.created_at.isoformat() if customer.created_at else None,
    }


def merge(
    session: Session,
    survivor_id: int,
    duplicate_id: int,
    origin: Origin | None = None,
) -> MergeResult:
    """Fold the duplicate into the survivor (flushes; the caller commits).

    Raises MergeError, with nothing changed, when the pair cannot be merged.
    """
    blocked = unhandled()
    if blocked:
        names = ", ".join(f"{r.table}.{r.column}" for r in blocked)
        raise MergeError(f"merging is not possible until a rule exists for {names} (unique per customer)")
    survivor, duplicate = _pair(session, survivor_id, duplicate_id, lock=True)
    fills = _filled(survivor, duplicate)
    snapshot = _snapshot(duplicate)
    tables = Base.metadata.tables
    moved: dict[str, int] = {}
    for listener in _merge_listeners:
        listener(session, survivor_id, duplicate_id, origin)
    session.flush()
    for ref in references():
        table = tables[ref.table]
        result = session.execute(
            update(table).where(table.c[ref.column] == duplicate_id).values({ref.column: survivor_id})
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            moved[ref.table] = moved.get(ref.table, 0) + count
    # The ORM objects still believe the old owners; the duplicate and its numbers leave the session.
    for phone in list(duplicate.phones):
        session.expunge(phone)
    session.expunge(duplicate)
    session.execute(delete(Customer).where(Customer.id == duplicate_id))
    for name, value in fills.items():
        setattr(survivor, name, value)
    survivor.updated_at = clock.now()
    session.add(
        CustomerMerge(
            merged_id=duplicate_id,
            survivor_id=survivor_id,
            merged_name=duplicate.name[:200],
            snapshot=snapshot,
            moved=moved,
            merged_by_id=origin.actor_id if origin else None,
            merged_at=clock.now(),
        )
    )
    session.flush()
    session.expire_all()
    record(
        session,
        origin or Origin(),
        "customer.merge",
        object_type="customer",
        object_id=survivor_id,
        details={
            "merged_id": duplicate_id,
            "merged_name": snapshot["name"],
            "moved": moved,
            "filled": sorted(fills),
        },
    )
    session.flush()
    return MergeResult(survivor_id, duplicate_id, moved, sorted(fills))
