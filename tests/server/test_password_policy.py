"""A chosen password follows the policy wherever one is chosen: admin-created users and resets."""

from __future__ import annotations

import httpx
import pytest

from server.settings import Settings
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_password_reset import reset_token_from_mail

WEAK = ["password", "12345678", " " * 8, "Password1", "1111111111"]


def _assert_refused_in_plain_words(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    [error] = body["errors"]
    assert error["type"] == "password_too_weak"
    assert "choose another" in error["message"]


@pytest.mark.parametrize("weak", WEAK)
async def test_an_admin_cannot_give_a_common_password(
    client: httpx.AsyncClient, world: World, sign_in: Login, weak: str
) -> None:
    response = await client.post(
        "/api/v1/admin/users",
        headers=await sign_in("admin"),
        json={"email": "weak@example.com", "name": "Weak", "role": "manager", "password": weak},
    )
    _assert_refused_in_plain_words(response)


async def test_a_reset_refuses_common_passwords_and_keeps_the_token_for_a_good_one(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    email = world.users["leader_a"].email
    assert (await client.post("/api/v1/auth/password-reset", json={"email": email})).status_code == 202
    assert settings.mail_dir is not None
    token = reset_token_from_mail(settings.mail_dir)
    for weak in WEAK:
        refused = await client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": weak}
        )
        _assert_refused_in_plain_words(refused)
    accepted = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": "tea at nine, not ten"}
    )
    assert accepted.status_code == 204
