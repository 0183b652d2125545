from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from server.app import create_app
from server.db.engine import Database
from server.services import mail
from server.services.tokens import token_hash
from server.settings import Settings
from tests.factories import PASSWORD, World
from tests.server.raw_asgi import is_last_body, post_json

LINK = re.compile(r"^coachhub://reset-password\?token=(\S+)$", re.MULTILINE)
NEW_PASSWORD = "a brand new password"


def reset_token_from_mail(mail_dir: Path) -> str:
    mails = sorted(mail_dir.glob("*.eml"))
    assert mails, "no mail written"
    match = LINK.search(mails[-1].read_text())
    assert match, mails[-1].read_text()
    return match.group(1)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_two_concurrent_confirms_exactly_one_wins_and_old_credentials_die(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    email = world.users["leader_a"].email
    old_logins = [(await _login(client, email, PASSWORD)).json() for _ in range(2)]
    assert (await client.post("/api/v1/auth/password-reset", json={"email": email})).status_code == 202
    assert settings.mail_dir is not None
    token = reset_token_from_mail(settings.mail_dir)

    confirm = {"token": token, "new_password": NEW_PASSWORD}
    answers = await asyncio.gather(
        *(client.post("/api/v1/auth/password-reset/confirm", json=confirm) for _ in range(2))
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [204, 400]
    loser = next(answer for answer in answers if answer.status_code == 400)
    assert loser.json()["code"] == "token_invalid"
    assert (await _login(client, email, PASSWORD)).status_code == 401
    assert (await _login(client, email, NEW_PASSWORD)).status_code == 200
    for pair in old_logins:
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 401
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 401


async def test_unknown_email_gets_the_same_answer(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    known = await client.post("/api/v1/auth/password-reset", json={"email": world.users["agent_a1"].email})
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    assert settings.mail_dir is not None
    assert len(list(settings.mail_dir.glob("*.eml"))) == 1


async def test_only_the_newest_token_is_live(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    email = world.users["agent_a1"].email
    assert settings.mail_dir is not None
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    first = reset_token_from_mail(settings.mail_dir)
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    second = reset_token_from_mail(settings.mail_dir)
    assert first != second
    stale = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": first, "new_password": NEW_PASSWORD}
    )
    assert stale.status_code == 400 and stale.json()["code"] == "token_invalid"
    fresh = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD}
    )
    assert fresh.status_code == 204
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD}
    )
    assert again.status_code == 400


async def test_unknown_and_expired_tokens_are_invalid(
    client: httpx.AsyncClient, world: World, settings: Settings, db: object
) -> None:
    from sqlalchemy import update

    from server.db.engine import Database
    from server.db.models import PasswordResetToken
    from shared.types import utcnow

    assert isinstance(db, Database) and settings.mail_dir is not None
    unknown = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": "rst_nope", "new_password": NEW_PASSWORD}
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "token_invalid"
    await client.post("/api/v1/auth/password-reset", json={"email": world.users["agent_a2"].email})
    token = reset_token_from_mail(settings.mail_dir)
    async with db.write() as session:
        await session.execute(update(PasswordResetToken).values(expires_at=utcnow()))
    expired = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert expired.status_code == 400


async def test_reset_floods_are_rate_limited(client: httpx.AsyncClient, settings: Settings) -> None:
    answers = [
        await client.post("/api/v1/auth/password-reset", json={"email": "someone@example.com"})
        for _ in range(settings.reset_requests_per_window + 1)
    ]
    assert [a.status_code for a in answers[:-1]] == [202] * settings.reset_requests_per_window
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["retry-after"]) > 0
    assert answers[-1].json()["code"] == "rate_limited"


async def test_mail_is_stored_in_the_outbox_and_has_no_token_in_the_database(
    client: httpx.AsyncClient, world: World, settings: Settings, db: object
) -> None:
    from sqlalchemy import select

    from server.db.engine import Database
    from server.db.models import MailOutbox, PasswordResetToken

    assert isinstance(db, Database) and settings.mail_dir is not None
    await client.post("/api/v1/auth/password-reset", json={"email": world.users["agent_a1"].email})
    token = reset_token_from_mail(settings.mail_dir)
    async with db.read() as session:
        stored = list(await session.scalars(select(PasswordResetToken.token_hash)))
        outbox = list(await session.scalars(select(MailOutbox)))
    assert len(stored) == 1 and token not in stored[0]
    assert len(outbox) == 1 and outbox[0].sent_at is not None


LOCK_TOKEN_ROW = text("SELECT 1 FROM password_reset_tokens WHERE token_hash = :h FOR UPDATE")
WAITING_ON_LOCKS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite serialises writers anyway
async def test_confirms_queued_behind_one_lock_still_have_one_winner(
    world: World, settings: Settings, db: Database
) -> None:
    """Force the worst interleaving: every confirm reaches the token row while another transaction
    holds it. A read-then-write consume would then let all of them through once the lock goes."""
    assert settings.mail_dir is not None
    confirms = 6
    # A sign-in lane wide enough for every confirm to reach the database at once.
    app = create_app(settings.with_(password_hash_concurrency=confirms), db)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://coachhub.test")
    await client.post("/api/v1/auth/password-reset", json={"email": world.users["leader_b"].email})
    token = reset_token_from_mail(settings.mail_dir)
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as blocker, engine.connect() as observer:
        await blocker.begin()
        await blocker.execute(LOCK_TOKEN_ROW, {"h": token_hash(token)})
        pending = [
            asyncio.ensure_future(
                client.post(
                    "/api/v1/auth/password-reset/confirm",
                    json={"token": token, "new_password": f"{NEW_PASSWORD} {i}"},
                )
            )
            for i in range(confirms)
        ]
        await _until_waiting_on_locks(observer, confirms)
        await blocker.rollback()
    await engine.dispose()
    answers = await asyncio.gather(*pending)
    await client.aclose()
    assert sorted(a.status_code for a in answers) == [204] + [400] * (confirms - 1)


async def _until_waiting_on_locks(connection: AsyncConnection, count: int) -> None:
    for _ in range(500):
        # Each poll is its own transaction: pg_stat_activity is frozen inside one.
        waiting = await connection.scalar(WAITING_ON_LOCKS)
        await connection.rollback()
        if (waiting or 0) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the {count} confirms never queued on the token row")


async def test_the_answer_goes_out_before_the_mail_is_delivered(
    settings: Settings, db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Delivery (SMTP can take seconds) must not make a known address answer slower than an unknown one."""
    events: list[str] = []
    deliver = mail.deliver

    async def recorded_deliver(*args: object) -> None:
        events.append("delivered")
        await deliver(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(mail, "deliver", recorded_deliver)
    app = create_app(settings, db)

    async def send(message: dict[str, Any]) -> None:
        if is_last_body(message):
            events.append("answered")

    body = {"email": world.users["leader_a"].email}
    await post_json(app, "/api/v1/auth/password-reset", body, "127.0.0.1", send)
    assert events == ["answered", "delivered"]
    assert settings.mail_dir is not None and reset_token_from_mail(settings.mail_dir)
