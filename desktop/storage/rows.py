"""Snapshot rows from what ``/sync/changes`` sends, and the canonical form of timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from desktop.storage import schema

SESSION_TIME_FIELDS = ("starts_at", "ends_at", "created_at", "updated_at")


def canonical_time(value: str | datetime) -> str:
    """One fixed UTC text form (``2026-01-05T09:00:00+00:00``), so text order is time order."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_session(data: dict[str, Any]) -> dict[str, Any]:
    """A session dict with canonical timestamps, so equal sessions compare equal."""
    result = dict(data)
    for name in SESSION_TIME_FIELDS:
        if isinstance(result.get(name), str | datetime):
            result[name] = canonical_time(result[name])
    return result


def team_row(data: dict[str, Any], gen: int) -> dict[str, Any]:
    return {
        "id": data["id"],
        "name": data["name"],
        "leader_id": data.get("leader_id"),
        "manager_id": data.get("manager_id"),
        "version": data["version"],
        "data": data,
        "gen": gen,
    }


def user_row(data: dict[str, Any], gen: int) -> dict[str, Any]:
    return {
        "id": data["id"],
        "email": data.get("email", ""),
        "name": data["name"],
        "role": data.get("role", "agent"),
        "active": bool(data.get("active", True)),
        "team_id": data.get("team_id"),
        "employee_code": data.get("employee_code"),
        "version": data["version"],
        "data": data,
        "gen": gen,
    }


def kpi_row(data: dict[str, Any], gen: int) -> dict[str, Any]:
    return {
        "code": data["code"],
        "name": data["name"],
        "unit": data["unit"],
        "higher_is_better": bool(data["higher_is_better"]),
        "target": float(data["target"]),
        "weight": float(data["weight"]),
        "version": data["version"],
        "data": data,
        "gen": gen,
    }


def metric_row(change_id: str, version: int, data: dict[str, Any], gen: int) -> dict[str, Any]:
    agent_id, period, kpi_code = change_id.rsplit(":", 2)
    return {
        "id": change_id,
        "agent_id": data.get("agent_id", agent_id),
        "period": data.get("period", period),
        "kpi_code": data.get("kpi_code", data.get("kpi", kpi_code)),
        "value": float(data["value"]),
        "version": data.get("version", version),
        "gen": gen,
    }


def session_row(data: dict[str, Any], gen: int, *, local: bool = False) -> dict[str, Any]:
    data = canonical_session(data)
    return {
        "id": data["id"],
        "agent_id": data["agent_id"],
        "coach_id": data["coach_id"],
        "starts_at": data["starts_at"],
        "ends_at": data["ends_at"],
        "status": data["status"],
        "version": data["version"],
        "data": data,
        "local": local,
        "gen": gen,
    }


KEY_COLUMNS = {
    "team": schema.teams.c.id,
    "user": schema.users.c.id,
    "kpi": schema.kpis.c.code,
    "metric": schema.metrics.c.id,
    "session": schema.sessions.c.id,
}
TABLES = {
    "team": schema.teams,
    "user": schema.users,
    "kpi": schema.kpis,
    "metric": schema.metrics,
    "session": schema.sessions,
}


def snapshot_row(entity: str, change_id: str, version: int, data: dict[str, Any], gen: int) -> dict[str, Any]:
    if entity == "team":
        return team_row(data, gen)
    if entity == "user":
        return user_row(data, gen)
    if entity == "kpi":
        return kpi_row(data, gen)
    if entity == "metric":
        return metric_row(change_id, version, data, gen)
    if entity == "session":
        return session_row(data, gen)
    raise ValueError(f"unknown entity {entity!r}")
