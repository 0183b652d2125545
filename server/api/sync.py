"""GET /sync/changes and POST /sync/push."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.http import caller, database, json_response, parse_body, parse_query, settings
from server.api.routing import api
from server.services.sync import SyncService
from server.services.sync_push import PushService
from shared.sync import ChangesPage, ChangesQuery, PushRequest, PushResponse


async def changes(request: Request) -> Response:
    who = await caller(request)
    query = parse_query(request, ChangesQuery)
    page = await SyncService(database(request)).changes(who, query.since, query.limit)
    # Straight to JSON in one pass: snapshot pages are the largest bodies the server sends.
    return Response(page.model_dump_json(), media_type="application/json")


async def push(request: Request) -> Response:
    who = await caller(request)
    body = await parse_body(request, PushRequest)
    return json_response(await PushService(database(request), settings(request)).push(who, body))


routes = [
    api("/sync/changes", "GET", changes, query=ChangesQuery, response=ChangesPage, errors=(410,),
        summary="The change feed: a full snapshot without `since`, else what changed after it"),
    api("/sync/push", "POST", push, body=PushRequest, response=PushResponse,
        summary="Apply offline session edits in order; a replayed mutation id returns its result"),
]
