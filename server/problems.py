"""Turning failures into problem+json responses; nothing reaches the client as a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from shared.errors import PROBLEM_MEDIA_TYPE, ErrorCode, Problem

log = logging.getLogger(__name__)

RETRY_AFTER_OVERLOADED = 1


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem+json body."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or code.value)
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    code: ErrorCode, detail: str = "", headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = Problem.of(code, detail, **extra).model_dump(mode="json")
    return JSONResponse(body, status_code=code.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def validation_problem(error: ValidationError) -> ProblemError:
    errors = [
        {"loc": list(item["loc"]), "message": item["msg"], "type": item["type"]}
        for item in error.errors(include_url=False, include_input=False)
    ]
    return ProblemError(
        ErrorCode.VALIDATION_ERROR, "The request body or parameters are not valid.", errors=errors
    )


async def _on_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.code, exc.detail, exc.headers, **exc.extra)


async def _on_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    problem = validation_problem(exc)
    return problem_response(problem.code, problem.detail, **problem.extra)


_HTTP_CODES = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    422: ErrorCode.VALIDATION_ERROR,
}


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.VALIDATION_ERROR)
    body = Problem.of(code, str(exc.detail)).model_dump(mode="json")
    body["status"] = exc.status_code
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return JSONResponse(body, status_code=exc.status_code, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE and isinstance(route, Route) and route.methods:
            methods |= route.methods
    return ", ".join(sorted(methods))


def _overloaded(detail: str) -> Response:
    return problem_response(
        ErrorCode.OVERLOADED, detail, headers={"Retry-After": str(RETRY_AFTER_OVERLOADED)}
    )


async def _on_pool_timeout(_request: Request, _exc: Exception) -> Response:
    return _overloaded("All database connections are busy; retry shortly.")


async def _on_operational(request: Request, exc: Exception) -> Response:
    # SQLite answers "database is locked" once busy_timeout runs out: that is load, not a bug.
    if "locked" in str(exc) or "busy" in str(exc):
        return _overloaded("The database is busy; retry shortly.")
    log.exception("database error on %s %s", request.method, request.url.path)
    return _overloaded("The database is not reachable; retry shortly.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ProblemError: _on_problem,
    ValidationError: _on_validation,
    HTTPException: _on_http,
    PoolTimeoutError: _on_pool_timeout,
    OperationalError: _on_operational,
}
