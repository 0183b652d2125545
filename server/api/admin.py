"""/admin/*: users, teams and KPI settings (admins only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.http import (
    caller,
    database,
    etag,
    id_param,
    json_response,
    parse_body,
    path_param,
    required_version,
)
from server.api.routing import api
from server.services.admin import AdminService
from shared import auth, directory
from shared.admin import KpiUpdate, TeamCreate, TeamPatch, UserCreate, UserPatch
from shared.auth import Role


async def _admin(request: Request) -> AdminService:
    who = await caller(request)
    who.require_role(Role.ADMIN)
    return AdminService(database(request), request.app.state.services.passwords)


async def create_user(request: Request) -> Response:
    service = await _admin(request)
    user = await service.create_user(await parse_body(request, UserCreate))
    return json_response(
        user, 201, {"ETag": etag(user.version), "Location": f"/api/v1/admin/users/{user.id}"}
    )


async def patch_user(request: Request) -> Response:
    service = await _admin(request)
    version = required_version(request)
    user = await service.patch_user(id_param(request, "id"), version, await parse_body(request, UserPatch))
    return json_response(user, headers={"ETag": etag(user.version)})


async def create_team(request: Request) -> Response:
    service = await _admin(request)
    team = await service.create_team(await parse_body(request, TeamCreate))
    return json_response(
        team, 201, {"ETag": etag(team.version), "Location": f"/api/v1/admin/teams/{team.id}"}
    )


async def patch_team(request: Request) -> Response:
    service = await _admin(request)
    version = required_version(request)
    team = await service.patch_team(id_param(request, "id"), version, await parse_body(request, TeamPatch))
    return json_response(team, headers={"ETag": etag(team.version)})


async def update_kpi(request: Request) -> Response:
    service = await _admin(request)
    version = required_version(request)
    kpi = await service.update_kpi(path_param(request, "code"), version, await parse_body(request, KpiUpdate))
    return json_response(kpi, headers={"ETag": etag(kpi.version)})


WRITE_ERRORS = (403, 404, 412, 428)
routes = [
    api(
        "/admin/users",
        "POST",
        create_user,
        body=UserCreate,
        response=auth.User,
        status=201,
        errors=(403,),
        summary="Create a user",
    ),
    api(
        "/admin/users/{id:uuid}",
        "PATCH",
        patch_user,
        body=UserPatch,
        response=auth.User,
        headers=("If-Match",),
        errors=WRITE_ERRORS,
        summary="Change a user's role, team, name or active flag",
    ),
    api(
        "/admin/teams",
        "POST",
        create_team,
        body=TeamCreate,
        response=directory.Team,
        status=201,
        errors=(403,),
        summary="Create a team",
    ),
    api(
        "/admin/teams/{id:uuid}",
        "PATCH",
        patch_team,
        body=TeamPatch,
        response=directory.Team,
        headers=("If-Match",),
        errors=WRITE_ERRORS,
        summary="Rename a team or change its leader or manager",
    ),
    api(
        "/admin/kpis/{code}",
        "PUT",
        update_kpi,
        body=KpiUpdate,
        response=directory.Kpi,
        headers=("If-Match",),
        errors=WRITE_ERRORS,
        summary="Change a KPI's target or weight",
    ),
]
