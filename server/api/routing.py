"""Routes that carry their contract (body, query and response models) for the OpenAPI document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Handler = Callable[[Request], Awaitable[Response]]
API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Contract:
    body: Any = None  # a pydantic model or a TypeAdapter-able annotation
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    summary: str = ""
    auth: bool = True
    headers: tuple[str, ...] = field(default_factory=tuple)
    errors: tuple[int, ...] = field(default_factory=tuple)
    body_media_type: str = "application/json"


class ApiRoute(Route):
    def __init__(self, path: str, endpoint: Handler, method: str, contract: Contract) -> None:
        super().__init__(API_PREFIX + path, endpoint, methods=[method])
        self.method = method
        self.contract = contract


def api(path: str, method: str, endpoint: Handler, **contract: Any) -> ApiRoute:
    return ApiRoute(path, endpoint, method, Contract(**contract))
