"""The ``coachhub-server`` console script, run as a real process on a fresh SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120


def run_cli(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COACHHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "COACHHUB_MAIL_DIR": str(tmp_path / "mail"),
    }
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.slow
def test_migrate_seed_import_and_create_user(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "migrate").returncode == 0

    seeded = run_cli(tmp_path, "seed-demo", "--teams", "2", "--agents-per-team", "3", "--months", "3")
    assert seeded.returncode == 0, seeded.stderr
    assert "leader1@demo.coachhub" in seeded.stdout and "password" in seeded.stdout

    created = run_cli(
        tmp_path,
        "create-user",
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "ops@example.com" in created.stdout
    assert "a long enough password" not in created.stdout + created.stderr

    bad = tmp_path / "bad.csv"
    bad.write_text("employee_code,period,kpi,value\nNOPE,2026-01,csat,80\n")
    refused = run_cli(tmp_path, "import-metrics", str(bad))
    assert refused.returncode == 1, refused.stdout
    assert "nothing imported" in refused.stderr and "NOPE" in refused.stderr

    purged = run_cli(tmp_path, "purge")
    assert purged.returncode == 0, purged.stderr
    assert "purged 0 idempotency keys" in purged.stdout and "changes" in purged.stdout


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr
