"""Operations: liveness, readiness, metrics, the version and the OpenAPI document."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.api.http import database, json_response, settings
from server.api.routing import api
from server.observability import metrics_endpoint
from server.openapi import build_openapi
from server.problems import ProblemError
from shared.errors import ErrorCode
from shared.version import API_VERSION, ServerVersion


async def livez(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        async with database(request).read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable"}, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    # Off unless asked for: request counts and pool figures are for operators, not the internet.
    if not settings(request).metrics_enabled:
        raise ProblemError(ErrorCode.NOT_FOUND, "Metrics are off (COACHHUB_METRICS).")
    return await metrics_endpoint(request)


async def server_version(request: Request) -> Response:
    return json_response(ServerVersion(server_version=request.app.state.version, api_version=API_VERSION))


async def openapi(request: Request) -> Response:
    return JSONResponse(build_openapi(request.app.routes, request.app.state.version))


routes = [
    Route("/livez", livez),
    Route("/readyz", readyz),
    Route("/metrics", metrics),
    Route("/openapi.json", openapi),
    Route("/api/v1/openapi.json", openapi),
    api(
        "/version",
        "GET",
        server_version,
        response=ServerVersion,
        auth=False,
        summary="The server's release and the API version it speaks (clients refuse another major)",
    ),
]
