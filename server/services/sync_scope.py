"""What a sync reader may see, as SQL conditions shared by the snapshot and the increments.

- agent: their own user row, their team, their metrics and sessions;
- team leader / manager: the teams they lead / manage, those teams' agents, leaders and
  managers, the agents' metrics and sessions, and the sessions they coach (as ``GET /sessions``);
- admin: everything. Everyone sees every KPI.

The scope is read inside the feed's own snapshot, and its digest travels in the cursor: when it
changes (the reader got or lost a team, a team in scope got another leader, the agent reader
moved), the cursor is refused and the client takes a fresh snapshot, the one answer that is
exactly right after such a rare administrative change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from server.db.models import Change, CoachingSession, Team, User
from server.services.principal import Principal, load_team_scope
from shared.auth import Role


@dataclass(frozen=True)
class SyncScope:
    """The reader's scope at one read snapshot."""

    user_id: str
    role: Role
    team_ids: frozenset[str] | None  # None: every team (admin)
    people: frozenset[str]  # users seen for their role: the reader, leaders and managers in scope

    @property
    def digest(self) -> str:
        teams = sorted(self.team_ids) if self.team_ids is not None else "*"
        document = [self.user_id, self.role.value, teams, sorted(self.people)]
        return hashlib.sha256(json.dumps(document).encode()).hexdigest()[:24]

    @property
    def is_admin(self) -> bool:
        return self.team_ids is None

    def teams(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        return true() if self.team_ids is None else column.in_(self.team_ids)

    def users(self) -> ColumnElement[bool]:
        """Users in scope."""
        if self.team_ids is None:
            return true()
        if self.role is Role.AGENT:
            return User.id == self.user_id
        return or_(User.team_id.in_(self.team_ids), User.id.in_(self.people))

    def agents(self, column: InstrumentedAttribute[Any], from_id: str | None = None) -> ColumnElement[bool]:
        """Rows (metrics, sessions) whose agent, in ``column``, is in scope now.

        ``from_id`` bounds the agents to ids from it on (a keyset page over agent ids), so the
        planner never walks the agents a snapshot has already passed.
        """
        if self.team_ids is None:
            return true()
        if self.role is Role.AGENT:
            return column == self.user_id
        if not self.team_ids:
            return false()
        agents = select(User.id).where(User.team_id.in_(self.team_ids))
        if from_id is not None:
            agents = agents.where(User.id >= from_id)
        return column.in_(agents)

    def sessions(self) -> ColumnElement[bool]:
        """Sessions in scope: their agent's, or (leaders and managers) coached by the reader."""
        if self.team_ids is None or self.role is Role.AGENT:
            return self.agents(CoachingSession.agent_id)
        return or_(self.agents(CoachingSession.agent_id), CoachingSession.coach_id == self.user_id)

    def relevant_changes(self) -> ColumnElement[bool]:
        """Change rows that may concern this reader: in scope before or after the write.

        A change's own team columns decide, and, should a writer have left them empty, the
        entity's agent being in scope now.
        """
        if self.team_ids is None:
            return true()
        if self.role is Role.AGENT:
            users: ColumnElement[bool] = Change.entity_id == self.user_id
            owned: ColumnElement[bool] = Change.agent_id == self.user_id
        else:
            moved = or_(Change.team_id.in_(self.team_ids), Change.previous_team_id.in_(self.team_ids))
            users = or_(Change.entity_id.in_(self.people), moved, self.agents(Change.entity_id))
            owned = or_(moved, self.agents(Change.agent_id))
        coached = select(CoachingSession.id).where(CoachingSession.coach_id == self.user_id)
        return or_(
            Change.entity == "kpi",
            and_(Change.entity == "team", Change.entity_id.in_(self.team_ids)),
            and_(Change.entity == "user", users),
            and_(Change.entity == "metric", owned),
            and_(Change.entity == "session", or_(owned, Change.entity_id.in_(coached))),
        )


async def load_sync_scope(session: AsyncSession, who: Principal) -> SyncScope:
    """The reader's scope as of ``session``'s snapshot (not as of when the token was checked)."""
    row = (await session.execute(select(User.role, User.team_id).where(User.id == who.user_id))).first()
    role, team_id = (Role(row.role), row.team_id) if row is not None else (who.role, who.team_id)
    team_ids = await load_team_scope(session, who.user_id, role, team_id)
    people = {who.user_id}
    if team_ids and role is not Role.AGENT:
        rows = await session.execute(
            select(Team.leader_id, Team.manager_id).where(Team.id.in_(team_ids))
        )
        for leader_id, manager_id in rows:
            people.update(person for person in (leader_id, manager_id) if person is not None)
    return SyncScope(who.user_id, role, team_ids, frozenset(people))
