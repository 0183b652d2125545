"""The unit of work's retry policy: transient failures run the whole transaction again, a spent
budget is a 503 with Retry-After through the real app, anything else is not retried."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from server.app import create_app
from server.db import engine as engine_module
from server.db.engine import Database
from server.db.models import CoachingSession
from server.db.retry import DatabaseContended, RetryPolicy
from server.services import ratelimit
from server.settings import Settings
from tests.factories import World, login
from tests.server.test_pool import stalled_writes
from tests.server.test_sessions_support import booking

PROBE = "retry-probe"
POSTGRES_TRANSIENT = ["40P01", "40001", "55P03"]


async def fail_transiently(session: AsyncSession, sqlstate: str) -> None:
    """A real driver error with ``sqlstate`` on PostgreSQL; SQLite's busy error on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$")
        )
    busy = sqlite3.OperationalError("database is locked")
    raise OperationalError("INSERT INTO rate_limit_counters", {}, busy)


async def probe_count(db: Database) -> int:
    async with db.read() as session:
        count, _ = await ratelimit.current(session, PROBE, 60)
    return count


def fast(db: Database, attempts: int = 5) -> Database:
    db.retry = RetryPolicy(attempts=attempts, base_delay=0.001, max_delay=0.01)
    return db


@pytest.mark.parametrize("sqlstate", POSTGRES_TRANSIENT)
@pytest.mark.parametrize("failures", [1, 4])
async def test_transient_failures_run_the_whole_work_again_and_it_commits_once(
    db: Database, failures: int, sqlstate: str
) -> None:
    runs = 0

    async def work(session: AsyncSession) -> int:
        nonlocal runs
        runs += 1
        count = await ratelimit.hit(session, PROBE, 60)
        if runs <= failures:
            await fail_transiently(session, sqlstate)
        return count

    assert await fast(db).run_write(work) == 1
    assert runs == failures + 1
    assert await probe_count(db) == 1, "the failed attempts left nothing behind"


async def test_a_spent_budget_is_a_typed_overloaded_error_and_nothing_is_written(db: Database) -> None:
    runs = 0

    async def work(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        await ratelimit.hit(session, PROBE, 60)
        await fail_transiently(session, "40P01")

    with pytest.raises(DatabaseContended) as raised:
        await fast(db, attempts=3).run_write(work)
    assert runs == raised.value.attempts == 3
    assert raised.value.code.value == "overloaded" and raised.value.headers["Retry-After"] == "1"
    assert await probe_count(db) == 0


async def duplicate_counter(session: AsyncSession) -> None:
    await session.execute(text("INSERT INTO sync_counters (name, value) VALUES ('changes', 0)"))


async def not_a_database_problem(_session: AsyncSession) -> None:
    raise LookupError("not a database problem")


@pytest.mark.parametrize(
    ("fail", "error"), [(duplicate_counter, IntegrityError), (not_a_database_problem, LookupError)]
)
async def test_any_other_error_is_raised_at_once(
    db: Database, fail: Callable[[AsyncSession], Awaitable[None]], error: type[Exception]
) -> None:
    runs = 0

    async def work(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        await ratelimit.hit(session, PROBE, 60)
        await fail(session)

    with pytest.raises(error):
        await fast(db).run_write(work)
    assert runs == 1
    assert await probe_count(db) == 0


def test_backoff_is_jittered_and_bounded() -> None:
    policy = RetryPolicy(attempts=8, base_delay=0.02, max_delay=0.3)
    for failures in range(1, 8):
        ceiling = min(0.3, 0.02 * 2 ** (failures - 1))
        pauses = {policy.pause(failures) for _ in range(50)}
        assert all(0.0 <= pause <= ceiling for pause in pauses)
        assert len(pauses) > 1, "pauses are jittered"


@pytest.fixture
async def lock_timeout_db(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    """The app's database with a short lock wait, as an operator may configure it: PostgreSQL's
    ``lock_timeout`` (55P03 after 100 ms), SQLite's busy timeout (``database is locked``)."""
    contended = replace(settings, db_retry_attempts=3, db_retry_base_delay=0.01, db_retry_max_delay=0.05)
    if settings.is_sqlite:
        monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
        database = Database(contended)
    else:
        engine = create_async_engine(
            settings.database_url, connect_args={"server_settings": {"lock_timeout": "100ms"}}
        )
        database = Database(contended, engine)
    yield database
    await database.dispose()


def counter_value(metrics: str, name: str) -> float:
    return sum(float(value) for value in re.findall(rf"^{name}\{{[^}}]*\}} (\S+)$", metrics, re.MULTILINE))


async def test_a_spent_budget_answers_503_overloaded_with_retry_after(
    settings: Settings, lock_timeout_db: Database, world: World
) -> None:
    app = create_app(lock_timeout_db.settings, lock_timeout_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coachhub.test", timeout=30) as http:
        leader = await login(http, world.users["leader_a"].email)
        before = (await http.get("/metrics")).text
        body = booking(world.users["agent_a1"].id, "10:00", "10:30")
        headers = {**leader, "Idempotency-Key": str(uuid.uuid4())}
        async with stalled_writes(settings.database_url, table="coaching_sessions"):
            refused = await http.post("/api/v1/sessions", json=body, headers=headers)
        after = (await http.get("/metrics")).text
        retried = await http.post("/api/v1/sessions", json=body, headers=headers)

    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "overloaded"
    assert int(refused.headers["retry-after"]) >= 1
    spent = "coachhub_db_retry_budget_spent_total"
    retries = "coachhub_db_retries_total"
    assert counter_value(after, spent) - counter_value(before, spent) == 1
    assert counter_value(after, retries) - counter_value(before, retries) == 2
    # Nothing half-done: the key was freed, so the same request now books.
    assert retried.status_code == 201, retried.text
    async with lock_timeout_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingSession)) == 1
