"""The server's live-update stream (``GET /events``), read as a series of change sequences.

Each poke says "the change feed reached N"; it carries no data, so the caller pulls the feed.
The server sends a heartbeat comment every 15 s or so: a read that waits longer than
``READ_TIMEOUT`` means the connection is dead even if no socket error said so.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx

from desktop.net.client import API_PREFIX, ApiClient
from desktop.net.errors import ServerUnreachable

READ_TIMEOUT = 45.0
STREAM_TIMEOUT = httpx.Timeout(10.0, read=READ_TIMEOUT)


def poke_sequence(lines: list[str]) -> int | None:
    """The sequence one event's lines announce; ``None`` for heartbeats and other events."""
    fields: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")
    if fields.get("event") != "poke":
        return None
    try:
        return int(json.loads(fields.get("data", "{}"))["seq"])
    except (ValueError, KeyError, TypeError):
        return None


async def pokes(
    api: ApiClient, last_event_id: int | None, on_open: Callable[[], None] | None = None
) -> AsyncIterator[int]:
    """Each change sequence the server announces, until the stream ends or fails.

    ``on_open`` runs once the server has accepted the stream. Raises ``ApiError`` when the server
    refuses it (404: this server has no live updates) and ``ServerUnreachable`` when it breaks.
    """
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    try:
        async with api.stream("GET", API_PREFIX + "/events", headers, STREAM_TIMEOUT) as response:
            if on_open is not None:
                on_open()
            event: list[str] = []
            async for line in response.aiter_lines():
                if line:
                    event.append(line)
                    continue
                seq = poke_sequence(event)
                event = []
                if seq is not None:
                    yield seq
    except httpx.TransportError as exc:
        raise ServerUnreachable(f"the live-update stream broke: {exc!r}") from exc
    raise ServerUnreachable("the server closed the live-update stream")
