"""Small helpers for the session tests: times on a fixed future day and booking calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

DAY = datetime(2031, 3, 4, tzinfo=UTC)  # a Tuesday, far enough ahead to never be "past"


def at(hhmm: str, day: int = 0) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return DAY + timedelta(days=day, hours=hours, minutes=minutes)


def started(hhmm: str) -> datetime:
    """``hhmm`` on a day long past: a session then has started, so it may be completed."""
    return at(hhmm, day=-3653)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def booking(agent_id: str, starts: str, ends: str, **extra: Any) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "starts_at": iso(at(starts)),
        "ends_at": iso(at(ends)),
        "topic": "1:1",
        **extra,
    }


async def book(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    return await client.post(
        "/api/v1/sessions", json=body, headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    )


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], session_id: str, version: int, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(
        f"/api/v1/sessions/{session_id}", json=body, headers={**headers, "If-Match": f'"{version}"'}
    )


def past_booking(agent_id: str, starts: str, ends: str, **extra: Any) -> dict[str, Any]:
    """``booking`` on a day long past."""
    span = {"starts_at": iso(started(starts)), "ends_at": iso(started(ends))}
    return booking(agent_id, starts, ends, **span, **extra)
