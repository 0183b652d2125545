"""Admin requests: users, teams, KPI settings and the monthly metrics import."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, EmailStr, Field

from shared.auth import PASSWORD_MIN_LENGTH, Contract, Role

Name = Annotated[str, Field(min_length=1, max_length=200)]


class UserCreate(Contract):
    email: EmailStr
    name: Name
    role: Role
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=1024)
    team_id: str | None = None
    employee_code: str | None = Field(default=None, min_length=1, max_length=64)


class UserPatch(Contract):
    """Only the fields present are changed; ``team_id: null`` removes the agent from a team."""

    name: Name | None = None
    role: Role | None = None
    team_id: str | None = None
    active: bool | None = None


class TeamCreate(Contract):
    name: Name
    leader_id: str | None = None
    manager_id: str | None = None


class TeamPatch(Contract):
    name: Name | None = None
    leader_id: str | None = None
    manager_id: str | None = None


class KpiUpdate(Contract):
    target: float | None = Field(default=None, gt=0)
    weight: float | None = Field(default=None, ge=0)


class ImportRowError(BaseModel):
    row: int
    message: str


class ImportResult(BaseModel):
    inserted: int
    updated: int
    unchanged: int
