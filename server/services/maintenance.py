"""Housekeeping for ``coachhub-server purge``: expired tokens, counters, keys and old changes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import AuthToken, MailOutbox, PasswordResetToken, RateLimitCounter, SignInFailure
from server.services.mail import mail_file_pattern
from server.services.sign_in_throttle import FORGET_AFTER
from server.settings import Settings
from shared.types import utcnow


@dataclass(frozen=True)
class PurgeReport:
    auth_tokens: int
    reset_tokens: int
    rate_limit_counters: int
    sign_in_failures: int
    expired_mails: int
    idempotency_keys: int
    changes: int


@dataclass(frozen=True)
class CredentialsPurged:
    auth_tokens: int
    reset_tokens: int
    rate_limit_counters: int
    sign_in_failures: int
    expired_mail_ids: list[str]


async def purge_expired_credentials(db: Database, settings: Settings) -> CredentialsPurged:
    """Expired or revoked tokens, spent counters, and mails whose reset link no longer works."""
    now = utcnow()

    async def delete_expired(session: AsyncSession) -> CredentialsPurged:
        tokens = await session.execute(
            delete(AuthToken).where(or_(AuthToken.expires_at < now, AuthToken.revoked_at.is_not(None)))
        )
        resets = await session.execute(
            delete(PasswordResetToken).where(
                or_(PasswordResetToken.expires_at < now, PasswordResetToken.used_at.is_not(None))
            )
        )
        counters = await session.execute(
            delete(RateLimitCounter).where(
                RateLimitCounter.window_start < now - timedelta(seconds=settings.rate_window_seconds)
            )
        )
        failures = await session.execute(
            delete(SignInFailure).where(
                SignInFailure.last_attempt_at < now - FORGET_AFTER, SignInFailure.blocked_until < now
            )
        )
        mails = await session.scalars(
            delete(MailOutbox).where(MailOutbox.expires_at < now).returning(MailOutbox.id)
        )
        return CredentialsPurged(
            tokens.rowcount,  # type: ignore[attr-defined]
            resets.rowcount,  # type: ignore[attr-defined]
            counters.rowcount,  # type: ignore[attr-defined]
            failures.rowcount,  # type: ignore[attr-defined]
            list(mails),
        )

    return await db.run_write(delete_expired)


def _remove_mail_files(mail_dir: Path, mail_ids: list[str]) -> None:
    """The ``.eml`` copies of purged mails: a reset mail's copy holds its token."""
    for mail_id in mail_ids:
        for path in mail_dir.glob(mail_file_pattern(mail_id)):
            path.unlink(missing_ok=True)


async def purge(db: Database, settings: Settings) -> PurgeReport:
    from server.services.idempotency import purge_idempotency_keys
    from server.services.sync import purge_changes

    purged = await purge_expired_credentials(db, settings)
    if settings.mail_dir is not None:
        await asyncio.to_thread(_remove_mail_files, settings.mail_dir, purged.expired_mail_ids)
    keys = await purge_idempotency_keys(db, utcnow() - timedelta(seconds=settings.idempotency_ttl))
    changes = await purge_changes(db, settings.change_retention_days)
    return PurgeReport(
        purged.auth_tokens,
        purged.reset_tokens,
        purged.rate_limit_counters,
        purged.sign_in_failures,
        len(purged.expired_mail_ids),
        keys,
        changes,
    )
