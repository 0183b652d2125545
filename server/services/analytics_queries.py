"""The reads behind dashboards and scorecards: stored scores as plain rows, a fixed number per answer.

Scores are computed when metrics or KPI settings are written (``score_store``), so an answer reads,
in one snapshot: the caller (sign-in), the people in scope joined to their stored scores (one row
per agent and month), and the KPI definitions where the answer shows them. Scope is part of each
``WHERE``, so an out-of-scope id simply finds no row. Columns come back as tuples (Core), not ORM
objects: these are the server's hottest paths, and building objects was most of their cost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    ScalarSelect,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal_column,
    or_,
    outerjoin,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import AgentScore, Kpi, Team, User
from server.services.auth import TOKEN_OWNER
from server.services.principal import Principal
from shared import directory
from shared.auth import Role
from shared.scoring import kpi_sort_key

M = TypeVar("M", bound=BaseModel)

Agents = aliased(User, name="agents")
Leaders = aliased(User, name="leaders")
Current = aliased(AgentScore, name="current_scores")
Previous = aliased(AgentScore, name="previous_scores")

SCORE_SEPARATOR = ","
TEAM_COLUMNS = (Team.id, Team.name, Team.leader_id, Team.manager_id, Team.version)
KPI_COLUMNS = (Kpi.code, Kpi.name, Kpi.unit, Kpi.higher_is_better, Kpi.target, Kpi.weight, Kpi.version)


def agent_columns(people: Any) -> tuple[Any, ...]:
    """The columns of ``directory.Agent``, from ``User`` or one of its aliases."""
    return (
        people.id,
        people.name,
        people.email,
        people.team_id,
        people.employee_code,
        people.active,
        people.version,
    )


AGENT_COLUMNS = agent_columns(Agents)


def contract(model: type[M], columns: Sequence[Any], values: Sequence[Any]) -> M:
    """A contract model from the values of ``columns`` (named like its fields), read from the database."""
    return model.model_construct(**{column.key: value for column, value in zip(columns, values, strict=True)})


# Statements are built once per caller role, with bound parameters, and reused: building them and
# their cache keys anew for every request cost more than running them.
CALLER: BindParameter[str] = bindparam("caller_id")
PERIOD: BindParameter[str] = bindparam("period")
PREVIOUS: BindParameter[str] = bindparam("previous")


def team_scope(role: Role, caller: ColumnElement[str] = CALLER) -> ColumnElement[bool]:
    """Teams the caller (``caller``: the bound id, or a column) may see: led (team leader), managed
    (manager), all (admin), none (agent)."""
    if role is Role.ADMIN:
        return true()
    if role is Role.TEAM_LEADER:
        return Team.leader_id == caller
    if role is Role.MANAGER:
        return Team.manager_id == caller
    return false()


def agent_scope(role: Role, caller: ColumnElement[str] = CALLER) -> ColumnElement[bool]:
    """Agents the caller may see; agents see only themselves."""
    if role is Role.AGENT:
        return User.id == caller
    return team_scope(role, caller)


def of_any_role(
    scope: Callable[[Role, ColumnElement[str]], ColumnElement[bool]], caller: Any
) -> ColumnElement[bool]:
    """``scope`` (``team_scope`` or ``agent_scope``) for a caller whose id and role are columns of
    ``caller``: each role's own condition, for that role."""
    return or_(*(and_(caller.c.role == role.value, scope(role, caller.c.id)) for role in Role))


def active_agent_of(team_id: Any) -> ColumnElement[bool]:
    return and_(Agents.team_id == team_id, Agents.role == Role.AGENT.value, Agents.active.is_(True))


def score_of(scores: Any, period: Any) -> ColumnElement[bool]:
    return and_(scores.agent_id == Agents.id, scores.period == period)


def parameters(principal: Principal, **values: object) -> dict[str, object]:
    """The bound values of a statement of this module for ``principal``."""
    return {"caller_id": principal.user_id, **values}


TEAM_DASHBOARD_COLUMNS = (
    *TEAM_COLUMNS,
    *AGENT_COLUMNS,
    Current.kpi_values,
    Current.score,
    Current.version,
    Previous.score,
    Previous.version,
)


def team_with_agents_and_scores() -> Any:
    """Teams, each with its active agents (one row without if none) and their stored scores for
    ``period`` and ``previous``."""
    return (
        outerjoin(Team, Agents, active_agent_of(Team.id))
        .outerjoin(Current, score_of(Current, PERIOD))
        .outerjoin(Previous, score_of(Previous, PREVIOUS))
    )


def first_team_in(scope: ColumnElement[bool]) -> Any:
    return select(Team.id).where(scope).order_by(Team.name, Team.id).limit(1).scalar_subquery()


@cache
def team_with_scores(role: Role, chosen_team: bool) -> Select[Any]:
    """The chosen team (``team_id``; without one the caller's first) in scope, one row per active
    agent (one row if none) with its stored values and score for ``period`` and its score for
    ``previous``."""
    scope = team_scope(role)
    chosen = bindparam("team_id") if chosen_team else first_team_in(scope)
    return (
        select(*TEAM_DASHBOARD_COLUMNS)
        .select_from(team_with_agents_and_scores())
        .where(Team.id == chosen, scope)
        .order_by(Agents.name, Agents.id)
    )


@cache
def team_overviews(role: Role) -> Select[Any]:
    """Every team in scope with its leader, its count of active agents and their stored scores for
    ``period`` as one comma-separated text (agents without a score left out): one row per team."""
    scores = func.aggregate_strings(cast(Current.score, Text), SCORE_SEPARATOR)
    return (
        select(*TEAM_COLUMNS, Leaders.id, Leaders.name, func.count(Agents.id), scores)
        .select_from(Team)
        .outerjoin(Leaders, Leaders.id == Team.leader_id)
        .outerjoin(Agents, active_agent_of(Team.id))
        .outerjoin(Current, score_of(Current, PERIOD))
        .where(team_scope(role))
        .group_by(*TEAM_COLUMNS, Leaders.id, Leaders.name)
        .order_by(Team.name, Team.id)
    )


