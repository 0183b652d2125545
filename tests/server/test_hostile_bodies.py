"""Bodies that are too big or too deep are a 4xx, answered before they cost memory or a stack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from server.app import create_app
from server.db.engine import Database
from server.settings import Settings
from tests.factories import World, login
from tests.server.conftest import Login

MIB = 1024 * 1024
IMPORT_URL = "/api/v1/admin/metrics/import"
CSV_HEADER = "employee_code,period,kpi,value\n"


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for _ in range(total // size):
        yield b" " * size


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


async def test_a_json_body_over_the_limit_is_a_413(client: httpx.AsyncClient, world: World) -> None:
    body = b'{"email": "a@example.com", "password": "' + b"x" * (2 * MIB) + b'"}'
    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    _assert_too_large(response)


async def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    response = await client.post(
        "/api/v1/sync/push", content=_chunks(3 * MIB), headers={**leader, "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _assert_too_large(response)


async def test_the_import_has_its_own_larger_limit(
    settings: Settings, db: Database, world: World, sign_in: Login
) -> None:
    app = create_app(settings.with_(max_body_bytes=MIB, max_import_bytes=3 * MIB), db)
    code = world.users["agent_a1"].employee_code
    # 2 MiB of CSV: over the JSON limit, within the import's.
    row = f"{code},2030-01,aht,300\n"
    text = CSV_HEADER + row + "\n" * (2 * MIB)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        admin = await login(http, world.users["admin"].email)
        accepted = await http.post(IMPORT_URL, content=text, headers={**admin, "Content-Type": "text/csv"})
        assert accepted.status_code == 200, accepted.text[:300]
        assert accepted.json()["inserted"] == 1
        refused = await http.post(
            IMPORT_URL, content=_chunks(4 * MIB), headers={**admin, "Content-Type": "text/csv"}
        )
        _assert_too_large(refused)


async def test_json_nested_100000_deep_is_a_4xx(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    for opening, closing in ((b"[", b"]"), (b'{"a":', b"}")):
        body = opening * 100_000 + closing * 100_000
        for path in ("/api/v1/auth/login", "/api/v1/sync/push", "/api/v1/sessions"):
            response = await client.post(
                path,
                content=body,
                headers={**leader, "Content-Type": "application/json", "Idempotency-Key": "deep"},
            )
            assert response.status_code in (400, 422), (path, response.status_code, response.text[:200])
            assert response.json()["code"] == "validation_error"
