"""nosniff on every answer, no-store on token answers, and /metrics only when switched on."""

from __future__ import annotations

import httpx

from server.app import create_app
from server.db.engine import Database
from server.settings import Settings
from tests.factories import PASSWORD, World
from tests.server.conftest import Login


async def test_every_kind_of_answer_says_nosniff(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    headers = await sign_in("leader_a")
    answers = [
        await client.get("/livez"),
        await client.get("/readyz"),
        await client.get("/openapi.json"),
        await client.get("/api/v1/me", headers=headers),
        await client.get("/api/v1/me"),
        await client.get("/api/v1/nope"),
        await client.post("/api/v1/auth/login", content=b"{", headers={"Content-Type": "application/json"}),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 401, 404, 422]
    assert all(answer.headers.get("x-content-type-options") == "nosniff" for answer in answers)


async def test_token_answers_are_never_stored(client: httpx.AsyncClient, world: World) -> None:
    login = await client.post(
        "/api/v1/auth/login", json={"email": world.users["leader_a"].email, "password": PASSWORD}
    )
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    refused = await client.post(
        "/api/v1/auth/login", json={"email": world.users["leader_a"].email, "password": "wrong one"}
    )
    assert [login.status_code, refresh.status_code, refused.status_code] == [200, 200, 401]
    assert all(answer.headers.get("cache-control") == "no-store" for answer in (login, refresh, refused))


async def test_metrics_are_off_unless_switched_on(settings: Settings, db: Database) -> None:
    app = create_app(Settings(database_url=settings.database_url), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "coachhub_requests_total" not in response.text
