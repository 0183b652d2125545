from __future__ import annotations

import httpx

from tests.factories import World
from tests.server.conftest import Login


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/livez")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_expose_requests_and_pool(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    await client.get("/api/v1/teams", headers=await sign_in("admin"))
    text = (await client.get("/metrics")).text
    assert 'coachhub_requests_total{method="GET",route="/api/v1/teams",status="200"}' in text
    assert "coachhub_db_requests_in_flight" in text
    assert "coachhub_db_requests_waiting" in text
    assert "coachhub_shed_requests_total" in text


async def test_openapi_is_generated_from_the_contract(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LoginRequest"
    }
    assert "TokenPair" in spec["components"]["schemas"]


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
