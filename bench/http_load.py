"""Dashboards under real load: the project over HTTP on PostgreSQL against the audit's pattern.

Seeds its OWN PostgreSQL database (30 teams x 15 agents x 24 months x 5 KPIs, the demo generator),
runs ANALYZE, then starts as separate processes the project (``coachhub-server serve --workers 2``,
default settings) and the thin-driver baseline (``bench.thin_baseline``: asyncpg, one query per agent
fanned out like ``Promise.all``, 2 workers). It checks that both answer the same figures, then runs
rounds in which every endpoint is loaded by 50 signed-in clients (``bench.load_driver``, another
process) on the project and on the baseline in turn, the order alternating per round so machine noise
hits both. The manager dashboard is also run against the tightest single SQL statement on the bare
driver (the physical limit). Prints throughput, p50/p95, shed (503) and error counts, ratios with
min-max over rounds and statements per request; writes ``bench/results/http_load.json``.

    python -m bench.http_load [--rounds 3] [--duration 6] [--warmup 2] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, select, text

from bench.analytics_dashboard import AGENTS_PER_TEAM, MONTHS, PERIOD, TEAMS, TODAY
from bench.thin_baseline import BaselineApp, answer
from server.app import create_app
from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import Team, User
from server.services.demo_data import DEMO_DOMAIN, DEMO_PASSWORD, seed_demo
from server.services.passwords import Passwords
from server.settings import Settings
from tests import databases
from tests.live_server import start_server, stop_server

RESULTS = Path(__file__).with_name("results") / "http_load.json"
DATABASE = "coachhub_bench_http_load"
ADMIN = f"admin@{DEMO_DOMAIN}"
WORKERS = 2
ENDPOINTS = ("manager", "team", "scorecard")
LABELS = {
    "manager": f"Manager dashboard ({TEAMS} teams)",
    "team": f"Team dashboard ({AGENTS_PER_TEAM} agents)",
    "scorecard": "Agent scorecard (12 months)",
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LIMIT_PATH = f"/limit/dashboards/manager?period={PERIOD}"


@dataclass(frozen=True)
class Targets:
    """Who is asked for what: one request path per client, spread over teams and agents."""

    team_ids: list[str]
    agent_ids: list[str]

    def path(self, endpoint: str, client: int) -> str:
        if endpoint == "manager":
            return f"/api/v1/dashboards/manager?period={PERIOD}"
        if endpoint == "team":
            team_id = self.team_ids[client % len(self.team_ids)]
            return f"/api/v1/dashboards/team?period={PERIOD}&team_id={team_id}"
        return f"/api/v1/agents/{self.agent_ids[client % len(self.agent_ids)]}/scorecard?period={PERIOD}"


# --- the database ----------------------------------------------------------------------------------


async def prepare_database() -> tuple[str, Targets, float]:
    """A fresh, seeded and analysed database; returns its URL, the targets and the seed time."""
    admin_dsn = databases.asyncpg_dsn(databases.postgres_admin_url())
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    url = databases.sqlalchemy_url(databases.with_database(databases.postgres_admin_url(), DATABASE))
    await upgrade(url)
    db = Database(Settings(database_url=url, pool_size=5, pool_timeout=60.0))
    try:
        started = time.perf_counter()
        await seed_demo(
            db, Passwords(1024), teams=TEAMS, agents_per_team=AGENTS_PER_TEAM, months=MONTHS, today=TODAY
        )
        seconds = time.perf_counter() - started
        async with db.engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))
        async with db.read() as session:
            teams = list(await session.scalars(select(Team.id).order_by(Team.name, Team.id)))
            agents = list(
                await session.scalars(
                    select(User.id).where(User.role == "agent", User.active.is_(True)).order_by(User.email)
                )
            )
    finally:
        await db.dispose()
    return url, Targets(teams, agents), seconds


async def drop_database() -> None:
    conn = await asyncpg.connect(databases.asyncpg_dsn(databases.postgres_admin_url()))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await conn.close()


def sign_in(base_url: str, count: int) -> list[str]:
    """``count`` separate sign-ins of the demo admin (who sees every team)."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        tokens = []
        for _ in range(count):
            response = client.post("/api/v1/auth/login", json={"email": ADMIN, "password": DEMO_PASSWORD})
            response.raise_for_status()
            tokens.append(response.json()["access_token"])
        return tokens


