"""Rows to contract models: one place that decides what the API shows of each table."""

from __future__ import annotations

from server.db import models
from shared import auth, directory, sessions
from shared.auth import Role


def to_user(row: models.User) -> auth.User:
    return auth.User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        active=row.active,
        team_id=row.team_id,
        employee_code=row.employee_code,
        version=row.version,
    )


def to_agent(row: models.User) -> directory.Agent:
    return directory.Agent(
        id=row.id,
        name=row.name,
        email=row.email,
        team_id=row.team_id,
        employee_code=row.employee_code,
        active=row.active,
        version=row.version,
    )


def to_team(row: models.Team) -> directory.Team:
    return directory.Team(
        id=row.id, name=row.name, leader_id=row.leader_id, manager_id=row.manager_id, version=row.version
    )


def to_kpi(row: models.Kpi) -> directory.Kpi:
    return directory.Kpi(
        code=row.code,
        name=row.name,
        unit=row.unit,
        higher_is_better=row.higher_is_better,
        target=row.target,
        weight=row.weight,
        version=row.version,
    )


def to_session(row: models.CoachingSession) -> sessions.Session:
    return sessions.Session(
        id=row.id,
        agent_id=row.agent_id,
        coach_id=row.coach_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=sessions.SessionStatus(row.status),
        topic=row.topic,
        notes=row.notes,
        created_by=row.created_by,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
