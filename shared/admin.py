"""Admin requests: users, teams, KPI settings and the monthly metrics import."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from shared.auth import Contract, Role
from shared.passwords import NewPassword
from shared.types import Email, EntityId, NoNul

Name = Annotated[str, Field(min_length=1, max_length=200), NoNul]
EmployeeCode = Annotated[str, Field(min_length=1, max_length=64), NoNul]


class UserCreate(Contract):
    email: Email
    name: Name
    role: Role
    password: NewPassword
    team_id: EntityId | None = None
    employee_code: EmployeeCode | None = None


class UserPatch(Contract):
    """Only the fields present are changed; ``team_id: null`` removes the agent from a team."""

    name: Name | None = None
    role: Role | None = None
    team_id: EntityId | None = None
    active: bool | None = None


class TeamCreate(Contract):
    name: Name
    leader_id: EntityId | None = None
    manager_id: EntityId | None = None


class TeamPatch(Contract):
    name: Name | None = None
    leader_id: EntityId | None = None
    manager_id: EntityId | None = None


# Bounds keep every weighted sum in scoring finite.
MAX_KPI_TARGET = 1e9
MAX_KPI_WEIGHT = 1000.0


class KpiUpdate(Contract):
    target: float | None = Field(default=None, gt=0, le=MAX_KPI_TARGET, allow_inf_nan=False)
    weight: float | None = Field(default=None, ge=0, le=MAX_KPI_WEIGHT, allow_inf_nan=False)


class ImportRowError(BaseModel):
    row: int
    message: str


class ImportResult(BaseModel):
    inserted: int
    updated: int
    unchanged: int
