"""Products, orders and the figures computed per customer.

`CustomerModelScore` is one row per customer per model (`rfm`, `clv`, and later `churn` and
`next_offer`): a headline number (`score`), a label (`label`: a segment, a value tier, an offer)
and the model's other figures as JSON, with the model's version and when it was computed. A new
model adds rows, not columns, and the screen pop reads all of a customer's rows in one indexed query.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter import clock
from contactcenter.db import Base

MONEY = Numeric(14, 2)


class ProductCategory(Base):
    __tablename__ = "product_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The company's own product code (SKU): imports and the API name products by it.
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_categories.id", ondelete="SET NULL"), index=True
    )
    # Next-best offers only name products the shop can sell now and the company lets agents offer.
    in_stock: Mapped[bool] = mapped_column(default=True)
    offer_eligible: Mapped[bool] = mapped_column(default=True)


class Order(Base):
    """One purchase by a customer; `external_id` (the shop's order number) makes imports idempotent."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_orders_customer_ordered", "customer_id", "ordered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    ordered_at: Mapped[datetime] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # Where it was bought: web, store, phone, app, ... (free text, lower case).
    channel: Mapped[str] = mapped_column(String(32), default="web")
    total: Mapped[Decimal] = mapped_column(MONEY)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("order_imports.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", lazy="selectin", order_by="OrderLine.id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_categories.id", ondelete="SET NULL"), index=True
    )
    quantity: Mapped[int] = mapped_column(default=1)
    # The line's total (quantity × unit price, after discounts), in the order's currency.
    amount: Mapped[Decimal] = mapped_column(MONEY)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderImport(Base):
    """One order file: what it held and its validation report (the rejected rows, by line)."""

    __tablename__ = "order_imports"
    __table_args__ = (CheckConstraint("status IN ('done','rejected')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    # done: every order of the file is stored (or was already); rejected: nothing was stored.
    status: Mapped[str] = mapped_column(String(16))
    rows_total: Mapped[int] = mapped_column(default=0)
    orders_created: Mapped[int] = mapped_column(default=0)
    orders_already_stored: Mapped[int] = mapped_column(default=0)
    # [{"line": n, "reason": code, "detail": sentence, "order_id": ...}], at most MAX_REPORT_ROWS.
    problems: Mapped[list[Any]] = mapped_column(default=list)
    problems_total: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CustomerModelScore(Base):
    """A model's figures for one customer, as of the last recompute."""

    __tablename__ = "customer_model_scores"
    __table_args__ = (UniqueConstraint("customer_id", "model", name="uq_customer_model_scores_customer_model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # rfm | clv (later: churn, next_offer)
    model: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column()
    label: Mapped[str | None] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)


class ModelRun(Base):
    """One recompute of one model: its fitted parameters and how it went, for `analytics evaluate`."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(32), index=True)
    model_version: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    customers: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)


OFFER_RESPONSES = ("offered", "accepted", "declined")


class OfferResponse(Base):
    """What a customer said to a next-best offer an agent made on a call: the acceptance rate and
    the offline evaluation read these, so each row names the model version that proposed it."""

    __tablename__ = "offer_responses"
    __table_args__ = (
        CheckConstraint("response IN ('offered','accepted','declined')", name="response_known"),
        Index("ix_offer_responses_interaction_product", "interaction_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    response: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    model_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
