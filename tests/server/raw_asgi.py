"""Calling the app as an ASGI server would, to see what happens around the answer (work done
after it, the moment it is complete) that an HTTP client cannot tell apart."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]


async def post_json(app: Any, path: str, payload: object, client: str, send: Send) -> None:
    """POST ``payload`` to ``path`` from the address ``client``; every message goes to ``send``."""
    received = [{"type": "http.request", "body": json.dumps(payload).encode(), "more_body": False}]

    async def receive() -> dict[str, object]:
        return received.pop(0) if received else {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": (client, 5000),
        "server": ("coachhub.test", 80),
    }
    await app(scope, receive, send)


def is_last_body(message: dict[str, Any]) -> bool:
    return message["type"] == "http.response.body" and not message.get("more_body")
