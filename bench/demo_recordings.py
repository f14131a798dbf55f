"""How much audio the demo's recording rule stores: runs `contactcenter demo` in a scratch folder
for a while at a given call rate, then prints the recordings and their stored bytes, the bytes per
recorded second, and what that comes to per hour and per retention period at the demo's default
six calls a minute.

    .venv/bin/python bench/demo_recordings.py --seconds 120 --calls-per-minute 30
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import free_port  # noqa: E402
from contactcenter.app.demo_data import DEMO_RECORDING_RETENTION_DAYS  # noqa: E402

DEFAULT_RATE = 6.0  # `contactcenter demo`'s default calls per minute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--calls-per-minute", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-m", "contactcenter.app.cli", "demo", "--port", str(free_port())]
            + ["--calls-per-minute", str(args.calls_per_minute), "--duration", str(args.seconds)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=args.seconds + 180,
        )
        if done.returncode != 0:
            sys.exit(done.stdout[-2000:] + done.stderr[-2000:])
        db = sqlite3.connect(Path(folder) / "var" / "contactcenter.db")
        calls = db.execute("select count(*) from interactions where to_number = '+18005550100'").fetchone()[0]
        count, stored, seconds = db.execute(
            "select count(*), coalesce(sum(length(m.content)), 0), coalesce(sum(r.duration_s), 0) "
            "from call_recording_media m join call_recordings r on r.id = m.recording_id"
        ).fetchone()
    per_call = stored / count if count else 0.0
    per_hour = stored / max(calls, 1) * DEFAULT_RATE * 60
    print(
        json.dumps(
            {
                "ran_s": args.seconds,
                "calls_per_minute": args.calls_per_minute,
                "simulated_calls": calls,
                "recordings_stored": count,
                "stored_bytes": stored,
                "recorded_seconds": seconds,
                "bytes_per_recorded_second": round(stored / seconds) if seconds else None,
                "bytes_per_recording": round(per_call),
                "mb_per_hour_at_default_rate": round(per_hour / 1e6, 1),
                "mb_at_most_kept": round(per_hour * 24 * DEMO_RECORDING_RETENTION_DAYS / 1e6, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
