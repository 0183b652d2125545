"""What a caller may see of teams, agents and KPI definitions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.db.engine import Database
from server.db.models import Kpi, Team, User
from server.problems import ProblemError
from server.services.principal import Principal
from server.services.shapes import to_agent, to_kpi, to_team
from shared.auth import Role
from shared.directory import AgentList, KpiList, TeamList
from shared.errors import ErrorCode


@dataclass
class DirectoryService:
    db: Database

    async def teams(self, who: Principal) -> TeamList:
        async with self.db.read() as session:
            scope = await who.team_ids(session)
            query = select(Team).order_by(Team.name, Team.id)
            if scope is not None:
                query = query.where(Team.id.in_(scope))
            rows = await session.scalars(query)
            return TeamList(items=[to_team(row) for row in rows])

    async def agents(self, who: Principal, team_id: str | None) -> AgentList:
        async with self.db.read() as session:
            scope = await who.team_ids(session)
            query = select(User).where(User.role == Role.AGENT.value).order_by(User.name, User.id)
            if team_id is not None:
                if scope is not None and team_id not in scope:
                    raise ProblemError(ErrorCode.NOT_FOUND, "No such team.")
                query = query.where(User.team_id == team_id)
            elif scope is not None:
                query = query.where(User.team_id.in_(scope))
            if who.role is Role.AGENT:
                query = query.where(User.id == who.user_id)
            rows = await session.scalars(query)
            return AgentList(items=[to_agent(row) for row in rows])

    async def kpis(self) -> KpiList:
        async with self.db.read() as session:
            rows = await session.scalars(select(Kpi).order_by(Kpi.code))
            return KpiList(items=[to_kpi(row) for row in rows])