# --- same figures? -------------------------------------------------------------------------------


def figures(endpoint: str, body: dict[str, Any]) -> Any:
    """What a screen shows of a response, without ids' display details or the moment of reading."""
    if endpoint == "manager":
        keys = ("agent_count", "avg_score", "min_score", "max_score", "below_target_count")
        return {row["team"]["id"]: [row[k] for k in keys] for row in body["teams"]}
    if endpoint == "team":
        return {
            "agents": {
                r["agent"]["id"]: [r["metrics"], r["score"], r["previous_score"], r["trend"]]
                for r in body["agents"]
            },
            "summary": body["summary"],
        }
    return {
        "scores": [body["score"], body["previous_score"], body["trend"], body["year_avg_score"]],
        "history": [point["score"] for point in body["history"]],
        "kpis": {k["code"]: [k["value"], k["previous"], k["year_avg"]] for k in body["kpis"]},
    }


def limit_mismatches(project: Any, limit: Any) -> int:
    """Teams whose figures differ beyond SQL's half-up rounding of the one-statement limit (0.1)."""
    wrong = 0
    for team_id, expected in project.items():
        got = limit.get(team_id)
        if got is None or any(
            (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) > 0.1001)
            for a, b in zip(expected, got, strict=True)
        ):
            wrong += 1
    return wrong


def check_same_figures(project_url: str, baseline_url: str, token: str, targets: Targets) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    checked: dict[str, Any] = {}
    with httpx.Client(timeout=120.0, headers=headers) as client:
        for endpoint in ENDPOINTS:
            for index in (0, 7):
                path = targets.path(endpoint, index)
                ours = client.get(project_url + path)
                theirs = client.get(baseline_url + path)
                if ours.status_code != 200 or theirs.status_code != 200:
                    raise SystemExit(f"{path}: project {ours.status_code}, baseline {theirs.status_code}")
                if figures(endpoint, ours.json()) != figures(endpoint, theirs.json()):
                    raise SystemExit(f"{path}: the project and the baseline disagree; not measuring")
            checked[endpoint] = "same figures"
        ours = figures("manager", client.get(project_url + targets.path("manager", 0)).json())
        limit = figures("manager", client.get(baseline_url + LIMIT_PATH).json())
    wrong = limit_mismatches(ours, limit)
    if wrong:
        raise SystemExit(f"the single-statement limit disagrees on {wrong} team(s); not measuring")
    checked["manager_limit"] = "same figures (within SQL's half-up rounding, 0.1)"
    return checked


# --- statements per request ------------------------------------------------------------------------


async def statements_per_request(url: str, token: str, targets: Targets) -> dict[str, dict[str, int]]:
    """Counted in this process on the same database: the project's app and the baseline's handlers."""
    headers = {"Authorization": f"Bearer {token}"}
    counts: dict[str, dict[str, int]] = {endpoint: {} for endpoint in ENDPOINTS}
    app = create_app(Settings(database_url=url, pool_size=2))
    db: Database = app.state.db
    sent = [0]

    def on_statement(*_args: Any) -> None:
        sent[0] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_statement)
    transport = httpx.ASGITransport(app=app)
    baseline = BaselineApp(databases.asyncpg_dsn(url), pool_size=2)  # few: the servers hold 40
    queries = await baseline.open()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
            for endpoint in ENDPOINTS:
                path = targets.path(endpoint, 0)
                await client.get(path)  # warm: prepared statement caches and the like
                sent[0] = 0
                assert (await client.get(path)).status_code == 200
                counts[endpoint]["project"] = sent[0]
                counts[endpoint]["baseline"] = await _baseline_statements(queries, path, token)
        counts["manager"]["limit"] = await _baseline_statements(queries, LIMIT_PATH, token)
    finally:
        await baseline.close()
        await db.dispose()
    return counts


