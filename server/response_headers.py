"""Headers every response carries, and the ones that keep credentials out of caches."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Answers that carry tokens (sign-in, refresh) or concern them: no cache, shared or private,
# may keep a copy.
NO_STORE_PREFIXES = ("/api/v1/auth/",)


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` everywhere (a JSON answer is never run as a script or
    rendered as HTML), and ``Cache-Control: no-store`` on the auth endpoints."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, _adding_headers(scope, send) if scope["type"] == "http" else send)


def _adding_headers(scope: Scope, send: Send) -> Send:
    extra = {"X-Content-Type-Options": "nosniff"}
    if scope["path"].startswith(NO_STORE_PREFIXES):
        extra["Cache-Control"] = "no-store"

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).update(extra)
        await send(message)

    return send_with_headers
