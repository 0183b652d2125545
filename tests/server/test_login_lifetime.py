"""How long a login lives: deactivation ends it for good, and refreshing cannot stretch it past
its absolute lifetime."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.app import create_app
from server.db.engine import Database
from server.db.models import AuthToken
from server.settings import Settings
from shared.types import utcnow
from tests.factories import PASSWORD, World, login
from tests.server.conftest import Login


async def _sign_in(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def _set_active(
    client: httpx.AsyncClient, admin: dict[str, str], user_id: str, active: bool, version: int
) -> None:
    headers = {**admin, "If-Match": f'"{version}"'}
    response = await client.patch(f"/api/v1/admin/users/{user_id}", headers=headers, json={"active": active})
    assert response.status_code == 200, response.text


async def test_deactivation_ends_every_login_for_good(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    agent = world.users["agent_a1"]
    pairs = [await _sign_in(client, agent.email) for _ in range(2)]
    admin = await sign_in("admin")
    await _set_active(client, admin, agent.id, False, version=agent.version)
    await _set_active(client, admin, agent.id, True, version=agent.version + 1)
    for pair in pairs:
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 401
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 401
    # The account itself works again: a new sign-in does.
    assert (await client.get("/api/v1/me", headers=await login(client, agent.email))).status_code == 200


MAX_AGE = 3600


async def _refresh_expiries(db: Database) -> list[float]:
    """Seconds from now to the end of each live refresh token."""
    async with db.read() as session:
        ends = await session.scalars(
            select(AuthToken.expires_at).where(AuthToken.kind == "refresh", AuthToken.rotated_at.is_(None))
        )
        return [(end - utcnow()).total_seconds() for end in ends]


async def test_refreshing_never_carries_a_login_past_its_absolute_lifetime(
    settings: Settings, db: Database, world: World
) -> None:
    short = settings.with_(refresh_token_max_age=MAX_AGE)
    app = create_app(short, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        pair = await _sign_in(client, world.users["leader_a"].email)
        [left] = await _refresh_expiries(db)
        assert left <= MAX_AGE < short.refresh_token_ttl
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 200
        [still_left] = await _refresh_expiries(db)
        assert still_left <= left  # a refresh starts the sliding lifetime again, not the absolute one

        # An hour passes (every stored moment moves an hour back instead of the test waiting).
        async def an_hour_passes(session: AsyncSession) -> None:
            hour = timedelta(seconds=MAX_AGE)
            for token in await session.scalars(select(AuthToken)):
                token.created_at -= hour
                token.expires_at -= hour
                if token.login_expires_at is not None:
                    token.login_expires_at -= hour

        await db.run_write(an_hour_passes)
        expired = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
        )
        assert expired.status_code == 401