async def _baseline_statements(queries: Any, path: str, token: str) -> int:
    route, _, query = path.partition("?")
    scope = {
        "path": route,
        "query_string": query.encode(),
        "headers": [(b"authorization", f"Bearer {token}".encode())],
    }
    before = queries.count
    status, _body = await answer(queries, scope)
    assert status == 200, status
    return int(queries.count - before)


# --- load ------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants so far (Linux ``/proc``)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        pending.extend(int(child) for child in children)
    return total


def run_phase(
    server_pid: int, base_url: str, paths: list[str], tokens: list[str], duration: float, warmup: float
) -> dict[str, Any]:
    plan = {
        "base_url": base_url,
        "clients": list(zip(paths, tokens, strict=True)),
        "duration": duration,
        "warmup": warmup,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(plan, file)
    cpu_before = cpu_seconds(server_pid)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load_driver", file.name], check=True, capture_output=True, text=True
        )
    finally:
        os.unlink(file.name)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # Server CPU per request (warm-up included on both sides of the division): steadier than
    # throughput when other processes compete for the cores.
    spent = cpu_seconds(server_pid) - cpu_before
    result["server_cpu_ms"] = round(1000 * spent / max(result["answered_in_all"], 1), 2)
    return result


def sides_of(endpoint: str) -> tuple[str, ...]:
    return ("project", "baseline", "limit") if endpoint == "manager" else ("project", "baseline")


