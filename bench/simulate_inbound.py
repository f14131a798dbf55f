"""Speed of `contactcenter simulate inbound`: simulated events per second of wall time.

    python bench/simulate_inbound.py                      # 300 h at 200 calls/h, 12 agents, AHT 180 s
    python bench/simulate_inbound.py --hours 20 --repeat 2
    python bench/simulate_inbound.py --redis-url redis://127.0.0.1:6379/8   # on a real server

Runs `contactcenter.acd.simulation.Simulation` as the command does (the real ACD scripts deciding
every match, on the command's default in-process store unless --redis-url is given) and prints,
per run: wall and CPU time, the simulation's own events (arrivals, answers, ends, abandons, ticks:
one ACD request each) and the ACD events those requests produced (call.updated, agent.state,
offer.*: about ten per call), each per second of wall time, and the Erlang C (or A, with
--patience) comparison, so a faster run can be checked to give the same figures. The goal:
300 simulated hours at 200 calls/h in <= 30 s. It prints numbers only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contactcenter.acd.simulation import Simulation, SimulationConfig  # noqa: E402


def _run(config: SimulationConfig, client: Any) -> dict[str, Any]:
    sim = Simulation(config, client)
    acd_events = 0

    def count(event: dict[str, Any]) -> None:
        nonlocal acd_events
        acd_events += 1

    sim.acd.listeners.append(count)
    cpu = time.process_time()
    figures = sim.run().to_dict()
    figures["cpu_seconds"] = round(time.process_time() - cpu, 3)
    figures["acd_events"] = acd_events
    return figures


def _summary(figures: dict[str, Any]) -> dict[str, Any]:
    comparison = figures["comparison"]
    wall = figures["wall_seconds"]
    return {
        "events": figures["events"],
        "acd_requests": figures["acd_requests"],
        "acd_events": figures["acd_events"],
        "offered": figures["offered"],
        "wall_seconds": wall,
        "cpu_seconds": figures["cpu_seconds"],
        "events_per_second": round(figures["events"] / wall) if wall else None,
        "acd_events_per_second": round(figures["acd_events"] / wall) if wall else None,
        "model": comparison["model"],
        "agrees": comparison["agrees"],
        "metrics": {
            metric: {k: c.get(k) for k in ("simulated", "predicted", "standard_error", "within")}
            for metric, c in comparison["metrics"].items()
        },
        "reference_differing": figures["reference"]["differing"],
        "anomalies": len(figures["anomalies"]),
        "audit_problems": len(figures["audit_problems"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=12)
    parser.add_argument("--calls-per-hour", type=float, default=200.0)
    parser.add_argument("--aht", type=float, default=180.0)
    parser.add_argument("--hours", type=float, default=300.0)
    parser.add_argument("--patience", type=float, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the same configuration")
    parser.add_argument("--redis-url", default=None, help="run on this Redis server instead of in memory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    client = None
    if args.redis_url:
        import redis

        client = redis.Redis.from_url(args.redis_url)
    config = SimulationConfig(
        agents=args.agents,
        calls_per_hour=args.calls_per_hour,
        aht_s=args.aht,
        hours=args.hours,
        patience_s=args.patience,
        seed=args.seed,
    )
    runs = []
    for n in range(1, args.repeat + 1):
        row = _summary(_run(config, client))
        runs.append(row)
        if not args.json:
            metrics = ", ".join(
                f"{m} {c['simulated']} vs {c['predicted']} (SE {c['standard_error']}, "
                f"{'within' if c['within'] else 'OUTSIDE'})"
                for m, c in row["metrics"].items()
            )
            print(
                f"run {n}: {row['offered']} calls offered, {row['events']} simulation events, "
                f"{row['acd_requests']} ACD requests, {row['acd_events']} ACD events in {row['wall_seconds']:.2f} s "
                f"(CPU {row['cpu_seconds']:.2f} s): {row['events_per_second']} simulation events/s, "
                f"{row['acd_events_per_second']} ACD events/s\n"
                f"  {row['model']}: {metrics}; agrees: {row['agrees']}; reference differing: "
                f"{row['reference_differing']}; anomalies: {row['anomalies']}; audit problems: {row['audit_problems']}"
            )
    if args.json:
        print(json.dumps({"config": {k: v for k, v in vars(args).items() if k != "json"}, "runs": runs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
