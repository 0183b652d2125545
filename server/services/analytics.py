"""Dashboards and scorecards.

Each answer is read in ONE snapshot with at most three statements whatever the team size, sign-in
included (see ``analytics_queries``); on PostgreSQL the team dashboard and the scorecard are one
statement on an autocommit connection, one round trip (``AnalyticsService._read``). Scores were
stored when their metrics or KPI settings were written (``score_store``), and ``shared.reports``
assembles them the way the desktop does. The ETag is a digest of the versions of every row the
answer shows, taken in the same snapshot: a stored score, KPI, team or membership change always changes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select

from server.db.engine import Database
from server.problems import ProblemError
from server.services import analytics_queries as q
from server.services.auth import AccessToken, not_signed_in
from server.services.principal import Caller, Principal
from shared import reports
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard, UserRef
from shared.auth import Role
from shared.directory import Agent, Kpi, Team
from shared.errors import ErrorCode
from shared.types import period_add, utcnow

T = TypeVar("T")

AGENT_END = len(q.AGENT_COLUMNS)
TEAM_END = len(q.TEAM_COLUMNS)


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    """An answer and the data version (ETag token) it was computed from."""

    body: T
    version: str


def _not_found(what: str) -> ProblemError:
    return ProblemError(ErrorCode.NOT_FOUND, f"No such {what} in your scope.")


def _require_staff(principal: Principal) -> None:
    principal.require_role(Role.TEAM_LEADER, Role.MANAGER, Role.ADMIN)


def _anyone(_principal: Principal) -> None:
    """Every signed-in role may ask (the scope decides what they see)."""


@dataclass
class AnalyticsService:
    """Team dashboard, manager dashboard and agent scorecard for one period.

    ``who`` is resolved in the answer's own snapshot, so a bearer token costs no transaction of its own.
    """

    db: Database

    async def team_dashboard(
        self, who: AccessToken, period: str, team_id: str | None = None
    ) -> Versioned[TeamDashboard]:
        previous = period_add(period, -1)
        chosen = team_id is not None
        rows, kpis, as_of = await self._read(
            who,
            q.signed_in_team_dashboard(chosen),
            lambda role: q.team_with_scores(role, chosen),
            {"team_id": team_id, "period": period, "previous": previous},
            _require_staff,
            "team",
        )
        team = q.contract(Team, q.TEAM_COLUMNS, rows[0][:TEAM_END])
        agents: list[Agent] = []
        values: dict[tuple[str, str], dict[str, float]] = {}
        stored: dict[tuple[str, str], float | None] = {}
        scores: list[tuple[str, int | None, int | None]] = []
        for row in rows:
            if row[TEAM_END] is None:
                continue  # the one row of a team without agents
            agent = q.contract(Agent, q.AGENT_COLUMNS, row[TEAM_END : TEAM_END + AGENT_END])
            kpi_values, score, version, previous_score, previous_version = row[TEAM_END + AGENT_END :]
            agents.append(agent)
            if version is not None:
                values[(agent.id, period)] = kpi_values
                stored[(agent.id, period)] = score
            if previous_version is not None:
                stored[(agent.id, previous)] = previous_score
            scores.append((agent.id, version, previous_version))
        version = q.data_version(
            "team",
            period,
            (team.id, team.version),
            sorted((a.id, a.version) for a in agents),
            q.kpi_versions(kpis),
            sorted(scores, key=_by_id),
        )
        body = reports.team_dashboard(team, agents, kpis, values, period, as_of, stored)
        return Versioned(body, version)

    async def manager_dashboard(self, who: Caller, period: str) -> Versioned[ManagerDashboard]:
        async with self.db.read() as session:
            principal = await who.principal(session)
            _require_staff(principal)
            bound = q.parameters(principal, period=period)
            rows = await q.fetch_rows(session, q.team_overviews(principal.role), bound)
            as_of = utcnow()
        overviews = []
        for row in rows:
            team = q.contract(Team, q.TEAM_COLUMNS, row[:TEAM_END])
            leader_id, leader_name, agent_count, scores = row[TEAM_END:]
            leader = None if leader_id is None else UserRef(id=leader_id, name=leader_name)
            overviews.append(reports.team_overview(team, leader, q.parse_scores(scores, agent_count)))
        # Every figure is in the body, so the body itself (but the moment it was read) is its version.
        version = q.data_version("manager", period, [overview.model_dump_json() for overview in overviews])
        return Versioned(ManagerDashboard(period=period, as_of=as_of, teams=overviews), version)

    async def scorecard(self, who: AccessToken, agent_id: str, period: str) -> Versioned[Scorecard]:
        first_period = period_add(period, 1 - reports.HISTORY_MONTHS)
        rows, kpis, as_of = await self._read(
            who,
            q.signed_in_scorecard(),
            q.agent_with_scores,
            {"agent_id": agent_id, "first_period": first_period, "period": period},
            _anyone,
            "agent",
        )
        agent = q.contract(Agent, q.AGENT_COLUMNS, rows[0][:AGENT_END])
        team_version = rows[0][AGENT_END]
        values: dict[tuple[str, str], dict[str, float]] = {}
        stored: dict[tuple[str, str], float | None] = {}
        months: list[tuple[str, int]] = []
        for *_, month, kpi_values, score, score_version in rows:
            if month is not None:
                values[(agent.id, month)] = kpi_values
                stored[(agent.id, month)] = score
                months.append((month, score_version))
        version = q.data_version(
            "scorecard",
            period,
            (agent.id, agent.version, agent.team_id, team_version),
            q.kpi_versions(kpis),
            sorted(months),
        )
        return Versioned(reports.scorecard(agent, kpis, values, period, as_of, stored), version)

    async def _read(
        self,
        who: AccessToken,
        signed_in: Select[Any],
        per_role: Callable[[Role], Select[Any]],
        values: dict[str, object],
        admit: Callable[[Principal], None],
        what: str,
    ) -> tuple[Sequence[Sequence[Any]], list[Kpi], datetime]:
        """The rows of an answer (``per_role``'s columns), the KPI definitions and the moment they
        were read, in one snapshot; 401 for a token that signs no one in, what ``admit`` raises for
        the caller, 404 for no ``what`` in the caller's scope.

        PostgreSQL: ``signed_in``, the same read with the sign-in and the KPIs in ONE statement,
        which is its own snapshot: one round trip, no transaction. SQLite (in-process, where a
        statement costs no round trip): the sign-in, ``per_role`` and the KPIs in one transaction.
        """
        if self.db.is_sqlite:
            async with self.db.read() as session:
                principal = await who.principal(session)
                admit(principal)
                bound = q.parameters(principal, **values)
                rows = await q.fetch_rows(session, per_role(principal.role), bound)
                as_of = utcnow()
                if not rows:
                    raise _not_found(what)
                return rows, await q.load_kpis(session), as_of
        async with self.db.one_statement() as connection:
            rows = (await connection.execute(signed_in, {**who.bound(), **values})).all()
        as_of = utcnow()
        if not rows:
            raise not_signed_in()
        caller_id, role, team_id = rows[0][: q.CALLER_COLUMNS]
        admit(Principal(user_id=caller_id, role=Role(role), team_id=team_id))
        if rows[0][q.CALLER_COLUMNS] is None:
            raise _not_found(what)
        return [row[q.CALLER_COLUMNS : -1] for row in rows], q.kpis_from_json(rows[0][-1]), as_of


def _by_id(entry: tuple[str, Any, Any]) -> str:
    return entry[0]
