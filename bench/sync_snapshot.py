"""Full sync snapshot of a manager: keyset pages through the real app vs one load-everything read.

Runs against its OWN database: a temporary SQLite file, and also a temporary PostgreSQL database
when one is reachable (``COACHHUB_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1``).
Seeds 30 teams x 15 agents x 24 months x 5 KPIs (54,000 metrics) plus a few sessions per agent with
bulk inserts, then, in this one process:

- paged: ``GET /api/v1/sync/changes`` through the in-process app (httpx.ASGITransport), page after
  page until ``has_more`` is false, each page one read snapshot, the client keeping only counts;
- baseline: one read that loads the same scope in one query per entity and builds the whole
  answer in memory, as an unpaged endpoint would.

Each is timed without tracing, then run again under ``tracemalloc`` for the peak Python memory.
Prints the figures and writes ``bench/results/sync_snapshot.json``.

    python -m bench.sync_snapshot [--page-size 1000] [--runs 3] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy import insert, or_, select, text

from server.app import create_app
from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import CoachingSession, Kpi, Metric, Team, User
from server.services.changes import metric_entity_id
from server.services.sessions import session_json
from server.services.shapes import to_kpi, to_team, to_user
from server.settings import Settings
from shared.types import period_add
from tests import databases

TEAMS, AGENTS_PER_TEAM, MONTHS, SESSIONS_PER_AGENT = 30, 15, 24, 4
KPIS = ("aht", "csat", "fcr", "qa", "adherence")
PASSWORD = "benchmark password"
HASH_MEMORY_KIB = 1024
RESULTS = Path(__file__).with_name("results") / "sync_snapshot.json"
CHUNK = 5000


def _new_id() -> str:
    return str(uuid.uuid4())


async def _bulk(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    async with db.write() as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(model), rows[start : start + CHUNK])


async def seed(db: Database) -> str:
    """Bulk-insert the organisation; returns the manager's email."""
    now = datetime.now(UTC)
    password_hash = PasswordHasher(memory_cost=HASH_MEMORY_KIB).hash(PASSWORD)

    def user(email: str, role: str, team_id: str | None = None, code: str | None = None) -> dict[str, Any]:
        return dict(
            id=_new_id(),
            email=email,
            name=email.split("@")[0],
            role=role,
            password_hash=password_hash,
            active=True,
            team_id=team_id,
            employee_code=code,
            version=1,
            created_at=now,
            updated_at=now,
        )

    manager = user("manager@bench.example", "manager")
    leaders = [user(f"leader{t}@bench.example", "team_leader") for t in range(TEAMS)]
    teams = [
        dict(
            id=_new_id(),
            name=f"Team {t:02d}",
            leader_id=leaders[t]["id"],
            manager_id=manager["id"],
            version=1,
            created_at=now,
            updated_at=now,
        )
        for t in range(TEAMS)
    ]
    agents = [
        user(f"agent{t}-{a}@bench.example", "agent", teams[t]["id"], f"B{t:02d}{a:02d}")
        for t in range(TEAMS)
        for a in range(AGENTS_PER_TEAM)
    ]
    await _bulk(db, User, [manager, *leaders])
    await _bulk(db, Team, teams)
    await _bulk(db, User, agents)
    periods = [period_add("2024-04", month) for month in range(MONTHS)]
    metrics = [
        dict(
            agent_id=agent["id"],
            period=period,
            kpi_code=kpi,
            value=50.0 + (index % 50),
            version=1,
            updated_at=now,
        )
        for index, (agent, period, kpi) in enumerate(
            (agent, period, kpi) for agent in agents for period in periods for kpi in KPIS
        )
    ]
    await _bulk(db, Metric, metrics)
    day = datetime(2026, 3, 2, 9, tzinfo=UTC)
    sessions = [
        dict(
            id=_new_id(),
            agent_id=agent["id"],
            coach_id=leaders[index // AGENTS_PER_TEAM]["id"],
            starts_at=day + timedelta(days=s, minutes=30 * (index % AGENTS_PER_TEAM)),
            ends_at=day + timedelta(days=s, minutes=30 * (index % AGENTS_PER_TEAM) + 30),
            status="scheduled",
            topic="Weekly 1:1",
            notes="",
            created_by=leaders[index // AGENTS_PER_TEAM]["id"],
            version=1,
            created_at=now,
            updated_at=now,
        )
        for index, agent in enumerate(agents)
        for s in range(SESSIONS_PER_AGENT)
    ]
    await _bulk(db, CoachingSession, sessions)
    # Planner statistics, as autovacuum (PostgreSQL) would gather after a bulk load like this.
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return str(manager["email"])


async def paged_snapshot(
    client: httpx.AsyncClient, headers: dict[str, str], page_size: int
) -> dict[str, int]:
    """Page through the whole snapshot; keeps only counts, as a client writing to its cache would."""
    since: str | None = None
    rows = pages = 0
    while True:
        params: dict[str, Any] = {"limit": page_size}
        if since is not None:
            params["since"] = since
        response = await client.get("/api/v1/sync/changes", params=params, headers=headers)
        response.raise_for_status()
        page = response.json()
        rows += len(page["changes"])
        pages += 1
        since = page["cursor"]
        if not page["has_more"]:
            return {"rows": rows, "pages": pages}


async def load_everything(db: Database, manager_id: str) -> dict[str, int]:
    """The baseline: the manager's whole scope read at once and serialised as one body."""
    async with db.read() as session:
        team_ids = list(await session.scalars(select(Team.id).where(Team.manager_id == manager_id)))
        agents = select(User.id).where(User.team_id.in_(team_ids))
        leaders = await session.scalars(select(Team.leader_id).where(Team.id.in_(team_ids)))
        people = {manager_id, *(leader for leader in leaders if leader is not None)}
        kpis = [to_kpi(row).model_dump(mode="json") for row in await session.scalars(select(Kpi))]
        teams = [
            to_team(row).model_dump(mode="json")
            for row in await session.scalars(select(Team).where(Team.id.in_(team_ids)))
        ]
        users = [
            to_user(row).model_dump(mode="json")
            for row in await session.scalars(
                select(User).where(or_(User.team_id.in_(team_ids), User.id.in_(people)))
            )
        ]
        metric_rows = await session.execute(
            select(Metric.agent_id, Metric.period, Metric.kpi_code, Metric.value, Metric.version)
            .where(Metric.agent_id.in_(agents))
            .order_by(Metric.agent_id, Metric.period, Metric.kpi_code)
        )
        metrics = [
            {
                "entity": "metric",
                "id": metric_entity_id(a, p, k),
                "op": "upsert",
                "version": v,
                "data": {"agent_id": a, "period": p, "kpi_code": k, "value": value, "version": v},
            }
            for a, p, k, value, v in metric_rows.all()
        ]
        sessions = [
            session_json(row)
            for row in await session.scalars(
                select(CoachingSession).where(CoachingSession.agent_id.in_(agents))
            )
        ]
    changes = [
        *({"entity": "kpi", "data": d} for d in kpis),
        *({"entity": "team", "data": d} for d in teams),
        *({"entity": "user", "data": d} for d in users),
        *metrics,
        *({"entity": "session", "data": d} for d in sessions),
    ]
    body = json.dumps({"changes": changes, "cursor": "", "has_more": False})
    return {"rows": len(changes), "pages": 1, "bytes": len(body)}


async def measure(call: Callable[[], Awaitable[dict[str, int]]], runs: int) -> dict[str, Any]:
    await call()  # warm-up (caches, statement compilation)
    timings = []
    counts: dict[str, int] = {}
    for _ in range(runs):
        started = time.perf_counter()
        counts = await call()
        timings.append(time.perf_counter() - started)
    seconds = statistics.median(timings)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        **counts,
        "seconds": round(seconds, 3),
        "rows_per_s": round(counts["rows"] / seconds),
        "peak_python_mib": round(peak / 2**20, 2),
        "runs": runs,
    }


async def bench_database(label: str, url: str, page_size: int, runs: int) -> dict[str, Any]:
    await upgrade(url)
    settings = Settings(
        database_url=url,
        password_hash_memory_kib=HASH_MEMORY_KIB,
        pool_size=5,
        pool_timeout=60.0,
    )
    db = Database(settings)
    try:
        started = time.perf_counter()
        email = await seed(db)
        seed_seconds = time.perf_counter() - started
        async with db.read() as session:
            manager_id = await session.scalar(select(User.id).where(User.email == email))
        assert manager_id is not None
        app = create_app(settings, db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            print(f"[{label}] seeded in {seed_seconds:.1f} s; manager snapshot, pages of {page_size}")
            paged = await measure(lambda: paged_snapshot(client, headers, page_size), runs)
            baseline = await measure(lambda: load_everything(db, manager_id), runs)
        if paged["rows"] != baseline["rows"]:
            raise SystemExit(f"paged snapshot sent {paged['rows']} rows, the baseline {baseline['rows']}")
        for name, figures in (("paged snapshot (app)", paged), ("load everything (baseline)", baseline)):
            print(
                f"  {name:<28} {figures['rows']:6d} rows  {figures['pages']:4d} pages  "
                f"{figures['seconds']:7.2f} s  {figures['rows_per_s']:8d} rows/s  "
                f"peak {figures['peak_python_mib']:7.2f} MiB"
            )
        ratio = round(baseline["peak_python_mib"] / max(paged["peak_python_mib"], 0.01), 1)
        print(f"  -> paging needs {ratio}x less peak Python memory")
        return {
            "seed_seconds": round(seed_seconds, 2),
            "page_size": page_size,
            "paged": paged,
            "baseline": baseline,
            "peak_memory_ratio": ratio,
        }
    finally:
        await db.dispose()


async def run(page_size: int, runs: int, use_postgres: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="coachhub-bench-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.sqlite3'}"
        results["sqlite"] = await bench_database("sqlite", url, page_size, runs)
    if use_postgres:
        reason = await databases.postgres_reachable()
        if reason is None:
            pg_url = await databases.create_postgres_database()  # creates and migrates
            try:
                results["postgresql"] = await bench_database("postgresql", pg_url, page_size, runs)
            finally:
                await databases.drop_postgres_database(pg_url)
        else:
            print(f"skipping PostgreSQL: {reason}")
    return {
        "data": {
            "teams": TEAMS,
            "agents_per_team": AGENTS_PER_TEAM,
            "months": MONTHS,
            "kpis": len(KPIS),
            "metrics": TEAMS * AGENTS_PER_TEAM * MONTHS * len(KPIS),
            "sessions": TEAMS * AGENTS_PER_TEAM * SESSIONS_PER_AGENT,
            "caller": "manager of all teams",
        },
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(run(args.page_size, args.runs, not args.no_postgres))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
