"""The local cache: pulls applied atomically with their cursor, re-snapshots, the outbox."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from desktop.storage import LocalCache
from shared.sync import Change

USER = "leader-1"


def team(team_id: str, name: str, version: int = 1) -> Change:
    data = {"id": team_id, "name": name, "leader_id": USER, "manager_id": None, "version": version}
    return Change(entity="team", id=team_id, op="upsert", version=version, data=data)


def metric(agent_id: str, period: str, code: str, value: float) -> Change:
    change_id = f"{agent_id}:{period}:{code}"
    data = {"agent_id": agent_id, "period": period, "kpi_code": code, "value": value, "version": 1}
    return Change(entity="metric", id=change_id, op="upsert", version=1, data=data)


def session(session_id: str, version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "id": session_id,
        "agent_id": "agent-1",
        "coach_id": USER,
        "starts_at": "2026-03-02T09:00:00Z",
        "ends_at": "2026-03-02T10:00:00Z",
        "status": "scheduled",
        "topic": "QA review",
        "notes": "",
        "created_by": USER,
        "version": version,
        "created_at": "2026-03-01T08:00:00Z",
        "updated_at": "2026-03-01T08:00:00Z",
        **fields,
    }


def session_change(data: dict[str, Any]) -> Change:
    return Change(entity="session", id=data["id"], op="upsert", version=data["version"], data=data)


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    local = LocalCache.in_dir(tmp_path)
    local.bind_account("https://coachhub.example", USER)
    return local


def test_a_page_and_its_cursor_commit_together(cache: LocalCache) -> None:
    cache.begin_snapshot()
    stats = cache.apply_pull([team("t1", "Billing"), metric("a1", "2026-01", "csat", 88.0)], "c1")
    assert stats.rows == 2
    assert cache.cursor() == "c1"
    assert cache.row_counts()["metrics"] == 1
    assert cache.last_sync() is not None


def test_a_failing_page_leaves_rows_and_cursor_as_they_were(cache: LocalCache) -> None:
    cache.apply_pull([team("t1", "Billing")], "c1")
    # The teams are written before the KPI row fails its NOT NULL constraint.
    kpi = {
        "code": "csat",
        "name": "CSAT",
        "unit": None,
        "higher_is_better": True,
        "target": 85,
        "weight": 2,
        "version": 1,
    }
    broken = Change(entity="kpi", id="csat", op="upsert", version=1, data=kpi)
    with pytest.raises(IntegrityError):
        cache.apply_pull([team("t2", "Sales"), broken], "c2")
    assert cache.cursor() == "c1"
    assert cache.row_counts()["teams"] == 1


def test_one_transaction_per_page_with_bulk_statements(cache: LocalCache) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement.split()[0].upper())

    changes = [metric(f"a{i}", "2026-01", code, 80.0) for i in range(200) for code in ("csat", "qa")]
    event.listen(cache.db.engine, "before_cursor_execute", count)
    try:
        cache.apply_pull(changes, "c1")
    finally:
        event.remove(cache.db.engine, "before_cursor_execute", count)
    # 400 metrics: one executemany insert, not 400 statements, and one BEGIN … COMMIT.
    assert statements.count("INSERT") <= 3
    assert statements.count("BEGIN") == 1
    assert cache.row_counts()["metrics"] == 400


def test_the_last_change_of_a_record_in_a_page_wins(cache: LocalCache) -> None:
    cache.apply_pull([team("t1", "Billing")], "c1")
    deleted = Change(entity="team", id="t1", op="delete", version=2)
    cache.apply_pull([team("t1", "Billing", 2), deleted], "c2")
    assert cache.row_counts()["teams"] == 0


def test_a_resnapshot_keeps_the_cache_usable_and_sweeps_what_is_gone(cache: LocalCache) -> None:
    cache.apply_pull([team("t1", "Billing"), team("t2", "Sales")], "c1")
    cache.begin_snapshot()
    cache.apply_pull([team("t1", "Billing", 2)], "s1", has_more=True)
    assert cache.row_counts()["teams"] == 2  # nothing vanishes half-way
    assert cache.snapshot_in_progress()
    cache.apply_pull([], "s2", has_more=False)
    with cache.read() as reader:
        assert [t["id"] for t in reader.teams()] == ["t1"]
    assert not cache.snapshot_in_progress()


def test_another_account_gets_a_fresh_snapshot_but_the_outbox_stays(cache: LocalCache) -> None:
    cache.apply_pull([team("t1", "Billing")], "c1")
    cache.outbox.queue_create(USER, session("s1", version=0))
    assert cache.bind_account("https://coachhub.example", "someone-else")
    assert cache.cursor() is None and cache.row_counts()["teams"] == 0
    assert cache.outbox.pending_count(USER) == 1
    assert cache.outbox.pending_count("someone-else") == 0


def test_an_offline_booking_writes_outbox_and_local_copy_in_one_transaction(cache: LocalCache) -> None:
    cache.outbox.queue_create(USER, session("s1", version=0))
    assert cache.session("s1") is not None
    [entry] = cache.outbox.entries(USER)
    assert (entry.type, entry.session_id, entry.data["topic"]) == ("create_session", "s1", "QA review")

    # If the outbox insert fails, the local copy is not written either.
    def refuse(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO outbox"):
            raise RuntimeError("disk full")

    event.listen(cache.db.engine, "before_cursor_execute", refuse)
    try:
        with pytest.raises(RuntimeError):
            cache.outbox.queue_create(USER, session("s2", version=0))
    finally:
        event.remove(cache.db.engine, "before_cursor_execute", refuse)
    assert cache.session("s2") is None
    assert cache.outbox.pending_count(USER) == 1


def test_the_outbox_survives_reopening_the_cache(cache: LocalCache) -> None:
    cache.outbox.queue_create(USER, session("s1", version=0))
    cache.close()
    reopened = LocalCache(cache.path)
    assert [e.session_id for e in reopened.outbox.entries(USER)] == ["s1"]
    assert reopened.session("s1") is not None


def test_an_edit_keeps_its_base_copy_and_later_edits_fold_in(cache: LocalCache) -> None:
    cache.apply_pull([session_change(session("s1", version=3))], "c1")
    cache.outbox.queue_update(USER, "s1", {"notes": "first"})
    cache.outbox.queue_update(USER, "s1", {"topic": "Empathy"})
    [entry] = cache.outbox.entries(USER)
    assert entry.base_version == 3
    assert entry.base is not None and entry.base["notes"] == "" and entry.base["topic"] == "QA review"
    assert entry.data == {"notes": "first", "topic": "Empathy"}
    local = cache.session("s1")
    assert local is not None and (local["notes"], local["topic"]) == ("first", "Empathy")


def test_a_pull_leaves_an_optimistic_copy_alone_until_its_push_settles(cache: LocalCache) -> None:
    cache.apply_pull([session_change(session("s1"))], "c1")
    cache.outbox.queue_update(USER, "s1", {"notes": "offline"})
    cache.apply_pull([session_change(session("s1", version=2, notes="server"))], "c2")
    assert cache.session("s1")["notes"] == "offline"  # type: ignore[index]
    [entry] = cache.outbox.entries(USER)
    cache.outbox.settle_applied(entry.mutation_id, session("s1", version=3, notes="offline"))
    assert cache.outbox.pending_count(USER) == 0
    cache.apply_pull([session_change(session("s1", version=4, notes="later"))], "c3")
    assert cache.session("s1")["notes"] == "later"  # type: ignore[index]


def test_a_refused_change_stays_visible_until_discarded(cache: LocalCache) -> None:
    cache.apply_pull([session_change(session("s1", version=2))], "c1")
    cache.outbox.queue_update(USER, "s1", {"status": "completed"})
    [entry] = cache.outbox.entries(USER)
    cache.outbox.mark_failed(entry.mutation_id, "invalid_transition", "not allowed")
    assert cache.outbox.pending_count(USER) == 0
    [failed] = cache.outbox.entries(USER, "failed")
    assert failed.code == "invalid_transition"
    cache.outbox.discard(failed.mutation_id)
    assert cache.session("s1")["status"] == "scheduled"  # type: ignore[index]
    assert cache.outbox.entries(USER, None) == []


def test_a_cache_file_of_another_version_is_set_aside_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, note TEXT)")
        conn.execute("INSERT INTO outbox (note) VALUES ('an edit from an older app')")
        conn.commit()
    cache = LocalCache(path)
    assert cache.outbox.entries(USER, None) == []
    with closing(sqlite3.connect(tmp_path / "cache.v0.sqlite3")) as old:
        assert old.execute("SELECT note FROM outbox").fetchone() == ("an edit from an older app",)
    cache.close()
    assert LocalCache(path).outbox.entries(USER, None) == []  # the current version opens as is


def test_a_no_op_edit_queues_nothing(cache: LocalCache) -> None:
    cache.apply_pull([session_change(session("s1"))], "c1")
    cache.outbox.queue_update(USER, "s1", {"notes": ""})
    assert cache.outbox.entries(USER) == []
    cache.apply_pull([session_change(session("s1", version=2, notes="server"))], "c2")
    assert cache.session("s1")["notes"] == "server"  # type: ignore[index]


def test_conflicts_read_back_field_for_field_and_only_for_their_user(cache: LocalCache) -> None:
    cache.apply_pull([session_change(session("s1", version=2)), session_change(session("s2"))], "c1")
    cache.outbox.queue_update(USER, "s1", {"notes": "mine"})
    moved = {"starts_at": "2026-03-02T11:00:00Z", "ends_at": "2026-03-02T12:00:00Z"}
    cache.outbox.queue_update(USER, "s2", moved)
    edit, move = cache.outbox.entries(USER)
    theirs = session("s1", version=3, notes="theirs")
    cache.outbox.record_merge_conflict(
        edit.mutation_id, {"notes": ""}, {"notes": "mine"}, theirs, {"notes": "theirs"}, ["notes"]
    )
    parked = session("s2", version=2, status="conflict")
    clash = session("s9", topic="Booked first")
    slot = {"starts_at": "2026-03-02T13:00:00Z", "ends_at": "2026-03-02T14:00:00Z"}
    cache.outbox.record_booking_conflict(move.mutation_id, parked, "Taken", [clash], [slot])

    [merge] = cache.outbox.merge_conflicts(USER)
    assert (merge.id, merge.session_id, merge.fields) == (edit.mutation_id, "s1", ["notes"])
    assert (merge.base, merge.mine, merge.merged) == ({"notes": ""}, {"notes": "mine"}, {"notes": "theirs"})
    assert merge.theirs["notes"] == "theirs" and merge.created_at
    [booking] = cache.outbox.booking_conflicts(USER)
    assert (booking.id, booking.session_id, booking.detail) == (move.mutation_id, "s2", "Taken")
    assert booking.attempted == move.data and booking.session == parked
    assert (booking.clashes, booking.suggestions) == ([clash], [slot]) and booking.created_at
    assert cache.outbox.entries(USER) == []
    assert cache.outbox.merge_conflicts("someone-else") == []
    assert cache.outbox.booking_conflicts("someone-else") == []
