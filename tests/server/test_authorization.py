"""Walks every API route with every role and with ids outside the caller's scope.

No route may answer 5xx, leak an out-of-scope record in a 2xx body, or let a non-admin write
outside their scope. New routes are covered automatically: the walk reads the app's route table.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.api.routing import ApiRoute
from server.app import create_app
from server.db.engine import Database
from server.db.models import CoachingSession
from server.settings import Settings
from shared.types import utcnow
from tests.factories import World
from tests.ids import uid
from tests.server.conftest import Login

ROLES = ("agent_a1", "leader_a", "manager")
PARAM = re.compile(r"{(\w+)}")


async def _foreign_session(db: Database, world: World, status: str) -> CoachingSession:
    starts = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    now = utcnow()
    row = CoachingSession(
        id=str(uuid.uuid4()),
        agent_id=world.users["agent_c1"].id,
        coach_id=world.users["leader_c"].id,
        starts_at=starts + (timedelta(hours=2) if status == "conflict" else timedelta()),
        ends_at=starts
        + timedelta(minutes=30)
        + (timedelta(hours=2) if status == "conflict" else timedelta()),
        status=status,
        topic="Foreign topic",
        notes="",
        created_by=world.users["leader_c"].id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with db.write() as session:
        session.add(row)
    return row


def _api_routes(settings: Settings) -> list[ApiRoute]:
    return [route for route in create_app(settings).routes if isinstance(route, ApiRoute)]


def _foreign_path(route: ApiRoute, ids: dict[str, str]) -> str:
    path = route.path_format
    for name in PARAM.findall(path):
        if name == "code":
            value = "csat"
        elif "/admin/teams/" in path:
            value = ids["team"]
        elif "/admin/users/" in path or "/agents/" in path:
            value = ids["agent"]
        elif "/conflicts/" in path:
            value = ids["conflict"]
        else:
            value = ids["session"]
        path = path.replace("{" + name + "}", value)
    return path


def _foreign_query(ids: dict[str, str]) -> dict[str, str]:
    return {
        "team_id": ids["team"],
        "agent_id": ids["agent"],
        "coach_id": ids["leader"],
        "period": "2026-01",
        "date": (datetime.now(UTC) + timedelta(days=3)).date().isoformat(),
        "duration_minutes": "30",
    }


def _foreign_body(route: ApiRoute, ids: dict[str, str]) -> Any:
    starts = (datetime.now(UTC) + timedelta(days=5)).replace(hour=11, minute=0, second=0, microsecond=0)
    window = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=30)).isoformat()}
    if route.path_format.endswith("/sessions"):
        return {"agent_id": ids["agent"], "topic": "t", **window}
    if "/resolve" in route.path_format:
        return {"action": "reschedule", **window}
    if "/sessions/" in route.path_format:
        return {"topic": "stolen"}
    if route.path_format.endswith("/sync/push"):
        return {
            "client_id": uid("c1"),
            "mutations": [
                {
                    "mutation_id": uid("m1"),
                    "type": "update_session",
                    "session_id": ids["session"],
                    "base_version": 1,
                    "data": {"topic": "stolen"},
                }
            ],
        }
    return {}


def _leaks(text: str, ids: dict[str, str]) -> list[str]:
    return [name for name, value in ids.items() if value in text]


@pytest.fixture
async def foreign_ids(db: Database, world: World) -> dict[str, str]:
    """Ids in team_c: outside the scope of agent_a1, leader_a and manager."""
    session = await _foreign_session(db, world, "scheduled")
    conflict = await _foreign_session(db, world, "conflict")
    return {
        "team": world.teams["team_c"].id,
        "agent": world.users["agent_c1"].id,
        "leader": world.users["leader_c"].id,
        "session": session.id,
        "conflict": conflict.id,
    }


async def test_anonymous_callers_get_401_everywhere(client: httpx.AsyncClient, settings: Settings) -> None:
    for route in _api_routes(settings):
        if not route.contract.auth:
            continue
        path = PARAM.sub(str(uuid.uuid4()), route.path_format)
        response = await client.request(route.method, path, json={})
        assert response.status_code == 401, f"{route.method} {route.path_format}: {response.status_code}"
        assert response.json()["code"] == "unauthorized"


async def test_no_role_reaches_outside_its_scope(
    client: httpx.AsyncClient, settings: Settings, sign_in: Login, foreign_ids: dict[str, str]
) -> None:
    checked = 0
    for role in ROLES:
        headers = await sign_in(role)
        for route in _api_routes(settings):
            if not route.contract.auth or route.path_format.endswith(("/auth/logout", "/events")):
                # Logging out ends the walk's own login; the event stream never ends, and who it
                # pokes is walked in tests/server/test_events.py.
                continue
            response = await client.request(
                route.method,
                _foreign_path(route, foreign_ids),
                params=_foreign_query(foreign_ids),
                json=_foreign_body(route, foreign_ids),
                headers={**headers, "If-Match": '"1"', "Idempotency-Key": str(uuid.uuid4())},
            )
            where = f"{role} {route.method} {route.path_format}: {response.status_code} {response.text[:300]}"
            assert response.status_code < 500, where
            if response.status_code < 300:
                assert route.method == "GET" or route.path_format.endswith("/sync/push"), where
                assert not _leaks(response.text, foreign_ids), where
            if route.path_format.endswith("/sync/push") and response.status_code == 200:
                assert all(r["status"] != "applied" for r in response.json()["results"]), where
            checked += 1
    assert checked >= 3 * 10


async def test_unknown_ids_are_404_for_everyone(
    client: httpx.AsyncClient, settings: Settings, sign_in: Login
) -> None:
    for role in (*ROLES, "admin"):
        headers = await sign_in(role)
        for route in _api_routes(settings):
            admin_only = route.path_format.startswith("/api/v1/admin/")
            if "{" not in route.path_format or (admin_only and role != "admin"):
                continue
            path = PARAM.sub("no-such-" + uuid.uuid4().hex, route.path_format)
            response = await client.request(
                route.method,
                path,
                params={"period": "2026-01"},
                json=_foreign_body(
                    route, {"agent": "x", "session": "x", "team": "x", "leader": "x", "conflict": "x"}
                ),
                headers={**headers, "If-Match": '"1"'},
            )
            assert response.status_code in (404, 422), (
                f"{role} {route.method} {route.path_format}: {response.status_code}"
            )
