"""Admin writes: users, teams and KPI settings, each version-checked and change-logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import Kpi, Team, User
from server.db.types import new_id
from server.problems import ProblemError
from server.services.changes import ChangeRecord, record_agent_move, record_changes
from server.services.passwords import Passwords
from server.services.shapes import to_kpi, to_team, to_user
from server.services.versioning import update_versioned
from shared import auth, directory
from shared.admin import KpiUpdate, TeamCreate, TeamPatch, UserCreate, UserPatch
from shared.auth import Role
from shared.errors import ErrorCode
from shared.types import utcnow


def _invalid(detail: str) -> ProblemError:
    return ProblemError(ErrorCode.VALIDATION_ERROR, detail)


def user_change(user: User) -> ChangeRecord:
    return ChangeRecord(
        "user",
        user.id,
        user.version,
        team_id=user.team_id,
        agent_id=user.id if user.role == Role.AGENT.value else None,
    )


async def _require_team(session: AsyncSession, team_id: str | None) -> None:
    if team_id is not None and await session.get(Team, team_id) is None:
        raise _invalid(f"No team {team_id}.")


async def _require_role(session: AsyncSession, user_id: str | None, role: Role, field: str) -> None:
    if user_id is None:
        return
    user = await session.get(User, user_id)
    if user is None or user.role != role.value:
        raise _invalid(f"{field} must be the id of a {role.value}.")


@dataclass
class AdminService:
    """Owns every admin write. Callers have checked the admin role."""

    db: Database
    passwords: Passwords

    async def create_user(self, data: UserCreate) -> auth.User:
        if data.role is not Role.AGENT and (data.team_id or data.employee_code):
            raise _invalid("Only agents belong to a team and have an employee code.")
        password_hash = await self.passwords.hash(data.password)
        now = utcnow()

        async def insert_user(session: AsyncSession) -> auth.User:
            await _require_team(session, data.team_id)
            await self._require_unique_email(session, data.email)
            user = User(
                id=new_id(),
                email=data.email.lower(),
                name=data.name,
                role=data.role.value,
                password_hash=password_hash,
                active=True,
                team_id=data.team_id,
                employee_code=data.employee_code,
                version=1,
                created_at=now,
                updated_at=now,
            )
            session.add(user)
            await session.flush()
            await record_changes(session, [user_change(user)])
            return to_user(user)

        try:
            return await self.db.run_write(insert_user)
        except IntegrityError as exc:
            raise _invalid("The email or employee code is already in use.") from exc

    async def _require_unique_email(self, session: AsyncSession, email: str) -> None:
        taken = await session.scalar(select(func.count()).where(User.email == email.lower()))
        if taken:
            raise _invalid("The email is already in use.")

    async def patch_user(self, user_id: str, expected_version: int, patch: UserPatch) -> auth.User:
        values: dict[str, Any] = {
            name: getattr(patch, name) for name in patch.model_fields_set if name != "role"
        }
        if "role" in patch.model_fields_set and patch.role is not None:
            values["role"] = patch.role.value
        if any(values.get(name) is None for name in ("name", "role", "active") if name in values):
            raise _invalid("name, role and active cannot be null.")

        async def apply_patch(session: AsyncSession) -> auth.User:
            user = await session.get(User, user_id)
            if user is None:
                raise ProblemError(ErrorCode.NOT_FOUND, "No such user.")
            previous_team = user.team_id
            role = values.get("role", user.role)
            team_id = values.get("team_id", user.team_id)
            if role != Role.AGENT.value and team_id is not None:
                raise _invalid("Only agents belong to a team.")
            await _require_team(session, team_id)
            values["updated_at"] = utcnow()
            updated = await update_versioned(
                session, User, User.id == user_id, expected_version, values, to_user
            )
            if updated.role == Role.AGENT.value and previous_team != updated.team_id:
                # The agent's metrics and sessions leave one team's scope and enter another's.
                await record_agent_move(session, updated.id, updated.version, previous_team, updated.team_id)
            else:
                await record_changes(session, [user_change(updated)])
            return to_user(updated)

        return await self.db.run_write(apply_patch)

    async def create_team(self, data: TeamCreate) -> directory.Team:
        now = utcnow()

        async def insert_team(session: AsyncSession) -> directory.Team:
            await _require_role(session, data.leader_id, Role.TEAM_LEADER, "leader_id")
            await _require_role(session, data.manager_id, Role.MANAGER, "manager_id")
            team = Team(
                id=new_id(),
                name=data.name,
                leader_id=data.leader_id,
                manager_id=data.manager_id,
                version=1,
                created_at=now,
                updated_at=now,
            )
            session.add(team)
            await session.flush()
            await record_changes(session, [ChangeRecord("team", team.id, team.version, team_id=team.id)])
            return to_team(team)

        return await self.db.run_write(insert_team)

    async def patch_team(self, team_id: str, expected_version: int, patch: TeamPatch) -> directory.Team:
        values: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
        if "name" in values and values["name"] is None:
            raise _invalid("name cannot be null.")

        async def apply_patch(session: AsyncSession) -> directory.Team:
            if await session.get(Team, team_id) is None:
                raise ProblemError(ErrorCode.NOT_FOUND, "No such team.")
            await _require_role(session, values.get("leader_id"), Role.TEAM_LEADER, "leader_id")
            await _require_role(session, values.get("manager_id"), Role.MANAGER, "manager_id")
            values["updated_at"] = utcnow()
            team = await update_versioned(
                session, Team, Team.id == team_id, expected_version, values, to_team
            )
            await record_changes(session, [ChangeRecord("team", team.id, team.version, team_id=team.id)])
            return to_team(team)

        return await self.db.run_write(apply_patch)

    async def update_kpi(self, code: str, expected_version: int, data: KpiUpdate) -> directory.Kpi:
        values = {
            name: getattr(data, name) for name in data.model_fields_set if getattr(data, name) is not None
        }
        if not values:
            raise _invalid("Give a target and/or a weight.")

        async def apply_update(session: AsyncSession) -> directory.Kpi:
            if await session.get(Kpi, code) is None:
                raise ProblemError(ErrorCode.NOT_FOUND, "No such KPI.")
            kpi = await update_versioned(session, Kpi, Kpi.code == code, expected_version, values, to_kpi)
            await record_changes(session, [ChangeRecord("kpi", kpi.code, kpi.version)])
            return to_kpi(kpi)

        return await self.db.run_write(apply_update)
