"""`contactcenter analytics …`: orders in, customer figures recomputed, models evaluated.

contactcenter analytics import-orders orders.csv [--json]
contactcenter analytics recompute [--queue] [--json]
contactcenter analytics evaluate [--holdout-weeks 26] [--json]   (CLV, churn, offers, acceptance)
contactcenter analytics product SKU [--in-stock/--out-of-stock] [--offerable/--not-offerable]
contactcenter analytics segments --from 2026-01-01 --to 2026-06-30 [--json | --csv]
contactcenter analytics backfill-segments [--months 12] [--json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from contactcenter.analytics import risk_and_offers

from contactcenter.app.commands.outbound import _store


@click.group()
def analytics() -> None:
    """Analytical CRM: orders, RFM segments, lifetime value."""


@analytics.command("import-orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def import_orders_command(file: Path, as_json: bool) -> None:
    """Import order lines from a CSV file: all of it, or nothing and the reasons why."""
    from contactcenter import clock
    from contactcenter.analytics.orders import MAX_BYTES, OrderImportError, import_orders
    from contactcenter.app import runtime

    if file.stat().st_size > MAX_BYTES:
        raise click.BadParameter(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it")
    currencies = runtime.current().settings.analytics_currencies
    try:
        with _store() as session:
            report = import_orders(
                session, file.read_bytes(), filename=file.name, currencies=currencies, now=clock.now()
            )
    except OrderImportError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    elif report.status == "done":
        click.echo(
            f"imported {report.orders_created} orders from {report.rows_total} rows"
            f" ({report.orders_already_stored} already stored)"
        )
    else:
        click.echo(f"nothing imported: {report.problems_total} problems in {report.rows_total} rows")
        for problem in report.problems:
            value = f" [{problem['value']}]" if problem["value"] else ""
            order = f" order {problem['order_id']}" if problem["order_id"] else ""
            click.echo(f"  line {problem['line']}{order}: {problem['detail']}{value}")
    if report.status != "done":
        raise SystemExit(1)


@analytics.command("recompute")
@click.option("--queue", "queued", is_flag=True, help="run it as a background job on a worker")
@click.option("--json", "as_json", is_flag=True)
def recompute_command(queued: bool, as_json: bool) -> None:
    """Recompute every customer's RFM segment, 12-month lifetime value and P(alive)."""
    from contactcenter.app import runtime
    from contactcenter.app.tasks.analytics import recompute_customer_models, recompute_with_settings
    from contactcenter.errors import DomainError

    if queued:
        queued_job = recompute_customer_models.enqueue()  # type: ignore[attr-defined]
        click.echo(f"queued job {queued_job.id}")
        return
    try:
        with _store() as session:
            report = recompute_with_settings(session, runtime.current().settings)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(f"customers with orders: {report.customers}  ({report.seconds:.2f} s)")
    click.echo(f"RFM scored: {report.rfm_scored}")
    if report.clv_error:
        click.echo(f"lifetime value not computed: {report.clv_error}")
    else:
        b, g = report.bgnbd, report.gamma_gamma
        click.echo(f"lifetime value scored: {report.clv_scored}")
        click.echo(f"  BG/NBD  r={b['r']:.3f} alpha={b['alpha']:.3f} a={b['a']:.3f} b={b['b']:.3f} (weeks)")
        click.echo(f"  Gamma-Gamma  p={g['p']:.3f} q={g['q']:.3f} gamma={g['gamma']:.3f}")
    click.echo(f"churn risk scored: {report.churn_scored}" + (f" ({report.churn_error})" if report.churn_error else ""))
    click.echo(
        f"next-best offers for: {report.offers_scored}" + (f" ({report.offers_error})" if report.offers_error else "")
    )
    if report.segments_changed:
        click.echo(f"service tiers changed: {report.segments_changed}")


@analytics.command("product")
@click.argument("sku")
@click.option("--in-stock/--out-of-stock", "in_stock", default=None, help="whether the shop can sell it now")
@click.option("--offerable/--not-offerable", "offerable", default=None, help="whether agents may offer it")
def product_command(sku: str, in_stock: bool | None, offerable: bool | None) -> None:
    """Show or set a product's stock and offer eligibility: next-best offers name only products
    that are both (the screen pop checks again on every call, so a change shows at once)."""
    from sqlalchemy import select

    from contactcenter.analytics.models import Product

    if len(sku) > 64:
        raise click.BadParameter("a SKU is at most 64 characters", param_hint="SKU")
    with _store() as session:
        product = session.scalar(select(Product).where(Product.sku == sku))
        if product is None:
            raise click.ClickException(f"no product with SKU {sku!r}")
        if in_stock is not None:
            product.in_stock = in_stock
        if offerable is not None:
            product.offer_eligible = offerable
        stock = "in stock" if product.in_stock else "out of stock"
        offer = "offerable" if product.offer_eligible else "not offered"
        click.echo(f"{product.sku} {product.name}: {stock}, {offer}")


