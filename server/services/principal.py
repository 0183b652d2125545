"""Who is calling and what they may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Team, User
from server.problems import ProblemError
from shared.auth import Role
from shared.errors import ErrorCode


class Caller(Protocol):
    """Who is asking, resolved inside the transaction that answers: a ``Principal`` already known,
    or an ``auth.AccessToken`` still to check."""

    async def principal(self, session: AsyncSession) -> Principal: ...


@dataclass
class Principal:
    """The authenticated caller. ``team_ids`` is loaded on first use; ``None`` means all teams."""

    user_id: str
    role: Role
    team_id: str | None
    _team_ids: frozenset[str] | None = field(default=None, repr=False)
    _loaded: bool = field(default=False, repr=False)

    async def principal(self, session: AsyncSession) -> Principal:
        """Already authenticated: itself (see ``Caller``)."""
        return self

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    async def team_ids(self, session: AsyncSession) -> frozenset[str] | None:
        """Teams in scope: own team (agent), led (team leader), managed (manager), all (admin)."""
        if not self._loaded:
            self._team_ids = await load_team_scope(session, self.user_id, self.role, self.team_id)
            self._loaded = True
        return self._team_ids

    async def sees_team(self, session: AsyncSession, team_id: str | None) -> bool:
        if team_id is None:
            return self.is_admin
        scope = await self.team_ids(session)
        return scope is None or team_id in scope

    async def sees_user(self, session: AsyncSession, user: User) -> bool:
        if user.id == self.user_id or self.is_admin:
            return True
        if self.role is Role.AGENT:
            return False
        if user.team_id is not None and await self.sees_team(session, user.team_id):
            return True
        # Leaders and managers of teams in scope are visible too.
        scope = await self.team_ids(session) or frozenset()
        led = await session.scalar(
            select(Team.id)
            .where(Team.id.in_(scope), or_(Team.leader_id == user.id, Team.manager_id == user.id))
            .limit(1)
        )
        return led is not None

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise ProblemError(ErrorCode.FORBIDDEN, "Your role may not do this.")


async def load_team_scope(
    session: AsyncSession, user_id: str, role: Role, team_id: str | None
) -> frozenset[str] | None:
    if role is Role.ADMIN:
        return None
    if role is Role.AGENT:
        return frozenset({team_id}) if team_id else frozenset()
    column = Team.leader_id if role is Role.TEAM_LEADER else Team.manager_id
    rows = await session.scalars(select(Team.id).where(column == user_id))
    return frozenset(rows)
