"""A reset token is stored in clear nowhere: not in the outbox (delivered or not), and purge
removes an expired token with its mail. Mail files and the SQLite files are the owner's only."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.app import create_app
from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import MailOutbox, PasswordResetToken
from server.services.maintenance import purge
from server.settings import Settings
from shared.types import utcnow
from tests.factories import World
from tests.server.test_password_reset import reset_token_from_mail


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _everything_stored(db: Database) -> str:
    """Every row of the tables that could hold a token, as text."""
    async with db.read() as session:
        rows = [
            str(tuple(row))
            for table in ("mail_outbox", "password_reset_tokens", "auth_tokens", "rate_limit_counters")
            for row in await session.execute(text(f"SELECT * FROM {table}"))
        ]
    return "\n".join(rows)


async def _outbox(db: Database) -> list[MailOutbox]:
    async with db.read() as session:
        return list(await session.scalars(select(MailOutbox)))


async def test_a_delivered_reset_mail_keeps_no_token(
    client: httpx.AsyncClient, world: World, settings: Settings, db: Database
) -> None:
    assert (
        await client.post("/api/v1/auth/password-reset", json={"email": world.users["agent_a1"].email})
    ).status_code == 202
    assert settings.mail_dir is not None
    token = reset_token_from_mail(settings.mail_dir)
    [mail] = await _outbox(db)
    assert mail.sent_at is not None
    assert "reset-password?token=" in mail.body  # the mail as sent, less the secret
    assert token not in await _everything_stored(db)
    assert token.split("_", 1)[1] not in await _everything_stored(db)


async def test_an_undelivered_reset_mail_keeps_no_token_and_expires_with_it(
    settings: Settings, db: Database, world: World
) -> None:
    undelivered = settings.with_(mail_dir=None, smtp_url=None)
    app = create_app(undelivered, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await client.post("/api/v1/auth/password-reset", json={"email": world.users["agent_a2"].email})
    [mail] = await _outbox(db)
    async with db.read() as session:
        [reset] = list(await session.scalars(select(PasswordResetToken)))
    assert mail.sent_at is None
    assert reset.token_hash not in mail.body and "rst_" not in mail.body
    assert mail.expires_at == reset.expires_at


async def test_purge_removes_an_expired_token_with_its_mail_and_mail_file(
    client: httpx.AsyncClient, world: World, settings: Settings, db: Database
) -> None:
    for user in ("agent_a1", "leader_a"):
        await client.post("/api/v1/auth/password-reset", json={"email": world.users[user].email})
    assert settings.mail_dir is not None and len(list(settings.mail_dir.glob("*.eml"))) == 2
    expired = world.users["agent_a1"].id
    past = utcnow() - timedelta(minutes=1)

    async def expire(session: AsyncSession) -> None:
        await session.execute(
            update(PasswordResetToken).where(PasswordResetToken.user_id == expired).values(expires_at=past)
        )
        await session.execute(
            update(MailOutbox)
            .where(MailOutbox.recipient == world.users["agent_a1"].email)
            .values(expires_at=past)
        )

    await db.run_write(expire)
    report = await purge(db, settings)
    assert report.reset_tokens == 1 and report.expired_mails == 1
    assert [mail.recipient for mail in await _outbox(db)] == [world.users["leader_a"].email]
    [left] = settings.mail_dir.glob("*.eml")
    assert world.users["leader_a"].email in left.read_text()


async def test_mail_files_are_the_owners_only(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    assert settings.mail_dir is not None and not settings.mail_dir.exists()
    await client.post("/api/v1/auth/password-reset", json={"email": world.users["agent_a1"].email})
    [mail] = settings.mail_dir.glob("*.eml")
    assert _mode(settings.mail_dir) == 0o700
    assert _mode(mail) == 0o600


async def test_a_new_sqlite_database_is_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "coachhub.sqlite3"
    path.parent.mkdir()
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    db = Database(Settings(database_url=url))
    try:
        async with db.read() as session:
            await session.execute(text("SELECT count(*) FROM users"))
            # While a connection is open the -wal and -shm files exist too.
            modes = {file.name: _mode(file) for file in path.parent.iterdir()}
    finally:
        await db.dispose()
    assert set(modes) == {"coachhub.sqlite3", "coachhub.sqlite3-wal", "coachhub.sqlite3-shm"}
    assert set(modes.values()) == {0o600}
