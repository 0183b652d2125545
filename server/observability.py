"""Prometheus metrics. With several worker processes they are aggregated through
``PROMETHEUS_MULTIPROC_DIR`` (set by ``coachhub-server serve --workers N``)."""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("coachhub_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("coachhub_request_seconds", "HTTP request latency", ["method", "route"])
POOL_IN_USE = Gauge(
    "coachhub_db_requests_in_flight", "Requests holding a database slot", multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "coachhub_db_requests_waiting", "Requests waiting for a database slot", multiprocess_mode="livesum"
)
SHED_REQUESTS = Counter("coachhub_shed_requests_total", "Requests answered 503 overloaded")
DB_RETRIES = Counter(
    "coachhub_db_retries_total", "Transactions run again after a transient database failure", ["reason"]
)
DB_RETRY_BUDGET_SPENT = Counter(
    "coachhub_db_retry_budget_spent_total",
    "Transactions that failed transiently on every attempt (answered 503 overloaded)",
    ["reason"],
)


def _route_name(scope: Scope) -> str:
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


class RequestMetrics:
    """Counts requests and their latency per route template (not per concrete URL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            route = _route_name(scope)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


async def metrics_endpoint(_request: Request) -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
