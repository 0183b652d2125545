"""The durable outbox of offline edits, and the conflicts their push met.

An edit is written to the outbox in the same transaction as its optimistic local copy of the
session, with the base copy it started from (for the three-way merge), so a crash loses nothing.
At most one pending mutation per session: later edits fold into it while it waits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, insert, select, update

from desktop.storage import schema
from desktop.storage.database import CacheDatabase
from desktop.storage.rows import canonical_session, session_row
from shared.types import utcnow

EDITABLE_FIELDS = ("starts_at", "ends_at", "topic", "notes", "status", "coach_id")
CREATE_FIELDS = ("agent_id", "coach_id", "starts_at", "ends_at", "topic", "notes")
TIME_FIELDS = ("starts_at", "ends_at")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One queued mutation, in push order (``seq``)."""

    seq: int
    mutation_id: str
    user_id: str
    type: str
    session_id: str
    base_version: int | None
    data: dict[str, Any]
    base: dict[str, Any] | None
    state: str
    code: str | None
    detail: str | None
    created_at: str

    def mutation(self) -> dict[str, Any]:
        """The entry as a ``shared.sync.Mutation`` body."""
        return {
            "mutation_id": self.mutation_id,
            "type": self.type,
            "session_id": self.session_id,
            "base_version": self.base_version,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class MergeConflictRecord:
    """Fields both sides changed differently, left for the user: mine, theirs or edited."""

    id: str
    session_id: str
    base: dict[str, Any]
    mine: dict[str, Any]
    theirs: dict[str, Any]
    merged: dict[str, Any]
    fields: list[str]
    created_at: str


@dataclass(frozen=True, slots=True)
class BookingConflictRecord:
    """A booking whose slot was taken when it reached the server."""

    id: str
    session_id: str
    attempted: dict[str, Any]
    session: dict[str, Any] | None
    clashes: list[dict[str, Any]]
    suggestions: list[dict[str, Any]]
    detail: str | None
    created_at: str


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The editable fields whose value differs; times travel as a pair, as a patch needs them."""
    a, b = canonical_session(before), canonical_session(after)
    changes = {name: b[name] for name in EDITABLE_FIELDS if name in b and a.get(name) != b[name]}
    if any(name in changes for name in TIME_FIELDS):
        changes.update({name: b[name] for name in TIME_FIELDS})
    return changes


_Record = TypeVar("_Record", OutboxEntry, MergeConflictRecord, BookingConflictRecord)


def _from_row(record: type[_Record], row: Any) -> _Record:
    """The record of a table row: every field is the column of the same name."""
    return record(**{field.name: getattr(row, field.name) for field in fields(record)})


def _conflict_row(entry: OutboxEntry, **values: Any) -> dict[str, Any]:
    """The row of a conflict met by the mutation ``entry``: it takes the mutation's id."""
    return {
        "id": entry.mutation_id,
        "user_id": entry.user_id,
        "session_id": entry.session_id,
        "created_at": utcnow().isoformat(),
        **values,
    }


def _write_local(conn: Connection, data: dict[str, Any], *, local: bool) -> None:
    row = session_row(data, gen=0, local=local)
    # Keep the snapshot generation of a row the server already sent.
    existing = conn.scalar(select(schema.sessions.c.gen).where(schema.sessions.c.id == row["id"]))
    row["gen"] = existing or 0
    conn.execute(insert(schema.sessions).prefix_with("OR REPLACE"), row)


def _local_copy(conn: Connection, session_id: str) -> dict[str, Any] | None:
    data: dict[str, Any] | None = conn.scalar(
        select(schema.sessions.c.data).where(schema.sessions.c.id == session_id)
    )
    return data


def _other_entries(conn: Connection, session_id: str) -> bool:
    return (
        conn.scalar(select(schema.outbox.c.seq).where(schema.outbox.c.session_id == session_id)) is not None
    )


class Outbox:
    """Queued offline edits and their conflicts, in the cache file but apart from the snapshot."""

    def __init__(self, db: CacheDatabase) -> None:
        self.db = db

    # -- queueing ----------------------------------------------------------------------------

    def queue_create(self, user_id: str, session: dict[str, Any]) -> dict[str, Any]:
        """Queue a new session (a full ``Session`` dict, version 0) and store its local copy."""
        session = canonical_session(session)
        with self.db.write() as conn:
            _write_local(conn, session, local=True)
            self._insert(
                conn,
                user_id,
                "create_session",
                session["id"],
                None,
                {name: session[name] for name in CREATE_FIELDS},
                None,
            )
        return session

    def queue_update(self, user_id: str, session_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` to the local copy and queue them, folding into a waiting mutation."""
        with self.db.write() as conn:
            current = _local_copy(conn, session_id)
            if current is None:
                raise KeyError(f"session {session_id} is not in the cache")
            updated = canonical_session({**current, **changes, "updated_at": utcnow().isoformat()})
            delta = changed_fields(current, updated)
            if not delta:
                return current  # nothing changed: nothing to queue
            _write_local(conn, updated, local=True)
            waiting = conn.execute(
                select(schema.outbox)
                .where(
                    schema.outbox.c.session_id == session_id,
                    schema.outbox.c.state == "pending",
                    ~schema.outbox.c.sent,
                )
                .order_by(schema.outbox.c.seq.desc())
                .limit(1)
            ).first()
            if waiting is not None and waiting.type == "update_session":
                self._set_data(conn, waiting.mutation_id, {**waiting.data, **delta})
            elif waiting is not None:
                # A create still waiting: its fields fold in; a status change follows it.
                folded = {name: value for name, value in delta.items() if name in CREATE_FIELDS}
                self._set_data(conn, waiting.mutation_id, {**waiting.data, **folded})
                rest = {name: value for name, value in delta.items() if name not in CREATE_FIELDS}
                if rest:
                    base = {**updated, **{k: current[k] for k in rest}, "version": 1}
                    self._insert(conn, user_id, "update_session", session_id, 1, rest, base)
            else:
                self._insert(conn, user_id, "update_session", session_id, current["version"], delta, current)
        return updated

    def _insert(
        self,
        conn: Connection,
        user_id: str,
        kind: str,
        session_id: str,
        base_version: int | None,
        data: dict[str, Any],
        base: dict[str, Any] | None,
    ) -> None:
        conn.execute(
            insert(schema.outbox),
            {
                "mutation_id": str(uuid.uuid4()),
                "user_id": user_id,
                "type": kind,
                "session_id": session_id,
                "base_version": base_version,
                "data": data,
                "base": base,
                "state": "pending",
                "created_at": utcnow().isoformat(),
            },
        )

    @staticmethod
    def _set_data(conn: Connection, mutation_id: str, data: dict[str, Any]) -> None:
        conn.execute(
            update(schema.outbox).where(schema.outbox.c.mutation_id == mutation_id).values(data=data)
        )

    # -- reading -----------------------------------------------------------------------------

    def entries(self, user_id: str, state: str | None = "pending") -> list[OutboxEntry]:
        query = select(schema.outbox).where(schema.outbox.c.user_id == user_id)
        if state is not None:
            query = query.where(schema.outbox.c.state == state)
        with self.db.read() as conn:
            return [_from_row(OutboxEntry, row) for row in conn.execute(query.order_by(schema.outbox.c.seq))]

    def take_batch(self, user_id: str, limit: int) -> list[OutboxEntry]:
        """The first ``limit`` pending mutations, marked sent in the same transaction: an edit
        made from now on queues a mutation of its own instead of folding into one of these."""
        outbox = schema.outbox
        query = (
            select(outbox)
            .where(outbox.c.user_id == user_id, outbox.c.state == "pending")
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        with self.db.write() as conn:
            batch = [_from_row(OutboxEntry, row) for row in conn.execute(query)]
            seqs = [entry.seq for entry in batch]
            conn.execute(update(outbox).where(outbox.c.seq.in_(seqs)).values(sent=True))
        return batch

    def pending_count(self, user_id: str) -> int:
        return len(self.entries(user_id))

    def merge_conflicts(self, user_id: str) -> list[MergeConflictRecord]:
        return self._conflicts(schema.merge_conflicts, MergeConflictRecord, user_id)

    def booking_conflicts(self, user_id: str) -> list[BookingConflictRecord]:
        return self._conflicts(schema.booking_conflicts, BookingConflictRecord, user_id)

    def _conflicts(self, table: Table, record: type[_Record], user_id: str) -> list[_Record]:
        """A user's conflicts of one kind, oldest first."""
        query = select(table).where(table.c.user_id == user_id).order_by(table.c.created_at)
        with self.db.read() as conn:
            return [_from_row(record, row) for row in conn.execute(query)]

    # -- settling push results ----------------------------------------------------------------

    def settle_applied(self, mutation_id: str, session: dict[str, Any] | None) -> None:
        """The server applied the mutation: drop it and take the server's copy of the session."""
        with self.db.write() as conn:
            entry = self._take(conn, mutation_id)
            if entry is not None and session is not None:
                if _other_entries(conn, entry.session_id):
                    # Later edits still wait: keep the optimistic copy, on the new version.
                    copy = _local_copy(conn, entry.session_id) or session
                    _write_local(conn, {**copy, "version": session["version"]}, local=True)
                else:
                    _write_local(conn, session, local=False)

    def requeue_merged(self, mutation_id: str, theirs: dict[str, Any], merged: dict[str, Any]) -> None:
        """A stale edit merged cleanly: queue it again on the server's current version."""
        data = changed_fields(theirs, merged)
        with self.db.write() as conn:
            if not data:
                self._take(conn, mutation_id)
                _write_local(conn, theirs, local=_other_entries(conn, theirs["id"]))
                return
            # A new mutation id: the server answers a seen id with its stored result, applying nothing.
            conn.execute(
                update(schema.outbox)
                .where(schema.outbox.c.mutation_id == mutation_id)
                .values(
                    mutation_id=str(uuid.uuid4()),
                    base_version=theirs["version"],
                    base=theirs,
                    data=data,
                    sent=False,
                )
            )
            _write_local(conn, {**merged, "version": theirs["version"]}, local=True)

    def record_merge_conflict(
        self,
        mutation_id: str,
        base: dict[str, Any],
        mine: dict[str, Any],
        theirs: dict[str, Any],
        merged: dict[str, Any],
        fields: list[str],
    ) -> None:
        """Fields changed on both sides: the user decides. The session shows the server's copy."""
        with self.db.write() as conn:
            entry = self._take(conn, mutation_id)
            if entry is None:
                return
            row = _conflict_row(entry, base=base, mine=mine, theirs=theirs, merged=merged, fields=fields)
            conn.execute(insert(schema.merge_conflicts), row)
            _write_local(conn, theirs, local=_other_entries(conn, entry.session_id))

    def record_booking_conflict(
        self,
        mutation_id: str,
        session: dict[str, Any] | None,
        detail: str | None,
        clashes: list[dict[str, Any]] | None = None,
        suggestions: list[dict[str, Any]] | None = None,
    ) -> None:
        """The slot was taken. The server's copy (status ``conflict``) replaces the local one."""
        with self.db.write() as conn:
            entry = self._take(conn, mutation_id)
            if entry is None:
                return
            row = _conflict_row(
                entry,
                attempted=entry.data,
                session=session,
                parked=session is not None and session.get("status") == "conflict",
                clashes=clashes or [],
                suggestions=suggestions or [],
                detail=detail,
            )
            conn.execute(insert(schema.booking_conflicts), row)
            restored = session or entry.base
            if restored is not None:
                _write_local(conn, restored, local=_other_entries(conn, entry.session_id))

    def mark_failed(self, mutation_id: str, code: str | None, detail: str | None) -> None:
        """The server refused the mutation: it stays, visible as failed, until retried or discarded."""
        with self.db.write() as conn:
            conn.execute(
                update(schema.outbox)
                .where(schema.outbox.c.mutation_id == mutation_id)
                .values(state="failed", code=code, detail=detail)
            )

    # -- the user's decisions ------------------------------------------------------------------

    def resolve_merge_conflict(self, conflict_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Queue the user's choice per field (mine, theirs or edited) on the server's version."""
        table = schema.merge_conflicts
        with self.db.write() as conn:
            record = conn.execute(select(table).where(table.c.id == conflict_id)).first()
            if record is None:
                raise KeyError(f"no merge conflict {conflict_id}")
            conn.execute(delete(table).where(table.c.id == conflict_id))
            theirs: dict[str, Any] = record.theirs
            final = canonical_session({**record.merged, **values, "version": theirs["version"]})
            data = changed_fields(theirs, final)
            if data:
                _write_local(conn, final, local=True)
                self._insert(
                    conn, record.user_id, "update_session", record.session_id, theirs["version"], data, theirs
                )
            return final if data else theirs

    def dismiss_booking_conflict(self, conflict_id: str) -> None:
        table = schema.booking_conflicts
        with self.db.write() as conn:
            conn.execute(delete(table).where(table.c.id == conflict_id))

    def retry(self, mutation_id: str) -> None:
        """Queue a refused mutation again, under a new id: the server answers an id it has seen
        with the refusal it stored, without looking at the mutation again."""
        with self.db.write() as conn:
            conn.execute(
                update(schema.outbox)
                .where(schema.outbox.c.mutation_id == mutation_id)
                .values(mutation_id=str(uuid.uuid4()), state="pending", sent=False, code=None, detail=None)
            )

    def discard(self, mutation_id: str) -> None:
        """Drop a failed mutation on the user's word, and put back the copy it started from."""
        with self.db.write() as conn:
            entry = self._take(conn, mutation_id)
            if entry is None:
                return
            if entry.base is not None:
                _write_local(conn, entry.base, local=_other_entries(conn, entry.session_id))
            elif not _other_entries(conn, entry.session_id):
                conn.execute(delete(schema.sessions).where(schema.sessions.c.id == entry.session_id))

    @staticmethod
    def _take(conn: Connection, mutation_id: str) -> OutboxEntry | None:
        row = conn.execute(select(schema.outbox).where(schema.outbox.c.mutation_id == mutation_id)).first()
        if row is None:
            return None
        conn.execute(delete(schema.outbox).where(schema.outbox.c.mutation_id == mutation_id))
        return _from_row(OutboxEntry, row)
