"""`contactcenter demo` run as a new user runs it, in a folder of its own, optionally with the
process clock starting at a chosen instant (freezegun ticking in real time)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

_AT_TIME = """
import sys
from freezegun import freeze_time
freeze_time(sys.argv[1], tick=True).start()
from contactcenter.app.cli import main
sys.argv = ["contactcenter", *sys.argv[2:]]
main()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_demo(folder: Path, *args: str, at: str | None = None, timeout: float = 120) -> str:
    """Run the demo in `folder` (its SQLite file lands in folder/var); returns what it printed."""
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(folder)}
    command = [sys.executable, "-m", "contactcenter.app.cli"] if at is None else [sys.executable, "-c", _AT_TIME, at]
    proc = subprocess.run(
        [*command, "demo", "--port", str(free_port()), *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc.stdout
