"""``GET /api/v1/version``: the server's release and API version, open to anyone, in the OpenAPI document."""

from __future__ import annotations

import httpx

from shared.version import API_VERSION, ServerVersion, package_version


async def test_version_names_the_release_and_the_api_without_a_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/version")
    assert response.status_code == 200
    assert ServerVersion.model_validate(response.json()) == ServerVersion(
        server_version=package_version(), api_version=API_VERSION
    )
    assert package_version() != "0.0.0"  # the installed distribution's own version


async def test_version_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/v1/version"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ServerVersion"
    }
    assert "security" not in operation
    assert set(spec["components"]["schemas"]["ServerVersion"]["required"]) == {
        "server_version",
        "api_version",
    }
