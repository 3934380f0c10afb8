from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from consumer_support import ConsumerVenv, build_consumer_venv


@pytest.fixture(scope="session")
def consumer(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> ConsumerVenv:
    """One wheel and one clean venv per test run, shared by the xdist workers (tests only read it)."""
    run_root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        run_root = run_root.parent  # shared by the workers of this run only
    where = run_root / "consumer"
    where.mkdir(exist_ok=True)
    with open(run_root / "consumer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds, the others wait and reuse
        try:
            built = where / "built"
            if built.is_file():
                python, site = built.read_text().splitlines()
                return ConsumerVenv(python=Path(python), site=Path(site))
            venv = build_consumer_venv(where)
            built.write_text(f"{venv.python}\n{venv.site}\n")
            return venv
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
