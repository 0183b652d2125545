"""``schemathesis run --checks all`` against a live server, as an admin and as a team leader.

``python -m tests.contract.fuzz [--max-examples N] [--backend sqlite|postgres]`` (``make fuzz``)
seeds a fresh database, starts the server, signs both users in, and runs the schemathesis CLI once
per user. Exit status 0 only when both runs report no failure. ``tests/contract/test_cli_fuzz.py``
runs a bounded version in ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests import databases
from tests.factories import PASSWORD, seed_standard_world
from tests.live_server import start_server, stop_server

ROLES = ("admin", "leader_a")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXCLUDED_PATHS = (
    "/api/v1/auth/logout",  # would end the fuzzing login itself
    "/api/v1/events",  # an endless stream with no input to fuzz; tests/server/test_events.py covers it
)


@contextmanager
def fuzz_target(backend: str, directory: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A seeded server: its base URL and an access token per role in ``ROLES``."""
    if backend == "sqlite":
        database_url = f"sqlite+aiosqlite:///{directory / 'coachhub.sqlite3'}"
    else:
        database_url = asyncio.run(databases.create_postgres_database())
    try:
        world = asyncio.run(seed_standard_world(database_url))
        process, base_url = start_server(database_url, directory / "server.log", workers=1)
        try:
            tokens = {
                role: httpx.post(
                    f"{base_url}/api/v1/auth/login",
                    json={"email": world.users[role].email, "password": PASSWORD},
                ).json()["access_token"]
                for role in ROLES
            }
            yield base_url, tokens
        finally:
            stop_server(process)
    finally:
        if backend == "postgres":
            asyncio.run(databases.drop_postgres_database(database_url))


def schemathesis_command(base_url: str, token: str, max_examples: int, seed: int | None) -> list[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(max_examples),
        "--request-timeout",
        "30",
        # --checks all includes a 10 s response-time check; speed is for bench/ to measure, and on
        # a busy machine a 500-mutation push can take longer. This bound only catches a hang.
        "--max-response-time",
        "25",
        "--suppress-health-check",
        "all",
        "--no-color",
    ]
    for path in EXCLUDED_PATHS:
        command += ["--exclude-path", path]
    if seed is not None:
        command += ["--seed", str(seed)]
    return command


def run(backend: str, max_examples: int, seed: int | None) -> int:
    """Both roles against one server; the exit status of the worse run."""
    worst = 0
    with (
        tempfile.TemporaryDirectory(prefix="coachhub-fuzz-") as tmp,
        fuzz_target(backend, Path(tmp)) as (base_url, tokens),
    ):
        for role, token in tokens.items():
            print(f"=== schemathesis --checks all as {role} on {backend}", flush=True)
            result = subprocess.run(schemathesis_command(base_url, token, max_examples, seed))
            worst = max(worst, result.returncode)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    return run(args.backend, args.max_examples, args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