def run_rounds(
    servers: dict[str, tuple[int, str]],
    tokens: list[str],
    targets: Targets,
    rounds: int,
    duration: float,
    warmup: float,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {e: {s: [] for s in sides_of(e)} for e in ENDPOINTS}
    for number in range(rounds):
        for endpoint in ENDPOINTS:
            sides = sides_of(endpoint)
            order = sides if number % 2 == 0 else tuple(reversed(sides))
            for side in order:
                paths = [
                    LIMIT_PATH if side == "limit" else targets.path(endpoint, i) for i in range(len(tokens))
                ]
                pid, url = servers[side]
                result = run_phase(pid, url, paths, tokens, duration, warmup)
                runs[endpoint][side].append(result)
                print(
                    f"  round {number + 1} {endpoint:<9} {side:<8} {result['throughput']:8.1f} req/s   "
                    f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  shed {result['shed']}  "
                    f"errors {result['errors']}  server CPU {result['server_cpu_ms']} ms/request",
                    flush=True,
                )
    return runs


# --- report ----------------------------------------------------------------------------------------


def ratios(numerator: list[dict[str, Any]], denominator: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput ratios of the rounds; a round whose denominator answered nothing has none."""
    pairs = zip(numerator, denominator, strict=True)
    per_round = [a["throughput"] / b["throughput"] for a, b in pairs if b["throughput"]]
    if not per_round:
        return {"median": None, "min": None, "max": None, "rounds": 0}
    return {
        "median": round(statistics.median(per_round), 2),
        "min": round(min(per_round), 2),
        "max": round(max(per_round), 2),
        "rounds": len(per_round),
    }


def summary_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    def median_of(key: str) -> float | None:
        values = [r[key] for r in results if r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    answered = sum(sum(r["statuses"].values()) for r in results)
    shed = sum(r["shed"] for r in results)
    return {
        "throughput": median_of("throughput"),
        "p50_ms": median_of("p50_ms"),
        "p95_ms": median_of("p95_ms"),
        "server_cpu_ms": median_of("server_cpu_ms"),
        "ok": sum(r["ok"] for r in results),
        "shed": shed,
        "shed_share": round(shed / answered, 4) if answered else 0.0,
        "errors": sum(r["errors"] for r in results),
    }


def report(
    runs: dict[str, dict[str, list[dict[str, Any]]]], statements: dict[str, dict[str, int]]
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    print(
        f"\n{'endpoint':<32} {'side':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'shed':>6} {'errors':>7} "
        f"{'stmts':>6} {'CPU ms/req':>10}"
    )
    for endpoint in ENDPOINTS:
        entry: dict[str, Any] = {
            side: {**summary_of(results), "statements": statements[endpoint][side], "rounds": results}
            for side, results in runs[endpoint].items()
        }
        for side, figures_ in entry.items():
            print(
                f"{LABELS[endpoint]:<32} {side:<9} {figures_['throughput']:>8} {figures_['p50_ms']!s:>8} "
                f"{figures_['p95_ms']!s:>8} {figures_['shed']:>6} {figures_['errors']:>7} "
                f"{figures_['statements']:>6} {figures_['server_cpu_ms']!s:>10}"
            )
        entry["project_vs_baseline"] = ratios(runs[endpoint]["project"], runs[endpoint]["baseline"])
        line = entry["project_vs_baseline"]
        print(f"  -> project / baseline throughput: {line['median']}x (min-max {line['min']}-{line['max']})")
        if "limit" in runs[endpoint]:
            entry["project_vs_limit"] = ratios(runs[endpoint]["project"], runs[endpoint]["limit"])
            line = entry["project_vs_limit"]
            print(
                f"  -> project / single-statement limit: {line['median']}x "
                f"(min-max {line['min']}-{line['max']})"
            )
        table[endpoint] = entry
    return table


def run(rounds: int, duration: float, warmup: float, clients: int, keep: bool) -> dict[str, Any]:
    reason = asyncio.run(databases.postgres_reachable())
    if reason is not None:
        raise SystemExit(f"this benchmark needs PostgreSQL: {reason}")
    url, targets, seed_seconds = asyncio.run(prepare_database())
    print(
        f"seeded {TEAMS} teams x {AGENTS_PER_TEAM} agents x {MONTHS} months x 5 KPIs "
        f"in {seed_seconds:.1f} s; ANALYZE done",
        flush=True,
    )
    processes: list[subprocess.Popen[bytes]] = []
    logs = Path(tempfile.mkdtemp(prefix="coachhub-http-load-"))
    try:
        project, project_url = start_server(
            url,
            logs / "project.log",
            workers=WORKERS,
            COACHHUB_POOL_TIMEOUT=str(Settings.pool_timeout),
            COACHHUB_POOL_SIZE=str(Settings.pool_size),
        )
        processes.append(project)
        baseline, baseline_url = start_server(
            url,
            logs / "baseline.log",
            workers=WORKERS,
            app="bench.thin_baseline:app",
            factory=False,
            BASELINE_DATABASE_URL=databases.asyncpg_dsn(url),
        )
        processes.append(baseline)
        tokens = sign_in(project_url, clients)
        checked = check_same_figures(project_url, baseline_url, tokens[0], targets)
        print(f"figures checked: {checked}", flush=True)
        statements = asyncio.run(statements_per_request(url, tokens[0], targets))
        servers = {
            "project": (project.pid, project_url),
            "baseline": (baseline.pid, baseline_url),
            "limit": (baseline.pid, baseline_url),
        }
        runs = run_rounds(servers, tokens, targets, rounds, duration, warmup)
    finally:
        for process in processes:
            stop_server(process)
        if not keep:
            asyncio.run(drop_database())
    return {
        "database": "postgresql",
        "transport": "HTTP/1.1 over loopback, keep-alive",
        "data": {
            "teams": TEAMS,
            "agents_per_team": AGENTS_PER_TEAM,
            "months": MONTHS,
            "kpis": 5,
            "period": PERIOD,
        },
        "parameters": {
            "clients": clients,
            "rounds": rounds,
            "duration_s": duration,
            "warmup_s": warmup,
            "workers": WORKERS,
            "project_settings": "defaults (pool 10, pool timeout 2 s)",
        },
        "seed_seconds": round(seed_seconds, 1),
        "checked": checked,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": report(runs, statements),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=6.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each phase")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--keep-database", action="store_true", help=f"leave {DATABASE} for profiling")
    args = parser.parse_args()
    result = run(args.rounds, args.duration, args.warmup, args.clients, args.keep_database)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
