"""`contactcenter demo` as a new user runs it: pages served, simulated calls land in the store."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_serves_pages_and_records_simulated_calls(tmp_path: Path):
    port = _free_port()
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "contactcenter.cli", "demo", "--port", str(port), "--calls-per-minute", "60",
         "--duration", "30"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        web = requests.Session()
        login_page = web.get(base + "/login", timeout=5)
        assert login_page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
        resp = web.post(base + "/login", data={"csrf_token": token, "username": "supervisor", "password": "demo-password"}, timeout=5)
        assert resp.status_code == 200 and "Calls" in resp.text
        assert "Sam Supervisor" in resp.text
        assert web.get(base + "/customers", timeout=5).status_code == 200
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert f"running at {base}/" in output
    assert "Traceback" not in output
    assert "alice (agent)" in output and "demo-password" in output
    db = sqlite3.connect(tmp_path / "var" / "contactcenter.db")
    seeded = db.execute("select count(*) from interactions where to_number = '+18005550199'").fetchone()[0]
    simulated = db.execute("select count(*) from interactions where to_number = '+18005550100'").fetchone()[0]
    with_path = db.execute("select count(*) from interactions where ivr_flow = 'acme-support'").fetchone()[0]
    assert seeded > 0
    assert simulated >= 5, output
    assert with_path == simulated