@analytics.command("evaluate")
@click.option("--holdout-weeks", default=26.0, type=click.FloatRange(1, 260), show_default=True)
@click.option("--json", "as_json", is_flag=True)
def evaluate_command(holdout_weeks: float, as_json: bool) -> None:
    """Each model on held-out time against a simple baseline: lifetime value, churn risk, offers."""
    from datetime import timedelta

    from contactcenter import clock
    from contactcenter.analytics import features, risk_and_offers
    from contactcenter.analytics.services import evaluate
    from contactcenter.app.analytics_contacts import ticket_events
    from contactcenter.errors import DomainError

    end = clock.now()
    try:
        with _store() as session:
            result = evaluate(session, holdout_weeks=holdout_weeks, end=end)
            since = end - timedelta(weeks=2 * holdout_weeks, days=features.RECENT_DAYS)
            risk = risk_and_offers.evaluate(
                session, end=end, ticket_events=ticket_events(session, since, end), window_weeks=holdout_weeks
            )
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.as_dict() | risk.as_dict()))
        return
    click.echo(f"CLV holdout: calibration before {result.split_at:%Y-%m-%d}, {holdout_weeks:g} weeks held out")
    click.echo(f"  customers: {result.customers}")
    click.echo(
        f"  repeat purchases in holdout: actual {result.actual_total:.0f}, predicted {result.predicted_total:.1f}"
    )
    click.echo(f"  MAE per customer: model {result.mae_model:.3f}, naive (own past rate) {result.mae_naive:.3f}")
    _print_churn(risk)
    _print_offers(risk)


def _print_churn(risk: risk_and_offers.RiskOffersEvaluation) -> None:
    if risk.churn is None:
        click.echo(f"churn: not evaluated: {risk.churn_error}")
        return
    c = risk.churn
    click.echo(
        f"churn: trained at {c.train_cutoff:%Y-%m-%d} ({c.train_customers} customers), tested at"
        f" {c.test_cutoff:%Y-%m-%d} ({c.test_customers}), no purchase in {c.window_weeks:g} weeks"
        f" = churn ({c.churn_rate:.0%} did)"
    )
    for name, card in (("model", c.model), ("baseline (recency only)", c.baseline)):
        click.echo(
            f"  {name}: ROC AUC {card.auc:.3f}, precision at top decile {card.precision_top_decile:.3f},"
            f" Brier {card.brier:.3f}"
        )
    click.echo(
        "  calibration (model): " + ", ".join(f"{b['predicted']:.2f}→{b['observed']:.2f}" for b in c.model.calibration)
    )


def _print_offers(risk: risk_and_offers.RiskOffersEvaluation) -> None:
    if risk.offers is None:
        click.echo(f"next-best offer: not evaluated: {risk.offers_error}")
    else:
        o = risk.offers
        click.echo(
            f"next-best offer: learnt before {o.split_at:%Y-%m-%d}, {o.customers} customers bought something new after"
        )
        for name, scores in (("item-to-item", o.model), ("popularity", o.popularity)):
            click.echo(f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    a = risk.acceptance
    rate = f"{a['rate']:.1%}" if a.get("rate") is not None else "n/a"
    click.echo(f"offer acceptance: {a['accepted']} accepted, {a['declined']} declined of {a['offers']} offers ({rate})")
    for version, v in sorted(a.get("by_version", {}).items()):
        shown = f"{v['rate']:.1%}" if v["rate"] is not None else "n/a"
        click.echo(f"  {version or 'no model'}: {v['accepted']} accepted, {v['declined']} declined ({shown})")


@analytics.command("backfill-segments")
@click.option("--months", type=int, default=12, show_default=True, help="month ends to fill, counting back")
@click.option("--json", "as_json", is_flag=True)
def backfill_segments_command(months: int, as_json: bool) -> None:
    """Segment snapshots for the last N month ends, from the orders placed by then, so the segment
    report shows migration over an imported history (today's scores are left alone)."""
    from contactcenter.analytics import rfm, segments, services
    from contactcenter.app import runtime

    settings = runtime.current().settings
    rules = rfm.parse_rules(settings.analytics_segment_rules) if settings.analytics_segment_rules else rfm.DEFAULT_RULES
    try:
        days = services.month_ends(months)
        with _store() as session:
            written = services.backfill_segments(session, days, rules=rules)
    except segments.SegmentReportError as exc:
        raise click.BadParameter(str(exc), param_hint="'--months'") from None
    if as_json:
        click.echo(json.dumps({"snapshots": written}))
        return
    if not written:
        click.echo("no orders placed by those days: nothing to fill")
    for day, customers in written.items():
        click.echo(f"  {day}: {customers} customers")


@analytics.command("segments")
@click.option("--from", "first", required=True, help="the earlier day, YYYY-MM-DD")
@click.option("--to", "last", required=True, help="the later day, YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="print both tables as JSON")
@click.option("--csv", "as_csv", is_flag=True, help="print both tables as CSV")
def segments_command(first: str, last: str, as_json: bool, as_csv: bool) -> None:
    """Segment migration between two days (from-segment × to-segment) and revenue per segment per month."""
    from contactcenter.analytics import segments

    try:
        start, end = segments.parse_range(first, last)
        with _store() as session:
            moves = segments.migration(session, start, end)
            money = segments.revenue(session, start, end)
    except segments.SegmentReportError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'--{exc.field or 'from'}'") from None
    if as_json:
        click.echo(json.dumps({"migration": moves.as_dict(), "revenue": money.as_dict()}))
        return
    if as_csv:
        click.echo(segments.to_csv(moves, money), nl=False)
        return
    click.echo(f"segment migration {start.isoformat()} → {end.isoformat()} (rows: from, columns: to)")
    if not moves.counts:
        click.echo("  no segment snapshots up to these days: run `contactcenter analytics recompute`")
    width = max([len(s) for s in moves.segments] + [8])
    click.echo(" " * (width + 2) + "".join(f"{s[:width]:>{width + 1}}" for s in moves.segments))
    for source in moves.segments:
        cells = "".join(f"{moves.count(source, target):>{width + 1}}" for target in moves.segments)
        click.echo(f"  {source[:width]:<{width}}{cells}")
    click.echo("revenue per segment per month")
    for (month, segment), total in sorted(money.totals.items()):
        click.echo(f"  {month}  {segment[:width]:<{width}}  {money.orders[(month, segment)]:>6} orders  {total:>14.2f}")
