"""GET /teams, /agents, /kpis."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from server.api.http import caller, database, json_response, parse_query
from server.api.routing import api
from server.services.directory import DirectoryService
from shared.directory import AgentList, KpiList, TeamList
from shared.types import EntityId


class AgentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: EntityId | None = None


async def list_teams(request: Request) -> Response:
    who = await caller(request)
    return json_response(await DirectoryService(database(request)).teams(who))


async def list_agents(request: Request) -> Response:
    query = parse_query(request, AgentQuery)
    who = await caller(request)
    return json_response(await DirectoryService(database(request)).agents(who, query.team_id))


async def list_kpis(request: Request) -> Response:
    await caller(request)
    return json_response(await DirectoryService(database(request)).kpis())


routes = [
    api("/teams", "GET", list_teams, response=TeamList, summary="Teams in the caller's scope"),
    api(
        "/agents",
        "GET",
        list_agents,
        query=AgentQuery,
        response=AgentList,
        errors=(404,),
        summary="Agents in the caller's scope, optionally of one team",
    ),
    api("/kpis", "GET", list_kpis, response=KpiList, summary="KPI definitions"),
]
