"""/sessions and /conflicts: booking, editing, listing, free slots and conflict resolution."""

from __future__ import annotations

import re
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from server.api.http import (
    IDEMPOTENCY_KEY_PATTERN,
    caller,
    database,
    id_param,
    json_body,
    json_response,
    parse_body,
    parse_body_as,
    parse_query,
    required_version,
    settings,
    versioned_response,
)
from server.api.routing import api
from server.problems import ProblemError, validation_problem
from server.services.conflicts import ConflictService
from server.services.idempotency import MAX_KEY_LENGTH, StoredResponse, request_fingerprint
from server.services.sessions import SessionService, session_etag
from shared.errors import ErrorCode
from shared.sessions import (
    ConflictList,
    Decline,
    FreeSlotQuery,
    Override,
    Reschedule,
    Resolution,
    ResolveResult,
    Session,
    SessionCreate,
    SessionPage,
    SessionPatch,
    SessionQuery,
    SlotList,
)

IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
# cast: mypy reads the Annotated discriminated union as a bare UnionType.
RESOLUTION: TypeAdapter[Reschedule | Decline | Override] = TypeAdapter(cast(Any, Resolution))


def _sessions(request: Request) -> SessionService:
    return SessionService(database(request), settings(request))


def _conflicts(request: Request) -> ConflictService:
    return ConflictService(database(request), settings(request))


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key", "").strip()
    if not key:
        raise ProblemError(
            ErrorCode.IDEMPOTENCY_KEY_MISSING, "Send an Idempotency-Key header with a booking."
        )
    if len(key) > MAX_KEY_LENGTH or not IDEMPOTENCY_KEY.fullmatch(key):
        raise ProblemError(
            ErrorCode.VALIDATION_ERROR,
            f"Idempotency-Key is up to {MAX_KEY_LENGTH} visible ASCII characters without spaces.",
        )
    return key


def _replayable(stored: StoredResponse, replayed: bool) -> Response:
    headers = dict(stored.headers)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    media_type = headers.pop("content-type", "application/json")
    return Response(stored.body, status_code=stored.status, headers=headers, media_type=media_type)


async def book_session(request: Request) -> Response:
    who = await caller(request)
    key = _idempotency_key(request)
    raw = await json_body(request)
    try:
        data = SessionCreate.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    fingerprint = request_fingerprint(request.method, request.url.path, raw)
    stored, replayed = await _sessions(request).book(who, data, key, fingerprint)
    return _replayable(stored, replayed)


async def list_sessions(request: Request) -> Response:
    who = await caller(request)
    query = parse_query(request, SessionQuery)
    return json_response(await _sessions(request).list_sessions(who, query))


async def free_slots(request: Request) -> Response:
    who = await caller(request)
    query = parse_query(request, FreeSlotQuery)
    items = await _sessions(request).free_slots(who, query)
    return json_response(SlotList(items=items))


async def get_session(request: Request) -> Response:
    found = await _sessions(request).get(await caller(request), id_param(request, "session_id"))
    return versioned_response(request, found, session_etag(found.version))


async def patch_session(request: Request) -> Response:
    who = await caller(request)
    expected = required_version(request)
    patch = await parse_body(request, SessionPatch)
    updated = await _sessions(request).update(who, id_param(request, "session_id"), expected, patch)
    return versioned_response(request, updated, session_etag(updated.version))


async def list_conflicts(request: Request) -> Response:
    return json_response(await _conflicts(request).list_conflicts(await caller(request)))


async def resolve_conflict(request: Request) -> Response:
    who = await caller(request)
    expected = required_version(request)
    resolution = await parse_body_as(request, RESOLUTION)
    result = await _conflicts(request).resolve(who, id_param(request, "session_id"), expected, resolution)
    return json_response(result, headers={"ETag": session_etag(result.session.version)})


routes = [
    api("/sessions", "GET", list_sessions, query=SessionQuery, response=SessionPage,
        summary="Sessions in scope, in (starts_at, id) order, one keyset page at a time"),
    api("/sessions", "POST", book_session, body=SessionCreate, response=Session, status=201,
        headers=("Idempotency-Key",), errors=(400, 403, 404, 409),
        summary="Book a session (idempotent per Idempotency-Key)"),
    api("/sessions/free-slots", "GET", free_slots, query=FreeSlotQuery, response=SlotList,
        errors=(403, 404), summary="Free slots of the coach and the agent on one day"),
    api("/sessions/{session_id:uuid}", "GET", get_session, response=Session, headers=("If-None-Match",),
        errors=(404,), summary="One session, with a strong ETag"),
    api("/sessions/{session_id:uuid}", "PATCH", patch_session, body=SessionPatch, response=Session,
        headers=("If-Match",), errors=(403, 404, 409, 412, 428),
        summary="Edit times, topic, notes, status or coach (If-Match)"),
    api("/conflicts", "GET", list_conflicts, response=ConflictList, errors=(403,),
        summary="Sessions in conflict, with what they clash with and suggested slots"),
    api("/conflicts/{session_id:uuid}/resolve", "POST", resolve_conflict, body=Resolution,
        response=ResolveResult, headers=("If-Match",), errors=(403, 404, 409, 412, 428),
        summary="Reschedule, decline or override a conflicted session, in one transaction"),
]
