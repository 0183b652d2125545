"""Absurd input is a 4xx, never a 500: NUL characters, far-off dates, huge numbers, NaN.

PostgreSQL refuses NUL in text, datetime arithmetic overflows near year 1 and 9999, an Integer
column overflows on a huge bound parameter, and NaN/Infinity cannot be written back as JSON.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories import World
from tests.ids import uid
from tests.server.conftest import Login

NUL = "a\x00b"
CLIENT = uid("c")
BOOKING = {"starts_at": "2031-03-04T10:00:00Z", "ends_at": "2031-03-04T11:00:00Z", "topic": "1:1"}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _book(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/sessions", json=body, headers={**headers, **_key()})


async def test_nul_characters_in_a_booking_are_a_422(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    for field in ("topic", "notes", "id", "agent_id", "coach_id"):
        body = {"agent_id": agent, **BOOKING, field: NUL}
        response = await _book(client, leader, body)
        assert response.status_code == 422, (field, response.text)
    created = await _book(client, leader, {"agent_id": agent, **BOOKING})
    assert created.status_code == 201
    patched = await client.patch(
        f"/api/v1/sessions/{created.json()['id']}", json={"notes": NUL}, headers={**leader, "If-Match": '"1"'}
    )
    assert patched.status_code == 422


async def test_nul_characters_in_ids_and_admin_fields(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, manager = await sign_in("admin"), await sign_in("manager")
    assert (await client.get("/api/v1/sessions/a%00b", headers=manager)).status_code == 404
    assert (
        await client.get("/api/v1/agents/a%00b/scorecard?period=2031-01", headers=manager)
    ).status_code == 404
    assert (
        await client.get("/api/v1/dashboards/team?period=2031-01&team_id=a%00b", headers=manager)
    ).status_code == 422
    user = {"email": "new@example.com", "name": "New", "role": "agent", "password": "long enough"}
    for field in ("name", "employee_code", "team_id"):
        response = await client.post("/api/v1/admin/users", json={**user, field: NUL}, headers=admin)
        assert response.status_code == 422, (field, response.text)
    for field in ("name", "leader_id", "manager_id"):
        response = await client.post("/api/v1/admin/teams", json={"name": "T", field: NUL}, headers=admin)
        assert response.status_code == 422, (field, response.text)
    agent = world.users["agent_a1"]
    patched = await client.patch(
        f"/api/v1/admin/users/{agent.id}", json={"team_id": NUL}, headers={**admin, "If-Match": '"1"'}
    )
    assert patched.status_code == 422
    missing = await client.patch(
        "/api/v1/admin/users/a%00b", json={"name": "x"}, headers={**admin, "If-Match": '"1"'}
    )
    assert missing.status_code == 404
    csv = f"employee_code,period,kpi,value\n{agent.employee_code}\x00,2031-01,aht,300\n"
    imported = await client.post(
        "/api/v1/admin/metrics/import", content=csv, headers={**admin, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 422
    assert imported.json()["errors"] == [{"row": 2, "message": "the row contains a NUL character"}]


async def test_nul_characters_in_a_push_reject_that_mutation_only(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    body = {"agent_id": world.users["agent_a1"].id, **BOOKING, "topic": NUL}
    mutation = {
        "mutation_id": uid("m1"), "type": "create_session", "session_id": str(uuid.uuid4()), "data": body
    }
    response = await client.post(
        "/api/v1/sync/push", json={"client_id": CLIENT, "mutations": [mutation]}, headers=leader
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "rejected"
    broken_id = {**mutation, "session_id": NUL, "data": {**body, "topic": "ok"}}
    response = await client.post(
        "/api/v1/sync/push", json={"client_id": CLIENT, "mutations": [broken_id]}, headers=leader
    )
    assert response.status_code == 422


async def test_timestamps_near_the_ends_of_the_calendar_are_a_422(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    agent = world.users["agent_a1"].id
    far_off = [
        ("0001-01-01T00:30:00+01:00", "0001-01-01T01:30:00+01:00"),  # before year 1 in UTC
        ("9999-12-31T23:00:00-05:00", "9999-12-31T23:30:00-05:00"),  # after year 9999 in UTC
        ("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z"),  # suggestions would run off the end
        ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
    ]
    for starts, ends in far_off:
        for _attempt in range(2):  # the second one would clash and search for free slots
            response = await _book(
                client, leader, {**BOOKING, "agent_id": agent, "starts_at": starts, "ends_at": ends}
            )
            assert response.status_code == 422, (starts, response.text)
    for query in ("from=0001-01-01T00:00:00%2B01:00", "to=9999-12-31T23:59:59-05:00"):
        assert (await client.get(f"/api/v1/sessions?{query}", headers=leader)).status_code == 422, query
    mutation = {
        "mutation_id": uid("m1"),
        "type": "create_session",
        "session_id": str(uuid.uuid4()),
        "data": {**BOOKING, "agent_id": agent, "starts_at": far_off[0][0], "ends_at": far_off[0][1]},
    }
    pushed = await client.post(
        "/api/v1/sync/push", json={"client_id": CLIENT, "mutations": [mutation]}, headers=leader
    )
    assert pushed.json()["results"][0]["status"] == "rejected"


async def test_a_huge_if_match_is_stale_not_an_overflow(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin = await sign_in("admin")
    for path, body in (
        (f"/api/v1/admin/users/{world.users['agent_a1'].id}", {"name": "x"}),
        (f"/api/v1/admin/teams/{world.teams['team_a'].id}", {"name": "x"}),
    ):
        response = await client.patch(
            path, json=body, headers={**admin, "If-Match": '"99999999999999999999"'}
        )
        assert response.status_code == 412, response.text
        assert response.json()["current"]["version"] == 1
    kpi = await client.put(
        "/api/v1/admin/kpis/aht", json={"target": 300}, headers={**admin, "If-Match": '"4294967296"'}
    )
    assert kpi.status_code == 412


async def test_kpi_settings_stay_finite(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    admin = await sign_in("admin")
    headers = {**admin, "If-Match": '"1"', "Content-Type": "application/json"}
    for body in (b'{"target": Infinity}', b'{"weight": NaN}', b'{"weight": 1e308}', b'{"target": 1e300}'):
        response = await client.put("/api/v1/admin/kpis/csat", content=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
    assert (await client.get("/api/v1/kpis", headers=admin)).status_code == 200


async def test_if_match_must_be_ascii_digits(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    admin = await sign_in("admin")
    path = f"/api/v1/admin/teams/{world.teams['team_a'].id}"
    # "²" (latin-1 on the wire) passes str.isdigit() but is no version; 5,000 digits exceed int()'s limit.
    for tag in (b'"\xb2"', b'"\xb9"', b'"' + b"9" * 5000 + b'"', b'"1.0"', b'"-1"'):
        response = await client.patch(path, json={"name": "x"}, headers={**admin, "If-Match": tag})
        assert response.status_code == 422, (tag[:10], response.text)
        assert response.json()["code"] == "validation_error"
