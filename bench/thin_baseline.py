"""The audit's pattern on a thin driver, to measure the project against over HTTP.

A bare ASGI app (no framework, no ORM) on asyncpg, served by uvicorn like the project. It answers
the three analytics URLs the way the earlier web app did: one query per agent (and per team, per
month) fanned out with ``asyncio.gather`` like ``Promise.all``, each on its own pooled connection,
scored with the same ``shared.scoring`` code, answered with the same JSON figures. It also answers
``/limit/dashboards/manager``: the manager dashboard as the tightest single SQL statement (sign-in
check included), the physical limit of this machine for that screen.

It lives in ``bench/`` only; ``python -m bench.http_load`` starts it with
``uvicorn bench.thin_baseline:app --workers 2`` and ``BASELINE_DATABASE_URL`` set.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import asyncpg

from shared import scoring
from shared.analytics import below_target
from shared.scoring import KpiRule, kpi_sort_key
from shared.types import period_add, periods_ending

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Values = dict[str, float | None]

POOL_SIZE = 10  # the project's default COACHHUB_POOL_SIZE
STAFF = ("team_leader", "manager", "admin")


class Queries:
    """Every statement goes through here, so the benchmark can count them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.count = 0

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        self.count += 1
        rows: list[asyncpg.Record] = await self.pool.fetch(sql, *args)
        return rows


CALLER = """
    SELECT u.id, u.role FROM auth_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = $1 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > now()
      AND u.active
"""
TEAM_IN_SCOPE = """(c.role = 'admin' OR (c.role = 'manager' AND t.manager_id = c.id)
                    OR (c.role = 'team_leader' AND t.leader_id = c.id))"""


async def caller(q: Queries, token: str) -> tuple[str, str] | None:
    rows = await q.fetch(CALLER, hashlib.sha256(token.encode()).hexdigest())
    return (rows[0]["id"], rows[0]["role"]) if rows else None


async def rules(q: Queries) -> list[KpiRule]:
    rows = await q.fetch("SELECT code, target, weight, higher_is_better FROM kpis")
    ordered = sorted(rows, key=lambda r: kpi_sort_key(r["code"]))
    return [KpiRule(r["code"], r["target"], r["weight"], r["higher_is_better"]) for r in ordered]


async def agent_values(q: Queries, agent_id: str, period: str) -> Values:
    rows = await q.fetch(
        "SELECT kpi_code, value FROM metrics WHERE agent_id = $1 AND period = $2", agent_id, period
    )
    return {r["kpi_code"]: r["value"] for r in rows}


async def team_agents(q: Queries, team_id: str) -> list[asyncpg.Record]:
    return await q.fetch(
        "SELECT id, name FROM users WHERE team_id = $1 AND role = 'agent' AND active ORDER BY name, id",
        team_id,
    )


async def manager_dashboard(q: Queries, who: tuple[str, str], params: dict[str, str]) -> dict[str, Any]:
    period = params["period"]
    kpi_rules = await rules(q)
    teams = await q.fetch(
        f"""SELECT t.id, t.name, t.leader_id, l.name AS leader_name
            FROM teams t LEFT JOIN users l ON l.id = t.leader_id, (SELECT $1::text AS id, $2::text AS role) c
            WHERE {TEAM_IN_SCOPE} ORDER BY t.name, t.id""",
        *who,
    )

    async def overview(team: asyncpg.Record) -> dict[str, Any]:
        agents = await team_agents(q, team["id"])
        values = await asyncio.gather(*(agent_values(q, a["id"], period) for a in agents))
        scores = [scoring.score(v, kpi_rules) for v in values]
        present = [s for s in scores if s is not None]
        leader = None if team["leader_id"] is None else {"id": team["leader_id"], "name": team["leader_name"]}
        return {
            "team": {"id": team["id"], "name": team["name"]},
            "leader": leader,
            "agent_count": len(scores),
            "avg_score": scoring.mean(scores),
            "min_score": min(present, default=None),
            "max_score": max(present, default=None),
            "below_target_count": sum(map(below_target, scores)),
        }

    return {"period": period, "teams": list(await asyncio.gather(*(overview(t) for t in teams)))}


