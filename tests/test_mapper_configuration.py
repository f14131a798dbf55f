"""A process's mappers are configured when its runtime is built, not at its first query.

An RQ worker forks a work-horse per job while its own threads (the ACD ticker, the lease) run.
If the first query of one of those threads is what configures the mappers, a horse forked in
that moment inherits SQLAlchemy's configure lock held and waits for it forever.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_building_the_runtime_configures_every_mapper_in_a_fresh_process(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from contactcenter.app import runtime
        from contactcenter.config import load_settings
        from contactcenter.db import Base

        settings = load_settings().with_overrides(database_url="sqlite:///{tmp_path / "store.db"}")
        runtime.build_runtime(settings)
        mappers = list(Base.registry.mappers)
        names = sorted(m.class_.__name__ for m in mappers)
        assert "Customer" in names and "Campaign" in names and "AuditEntry" in names, names
        assert all(m.configured for m in mappers), [m for m in mappers if not m.configured]
        assert not Base.registry._new_mappers
        print(len(mappers))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": "redis://127.0.0.1:6379/0"},
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 20
