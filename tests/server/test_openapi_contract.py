"""The OpenAPI document states what the server enforces, and an undeclared method is a 405."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from server.api.http import IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN
from server.app import create_app
from server.settings import Settings
from shared.types import CURSOR_PATTERN, EMAIL_PATTERN, UUID_PATTERN
from tests.factories import World
from tests.server.conftest import Login


@pytest.fixture
async def document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        body: dict[str, Any] = (await http.get("/openapi.json")).json()
        return body


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in operation["parameters"] if p["name"] == name)
    return found


async def test_headers_ids_and_cursors_are_stated(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert not [path for path in paths if ":" in path], "convertors stay out of the document"
    patch = paths["/api/v1/sessions/{session_id}"]["patch"]
    if_match = _parameter(patch, "If-Match")
    assert if_match["required"] and if_match["schema"]["pattern"] == IF_MATCH_PATTERN
    assert {"412", "413", "428", "503"} <= patch["responses"].keys()
    assert _parameter(patch, "session_id")["schema"]["pattern"] == UUID_PATTERN
    book = paths["/api/v1/sessions"]["post"]
    key = _parameter(book, "Idempotency-Key")
    assert key["required"] and key["schema"]["pattern"] == IDEMPOTENCY_KEY_PATTERN
    assert "400" in book["responses"]
    for path in (
        "/api/v1/sessions/{session_id}", "/api/v1/dashboards/team", "/api/v1/agents/{agent_id}/scorecard"
    ):
        assert "304" in paths[path]["get"]["responses"], path
    assert "401" in paths["/api/v1/auth/refresh"]["post"]["responses"]
    for path, name in (("/api/v1/sessions", "cursor"), ("/api/v1/sync/changes", "since")):
        assert _parameter(paths[path]["get"], name)["schema"]["anyOf"][0]["pattern"] == CURSOR_PATTERN
    login = document["components"]["schemas"]["LoginRequest"]
    assert login["properties"]["email"]["pattern"] == EMAIL_PATTERN


async def test_the_email_rule_is_the_one_stated(client: httpx.AsyncClient, world: World) -> None:
    longest = "a" * 64 + "@" + "0." * 93 + "com"  # 254 characters, the most an address may have
    assert len(longest) == 254
    reset = await client.post("/api/v1/auth/password-reset", json={"email": longest})
    assert reset.status_code == 202, reset.text
    for email, status in (
        ("6/+8l@j.none.test", 401), (longest, 401), ("ada@example", 422), ("a b@example.com", 422)
    ):
        body = {"email": email, "password": "whatever it is"}
        response = await client.post("/api/v1/auth/login", json=body)
        assert response.status_code == status, (email, response.text)


async def test_an_undeclared_method_is_405_with_allow(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader = await sign_in("leader_a")
    for method, path, allowed in (
        ("TRACE", "/api/v1/teams", "GET, HEAD"),
        ("DELETE", "/api/v1/sessions", "GET, HEAD, POST"),
        ("PATCH", "/api/v1/sessions/free-slots", "GET, HEAD"),
        ("PUT", f"/api/v1/admin/teams/{world.teams['team_a'].id}", "PATCH"),
    ):
        response = await client.request(method, path, headers=leader)
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["allow"] == allowed, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "method_not_allowed"


async def test_if_match_must_be_the_stated_form(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin = await sign_in("admin")
    path = f"/api/v1/admin/teams/{world.teams['team_a'].id}"
    for tag in ("1", "*", 'W/"1"', '"1"x'):
        response = await client.patch(path, json={"name": "x"}, headers={**admin, "If-Match": tag})
        assert response.status_code == 422, (tag, response.text)
    accepted = await client.patch(path, json={"name": "x"}, headers={**admin, "If-Match": '"1"'})
    assert accepted.status_code == 200


async def test_timestamps_are_text(client: httpx.AsyncClient, world: World, sign_in: Login) -> None:
    leader = await sign_in("leader_a")
    for query in ("to=0.5", "from=1700000000"):
        assert (await client.get(f"/api/v1/sessions?{query}", headers=leader)).status_code == 422, query
