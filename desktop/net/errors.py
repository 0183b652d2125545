"""What a call to the server can fail with."""

from __future__ import annotations

from typing import Any

from shared.errors import ErrorCode
from shared.version import API_VERSION, ServerVersion, api_major, package_version

# A non-problem 4xx (a proxy, a missing route) still maps onto the contract's codes.
_STATUS_CODES: dict[int, ErrorCode] = {
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.NOT_FOUND,
    409: ErrorCode.SLOT_CONFLICT,
    410: ErrorCode.CURSOR_EXPIRED,
    412: ErrorCode.VERSION_CONFLICT,
    428: ErrorCode.PRECONDITION_REQUIRED,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.OVERLOADED,
}


class ApiError(Exception):
    """The server answered with a problem: ``code`` is the contract's machine-readable code."""

    def __init__(self, status: int, code: ErrorCode, detail: str, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {code.value}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem = problem

    @classmethod
    def from_problem(cls, status: int, body: Any) -> ApiError:
        problem: dict[str, Any] = body if isinstance(body, dict) else {}
        try:
            code = ErrorCode(str(problem.get("code")))
        except ValueError:
            code = _STATUS_CODES.get(status, ErrorCode.VALIDATION_ERROR)
        detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        return cls(status, code, detail, problem)


class ServerUnreachable(Exception):
    """No answer from the server: connection refused, DNS, timeout, or a gateway without it."""


class IncompatibleServer(Exception):
    """The server speaks an API major version this app does not, or does not say which it speaks."""

    def __init__(self, server_url: str, found: ServerVersion | None) -> None:
        app = f"this app (Coaching Hub {package_version()}) speaks API {api_major(API_VERSION)}.x"
        if found is None:
            message = (
                f"The server at {server_url} does not say which API version it speaks: it is not a "
                f"Coaching Hub server, or one older than {app} can use."
            )
        else:
            message = (
                f"The server at {server_url} (Coaching Hub {found.server_version}) speaks API "
                f"{found.api_version}, and {app}. Install the release of the app that matches the "
                "server; your administrator knows which one."
            )
        super().__init__(message)
        self.server_url = server_url
        self.found = found
