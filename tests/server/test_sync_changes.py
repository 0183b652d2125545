"""The change feed: scope, snapshot paging, increments, cursors and the purge horizon."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from server.db.engine import Database
from server.db.models import Change, SyncMutation
from server.services.sync import purge_changes
from shared.types import utcnow
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_sessions_support import book, booking
from tests.server.test_sync_support import fold, ids, import_metrics, pull, pull_all, snapshot

KPIS = {"aht", "csat", "fcr", "qa", "adherence"}


def _ids(world: World, *keys: str) -> set[str]:
    return {world.users[key].id if key in world.users else world.teams[key].id for key in keys}


async def test_snapshot_is_limited_to_the_callers_scope(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    expected = {
        "admin": (set(world.teams), set(world.users)),
        "manager": (
            {"team_a", "team_b"},
            {"manager", "leader_a", "leader_b", "agent_a1", "agent_a2", "agent_b1"},
        ),
        "leader_a": ({"team_a"}, {"leader_a", "manager", "agent_a1", "agent_a2"}),
        "agent_a1": ({"team_a"}, {"agent_a1"}),
    }
    for who, (teams, users) in expected.items():
        view, _cursor = await snapshot(client, await sign_in(who))
        assert ids(view, "kpi") == KPIS, who
        assert ids(view, "team") == _ids(world, *teams), who
        assert ids(view, "user") == _ids(world, *users), who


async def test_snapshot_pages_cover_everything_once_and_sessions_and_metrics_are_shaped(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, leader = await sign_in("admin"), await sign_in("leader_a")
    agent = world.users["agent_a1"]
    await import_metrics(client, admin, [(agent.employee_code or "", "2026-01", "csat", 88.5)])
    others = [world.users[key].employee_code or "" for key in ("agent_a2", "agent_b1", "agent_c1")]
    await import_metrics(
        client,
        admin,
        [(c, p, k, 70.0) for c in others for p in ("2025-12", "2026-01") for k in ("qa", "fcr", "aht")],
    )
    booked = await book(client, leader, booking(agent.id, "10:00", "11:00"))
    assert booked.status_code == 201

    for headers in (leader, admin, await sign_in("manager")):
        whole, _, _ = await pull_all(client, headers, limit=5000)
        for limit in (1, 2, 7):
            paged, _, pages = await pull_all(client, headers, limit=limit)
            assert pages >= len(whole) // limit
            keys = [(change["entity"], change["id"]) for change in paged]
            assert len(keys) == len(set(keys)), "a snapshot never repeats an entity"
            assert fold({}, paged) == fold({}, whole)
    whole, _, _ = await pull_all(client, leader, limit=5000)
    assert len([c for c in whole if c["entity"] == "metric"]) == 1 + 6

    view = fold({}, whole)
    metric = view[("metric", f"{agent.id}:2026-01:csat")]
    assert metric == {
        "agent_id": agent.id,
        "period": "2026-01",
        "kpi_code": "csat",
        "value": 88.5,
        "version": 1,
    }
    assert view[("session", booked.json()["id"])] == booked.json()


async def test_changes_during_a_multi_page_snapshot_are_not_lost(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, manager = await sign_in("admin"), await sign_in("manager")
    first = await pull(client, manager, limit=3)
    assert first["has_more"]
    # Change things the snapshot has already passed (KPIs, teams) and things it has not.
    kpi = await client.put(
        "/api/v1/admin/kpis/aht", headers={**admin, "If-Match": '"1"'}, json={"target": 300, "weight": 1}
    )
    assert kpi.status_code == 200, kpi.text
    team = await client.patch(
        f"/api/v1/admin/teams/{world.teams['team_a'].id}",
        headers={**admin, "If-Match": '"1"'},
        json={"name": "Renamed"},
    )
    assert team.status_code == 200, team.text
    booked = await book(client, manager, booking(world.users["agent_b1"].id, "09:00", "10:00"))
    assert booked.status_code == 201

    rest, cursor, _ = await pull_all(client, manager, first["cursor"], limit=3)
    view = fold(fold({}, first["changes"]), rest)
    fresh, _ = await snapshot(client, manager)
    assert view == fresh
    assert view[("kpi", "aht")]["target"] == 300
    assert view[("team", world.teams["team_a"].id)]["name"] == "Renamed"

    # Caught up: nothing more, and the cursor stays usable.
    again = await pull(client, manager, cursor)
    assert again["changes"] == [] and not again["has_more"]


async def test_increments_send_each_entity_once_with_its_latest_state(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, leader = await sign_in("admin"), await sign_in("leader_a")
    _, cursor = await snapshot(client, leader)
    url = f"/api/v1/admin/teams/{world.teams['team_a'].id}"
    for version, name in ((1, "One"), (2, "Two"), (3, "Three")):
        response = await client.patch(url, headers={**admin, "If-Match": f'"{version}"'}, json={"name": name})
        assert response.status_code == 200
    page = await pull(client, leader, cursor)
    assert [(c["entity"], c["op"], c["version"], c["data"]["name"]) for c in page["changes"]] == [
        ("team", "upsert", 4, "Three")
    ]


async def test_increments_never_show_what_is_out_of_scope(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, leader_a, leader_c = await sign_in("admin"), await sign_in("leader_a"), await sign_in("leader_c")
    _, cursor = await snapshot(client, leader_a)
    code = world.users["agent_c1"].employee_code or ""
    await import_metrics(client, admin, [(code, "2026-02", "qa", 91.0)])
    assert (
        await book(client, leader_c, booking(world.users["agent_c1"].id, "10:00", "11:00"))
    ).status_code == 201
    page = await pull(client, leader_a, cursor)
    assert page["changes"] == []
    # The cursor moves past what the reader may not see, so it does not age towards the purge.
    assert page["cursor"] != cursor


async def test_a_moved_agent_leaves_the_old_leaders_view_and_enters_the_new_one(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, leader_a = await sign_in("admin"), await sign_in("leader_a")
    leader_b, manager, leader_c = (
        await sign_in("leader_b"),
        await sign_in("manager"),
        await sign_in("leader_c"),
    )
    agent = world.users["agent_a1"]
    code = agent.employee_code or ""
    await import_metrics(
        client, admin, [(code, p, k, 80.0) for p in ("2026-01", "2026-02") for k in ("qa", "csat")]
    )
    booked = await book(
        client, leader_a, booking(agent.id, "10:00", "11:00", coach_id=world.users["manager"].id)
    )
    assert booked.status_code == 201, booked.text
    session_id = booked.json()["id"]

    views = {}
    for name, headers in (("a", leader_a), ("b", leader_b), ("m", manager), ("c", leader_c)):
        views[name] = await snapshot(client, headers)
    agent_keys = {("user", agent.id), ("session", session_id)} | {
        ("metric", f"{agent.id}:{p}:{k}") for p in ("2026-01", "2026-02") for k in ("qa", "csat")
    }
    assert agent_keys <= views["a"][0].keys()
    assert agent_keys <= views["m"][0].keys()
    assert not agent_keys & views["b"][0].keys()

    moved = await client.patch(
        f"/api/v1/admin/users/{agent.id}",
        headers={**admin, "If-Match": '"1"'},
        json={"name": agent.name, "team_id": world.teams["team_b"].id},
    )
    assert moved.status_code == 200, moved.text

    increments = {}
    for name, headers in (("a", leader_a), ("b", leader_b), ("m", manager), ("c", leader_c)):
        changes, _, _ = await pull_all(client, headers, views[name][1])
        increments[name] = {(c["entity"], c["id"]): c for c in changes}
    assert increments["a"].keys() == agent_keys
    assert {c["op"] for c in increments["a"].values()} == {"delete"}
    assert increments["b"].keys() == agent_keys
    assert {c["op"] for c in increments["b"].values()} == {"upsert"}
    assert increments["b"][("user", agent.id)]["data"]["team_id"] == world.teams["team_b"].id
    assert {c["op"] for c in increments["m"].values()} == {"upsert"}  # both teams are the manager's
    assert increments["c"] == {}
    for name, headers in (("a", leader_a), ("b", leader_b), ("m", manager)):
        folded = fold(views[name][0], list(increments[name].values()))
        assert folded == (await snapshot(client, headers))[0], name


async def test_unknown_garbled_and_foreign_cursors_are_410(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    leader, other = await sign_in("leader_a"), await sign_in("leader_b")
    _, cursor = await snapshot(client, leader)
    document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert document["v"] == 1

    def encode(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()

    for malformed in ("not a cursor", "!!!"):  # not base64url: the schema's pattern refuses it
        response = await client.get("/api/v1/sync/changes", params={"since": malformed}, headers=leader)
        assert response.status_code == 422, malformed
    bad = [
        "bm90IGEgY3Vyc29y",  # base64url, but of no cursor
        encode({**document, "v": 0}),
        encode({**document, "seq": -1}),
        encode({**document, "seq": document["seq"] + 100}),
        encode([1, 2]),
        encode({**document, "snap": [99, None]}),
    ]
    for since in bad:
        response = await client.get("/api/v1/sync/changes", params={"since": since}, headers=leader)
        assert response.status_code == 410, since
        assert response.json()["code"] == "cursor_expired"
    # A cursor is bound to its reader's scope.
    foreign = await client.get("/api/v1/sync/changes", params={"since": cursor}, headers=other)
    assert foreign.status_code == 410
    too_big = await client.get("/api/v1/sync/changes", params={"limit": 0}, headers=leader)
    assert too_big.status_code == 422


async def test_a_change_of_the_readers_scope_expires_the_cursor(
    client: httpx.AsyncClient, world: World, sign_in: Login
) -> None:
    admin, manager = await sign_in("admin"), await sign_in("manager")
    _, cursor = await snapshot(client, manager)
    response = await client.patch(
        f"/api/v1/admin/teams/{world.teams['team_c'].id}",
        headers={**admin, "If-Match": '"1"'},
        json={"name": "Team C", "manager_id": world.users["manager"].id},
    )
    assert response.status_code == 200, response.text
    expired = await client.get("/api/v1/sync/changes", params={"since": cursor}, headers=manager)
    assert expired.status_code == 410
    view, _ = await snapshot(client, manager)
    assert world.teams["team_c"].id in ids(view, "team")
    assert world.users["agent_c1"].id in ids(view, "user")


async def test_purge_removes_old_changes_and_expires_cursors_before_the_horizon(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    admin = await sign_in("admin")
    _, old_cursor = await snapshot(client, admin)
    url = f"/api/v1/admin/teams/{world.teams['team_a'].id}"
    assert (
        await client.patch(url, headers={**admin, "If-Match": '"1"'}, json={"name": "X"})
    ).status_code == 200
    changes, middle_cursor, _ = await pull_all(client, admin, old_cursor)
    assert len(changes) == 1
    async with db.write() as session:
        await session.execute(update(Change).values(created_at=utcnow() - timedelta(days=40)))
    assert (
        await client.patch(url, headers={**admin, "If-Match": '"2"'}, json={"name": "Y"})
    ).status_code == 200

    async with db.write() as session:
        for mutation_id, age in (("old", 40), ("new", 1)):
            session.add(
                SyncMutation(
                    user_id=world.users["leader_a"].id,
                    mutation_id=mutation_id,
                    result={},
                    created_at=utcnow() - timedelta(days=age),
                )
            )
    assert await purge_changes(db, retention_days=30) == 1
    assert await purge_changes(db, retention_days=30) == 0
    async with db.read() as session:
        assert list(await session.scalars(select(SyncMutation.mutation_id))) == ["new"]

    expired = await client.get("/api/v1/sync/changes", params={"since": old_cursor}, headers=admin)
    assert expired.status_code == 410 and expired.json()["code"] == "cursor_expired"
    page = await pull(client, admin, middle_cursor)
    assert [c["data"]["name"] for c in page["changes"]] == ["Y"]
    view, cursor = await snapshot(client, admin)
    assert view[("team", world.teams["team_a"].id)]["name"] == "Y"
    assert (await pull(client, admin, cursor))["changes"] == []
