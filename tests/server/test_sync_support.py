"""Helpers for the sync tests: pulling the feed to the end and folding it into a local view."""

from __future__ import annotations

from typing import Any

import httpx

View = dict[tuple[str, str], dict[str, Any]]


async def pull(
    client: httpx.AsyncClient, headers: dict[str, str], since: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if since is not None:
        params["since"] = since
    response = await client.get("/api/v1/sync/changes", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def pull_all(
    client: httpx.AsyncClient, headers: dict[str, str], since: str | None = None, limit: int = 1000
) -> tuple[list[dict[str, Any]], str, int]:
    """Every change until ``has_more`` is false: (changes, cursor, pages)."""
    changes: list[dict[str, Any]] = []
    pages = 0
    while True:
        page = await pull(client, headers, since, limit)
        pages += 1
        changes.extend(page["changes"])
        since = page["cursor"]
        if not page["has_more"]:
            assert since is not None
            return changes, since, pages


def fold(view: View, changes: list[dict[str, Any]]) -> View:
    """Apply changes to a local view the way a client cache does."""
    for change in changes:
        key = (change["entity"], change["id"])
        if change["op"] == "delete":
            view.pop(key, None)
        else:
            view[key] = change["data"]
    return view


async def snapshot(client: httpx.AsyncClient, headers: dict[str, str], limit: int = 1000) -> tuple[View, str]:
    changes, cursor, _pages = await pull_all(client, headers, None, limit)
    return fold({}, changes), cursor


def ids(view: View, entity: str) -> set[str]:
    return {key[1] for key in view if key[0] == entity}


def csv(rows: list[tuple[str, str, str, float]]) -> str:
    return "employee_code,period,kpi,value\n" + "".join(f"{c},{p},{k},{v}\n" for c, p, k, v in rows)


async def import_metrics(
    client: httpx.AsyncClient, headers: dict[str, str], rows: list[tuple[str, str, str, float]]
) -> None:
    response = await client.post(
        "/api/v1/admin/metrics/import",
        content=csv(rows),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
