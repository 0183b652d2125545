from __future__ import annotations

import httpx

from tests.factories import World
from tests.server.conftest import Login


async def test_admin_creates_agent_and_patches_with_if_match(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("admin")
    team_id = world.teams["team_a"].id
    created = await client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={
            "email": "New.Agent@Example.com",
            "name": "New Agent",
            "role": "agent",
            "password": "long enough pw",
            "team_id": team_id,
            "employee_code": "X1",
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "new.agent@example.com" and user["version"] == 1
    assert created.headers["etag"] == '"1"'

    url = f"/api/v1/admin/users/{user['id']}"
    missing = await client.patch(url, headers=headers, json={"name": "Renamed"})
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"

    ok = await client.patch(url, headers={**headers, "If-Match": '"1"'}, json={"name": "Renamed"})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["name"] == "Renamed"

    stale = await client.patch(url, headers={**headers, "If-Match": '"1"'}, json={"name": "Again"})
    assert stale.status_code == 412
    assert stale.json()["code"] == "version_conflict" and stale.json()["current"]["name"] == "Renamed"


async def test_duplicate_email_is_a_validation_error(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("admin")
    response = await client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={
            "email": world.users["manager"].email.upper(),
            "name": "X",
            "role": "manager",
            "password": "long enough pw",
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


async def test_kpi_target_update_is_version_checked(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("admin")
    ok = await client.put(
        "/api/v1/admin/kpis/csat", headers={**headers, "If-Match": '"1"'}, json={"target": 88}
    )
    assert ok.status_code == 200 and ok.json()["target"] == 88 and ok.json()["version"] == 2
    stale = await client.put(
        "/api/v1/admin/kpis/csat", headers={**headers, "If-Match": '"1"'}, json={"weight": 3}
    )
    assert stale.status_code == 412 and stale.json()["current"]["target"] == 88
    unknown = await client.put(
        "/api/v1/admin/kpis/nope", headers={**headers, "If-Match": '"1"'}, json={"weight": 3}
    )
    assert unknown.status_code == 404


async def test_team_patch_moves_leadership(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    headers = await sign_in("admin")
    team = world.teams["team_a"]
    wrong_role = await client.patch(
        f"/api/v1/admin/teams/{team.id}",
        headers={**headers, "If-Match": '"1"'},
        json={"leader_id": world.users["agent_a1"].id},
    )
    assert wrong_role.status_code == 422
    ok = await client.patch(
        f"/api/v1/admin/teams/{team.id}",
        headers={**headers, "If-Match": '"1"'},
        json={"leader_id": world.users["leader_b"].id, "name": "Renamed"},
    )
    assert ok.status_code == 200 and ok.json()["leader_id"] == world.users["leader_b"].id


async def test_non_admins_are_forbidden(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    for key in ("manager", "leader_a", "agent_a1"):
        response = await client.post("/api/v1/admin/teams", headers=await sign_in(key), json={"name": "T"})
        assert response.status_code == 403, key


async def test_patch_with_one_field_leaves_the_others(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = {**(await sign_in("admin")), "If-Match": '"1"'}
    agent = world.users["agent_a1"]
    moved = await client.patch(
        f"/api/v1/admin/users/{agent.id}", headers=headers, json={"team_id": world.teams["team_b"].id}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["name"] == agent.name and moved.json()["team_id"] == world.teams["team_b"].id
    renamed = await client.patch(
        f"/api/v1/admin/teams/{world.teams['team_c'].id}", headers=headers, json={"manager_id": None}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == world.teams["team_c"].name


async def test_an_agent_given_a_first_team_reaches_the_new_leader(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    floater = await world.user("floater", "agent")
    leader = await sign_in("leader_a")
    snapshot = (await client.get("/api/v1/sync/changes", headers=leader)).json()
    cursor = snapshot["cursor"]
    while snapshot["has_more"]:
        snapshot = (await client.get("/api/v1/sync/changes", params={"since": cursor}, headers=leader)).json()
        cursor = snapshot["cursor"]
    assigned = await client.patch(
        f"/api/v1/admin/users/{floater.id}",
        headers={**(await sign_in("admin")), "If-Match": '"1"'},
        json={"team_id": world.teams["team_a"].id},
    )
    assert assigned.status_code == 200
    pulled = (await client.get("/api/v1/sync/changes", params={"since": cursor}, headers=leader)).json()
    assert {(c["entity"], c["id"], c["op"]) for c in pulled["changes"]} >= {("user", floater.id, "upsert")}