def parse_scores(text: str | None, agent_count: int) -> list[float | None]:
    """The scores of ``team_overviews``, with ``None`` for each agent without one.

    Exact: a stored score is rounded to one decimal, which both databases print back in full.
    """
    present = [float(part) for part in text.split(SCORE_SEPARATOR)] if text else []
    return present + [None] * (agent_count - len(present))


SCORECARD_COLUMNS = (
    *agent_columns(User),
    Team.version,
    AgentScore.period,
    AgentScore.kpi_values,
    AgentScore.score,
    AgentScore.version,
)
# The agent's stored scores for the months ``first_period`` to ``period``. A range, not a list of
# months: periods ("YYYY-MM") sort as text, and a list is an expanding parameter that SQLAlchemy
# re-renders into the statement on every request.
HISTORY_OF_AGENT = and_(
    AgentScore.agent_id == User.id, AgentScore.period.between(bindparam("first_period"), PERIOD)
)


@cache
def agent_with_scores(role: Role) -> Select[Any]:
    """The agent ``agent_id`` (if in scope) and its team's version, one row per month from
    ``first_period`` to ``period`` with a stored score."""
    return (
        select(*SCORECARD_COLUMNS)
        .select_from(User)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(AgentScore, HISTORY_OF_AGENT)
        .where(User.id == bindparam("agent_id"), User.role == Role.AGENT.value, agent_scope(role))
    )


KPIS = select(*KPI_COLUMNS)


def kpis_as_json() -> ScalarSelect[Any]:
    """Every KPI definition as one JSON array of objects keyed like ``KPI_COLUMNS`` (PostgreSQL)."""
    fields: list[Any] = []
    for column in KPI_COLUMNS:
        fields += (literal_column(f"'{column.key}'"), column)
    return select(func.json_agg(func.json_build_object(*fields))).scalar_subquery()


@cache
def signed_in_scorecard() -> Select[Any]:
    """``agent_with_scores`` for the owner of an access token (``token_hash``, valid at ``now``),
    with the sign-in and the KPI definitions in the same statement: one statement is one snapshot,
    so it needs no transaction. The caller's role is a column here, so the scope is each role's own
    ``agent_scope`` for that role.

    No row: the token signs no one in. Otherwise ``CALLER_COLUMNS`` columns, then the columns of
    ``agent_with_scores`` (all ``None`` when the agent is not in scope), then the KPIs as JSON.
    """
    caller = TOKEN_OWNER.cte("caller")
    chosen = and_(
        User.id == bindparam("agent_id"),
        User.role == Role.AGENT.value,
        of_any_role(agent_scope, caller),
    )
    people = outerjoin(User, Team, Team.id == User.team_id)
    return (
        select(*caller.c, *SCORECARD_COLUMNS, kpis_as_json())
        .select_from(caller)
        .outerjoin(people, chosen)
        .outerjoin(AgentScore, HISTORY_OF_AGENT)
    )


@cache
def signed_in_team_dashboard(chosen_team: bool) -> Select[Any]:
    """``team_with_scores`` for the owner of an access token, whatever their role, with the
    sign-in and the KPI definitions in the same statement (see ``signed_in_scorecard``).

    No row: the token signs no one in. Otherwise ``CALLER_COLUMNS`` columns, then the columns of
    ``team_with_scores`` (all ``None`` when no such team is in scope), then the KPIs as JSON.
    """
    caller = TOKEN_OWNER.cte("caller")
    scope = of_any_role(team_scope, caller)
    chosen = bindparam("team_id") if chosen_team else first_team_in(scope).correlate(caller)
    return (
        select(*caller.c, *TEAM_DASHBOARD_COLUMNS, kpis_as_json())
        .select_from(caller)
        .outerjoin(team_with_agents_and_scores(), and_(Team.id == chosen, scope))
        .order_by(Agents.name, Agents.id)
    )


CALLER_COLUMNS = len(TOKEN_OWNER.selected_columns)


async def fetch_rows(
    session: AsyncSession, statement: Select[Any], values: dict[str, object] | None = None
) -> Sequence[Row[Any]]:
    """All rows of a Core select, run on the session's connection: the ORM's result handling, which
    plain columns do not need, was a good part of each answer's cost."""
    connection = await session.connection()
    return (await connection.execute(statement, values)).all()


async def load_kpis(session: AsyncSession) -> list[directory.Kpi]:
    rows = await fetch_rows(session, KPIS)
    kpis = [contract(directory.Kpi, KPI_COLUMNS, row) for row in rows]
    return sorted(kpis, key=_by_code)


def kpis_from_json(kpis: list[dict[str, Any]] | None) -> list[directory.Kpi]:
    """The KPI definitions of ``kpis_as_json``, in the order ``load_kpis`` gives them."""
    return sorted((directory.Kpi.model_construct(**kpi) for kpi in kpis or []), key=_by_code)


def _by_code(kpi: directory.Kpi) -> tuple[int, str]:
    return kpi_sort_key(kpi.code)


def kpi_versions(kpis: Sequence[directory.Kpi]) -> list[tuple[str, int]]:
    return [(k.code, k.version) for k in kpis]


def data_version(kind: str, *parts: object) -> str:
    """A short digest of everything a response was computed from (ids and versions)."""
    digest = hashlib.sha256(repr((kind, *parts)).encode()).hexdigest()[:32]
    return f"{kind}-{digest}"
