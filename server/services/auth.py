"""Sign-in, rotating refresh tokens with reuse detection, and password reset.

Every token is random and stored as its sha256. A login is a token *family*: refreshing rotates
the refresh token; presenting a rotated one again means it was stolen, so the whole family dies.
A family also has an absolute end (``refresh_token_max_age`` after the sign-in) that no refresh
moves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import AuthToken, PasswordResetToken, User
from server.db.types import new_id
from server.problems import ProblemError
from server.services import mail, ratelimit, sign_in_throttle
from server.services.changes import ChangeRecord, record_changes
from server.services.credentials import revoke_all_credentials
from server.services.passwords import Passwords
from server.services.principal import Principal
from server.services.shapes import to_user
from server.services.tokens import new_token, token_hash
from server.settings import Settings
from shared.auth import Me, Role, TokenPair
from shared.errors import ErrorCode
from shared.types import utcnow

log = logging.getLogger(__name__)

RESET_LINK = "coachhub://reset-password?token={token}"
# What the outbox keeps of a reset mail in place of the token.
TOKEN_NOT_STORED = "(sent by mail only)"


def _unauthorized(detail: str = "Wrong email or password.") -> ProblemError:
    return ProblemError(ErrorCode.UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


# Built once: every request signs in, and building the statement cost more than running it.
TOKEN_OWNER = (
    select(User.id, User.role, User.team_id)
    .join(AuthToken, AuthToken.user_id == User.id)
    .where(
        AuthToken.token_hash == bindparam("token_hash"),
        AuthToken.kind == "access",
        AuthToken.revoked_at.is_(None),
        AuthToken.expires_at > bindparam("now"),
        User.active.is_(True),
    )
)


async def principal_for_token(session: AsyncSession, access_token: str) -> Principal | None:
    """The caller behind an access token, in one statement of ``session``; ``None`` if not valid."""
    connection = await session.connection()  # plain columns: no ORM result handling needed
    row = (await connection.execute(TOKEN_OWNER, AccessToken(access_token).bound())).first()
    if row is None:
        return None
    return Principal(user_id=row.id, role=Role(row.role), team_id=row.team_id)


@dataclass(frozen=True)
class AccessToken:
    """A bearer token, checked inside the transaction that answers the request: a read needs no
    separate sign-in transaction (two round trips fewer), and the answer comes from the same snapshot."""

    token: str | None

    async def principal(self, session: AsyncSession) -> Principal:
        who = await principal_for_token(session, self.token) if self.token else None
        if who is None:
            raise not_signed_in()
        return who

    def bound(self) -> dict[str, object]:
        """The bound values of ``TOKEN_OWNER`` for this token, for statements that sign in themselves."""
        return {"token_hash": token_hash(self.token or ""), "now": utcnow()}


def not_signed_in() -> ProblemError:
    """401: the access token signs no one in."""
    return _unauthorized("Sign in first.")


@dataclass
class AuthService:
    """Owns logins, tokens and password resets."""

    db: Database
    settings: Settings
    passwords: Passwords

    async def _issue_pair(
        self, session: AsyncSession, user: User, family_id: str, login_expires_at: datetime
    ) -> TokenPair:
        now = utcnow()
        access, refresh = new_token("cha"), new_token("chr")
        access_expires_at = min(now + timedelta(seconds=self.settings.access_token_ttl), login_expires_at)
        refresh_expires_at = min(now + timedelta(seconds=self.settings.refresh_token_ttl), login_expires_at)
        for kind, token, expires_at in (
            ("access", access, access_expires_at),
            ("refresh", refresh, refresh_expires_at),
        ):
            session.add(
                AuthToken(
                    id=new_id(),
                    user_id=user.id,
                    family_id=family_id,
                    kind=kind,
                    token_hash=token_hash(token),
                    expires_at=expires_at,
                    created_at=now,
                    login_expires_at=login_expires_at,
                )
            )
        await session.flush()
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=max(0, int((access_expires_at - now).total_seconds())),
            user=to_user(user),
        )

    def _login_expiry(self, signed_in_at: datetime) -> datetime:
        return signed_in_at + timedelta(seconds=self.settings.refresh_token_max_age)

    async def login(self, email: str, password: str, client: str) -> TokenPair:
        """Sign in; ``client`` is the caller's address, for the throttles (``sign_in_throttle``)."""
        email = email.lower()

        async def admit(session: AsyncSession) -> User | None:
            await sign_in_throttle.admit(session, self.settings, email, client)
            user: User | None = await session.scalar(select(User).where(User.email == email))
            return user

        user = await self.db.run_write(admit)
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            raise _unauthorized()  # admit() has already counted the failure
        signed_in = user
        login_expires_at = self._login_expiry(utcnow())

        async def issue(session: AsyncSession) -> TokenPair:
            await sign_in_throttle.forgive(session, email, client)
            return await self._issue_pair(session, signed_in, new_id(), login_expires_at)

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
                    .returning(AuthToken.user_id, AuthToken.family_id, AuthToken.login_expires_at)
                )
            ).first()
            if rotated is not None:
                user = await session.get(User, rotated.user_id)
                if user is not None and user.active:
                    await self._revoke(session, AuthToken.family_id == rotated.family_id, kind="access")
                    ends = rotated.login_expires_at or self._login_expiry(now)  # older logins get one now
                    return await self._issue_pair(session, user, rotated.family_id, ends)
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
            return await principal_for_token(session, access_token)

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

    async def admit_password_reset(self, email: str, client: str) -> None:
        """Count a reset request against its email and client address; 429 past the limits.

        This is all the work done before the answer, the same for a known and an unknown address,
        so the answer's timing tells nothing; ``send_password_reset`` does the rest afterwards.
        """
        email, window = email.lower(), self.settings.rate_window_seconds

        async def count_request(session: AsyncSession) -> tuple[int, int]:
            per_email = await ratelimit.hit(session, f"reset:{email}", window)
            per_client = await ratelimit.hit(session, f"reset-client:{client}", window)
            return per_email, per_client

        per_email, per_client = await self.db.run_write(count_request)
        limit = self.settings.reset_requests_per_window
        if per_email > limit or per_client > limit * 4:
            raise ratelimit.rate_limited(window)

    async def send_password_reset(self, email: str) -> None:
        """When ``email`` belongs to an active account, issue a reset token and mail it.

        Runs after the answer has gone out, so failures are logged, not answered.
        """
        email, token, now = email.lower(), new_token("rst"), utcnow()
        expires_at = now + timedelta(seconds=self.settings.reset_token_ttl)

        async def queue_reset(session: AsyncSession) -> mail.OutgoingMail | None:
            user = await session.scalar(select(User).where(User.email == email, User.active.is_(True)))
            if user is None:
                return None
            # One live token per user: a new request retires the previous one.
            await session.execute(
                update(PasswordResetToken)
                .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
                .values(used_at=now)
            )
            session.add(
                PasswordResetToken(
                    user_id=user.id, token_hash=token_hash(token), expires_at=expires_at, created_at=now
                )
            )
            return await mail.enqueue(
                session,
                user.email,
                "Reset your Coaching Hub password",
                _reset_body(user.name, token),
                stored_body=_reset_body(user.name, TOKEN_NOT_STORED),
                expires_at=expires_at,
            )

        try:
            outgoing = await self.db.run_write(queue_reset)
        except (SQLAlchemyError, ProblemError):
            log.warning("a password reset could not be queued", exc_info=True)
            return
        if outgoing is not None:
            await mail.deliver(self.db, self.settings, outgoing)

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
            await revoke_all_credentials(session, user_id)
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
