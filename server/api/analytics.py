"""Dashboards, scorecards and the monthly metrics import."""

from __future__ import annotations

import io
import tempfile

from starlette.requests import Request
from starlette.responses import Response

from server.api.http import (
    caller,
    database,
    etag,
    id_param,
    json_response,
    parse_query,
    token_caller,
    versioned_response,
)
from server.api.routing import API_PREFIX, api
from server.problems import ProblemError
from server.services.analytics import AnalyticsService
from server.services.metrics_import import import_metrics_csv
from shared.admin import ImportResult
from shared.analytics import ManagerDashboard, PeriodQuery, Scorecard, TeamDashboard, TeamDashboardQuery
from shared.errors import ErrorCode

CSV_MEDIA_TYPES = ("text/csv", "text/plain", "application/csv")
IMPORT_PATH = API_PREFIX + "/admin/metrics/import"
SPOOL_IN_MEMORY_BYTES = 1024 * 1024


def _service(request: Request) -> AnalyticsService:
    return AnalyticsService(database(request))


# Dashboards check the bearer token inside their own read snapshot: one transaction per request.


async def team_dashboard(request: Request) -> Response:
    who = token_caller(request)
    query = parse_query(request, TeamDashboardQuery)
    answer = await _service(request).team_dashboard(who, query.period, query.team_id)
    return versioned_response(request, answer.body, etag(answer.version))


async def manager_dashboard(request: Request) -> Response:
    who = token_caller(request)
    query = parse_query(request, PeriodQuery)
    answer = await _service(request).manager_dashboard(who, query.period)
    return versioned_response(request, answer.body, etag(answer.version))


async def scorecard(request: Request) -> Response:
    who = token_caller(request)
    query = parse_query(request, PeriodQuery)
    answer = await _service(request).scorecard(who, id_param(request, "agent_id"), query.period)
    return versioned_response(request, answer.body, etag(answer.version))


async def import_metrics(request: Request) -> Response:
    who = await caller(request)
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise ProblemError(ErrorCode.VALIDATION_ERROR, "Send the metrics as a text/csv body.")
    # The body goes to a temporary file as it arrives (BodySizeLimit bounds it) and is read back
    # line by line, so a large import never sits in memory whole.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        lines = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        return json_response(await import_metrics_csv(database(request), lines, who))


routes = [
    api("/dashboards/team", "GET", team_dashboard, query=TeamDashboardQuery, response=TeamDashboard,
        headers=("If-None-Match",), errors=(403, 404),
        summary="One team's agents, KPIs and scores for a period (default: your own team)"),
    api("/dashboards/manager", "GET", manager_dashboard, query=PeriodQuery, response=ManagerDashboard,
        headers=("If-None-Match",), errors=(403,),
        summary="Every team in your scope side by side for a period"),
    api("/agents/{agent_id:uuid}/scorecard", "GET", scorecard, query=PeriodQuery, response=Scorecard,
        headers=("If-None-Match",), errors=(404,),
        summary="One agent's KPIs against target, the previous month and the 12-month history"),
    api("/admin/metrics/import", "POST", import_metrics, body=str, body_media_type="text/csv",
        response=ImportResult, errors=(403,),
        summary="Upsert monthly KPI values from CSV (employee_code,period,kpi,value); all or nothing"),
]
