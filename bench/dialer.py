"""Dialer pacing benchmark: predictive against progressive (the baseline), measured in one run.

    python bench/dialer.py                 # 50 agents, 25 % answer rate, AHT 180 s, 8 hours, seeds 1-5
    python bench/dialer.py --seeds 10 --json
    python bench/dialer.py --claim-leads 20000   # + what value ordering costs a lead claim


Both modes run the real pacer on the simulated campaign of `contactcenter.dialer.simulation`
(call model in docs/dialer.md), on the same seeds. Printed per seed and in total: occupancy
((talk + wrap) / logged-in time), talk minutes per agent-hour, abandon rate (abandoned / live
answered, over the run: one US regulatory period) and the occupancy ratio predictive /
progressive. The goal: predictive occupancy >= 0.90 with abandon rate <= 3 %, above progressive
on every seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contactcenter.dialer.simulation import SimulationConfig, simulate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--answer-rate", type=float, default=0.25)
    parser.add_argument("--aht", type=float, default=180.0)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--claim-leads",
        type=int,
        default=0,
        metavar="N",
        help="also time claiming 10 leads from N due leads, in import order and by expected value",
    )
    args = parser.parse_args(argv)
    claims = claim_cost(args.claim_leads) if args.claim_leads else None

    rows = []
    started = time.perf_counter()
    for seed in range(1, args.seeds + 1):
        row: dict[str, object] = {"seed": seed}
        for mode in ("predictive", "progressive"):
            t = time.perf_counter()
            r = simulate(
                SimulationConfig(
                    agents=args.agents,
                    answer_rate=args.answer_rate,
                    aht_s=args.aht,
                    hours=args.hours,
                    mode=mode,
                    seed=seed,
                )
            )
            row[mode] = {
                "occupancy": r.agent_occupancy,
                "abandon_rate": r.abandon_rate,
                "max_running_abandon_rate": r.max_running_abandon_rate,
                "talk_minutes_per_agent_hour": r.talk_minutes_per_agent_hour,
                "calls_placed": r.calls_placed,
                "answered": r.answered,
                "abandoned": r.abandoned,
                "wall_seconds": round(time.perf_counter() - t, 2),
            }
        pred, prog = row["predictive"], row["progressive"]  # type: ignore[index]
        row["occupancy_ratio"] = round(pred["occupancy"] / prog["occupancy"], 3)  # type: ignore[index]
        row["goal_met"] = bool(
            pred["occupancy"] >= 0.90 and pred["abandon_rate"] <= 0.03 and pred["occupancy"] > prog["occupancy"]  # type: ignore[index]
        )
        rows.append(row)

    def mean(mode: str, key: str) -> float:
        return round(statistics.fmean(r[mode][key] for r in rows), 4)  # type: ignore[index]

    summary = {
        "agents": args.agents,
        "answer_rate": args.answer_rate,
        "aht_s": args.aht,
        "hours": args.hours,
        "seeds": args.seeds,
        "predictive_occupancy": mean("predictive", "occupancy"),
        "progressive_occupancy": mean("progressive", "occupancy"),
        "predictive_abandon_rate": mean("predictive", "abandon_rate"),
        "progressive_abandon_rate": mean("progressive", "abandon_rate"),
        "predictive_max_abandon_rate": max(r["predictive"]["abandon_rate"] for r in rows),  # type: ignore[index]
        "predictive_talk_min_per_agent_hour": mean("predictive", "talk_minutes_per_agent_hour"),
        "progressive_talk_min_per_agent_hour": mean("progressive", "talk_minutes_per_agent_hour"),
        "occupancy_ratio": round(mean("predictive", "occupancy") / mean("progressive", "occupancy"), 3),
        "goal_met_on_every_seed": all(r["goal_met"] for r in rows),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    if claims is not None:
        summary["claim_ms"] = claims
    if args.json:
        print(json.dumps({"summary": summary, "seeds": rows}))
        return 0
    print(
        f"dialer pacing: {args.agents} agents, answer rate {args.answer_rate:.0%}, AHT {args.aht:g} s, {args.hours:g} h"
    )
    print(f"{'seed':>4}  {'pred occ':>8}  {'pred ab%':>8}  {'prog occ':>8}  {'prog ab%':>8}  {'ratio':>6}  goal")
    for r in rows:
        p, q = r["predictive"], r["progressive"]  # type: ignore[index]
        print(
            f"{r['seed']:>4}  {p['occupancy']:>8.4f}  {p['abandon_rate']:>8.2%}  {q['occupancy']:>8.4f}  "
            f"{q['abandon_rate']:>8.2%}  {r['occupancy_ratio']:>6.3f}  {'yes' if r['goal_met'] else 'NO'}"
        )
    print(
        f"mean  {summary['predictive_occupancy']:>8.4f}  {summary['predictive_abandon_rate']:>8.2%}  "
        f"{summary['progressive_occupancy']:>8.4f}  {summary['progressive_abandon_rate']:>8.2%}  "
        f"{summary['occupancy_ratio']:>6.3f}"
    )
    print(
        f"talk minutes per agent-hour: predictive {summary['predictive_talk_min_per_agent_hour']}, "
        f"progressive {summary['progressive_talk_min_per_agent_hour']}"
    )
    print(
        f"goal (predictive occupancy >= 0.90, abandon <= 3 %, above progressive) met on every seed: "
        f"{summary['goal_met_on_every_seed']}  [{summary['wall_seconds']} s]"
    )
    if claims is not None:
        print(
            f"claiming 10 of {args.claim_leads} due leads (SQLite, median of {CLAIM_ROUNDS}): "
            f"import order {claims['fifo']:.1f} ms, by expected value {claims['value']:.1f} ms"
        )
    return 0


CLAIM_ROUNDS = 15


def claim_cost(leads: int) -> dict[str, float]:
    """Median milliseconds of `claim_leads(10)` over a campaign of `leads` due leads (half of them
    scored customers, a history of 2,000 finished attempts), in import order and by value."""
    import random
    import tempfile
    from datetime import UTC, datetime, timedelta

    from freezegun import freeze_time
    from sqlalchemy import insert, select

    from contactcenter import models
    from contactcenter.analytics.models import CustomerModelScore
    from contactcenter.contacts.models import Customer
    from contactcenter.db import make_engine, make_sessionmaker
    from contactcenter.dialer import campaigns, dial_gate
    from contactcenter.dialer.models import Campaign, DialAttempt, Lead

    rng = random.Random(7)
    result: dict[str, float] = {}
    made: dict[str, int] = {}
    at = datetime(2026, 1, 6, 16, 0, tzinfo=UTC)  # 11:00 in New York
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/claims.db")
        models.Base.metadata.create_all(engine)
        session = make_sessionmaker(engine)()
        with freeze_time(at):
            session.execute(
                insert(Customer),
                [{"name": f"C{i}", "segment": "standard", "attributes": {}} for i in range(leads // 2)],
            )
            customer_ids = list(session.scalars(select(Customer.id)))
            session.execute(
                insert(CustomerModelScore),
                [
                    {
                        "customer_id": cid,
                        "model": "clv",
                        "model_version": "b",
                        "score": rng.uniform(0, 2000),
                        "label": "x",
                        "figures": {},
                        "computed_at": at,
                    }
                    for cid in customer_ids
                ],
            )
            for mode in ("fifo", "value"):
                campaign = campaigns.create_campaign(
                    session,
                    name=f"bench {mode}",
                    caller_id="+12025550100",
                    company_name="Acme",
                    callback_number="+18005550123",
                    dial_mode="predictive",
                    order_by_value=mode == "value",
                    max_attempts=100,
                )
                campaigns.start_campaign(session, campaign)
                rows = [
                    {
                        "campaign_id": campaign.id,
                        "phone": f"+1212{5550000 + i:07d}"[:12],
                        "name": "",
                        "time_zones": ["America/New_York"],
                        "region": "US-NY",
                        "country": "US",
                        "attributes": {},
                        "status": "ready",
                        "priority": 0,
                        "attempts": 0,
                        "customer_id": customer_ids[i] if i < len(customer_ids) else None,
                        "created_at": at,
                        "updated_at": at,
                    }
                    for i in range(leads)
                ]
                session.execute(insert(Lead), rows)
                first = session.scalar(select(Lead.id).where(Lead.campaign_id == campaign.id))
                session.execute(
                    insert(DialAttempt),
                    [
                        {
                            "campaign_id": campaign.id,
                            "lead_id": first,
                            "phone": "+12125550000",
                            "caller_id": "+12025550100",
                            "mode": "predictive",
                            "claimed_at": at - timedelta(hours=rng.randint(1, 200)),
                            "outcome": rng.choice(["connected", "no-answer", "busy"]),
                            "status": "completed",
                        }
                        for _ in range(2000)
                    ],
                )
                session.commit()
                made[mode] = campaign.id
        # Timed outside freezegun, which stops the performance counter too.
        for mode, campaign_id in made.items():
            campaign = session.get(Campaign, campaign_id)
            times, claimed = [], 0
            for _ in range(CLAIM_ROUNDS):
                t = time.perf_counter()
                claimed = len(dial_gate.claim_leads(session, campaign, 10, at))
                times.append(time.perf_counter() - t)
                session.rollback()
                campaign = session.get(Campaign, campaign_id)
            assert claimed == 10, f"{mode}: claimed {claimed}"
            result[mode] = round(statistics.median(times) * 1000, 1)
        session.close()
        engine.dispose()
    return result


if __name__ == "__main__":
    sys.exit(main())