async def team_dashboard(q: Queries, who: tuple[str, str], params: dict[str, str]) -> dict[str, Any]:
    period, previous = params["period"], period_add(params["period"], -1)
    kpi_rules = await rules(q)
    team = await q.fetch(
        f"SELECT t.id, t.name FROM teams t, (SELECT $1::text AS id, $2::text AS role) c "
        f"WHERE t.id = $3 AND {TEAM_IN_SCOPE}",
        *who,
        params["team_id"],
    )
    if not team:
        raise LookupError("team")
    agents = await team_agents(q, params["team_id"])

    async def row(agent: asyncpg.Record) -> dict[str, Any]:
        current, before = await asyncio.gather(
            agent_values(q, agent["id"], period), agent_values(q, agent["id"], previous)
        )
        score, previous_score = scoring.score(current, kpi_rules), scoring.score(before, kpi_rules)
        return {
            "agent": {"id": agent["id"], "name": agent["name"]},
            "metrics": {rule.code: current.get(rule.code) for rule in kpi_rules},
            "score": score,
            "previous_score": previous_score,
            "trend": scoring.trend(score, previous_score),
        }

    rows = list(await asyncio.gather(*(row(a) for a in agents)))
    scores = [r["score"] for r in rows]
    summary = {"avg_score": scoring.mean(scores), "below_target_count": sum(map(below_target, scores))}
    return {
        "team": {"id": team[0]["id"], "name": team[0]["name"]},
        "period": period,
        "agents": rows,
        "summary": summary,
    }


async def scorecard(q: Queries, who: tuple[str, str], params: dict[str, str]) -> dict[str, Any]:
    period, agent_id = params["period"], params["agent_id"]
    periods = periods_ending(period, 12)
    kpi_rules = await rules(q)
    agent = await q.fetch(
        f"SELECT u.id, u.name FROM users u JOIN teams t ON t.id = u.team_id, "
        f"(SELECT $1::text AS id, $2::text AS role) c "
        f"WHERE u.id = $3 AND u.role = 'agent' AND {TEAM_IN_SCOPE}",
        *who,
        agent_id,
    )
    if not agent:
        raise LookupError("agent")
    months = await asyncio.gather(*(agent_values(q, agent_id, p) for p in periods))

    async def kpi(rule: KpiRule) -> dict[str, Any]:  # the yearly average per KPI, one query each
        rows = await q.fetch(
            "SELECT value FROM metrics WHERE agent_id = $1 AND kpi_code = $2 AND period = ANY($3::text[])",
            agent_id,
            rule.code,
            periods,
        )
        value, previous = months[-1].get(rule.code), months[-2].get(rule.code)
        return {
            "code": rule.code,
            "value": value,
            "previous": previous,
            "year_avg": scoring.mean(r["value"] for r in rows),
        }

    history = [
        {"period": p, "score": scoring.score(v, kpi_rules)} for p, v in zip(periods, months, strict=True)
    ]
    score, previous_score = history[-1]["score"], history[-2]["score"]
    return {
        "agent": {"id": agent[0]["id"], "name": agent[0]["name"]},
        "period": period,
        "score": score,
        "previous_score": previous_score,
        "trend": scoring.trend(score, previous_score),
        "year_avg_score": scoring.mean(h["score"] for h in history),
        "kpis": list(await asyncio.gather(*(kpi(rule) for rule in kpi_rules))),
        "history": history,
    }


