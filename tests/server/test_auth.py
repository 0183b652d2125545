from __future__ import annotations

import httpx

from tests.factories import PASSWORD, World
from tests.server.conftest import Login


async def test_login_returns_tokens_and_user(client: httpx.AsyncClient, world: World) -> None:
    user = world.users["leader_a"]
    response = await client.post("/api/v1/auth/login", json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == user.id
    assert "password_hash" not in body["user"]


async def test_me_lists_teams_in_scope(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    response = await client.get("/api/v1/me", headers=await sign_in("manager"))
    assert response.status_code == 200
    assert sorted(response.json()["team_ids"]) == sorted([world.teams["team_a"].id, world.teams["team_b"].id])
