"""Ending every credential a user holds: their logins (access and refresh tokens) and any live
password-reset token. Used when the password changes and when an account is deactivated."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuthToken, PasswordResetToken
from shared.types import utcnow


async def revoke_all_credentials(session: AsyncSession, user_id: str) -> None:
    """Revoked for good: revoked tokens never work again, whatever later happens to the account."""
    now = utcnow()
    await session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
