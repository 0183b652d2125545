"""Helpers for the contention tests: bookings one hour long, offline creates, the server log."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.factories import World
from tests.live_server import LiveServer


async def coached_agent(world: World, name: str) -> str:
    """A team ``name`` with a team leader, a manager and one agent; the agent's id."""
    await world.user(f"{name}_leader", "team_leader")
    await world.user(f"{name}_manager", "manager")
    await world.team(name, leader=f"{name}_leader", manager=f"{name}_manager")
    return (await world.user(f"{name}_agent", "agent", team=name)).id


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def hour_booking(agent_id: str, starts: datetime, **extra: Any) -> dict[str, Any]:
    """An hour from ``starts``: requests less than an hour apart overlap, each only in part."""
    return {
        "agent_id": agent_id,
        "starts_at": iso(starts),
        "ends_at": iso(starts + timedelta(hours=1)),
        "topic": "contention",
        **extra,
    }


async def post_booking(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/api/v1/sessions", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
    )


async def push_create(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    """An offline booking: one ``create_session`` mutation through ``POST /sync/push``."""
    mutation = {
        "mutation_id": str(uuid.uuid4()),
        "type": "create_session",
        "session_id": str(uuid.uuid4()),
        "data": body,
    }
    return await client.post(
        "/api/v1/sync/push", json={"client_id": "contention", "mutations": [mutation]}, headers=headers
    )


class LogWindow:
    """What the server logged from now on (the live server is shared with other tests)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.start = server.log_path.stat().st_size

    def text(self) -> str:
        with self.server.log_path.open("rb") as log:
            log.seek(self.start)
            return log.read().decode(errors="replace")

    def assert_clean(self) -> None:
        """No request failed with a traceback (a 500) since the window opened."""
        logged = self.text()
        assert "Traceback" not in logged and "Exception in ASGI" not in logged, logged[-3000:]
