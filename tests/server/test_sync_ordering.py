"""The change feed never skips a change that commits late.

Two writers and a reader, interleaved for real (separate connections, concurrent tasks): writer
A takes its sequence number and holds its transaction open, writer B writes after it, the reader
pulls, then A commits. With the sequence taken from the counter row inside the write transaction
(the design), B waits for A, so the reader sees neither before A commits and both after. With a
plain "next number" committed on its own (the broken pattern), B commits a higher number first,
the reader's cursor moves past A's number, and A's change is lost for good: the same test shows it.
"""

from __future__ import annotations

import asyncio
import random
import time
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import Change, Metric, Team, User
from server.services.changes import ChangeRecord, metric_entity_id, next_sequence_block, record_changes
from shared.types import utcnow
from tests.factories import World
from tests.server.conftest import Login
from tests.server.test_sync_support import View, fold, pull, pull_all, snapshot

IN_TRANSACTION = "counter row inside the write transaction"
SEPARATE = "number committed in its own transaction"


async def _rename(session: AsyncSession, team_id: str, name: str) -> ChangeRecord:
    version = await session.scalar(
        update(Team)
        .where(Team.id == team_id)
        .values(name=name, version=Team.version + 1)
        .returning(Team.version)
    )
    assert version is not None
    return ChangeRecord("team", team_id, version, team_id=team_id)


class Writer:
    """Renames one team in two steps: take the change's sequence number, then commit."""

    def __init__(self, db: Database, team_id: str, name: str, allocation: str) -> None:
        self.db, self.team_id, self.name, self.allocation = db, team_id, name, allocation
        self._open = AsyncExitStack()
        self._seq = 0

    async def take_sequence(self) -> None:
        if self.allocation == IN_TRANSACTION:
            session = await self._open.enter_async_context(self.db.write())
            await record_changes(session, [await _rename(session, self.team_id, self.name)])
        else:
            async with self.db.write() as session:
                self._seq = await next_sequence_block(session, 1)

    async def commit(self) -> None:
        if self.allocation == IN_TRANSACTION:
            await self._open.aclose()
            return
        async with self.db.write() as session:
            record = await _rename(session, self.team_id, self.name)
            await session.execute(
                insert(Change).values(
                    seq=self._seq,
                    entity="team",
                    entity_id=self.team_id,
                    op="upsert",
                    version=record.version,
                    team_id=self.team_id,
                    created_at=utcnow(),
                )
            )


