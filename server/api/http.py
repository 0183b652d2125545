"""Request parsing and response shaping shared by every route module."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.db.engine import Database
from server.problems import ProblemError, validation_problem
from server.services.auth import AccessToken
from server.services.principal import Principal
from server.settings import Settings
from shared.errors import ErrorCode
from shared.types import is_entity_id

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def caller(request: Request) -> Principal:
    """The authenticated caller (cached on the request); 401 without a valid access token."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    who: Principal | None = await request.app.state.services.auth.authenticate(token) if token else None
    if who is None:
        raise _sign_in_first()
    request.state.principal = who
    return who


def token_caller(request: Request) -> AccessToken:
    """The bearer token, to be checked in the service's own transaction; 401 at once without one."""
    token = bearer_token(request)
    if token is None:
        raise _sign_in_first()
    return AccessToken(token)


def _sign_in_first() -> ProblemError:
    return ProblemError(ErrorCode.UNAUTHORIZED, "Sign in first.", headers={"WWW-Authenticate": "Bearer"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        # json.loads would accept NaN and Infinity, which no JSON encoder (ours included) writes back.
        return json.loads(raw or b"null", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(ErrorCode.VALIDATION_ERROR, f"The body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        # The decoder recurses per nesting level; no request of ours nests anywhere near that deep.
        raise ProblemError(ErrorCode.VALIDATION_ERROR, "The body is nested too deeply.") from exc


async def parse_body(request: Request, model: type[M]) -> M:
    data = await json_body(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


async def parse_body_as(request: Request, adapter: TypeAdapter[T]) -> T:
    data = await json_body(request)
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


def parse_query(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise validation_problem(exc) from exc


def path_param(request: Request, name: str) -> str:
    """A name from the path; one with a NUL character names nothing (PostgreSQL cannot store it)."""
    value: str = request.path_params[name]
    if "\x00" in value:
        raise ProblemError(ErrorCode.NOT_FOUND, "Nothing has that name.")
    return value


def id_param(request: Request, name: str) -> str:
    """An id from the path (routes match ids with Starlette's ``uuid`` convertor), as a string."""
    value: uuid.UUID | str = request.path_params[name]
    if isinstance(value, str) and not is_entity_id(value):
        raise ProblemError(ErrorCode.NOT_FOUND, "Nothing has that id.")
    return str(value).lower()


def to_json(model: BaseModel | list[Any] | dict[str, Any]) -> Any:
    if isinstance(model, BaseModel):
        return model.model_dump(mode="json")
    return model


def json_response(
    model: BaseModel | dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    if isinstance(model, BaseModel):
        # pydantic writes the JSON itself, several times faster than dumping to dicts and then to JSON.
        return Response(model.model_dump_json(), status_code, headers, media_type="application/json")
    return JSONResponse(to_json(model), status_code=status_code, headers=headers)


def etag(version: int | str) -> str:
    """A strong ETag: the quoted version (or data-version token)."""
    return f'"{version}"'


def not_modified(request: Request, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag``; the comparison is weak, so ``W/"3"`` matches ``"3"``."""
    candidates = request.headers.get("if-none-match")
    if not candidates:
        return False
    return any(part.strip().removeprefix("W/") in (tag, "*") for part in candidates.split(","))


def versioned_response(
    request: Request,
    model: BaseModel,
    tag: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A single-resource answer with a strong ETag; 304 when the client already has it."""
    all_headers = {"ETag": tag, **(headers or {})}
    if status_code == 200 and not_modified(request, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return json_response(model, status_code, all_headers)


# The exact forms the server accepts, stated as such in the OpenAPI document.
IF_MATCH_PATTERN = r'^"[0-9]{1,40}"$'
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]+$"  # visible ASCII, no spaces
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def required_version(request: Request) -> int:
    """The version an ``If-Match: "N"`` names; 428 without it, 412-able by the service."""
    header = request.headers.get("if-match")
    if not header:
        raise ProblemError(
            ErrorCode.PRECONDITION_REQUIRED, 'Send If-Match: "<version>" with the ETag you last read.'
        )
    # ASCII digits in quotes only: no weak tag, no "*", and str.isdigit() would pass "²".
    if not _IF_MATCH.fullmatch(header.strip()):
        raise ProblemError(ErrorCode.VALIDATION_ERROR, 'If-Match must be a strong ETag like "3".')
    return int(header.strip()[1:-1])
