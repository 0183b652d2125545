"""``ApiClient`` against the real server in-process, and against fakes for what a server won't do."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from desktop.net import ApiClient, ApiError, ServerUnreachable
from shared.auth import Role, TokenPair
from shared.errors import ErrorCode
from shared.types import utcnow
from tests.desktop.conftest import InProcessServer, Run, SwitchableTransport

PERIOD = utcnow().strftime("%Y-%m")


def sign_in(
    api: ApiClient, server: InProcessServer, run: Run[Any], role: Role = Role.TEAM_LEADER
) -> TokenPair:
    login = server.login(role)
    return run(api.login(login.email, login.password))


def test_login_and_me(api: ApiClient, server: InProcessServer, run: Run[Any]) -> None:
    pair = sign_in(api, server, run)
    me = run(api.me())
    assert me.id == pair.user.id and me.role is Role.TEAM_LEADER and me.team_ids


def test_a_problem_becomes_an_api_error_with_its_code(api: ApiClient, run: Run[Any]) -> None:
    with pytest.raises(ApiError) as caught:
        run(api.login("nobody@example.com", "wrong password"))
    error = caught.value
    assert (error.status, error.code) == (401, ErrorCode.UNAUTHORIZED)
    assert error.problem["code"] == "unauthorized"


def test_no_network_is_server_unreachable(
    api: ApiClient, network: SwitchableTransport, run: Run[Any]
) -> None:
    network.online = False
    with pytest.raises(ServerUnreachable):
        run(api.me())


def test_a_gateway_error_without_a_problem_body_is_server_unreachable(run: Run[Any]) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="Bad Gateway"))
    client = ApiClient("http://coachhub.test", transport=transport)
    with pytest.raises(ServerUnreachable):
        run(client.me())
    run(client.aclose())


def test_an_expired_access_token_is_refreshed_once_and_the_new_pair_reported(
    api: ApiClient, server: InProcessServer, run: Run[Any]
) -> None:
    first = sign_in(api, server, run)
    reported: list[TokenPair] = []
    api.on_tokens = reported.append
    api.set_tokens("cha_expired", first.refresh_token)

    async def together() -> list[Any]:
        # Concurrent 401s share one refresh: a second refresh with the rotated token would be
        # taken for theft and end the whole login.
        return await asyncio.gather(api.me(), api.me(), api.me())

    results = run(together())
    assert {me.id for me in results} == {first.user.id}
    assert len(reported) == 1
    assert reported[0].refresh_token != first.refresh_token
    assert api.refresh_token == reported[0].refresh_token
    assert run(api.me()).id == first.user.id


def test_a_refused_refresh_signs_the_client_out(
    api: ApiClient, server: InProcessServer, run: Run[Any]
) -> None:
    sign_in(api, server, run)
    api.set_tokens("cha_expired", "chr_revoked")
    with pytest.raises(ApiError) as caught:
        run(api.me())
    assert caught.value.code is ErrorCode.UNAUTHORIZED
    assert not api.signed_in


def test_dashboards_revalidate_with_their_etag(
    api: ApiClient, server: InProcessServer, network: SwitchableTransport, run: Run[Any]
) -> None:
    sign_in(api, server, run)
    first = run(api.team_dashboard(PERIOD))
    again = run(api.team_dashboard(PERIOD))
    request = network.requests[-1]
    assert request.headers.get("if-none-match")
    assert again == first  # served from the kept body on 304
    card = run(api.scorecard(first.agents[0].agent.id, PERIOD))
    assert run(api.scorecard(first.agents[0].agent.id, PERIOD)) == card
    assert network.requests[-1].headers.get("if-none-match")


def test_304_answers_with_the_kept_body(run: Run[Any]) -> None:
    body = {"period": PERIOD, "as_of": "2026-01-01T00:00:00Z", "teams": []}
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, json=body, headers={"ETag": '"v1"'})

    client = ApiClient("http://coachhub.test", transport=httpx.MockTransport(answer))
    assert run(client.manager_dashboard(PERIOD)) == run(client.manager_dashboard(PERIOD))
    assert seen == [None, '"v1"']
    run(client.aclose())


def test_ids_are_quoted_as_one_path_segment(run: Run[Any]) -> None:
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(404, json={"code": "not_found", "title": "", "status": 404})

    client = ApiClient("http://coachhub.test", transport=httpx.MockTransport(answer))
    for hostile in ("../../admin", "..", "a/b?c#d", "free-slots/x"):
        with pytest.raises(ApiError):
            run(client.get_session(hostile))
        with pytest.raises(ApiError):
            run(client.scorecard(hostile, PERIOD))
    run(client.aclose())
    assert seen[0] == b"/api/v1/sessions/..%2F..%2Fadmin"
    assert seen[2] == b"/api/v1/sessions/%2E%2E"
    assert seen[4] == b"/api/v1/sessions/a%2Fb%3Fc%23d"
    assert all(path.startswith((b"/api/v1/sessions/", b"/api/v1/agents/")) for path in seen)
    segments = [len(path.split(b"?")[0].split(b"/")) for path in seen]
    assert segments == [5, 6] * 4, seen
