"""GET /events: Server-Sent Events telling the signed-in user that the change feed moved.

Each event is a poke — ``id`` and ``data`` carry the new change sequence, nothing else — and the
client pulls ``/sync/changes``. A comment line goes out as a heartbeat when nothing else does.
On (re)connect the current sequence is sent at once unless ``Last-Event-ID`` already names it.

The stream takes an admission turn (and a pooled connection) only while it reads: to sign the
caller in and read where they start, and again if a write may have changed their scope.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server.admission import Admission, Overloaded
from server.api.http import caller, database, settings
from server.api.routing import api
from server.live.hub import PokeHub, Subscriber
from server.problems import ProblemError
from server.services.live import LiveUpdatesService
from server.services.principal import Principal
from shared.errors import ErrorCode

EVENT_STREAM = "text/event-stream"
HEARTBEAT = b": heartbeat\n\n"


def poke_event(seq: int) -> bytes:
    return f"id: {seq}\nevent: poke\ndata: {json.dumps({'seq': seq})}\n\n".encode()


def last_event_id(request: Request) -> int | None:
    value = request.headers.get("last-event-id", "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else None


async def events(request: Request) -> Response:
    config = settings(request)
    if not config.events_enabled:
        raise ProblemError(ErrorCode.NOT_FOUND, "Live updates are turned off on this server.")
    admission: Admission = request.app.state.admission
    hub = database(request).pokes
    service = LiveUpdatesService(database(request))
    async with admission.turn():
        who = await caller(request)
        # Subscribed before the sequence is read, so nothing that commits in between is missed.
        subscriber = await hub.subscribe(who.user_id, None)
        try:
            position = await service.position(who)
        except BaseException:
            hub.unsubscribe(subscriber)
            raise
    subscriber.team_ids = position.team_ids
    first = None if last_event_id(request) == position.seq else position.seq
    stream = poke_stream(
        hub, subscriber, first, config.events_heartbeat, lambda: rescope(admission, service, who)
    )
    return StreamingResponse(
        stream,
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def rescope(admission: Admission, service: LiveUpdatesService, who: Principal) -> frozenset[str] | None:
    """The reader's scope read again; every team when no turn is free (poke more, never less)."""
    try:
        async with admission.turn():
            return (await service.position(who)).team_ids
    except (Overloaded, ProblemError):
        return None


async def poke_stream(
    hub: PokeHub,
    subscriber: Subscriber,
    first: int | None,
    heartbeat: float,
    reload_scope: Callable[[], Awaitable[frozenset[str] | None]],
) -> AsyncIterator[bytes]:
    try:
        if first is not None:
            yield poke_event(first)
        while True:
            try:
                seq, scope_changed = await asyncio.wait_for(subscriber.next_poke(), heartbeat)
            except TimeoutError:
                yield HEARTBEAT
                continue
            if scope_changed:
                subscriber.team_ids = await reload_scope()
            yield poke_event(seq)
    finally:
        hub.unsubscribe(subscriber)


routes = [
    api("/events", "GET", events, errors=(404,),
        summary="Server-Sent Events: a poke with the new change sequence whenever the feed moves"),
]
