"""Error codes of the HTTP API and the problem+json body that carries them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorCode(StrEnum):
    """Every machine-readable `code` a problem+json response can carry."""

    VALIDATION_ERROR = "validation_error"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    PRECONDITION_REQUIRED = "precondition_required"
    VERSION_CONFLICT = "version_conflict"
    SLOT_CONFLICT = "slot_conflict"
    REQUEST_IN_PROGRESS = "request_in_progress"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_TRANSITION = "invalid_transition"
    SESSION_NOT_STARTED = "session_not_started"
    TOKEN_INVALID = "token_invalid"
    CURSOR_EXPIRED = "cursor_expired"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    METHOD_NOT_ALLOWED = "method_not_allowed"

    @property
    def status(self) -> int:
        return _STATUS[self]

    @property
    def summary(self) -> str:
        return _TITLES[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.PRECONDITION_REQUIRED: 428,
    ErrorCode.VERSION_CONFLICT: 412,
    ErrorCode.SLOT_CONFLICT: 409,
    ErrorCode.REQUEST_IN_PROGRESS: 409,
    ErrorCode.IDEMPOTENCY_KEY_MISSING: 400,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.INVALID_TRANSITION: 422,
    ErrorCode.SESSION_NOT_STARTED: 422,
    ErrorCode.TOKEN_INVALID: 400,
    ErrorCode.CURSOR_EXPIRED: 410,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.OVERLOADED: 503,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
}

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION_ERROR: "The request is not valid",
    ErrorCode.UNAUTHORIZED: "Authentication required",
    ErrorCode.FORBIDDEN: "Not allowed",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.PRECONDITION_REQUIRED: "If-Match header required",
    ErrorCode.VERSION_CONFLICT: "The resource has changed",
    ErrorCode.SLOT_CONFLICT: "The time slot is taken",
    ErrorCode.REQUEST_IN_PROGRESS: "The same request is still running",
    ErrorCode.IDEMPOTENCY_KEY_MISSING: "Idempotency-Key header required",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "Idempotency-Key reused with another request",
    ErrorCode.INVALID_TRANSITION: "Status change not allowed",
    ErrorCode.SESSION_NOT_STARTED: "The session has not started yet",
    ErrorCode.TOKEN_INVALID: "The token is invalid or expired",
    ErrorCode.CURSOR_EXPIRED: "The sync cursor has expired",
    ErrorCode.RATE_LIMITED: "Too many requests",
    ErrorCode.OVERLOADED: "The server is busy",
    ErrorCode.PAYLOAD_TOO_LARGE: "The request body is too large",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed here",
}

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem body; extra members (``current``, ``conflicts``…) are allowed."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    code: ErrorCode

    @classmethod
    def of(cls, code: ErrorCode, detail: str = "", **extra: Any) -> Problem:
        return cls(
            type=f"https://coachhub.example/problems/{code.value}",
            title=code.summary,
            status=code.status,
            detail=detail,
            code=code,
            **extra,
        )
