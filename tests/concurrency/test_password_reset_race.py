"""Concurrent confirms of one reset token across worker processes: exactly one wins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from server.db.engine import Database
from server.db.models import PasswordResetToken
from server.services.tokens import new_token, token_hash
from shared.types import utcnow
from tests.factories import PASSWORD, World

CONFIRMS = 12


async def test_one_token_many_processes_one_winner(live_client: httpx.AsyncClient, live_db: Database) -> None:
    world = World(live_db)
    await world.user("reset_racer", "manager")
    user = world.users["reset_racer"]
    login = await live_client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == 200
    token = new_token("rst")
    now = utcnow()
    async with live_db.write() as session:
        session.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=token_hash(token),
                expires_at=now + timedelta(minutes=30),
                created_at=now,
            )
        )

    answers = await asyncio.gather(
        *(
            live_client.post(
                "/api/v1/auth/password-reset/confirm",
                json={"token": token, "new_password": f"new password number {i}"},
            )
            for i in range(CONFIRMS)
        )
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [204] + [400] * (CONFIRMS - 1), statuses
    assert all(a.json()["code"] == "token_invalid" for a in answers if a.status_code == 400)
    old_refresh = await live_client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert old_refresh.status_code == 401
    old_password = await live_client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert old_password.status_code == 401
