"""Dialer pacing benchmark: predictive against progressive (the baseline), measured in one run.

    python bench/dialer.py                 # 50 agents, 25 % answer rate, AHT 180 s, 8 hours, seeds 1-5
    python bench/dialer.py --seeds 10 --json

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
    args = parser.parse_args(argv)

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