async def _until_waiting(db: Database, task: asyncio.Task[None], backend: str) -> None:
    """Return once ``task`` is blocked behind the open writer (PostgreSQL: on a lock)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert not task.done(), "the second writer must wait for the first"
        if backend == "postgres":
            async with db.read() as session:
                waiting = await session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return
            await asyncio.sleep(0.01)
        else:
            # SQLite: the writer sits in BEGIN IMMEDIATE's busy wait, which cannot be observed.
            await asyncio.sleep(0.3)
            assert not task.done()
            return
    raise AssertionError("the second writer never blocked")


@pytest.mark.parametrize("allocation", [IN_TRANSACTION, SEPARATE])
async def test_a_change_that_commits_late_reaches_a_reader_that_pulled_in_between(
    allocation: str, client: httpx.AsyncClient, db: Database, world: World, sign_in: Login, backend: str
) -> None:
    admin = await sign_in("admin")
    _, cursor = await snapshot(client, admin)
    team_a, team_b = world.teams["team_a"].id, world.teams["team_b"].id
    first_writer = Writer(db, team_a, "A", allocation)
    second_writer = Writer(db, team_b, "B", allocation)

    await first_writer.take_sequence()

    async def second() -> None:
        await second_writer.take_sequence()
        await second_writer.commit()

    second_task = asyncio.create_task(second())
    if allocation == IN_TRANSACTION:
        await _until_waiting(db, second_task, backend)
    else:
        await second_task  # nothing makes it wait: it commits a higher number first

    early = await pull(client, admin, cursor)
    seen = {change["id"] for change in early["changes"]}
    if allocation == IN_TRANSACTION:
        assert seen == set(), "neither change is visible before the first writer commits"
        assert not second_task.done()

    await first_writer.commit()
    await second_task
    late = await pull(client, admin, early["cursor"])
    seen |= {change["id"] for change in late["changes"]}

    if allocation == IN_TRANSACTION:
        assert seen == {team_a, team_b}
    else:
        # The broken pattern: B (higher number) was seen first, so A's change is skipped forever.
        assert seen == {team_b}, "the broken allocation should lose the late commit"


async def _seed_metrics(db: Database, agents: list[str]) -> list[tuple[str, str, str]]:
    keys = [
        (agent, period, kpi)
        for agent in agents
        for period in ("2026-01", "2026-02")
        for kpi in ("qa", "csat")
    ]
    async with db.write() as session:
        await session.execute(
            insert(Metric),
            [
                dict(agent_id=a, period=p, kpi_code=k, value=50.0, version=1, updated_at=utcnow())
                for a, p, k in keys
            ],
        )
    return keys


async def _random_write(
    db: Database, rng: random.Random, world: World, keys: list[tuple[str, str, str]]
) -> None:
    """One write transaction that holds its sequence number a little before committing."""
    async with db.write() as session:
        choice = rng.random()
        if choice < 0.3:
            team = rng.choice(["team_a", "team_b", "team_c"])
            records = [await _rename(session, world.teams[team].id, f"T{rng.randint(0, 10**6)}")]
        elif choice < 0.85:
            agent, period, kpi = rng.choice(keys)
            version = await session.scalar(
                update(Metric)
                .where(Metric.agent_id == agent, Metric.period == period, Metric.kpi_code == kpi)
                .values(value=rng.uniform(40, 100), version=Metric.version + 1, updated_at=utcnow())
                .returning(Metric.version)
            )
            team_id = await session.scalar(select(User.team_id).where(User.id == agent))
            assert version is not None
            records = [
                ChangeRecord(
                    "metric", metric_entity_id(agent, period, kpi), version, team_id=team_id, agent_id=agent
                )
            ]
        else:
            agent = world.users["agent_a2"].id
            old = await session.scalar(select(User.team_id).where(User.id == agent))
            new = world.teams["team_b" if old == world.teams["team_a"].id else "team_a"].id
            version = await session.scalar(
                update(User)
                .where(User.id == agent)
                .values(team_id=new, version=User.version + 1)
                .returning(User.version)
            )
            assert version is not None
            records = [
                ChangeRecord("user", agent, version, team_id=new, previous_team_id=old, agent_id=agent)
            ]
        await record_changes(session, records)
        await asyncio.sleep(rng.uniform(0, 0.015))  # commit late, while others wait or read


@pytest.mark.slow
async def test_randomised_writers_and_readers_end_with_the_database_state(
    client: httpx.AsyncClient, db: Database, world: World, sign_in: Login
) -> None:
    agents = [world.users[key].id for key in ("agent_a1", "agent_a2", "agent_b1", "agent_c1")]
    keys = await _seed_metrics(db, agents)
    readers = {who: await sign_in(who) for who in ("admin", "manager", "leader_a", "leader_b")}
    views: dict[str, tuple[View, str]] = {
        who: await snapshot(client, h, limit=5) for who, h in readers.items()
    }
    stop = asyncio.Event()
    writes = 0

    async def write_loop(seed: int) -> None:
        nonlocal writes
        rng = random.Random(seed)
        while not stop.is_set():
            await _random_write(db, rng, world, keys)
            writes += 1

    async def read_loop(who: str) -> None:
        while not stop.is_set():
            view, cursor = views[who]
            page = await pull(client, readers[who], cursor, limit=7)
            views[who] = (fold(view, page["changes"]), page["cursor"])
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(write_loop(seed)) for seed in range(4)]
    tasks += [asyncio.create_task(read_loop(who)) for who in readers]
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*tasks)
    assert writes > 20

    finals: dict[str, View] = {}
    for who, headers in readers.items():
        view, cursor = views[who]
        changes, _, _ = await pull_all(client, headers, cursor, limit=7)
        finals[who] = fold(view, changes)
        assert finals[who] == (await snapshot(client, headers))[0], who
    # And the admin's view is the tables themselves.
    admin_view = finals["admin"]
    async with db.read() as session:
        metrics = {
            metric_entity_id(m.agent_id, m.period, m.kpi_code): (m.value, m.version)
            for m in await session.scalars(select(Metric))
        }
        teams = {t.id: (t.name, t.version) for t in await session.scalars(select(Team))}
        logged = await session.scalar(select(func.count()).select_from(Change))
    assert {k[1]: (d["value"], d["version"]) for k, d in admin_view.items() if k[0] == "metric"} == metrics
    assert {k[1]: (d["name"], d["version"]) for k, d in admin_view.items() if k[0] == "team"} == teams
    assert logged and logged >= writes
