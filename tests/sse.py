"""Reading Server-Sent Events in tests, and serving the real app over a socket to stream them.

``httpx.ASGITransport`` collects a whole response before returning it, so an endless event stream
is read from the app served by uvicorn in the test's own loop instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.types import ASGIApp

from tests.live_server import free_port

EVENT_TIMEOUT = 10.0


class EventReader:
    """Reads an event stream in the background: pokes queue up, heartbeats are counted, so a
    test can wait for the next poke with a timeout without breaking off the stream."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.pokes: asyncio.Queue[int | None] = asyncio.Queue()
        self.heartbeats = 0
        self.heartbeat = asyncio.Event()
        self._task = asyncio.ensure_future(self._read(lines))

    async def _read(self, lines: AsyncIterator[str]) -> None:
        fields: dict[str, str] = {}
        try:
            async for line in lines:
                if line.startswith(":"):
                    self.heartbeats += 1
                    self.heartbeat.set()
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.strip()
                    continue
                if fields.get("event") == "poke":
                    assert json.loads(fields["data"]) == {"seq": int(fields["id"])}
                    await self.pokes.put(int(fields["id"]))
                fields = {}
        finally:
            await self.pokes.put(None)  # the stream ended

    async def next_poke(self, within: float = EVENT_TIMEOUT) -> int:
        """The sequence of the next poke; fails if the stream ends first."""
        seq = await asyncio.wait_for(self.pokes.get(), within)
        if seq is None:
            raise AssertionError("the event stream ended")
        return seq

    async def no_poke_within(self, seconds: float) -> bool:
        try:
            await self.next_poke(seconds)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[str]:
    """``app`` on a free local port for the block; yields its base URL."""
    port = free_port()
    # Event streams never end by themselves: shutting down closes whatever is still open.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def event_stream(
    client: httpx.AsyncClient, headers: dict[str, str], last_event_id: int | None = None
) -> AsyncIterator[EventReader]:
    """An open ``GET /api/v1/events``; yields its reader."""
    all_headers = dict(headers)
    if last_event_id is not None:
        all_headers["Last-Event-ID"] = str(last_event_id)
    async with client.stream("GET", "/api/v1/events", headers=all_headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response.aiter_lines())
        try:
            yield reader
        finally:
            await reader.close()
