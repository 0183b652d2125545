"""Building test data straight in the database, and signing in through the real API."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import httpx
from argon2 import PasswordHasher

from server.db.engine import Database
from server.db.migrate import upgrade
from server.db.models import Team, User
from server.db.types import new_id
from server.settings import Settings
from shared.types import utcnow

PASSWORD = "correct horse battery"
TEST_HASH_MEMORY_KIB = 1024
_hash = PasswordHasher(memory_cost=TEST_HASH_MEMORY_KIB).hash(PASSWORD)
_numbers = itertools.count(1)


@dataclass
class World:
    """A small organisation: an admin, managers, team leaders, teams and agents."""

    db: Database
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)

    async def user(self, key: str, role: str, team: str | None = None, **extra: object) -> User:
        number = next(_numbers)
        now = utcnow()
        row = User(
            id=new_id(),
            email=f"{key}-{number}@example.com",
            name=key.replace("_", " ").title(),
            role=role,
            password_hash=_hash,
            active=True,
            team_id=self.teams[team].id if team else None,
            employee_code=f"E{number:05d}" if role == "agent" else None,
            version=1,
            created_at=now,
            updated_at=now,
            **extra,
        )
        async with self.db.write() as session:
            session.add(row)
        self.users[key] = row
        return row

    async def team(self, key: str, leader: str | None = None, manager: str | None = None) -> Team:
        now = utcnow()
        row = Team(
            id=new_id(),
            name=key.replace("_", " ").title(),
            leader_id=self.users[leader].id if leader else None,
            manager_id=self.users[manager].id if manager else None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        async with self.db.write() as session:
            session.add(row)
        self.teams[key] = row
        return row

    async def standard(self) -> World:
        """admin; manager → team_a (leader_a, agent_a1, agent_a2) and team_b (leader_b, agent_b1);
        other_manager → team_c (leader_c, agent_c1)."""
        await self.user("admin", "admin")
        for manager in ("manager", "other_manager"):
            await self.user(manager, "manager")
        for suffix, manager in (("a", "manager"), ("b", "manager"), ("c", "other_manager")):
            await self.user(f"leader_{suffix}", "team_leader")
            await self.team(f"team_{suffix}", leader=f"leader_{suffix}", manager=manager)
        await self.user("agent_a1", "agent", team="team_a")
        await self.user("agent_a2", "agent", team="team_a")
        await self.user("agent_b1", "agent", team="team_b")
        await self.user("agent_c1", "agent", team="team_c")
        return self


async def seed_standard_world(database_url: str) -> World:
    """Migrate the database at ``database_url`` and build the standard world in it."""
    await upgrade(database_url)
    db = Database(Settings(database_url=database_url, password_hash_memory_kib=TEST_HASH_MEMORY_KIB))
    try:
        return await World(db).standard()
    finally:
        await db.dispose()


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
