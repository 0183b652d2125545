from __future__ import annotations

import httpx

from tests.factories import PASSWORD, World
from tests.server.conftest import Login


async def test_login_returns_tokens_and_user(client: httpx.AsyncClient, world: World) -> None:
    user = world.users["leader_a"]
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == user.id
    assert "password_hash" not in body["user"]


async def test_me_lists_teams_in_scope(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    response = await client.get("/api/v1/me", headers=await sign_in("manager"))
    assert response.status_code == 200
    assert sorted(response.json()["team_ids"]) == sorted([world.teams["team_a"].id, world.teams["team_b"].id])


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, world: World
) -> None:
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": world.users["admin"].email, "password": "nope"}
    )
    unknown = await client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_refresh_rotates_and_reuse_revokes_the_whole_login(
    client: httpx.AsyncClient, world: World
) -> None:
    first = (
        await client.post(
            "/api/v1/auth/login", json={"email": world.users["leader_a"].email, "password": PASSWORD}
        )
    ).json()
    second = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    ).status_code == 200

    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["code"] == "unauthorized"
    # Theft detected: the access and refresh tokens issued by the rotation are dead too.
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    ).status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    ).status_code == 401


async def test_logout_ends_the_login(client: httpx.AsyncClient, sign_in: Login) -> None:
    headers = await sign_in("agent_a1")
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_bad_bodies_are_validation_problems(client: httpx.AsyncClient) -> None:
    for body in (b"not json", b"[]", b'{"email": "x"}', b'{"email": "a@b.co", "password": "x", "extra": 1}'):
        response = await client.post(
            "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "validation_error"
