"""Sign-in, rotating refresh tokens with reuse detection, and password reset.

Every token is random and stored as its sha256. A login is a token *family*: refreshing rotates
the refresh token; presenting a rotated one again means it was stolen, so the whole family dies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import AuthToken, MailOutbox, PasswordResetToken, User
from server.db.types import new_id
from server.problems import ProblemError
from server.services import mail, ratelimit
from server.services.changes import ChangeRecord, record_changes
from server.services.passwords import Passwords
from server.services.principal import Principal
from server.services.shapes import to_user
from server.services.tokens import new_token, token_hash
from server.settings import Settings
from shared.auth import Me, Role, TokenPair
from shared.errors import ErrorCode
from shared.types import utcnow

RESET_LINK = "coachhub://reset-password?token={token}"


def _unauthorized(detail: str = "Wrong email or password.") -> ProblemError:
    return ProblemError(ErrorCode.UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


@dataclass
class AuthService:
    """Owns logins, tokens and password resets."""

    db: Database
    settings: Settings
    passwords: Passwords

    async def _issue_pair(self, session: AsyncSession, user: User, family_id: str) -> TokenPair:
        now = utcnow()
        access, refresh = new_token("cha"), new_token("chr")
        for kind, token, ttl in (
            ("access", access, self.settings.access_token_ttl),
            ("refresh", refresh, self.settings.refresh_token_ttl),
        ):
            session.add(
                AuthToken(
                    id=new_id(),
                    user_id=user.id,
                    family_id=family_id,
                    kind=kind,
                    token_hash=token_hash(token),
                    expires_at=now + timedelta(seconds=ttl),
                    created_at=now,
                )
            )
        await session.flush()
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=self.settings.access_token_ttl,
            user=to_user(user),
        )

    async def login(self, email: str, password: str) -> TokenPair:
        email = email.lower()
        key, window = f"login:{email}", self.settings.rate_window_seconds
        async with self.db.read() as session:
            failures, retry_after = await ratelimit.current(session, key, window)
            user = await session.scalar(select(User).where(User.email == email))
        if failures >= self.settings.login_attempts_per_window:
            raise ratelimit.rate_limited(retry_after)
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:

            async def count_failure(session: AsyncSession) -> int:
                return await ratelimit.hit(session, key, window)

            await self.db.run_write(count_failure)
            raise _unauthorized()
        signed_in = user

        async def issue(session: AsyncSession) -> TokenPair:
            return await self._issue_pair(session, signed_in, new_id())

        return await self.db.run_write(issue)

    async def refresh(self, refresh_token: str) -> TokenPair:
        digest, now = token_hash(refresh_token), utcnow()

        async def rotate(session: AsyncSession) -> TokenPair | None:
            rotated = (
                await session.execute(
                    update(AuthToken)
                    .where(
                        AuthToken.token_hash == digest,
                        AuthToken.kind == "refresh",
                        AuthToken.rotated_at.is_(None),
                        AuthToken.revoked_at.is_(None),
                        AuthToken.expires_at > now,
                    )
                    .values(rotated_at=now)
                    .returning(AuthToken.user_id, AuthToken.family_id)
                )
            ).first()
            if rotated is not None:
                user = await session.get(User, rotated.user_id)
                if user is not None and user.active:
                    await self._revoke(session, AuthToken.family_id == rotated.family_id, kind="access")
                    return await self._issue_pair(session, user, rotated.family_id)
            return None

        pair = await self.db.run_write(rotate)
        if pair is not None:
            return pair

        # Not rotatable: unknown, expired, revoked, or a rotated token presented again (theft).
        async def revoke_stolen(session: AsyncSession) -> None:
            family = await session.scalar(
                select(AuthToken.family_id).where(
                    AuthToken.token_hash == digest, AuthToken.rotated_at.is_not(None)
                )
            )
            if family is not None:
                await self._revoke(session, AuthToken.family_id == family)

        await self.db.run_write(revoke_stolen)
        raise _unauthorized("The refresh token is no longer valid; sign in again.")

    async def _revoke(self, session: AsyncSession, condition: object, kind: str | None = None) -> None:
        where = [condition, AuthToken.revoked_at.is_(None)]
        if kind is not None:
            where.append(AuthToken.kind == kind)
        await session.execute(update(AuthToken).where(and_(*where)).values(revoked_at=utcnow()))  # type: ignore[arg-type]

    async def logout(self, access_token: str) -> None:
        async def end_family(session: AsyncSession) -> None:
            family = await session.scalar(
                select(AuthToken.family_id).where(AuthToken.token_hash == token_hash(access_token))
            )
            if family is not None:
                await self._revoke(session, AuthToken.family_id == family)

        await self.db.run_write(end_family)

    async def authenticate(self, access_token: str) -> Principal | None:
        """The caller behind an access token, in one statement; ``None`` if it is not valid."""
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(User.id, User.role, User.team_id)
                    .join(AuthToken, AuthToken.user_id == User.id)
                    .where(
                        AuthToken.token_hash == token_hash(access_token),
                        AuthToken.kind == "access",
                        AuthToken.revoked_at.is_(None),
                        AuthToken.expires_at > utcnow(),
                        User.active.is_(True),
                    )
                )
            ).first()
        if row is None:
            return None
        return Principal(user_id=row.id, role=Role(row.role), team_id=row.team_id)

    async def me(self, who: Principal) -> Me:
        async with self.db.read() as session:
            user = await session.get(User, who.user_id)
            if user is None:
                raise _unauthorized()
            scope = await who.team_ids(session)
            if scope is None:
                from server.db.models import Team

                scope = frozenset(await session.scalars(select(Team.id)))
        return Me(**to_user(user).model_dump(), team_ids=sorted(scope))

    async def request_password_reset(self, email: str, client: str) -> MailOutbox | None:
        """Queue a reset mail when the address is known; the caller answers the same either way.

        Returns the queued mail for the caller to ``mail.deliver`` once its answer has gone out:
        delivering first (SMTP can take seconds) would tell known addresses from unknown by timing.
        """
        email, window = email.lower(), self.settings.rate_window_seconds
        token = new_token("rst")

        async def count_request(session: AsyncSession) -> tuple[int, int]:
            per_email = await ratelimit.hit(session, f"reset:{email}", window)
            per_client = await ratelimit.hit(session, f"reset-client:{client}", window)
            return per_email, per_client

        per_email, per_client = await self.db.run_write(count_request)
        limit = self.settings.reset_requests_per_window
        if per_email > limit or per_client > limit * 4:
            raise ratelimit.rate_limited(window)
        now = utcnow()

        async def queue_reset(session: AsyncSession) -> MailOutbox | None:
            outgoing = None
            user = await session.scalar(select(User).where(User.email == email, User.active.is_(True)))
            if user is not None:
                # One live token per user: a new request retires the previous one.
                await session.execute(
                    update(PasswordResetToken)
                    .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
                    .values(used_at=now)
                )
                session.add(
                    PasswordResetToken(
                        user_id=user.id,
                        token_hash=token_hash(token),
                        expires_at=now + timedelta(seconds=self.settings.reset_token_ttl),
                        created_at=now,
                    )
                )
                outgoing = await mail.enqueue(
                    session, user.email, "Reset your Coaching Hub password", _reset_body(user.name, token)
                )
            return outgoing

        return await self.db.run_write(queue_reset)

    async def confirm_password_reset(self, token: str, new_password: str) -> None:
        """Consume the token, change the password and end every login, all in one transaction."""
        new_hash = await self.passwords.hash(new_password)
        now = utcnow()

        async def consume(session: AsyncSession) -> None:
            user_id = await session.scalar(
                update(PasswordResetToken)
                .where(
                    PasswordResetToken.token_hash == token_hash(token),
                    PasswordResetToken.used_at.is_(None),
                    PasswordResetToken.expires_at > now,
                )
                .values(used_at=now)
                .returning(PasswordResetToken.user_id)
            )
            if user_id is None:
                raise ProblemError(ErrorCode.TOKEN_INVALID, "The reset link is used, expired or unknown.")
            version = await session.scalar(
                update(User)
                .where(User.id == user_id)
                .values(password_hash=new_hash, version=User.version + 1, updated_at=now)
                .returning(User.version)
            )
            await self._revoke(session, AuthToken.user_id == user_id)
            team_id = await session.scalar(select(User.team_id).where(User.id == user_id))
            await record_changes(
                session,
                [ChangeRecord("user", user_id, int(version or 0), team_id=team_id, agent_id=user_id)],
            )

        await self.db.run_write(consume)


def _reset_body(name: str, token: str) -> str:
    return (
        f"Hello {name},\n\n"
        "Someone asked to reset the password of your Coaching Hub account.\n"
        "Open this link in the Coaching Hub app, or paste the token into its reset dialog:\n\n"
        f"{RESET_LINK.format(token=token)}\n\n"
        "The link works once, for 30 minutes. If you did not ask for it, ignore this mail.\n"
    )
