"""Housekeeping for ``coachhub-server purge``: expired tokens, counters, keys and old changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import AuthToken, PasswordResetToken, RateLimitCounter
from server.settings import Settings
from shared.types import utcnow


@dataclass(frozen=True)
class PurgeReport:
    auth_tokens: int
    reset_tokens: int
    rate_limit_counters: int
    idempotency_keys: int
    changes: int


async def purge_expired_credentials(db: Database, settings: Settings) -> tuple[int, int, int]:
    now = utcnow()

    async def delete_expired(session: AsyncSession) -> tuple[int, int, int]:
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
        return tokens.rowcount, resets.rowcount, counters.rowcount  # type: ignore[attr-defined]

    return await db.run_write(delete_expired)


async def purge(db: Database, settings: Settings) -> PurgeReport:
    from server.services.idempotency import purge_idempotency_keys
    from server.services.sync import purge_changes

    tokens, resets, counters = await purge_expired_credentials(db, settings)
    keys = await purge_idempotency_keys(db, utcnow() - timedelta(seconds=settings.idempotency_ttl))
    changes = await purge_changes(db, settings.change_retention_days)
    return PurgeReport(tokens, resets, counters, keys, changes)
