"""Request bodies are bounded before they are read whole: past the limit the answer is a 413.

A ``Content-Length`` over the limit is refused before the handler runs (and before it takes an
admission slot). A body without one, or one that lies, is counted as it streams in; the read that
crosses the limit raises, so a handler never holds more than the limit in memory.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.problems import ProblemError, problem_response
from shared.errors import ErrorCode


def too_large(limit: int) -> ProblemError:
    return ProblemError(ErrorCode.PAYLOAD_TOO_LARGE, f"The request body is larger than {limit} bytes.")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimit:
    """Bounds every request body to ``limit`` bytes, or to the limit ``per_path`` names for its path."""

    def __init__(self, app: ASGIApp, limit: int, per_path: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.limit)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            problem = too_large(limit)
            response = problem_response(problem.code, problem.detail, {"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, counted_receive, send)
