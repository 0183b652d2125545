"""Ids are UUIDs, checked at the edge; decoded cursors are checked like any other input.

A client-chosen session id used to be any string: ``"ü\\u202e"`` was committed and then failed in
every header it was put in, ``a/b`` and ``free-slots`` could not be fetched back. A crafted sync or
listing cursor carried a NUL or a lone surrogate into SQL.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db.models import CoachingSession
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_sync_support import pull

BOOKING = {"starts_at": "2031-03-04T10:00:00Z", "ends_at": "2031-03-04T11:00:00Z", "topic": "1:1"}
NOT_IDS = ["ü\u202e", "a/b", "free-slots", "../../admin", "", "x" * 64, str(uuid.uuid4()) + "\n"]
HOSTILE_TEXT = ["\x00", "\ud800", "a\x00b", "\udfff" * 3]


def _encode(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return document


async def test_a_client_chosen_session_id_must_be_a_uuid(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    for bad in NOT_IDS:
        response = await client.post(
            "/api/v1/sessions",
            json={"id": bad, "agent_id": agent, **BOOKING},
            headers={**leader, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["code"] == "validation_error"
    chosen = str(uuid.uuid4())
    created = await client.post(
        "/api/v1/sessions",
        json={"id": chosen.upper(), "agent_id": agent, **BOOKING},
        headers={**leader, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == chosen
    assert created.headers["location"].endswith(f"/sessions/{chosen}")
    fetched = await client.get(f"/api/v1/sessions/{chosen.upper()}", headers=leader)
    assert fetched.status_code == 200 and fetched.json()["id"] == chosen


async def test_a_push_with_a_non_uuid_id_is_refused_whole(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    data = {"agent_id": world.users["agent_a1"].id, **BOOKING}
    for field in ("session_id", "mutation_id"):
        mutation = {
            "mutation_id": str(uuid.uuid4()), "type": "create_session", "session_id": str(uuid.uuid4()),
            "data": data, field: "ü\u202e",
        }
        response = await client.post(
            "/api/v1/sync/push",
            json={"client_id": str(uuid.uuid4()), "mutations": [mutation]},
            headers=leader,
        )
        assert response.status_code == 422, (field, response.text)
    async with world.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingSession)) == 0


async def test_an_id_in_the_path_that_is_no_uuid_names_nothing(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin = await sign_in("admin")
    for path in (
        "/api/v1/sessions/not-an-id",
        "/api/v1/sessions/%C3%BC%E2%80%AE",
        "/api/v1/agents/a%00b/scorecard?period=2031-01",
        "/api/v1/agents/%ED%A0%80/scorecard?period=2031-01",
    ):
        response = await client.get(path, headers=admin)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == "not_found"
    patched = await client.patch(
        "/api/v1/admin/teams/not-an-id", json={"name": "x"}, headers={**admin, "If-Match": '"1"'}
    )
    assert patched.status_code == 404


async def test_ids_in_queries_are_checked(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    admin = await sign_in("admin")
    for query in ("team_id=%00", "team_id=a%00b", "team_id=not-an-id", "team_id=%ED%A0%80"):
        response = await client.get(f"/api/v1/agents?{query}", headers=admin)
        assert response.status_code == 422, (query, response.text)
    for query in ("agent_id=%00", "coach_id=x", "team_id=%00"):
        response = await client.get(f"/api/v1/sessions?{query}", headers=admin)
        assert response.status_code == 422, (query, response.text)


async def test_a_crafted_sync_cursor_is_refused(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    first = await pull(client, leader, limit=1)
    genuine = _decode(first["cursor"])
    assert genuine["snap"][1], "a snapshot cursor with a key to continue after"
    for entity in range(5):
        for text in HOSTILE_TEXT:
            for key in ([text], [text, "2031-01", text], [str(uuid.uuid4()), text, "aht"]):
                crafted = _encode({**genuine, "snap": [entity, key]})
                response = await client.get(
                    "/api/v1/sync/changes", params={"since": crafted}, headers=leader
                )
                assert response.status_code == 410, (entity, key, response.text)
                assert response.json()["code"] == "cursor_expired"
    nested = _encode({**genuine, "snap": [0, [[[[["x"]]]]]]})
    response = await client.get("/api/v1/sync/changes", params={"since": nested}, headers=leader)
    assert response.status_code == 410


async def test_a_crafted_listing_cursor_is_refused(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    for starts, session_id in [
        ("2031-01-01T00:00:00+00:00", "\x00"),
        ("2031-01-01T00:00:00+00:00", "\ud800"),
        ("2031-01-01T00:00:00+00:00", "not-an-id"),
        ("0001-01-01T00:00:00+01:00", str(uuid.uuid4())),
        ("2031-01-01T00:00:00", str(uuid.uuid4())),
    ]:
        cursor = base64.urlsafe_b64encode(json.dumps([starts, session_id]).encode()).decode()
        response = await client.get("/api/v1/sessions", params={"cursor": cursor}, headers=leader)
        assert response.status_code == 422, (starts, session_id, response.text)
