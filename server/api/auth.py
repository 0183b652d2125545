"""/auth/* and /me."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from server.api.client_address import client_address
from server.api.http import bearer_token, caller, json_response, parse_body
from server.api.routing import api
from server.services.auth import AuthService
from shared import auth as contract


def _service(request: Request) -> AuthService:
    service: AuthService = request.app.state.services.auth
    return service


async def login(request: Request) -> Response:
    body = await parse_body(request, contract.LoginRequest)
    return json_response(await _service(request).login(body.email, body.password, client_address(request)))


async def refresh(request: Request) -> Response:
    body = await parse_body(request, contract.RefreshRequest)
    return json_response(await _service(request).refresh(body.refresh_token))


async def logout(request: Request) -> Response:
    await caller(request)
    token = bearer_token(request)
    assert token is not None
    await _service(request).logout(token)
    return Response(status_code=204)


async def me(request: Request) -> Response:
    return json_response(await _service(request).me(await caller(request)))


async def password_reset(request: Request) -> Response:
    body = await parse_body(request, contract.PasswordResetRequest)
    service = _service(request)
    await service.admit_password_reset(body.email, client_address(request))
    response = json_response(contract.PasswordResetAccepted(), status_code=202)
    # Whether the address is known is looked at only after the answer, so it cannot show in
    # the answer's timing (nor can the mail's delivery, which may take seconds over SMTP).
    response.background = BackgroundTask(service.send_password_reset, body.email)
    return response


async def password_reset_confirm(request: Request) -> Response:
    body = await parse_body(request, contract.PasswordResetConfirm)
    await _service(request).confirm_password_reset(body.token, body.new_password)
    return Response(status_code=204)


routes = [
    api(
        "/auth/login",
        "POST",
        login,
        body=contract.LoginRequest,
        response=contract.TokenPair,
        auth=False,
        errors=(401, 429),
        summary="Sign in with email and password",
    ),
    api(
        "/auth/refresh",
        "POST",
        refresh,
        body=contract.RefreshRequest,
        response=contract.TokenPair,
        auth=False,
        errors=(401,),
        summary="Rotate the refresh token and get a new pair",
    ),
    api("/auth/logout", "POST", logout, status=204, summary="End this login"),
    api("/me", "GET", me, response=contract.Me, summary="The signed-in user and their teams"),
    api(
        "/auth/password-reset",
        "POST",
        password_reset,
        body=contract.PasswordResetRequest,
        response=contract.PasswordResetAccepted,
        status=202,
        auth=False,
        errors=(429,),
        summary="Mail a reset link (same answer for unknown addresses)",
    ),
    api(
        "/auth/password-reset/confirm",
        "POST",
        password_reset_confirm,
        body=contract.PasswordResetConfirm,
        status=204,
        auth=False,
        errors=(400,),
        summary="Set a new password with a reset token",
    ),
]