# The manager dashboard in one statement: sign-in check, scoring and per-team figures in SQL.
MANAGER_IN_ONE_STATEMENT = f"""
WITH c AS ({CALLER}),
attained AS (
    SELECT m.agent_id, k.weight, k.weight * LEAST(GREATEST(
        CASE WHEN k.higher_is_better THEN
            CASE WHEN k.target <= 0 THEN CASE WHEN m.value > 0 THEN 1.5 ELSE 1.0 END
                 ELSE m.value / k.target END
        ELSE CASE WHEN m.value <= 0 THEN 1.5 ELSE k.target / m.value END
        END, 0.0), 1.5) AS weighted
    FROM metrics m JOIN kpis k ON k.code = m.kpi_code
    WHERE m.period = $2 AND k.weight > 0
),
scores AS (
    SELECT agent_id, round((100 * sum(weighted) / sum(weight))::numeric, 1) AS score
    FROM attained GROUP BY agent_id
)
SELECT t.id, t.name, t.leader_id, l.name AS leader_name, count(a.id) AS agent_count,
       round(avg(s.score), 1)::float8 AS avg_score, min(s.score)::float8 AS min_score,
       max(s.score)::float8 AS max_score, count(*) FILTER (WHERE s.score < 100) AS below_target_count
FROM c JOIN teams t ON {TEAM_IN_SCOPE}
LEFT JOIN users l ON l.id = t.leader_id
LEFT JOIN users a ON a.team_id = t.id AND a.role = 'agent' AND a.active
LEFT JOIN scores s ON s.agent_id = a.id
GROUP BY t.id, t.name, t.leader_id, l.name
ORDER BY t.name, t.id
"""


async def manager_dashboard_limit(q: Queries, token: str, period: str) -> dict[str, Any] | None:
    rows = await q.fetch(MANAGER_IN_ONE_STATEMENT, hashlib.sha256(token.encode()).hexdigest(), period)
    if not rows:
        return None  # not signed in (or no team in scope: the benchmark's callers always have some)
    teams = [
        {
            "team": {"id": r["id"], "name": r["name"]},
            "leader": None if r["leader_id"] is None else {"id": r["leader_id"], "name": r["leader_name"]},
            **{
                key: r[key]
                for key in ("agent_count", "avg_score", "min_score", "max_score", "below_target_count")
            },
        }
        for r in rows
    ]
    return {"period": period, "teams": teams}


Handler = Callable[[Queries, tuple[str, str], dict[str, str]], Awaitable[dict[str, Any]]]


def route(path: str, params: dict[str, str]) -> Handler | None:
    if path == "/api/v1/dashboards/manager":
        return manager_dashboard
    if path == "/api/v1/dashboards/team":
        return team_dashboard
    parts = path.strip("/").split("/")
    if len(parts) == 5 and parts[:3] == ["api", "v1", "agents"] and parts[4] == "scorecard":
        params["agent_id"] = parts[3]
        return scorecard
    return None


async def answer(q: Queries, scope: Scope) -> tuple[int, Any]:
    if scope["path"] == "/readyz":
        return 200, {"status": "ready"}
    params = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    headers = dict(scope["headers"])
    scheme, _, token = headers.get(b"authorization", b"").decode().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return 401, {"code": "unauthorized"}
    if scope["path"] == "/limit/dashboards/manager":
        body = await manager_dashboard_limit(q, token, params["period"])
        return (401, {"code": "unauthorized"}) if body is None else (200, body)
    handler = route(scope["path"], params)
    if handler is None:
        return 404, {"code": "not_found"}
    who = await caller(q, token)
    if who is None:
        return 401, {"code": "unauthorized"}
    if who[1] not in STAFF:
        return 403, {"code": "forbidden"}
    try:
        return 200, await handler(q, who, params)
    except LookupError:
        return 404, {"code": "not_found"}


class BaselineApp:
    """The ASGI app: one asyncpg pool per worker process, opened at startup."""

    def __init__(self, database_url: str | None = None, pool_size: int = POOL_SIZE) -> None:
        self.database_url = database_url
        self.pool_size = pool_size
        self.queries: Queries | None = None

    async def open(self) -> Queries:
        url = self.database_url or os.environ["BASELINE_DATABASE_URL"]
        self.queries = Queries(await asyncpg.create_pool(url, min_size=1, max_size=self.pool_size))
        return self.queries

    async def close(self) -> None:
        if self.queries is not None:
            await self.queries.pool.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        q = self.queries or await self.open()
        status, body = await answer(q, scope)
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = BaselineApp()
