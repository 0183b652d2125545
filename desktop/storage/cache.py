"""``LocalCache``: the server snapshot, the sync cursor and the outbox in one SQLite file.

Everything here blocks; the desktop services call it through an executor. A pulled page is applied
in one transaction with bulk statements, and the cursor moves inside that same transaction, so
after a crash the cache and its cursor always agree.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir
from sqlalchemy import JSON, Connection, Table, bindparam, delete, insert, select

from desktop.storage import schema
from desktop.storage.database import CacheDatabase
from desktop.storage.outbox import Outbox
from desktop.storage.reader import CacheReader
from desktop.storage.rows import KEY_COLUMNS, TABLES, session_row, snapshot_row
from shared.sync import Change
from shared.types import utcnow

CURSOR = "cursor"
LAST_SYNC = "last_sync"
GEN = "gen"
SNAPSHOT_GEN = "snapshot_gen"
SERVER_URL = "server_url"
USER_ID = "user_id"
CLIENT_ID = "client_id"
CACHE_FILE = "cache.sqlite3"


def default_cache_dir() -> Path:
    return Path(user_cache_dir("coachhub", appauthor=False))


@dataclass(frozen=True, slots=True)
class PullStats:
    """What one ``apply_pull`` wrote, and how long its transaction took."""

    rows: int
    seconds: float


def get_meta(conn: Connection, key: str) -> str | None:
    return CacheReader(conn).meta(key)


def set_meta(conn: Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute(delete(schema.meta).where(schema.meta.c.key == key))
    else:
        conn.execute(insert(schema.meta).prefix_with("OR REPLACE"), {"key": key, "value": value})


def _latest_per_entity(changes: Sequence[Change]) -> dict[tuple[str, str], Change]:
    """The last change of each record in the page: a later delete wins over an earlier upsert."""
    latest: dict[tuple[str, str], Change] = {}
    for change in changes:
        latest[(change.entity, change.id)] = change
    return latest


def _settle_parked(conn: Connection, session_keys: list[dict[str, str]]) -> None:
    """A parked booking the server has since resolved is no longer the user's to solve."""
    if session_keys:
        table = schema.booking_conflicts
        parked = delete(table).where(table.c.parked, table.c.session_id == bindparam("key"))
        conn.execute(parked, session_keys)


def _bulk_upsert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One ``executemany`` of plain tuples: a page of a snapshot is thousands of rows, and the
    per-row work of a compiled Core insert would keep this thread on the GIL several times longer."""
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    statement = (
        f"INSERT OR REPLACE INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn.exec_driver_sql(
        statement,
        [
            tuple(json.dumps(row[name]) if name in json_columns else row[name] for name in columns)
            for row in rows
        ],
    )


class LocalCache:
    """The desktop's local cache file."""

    def __init__(self, path: Path) -> None:
        self.db = CacheDatabase(path)
        self.outbox = Outbox(self.db)

    @classmethod
    def in_dir(cls, cache_dir: Path | None = None) -> LocalCache:
        """The cache file in ``cache_dir`` (the platform cache dir by default)."""
        return cls((cache_dir or default_cache_dir()) / CACHE_FILE)

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.dispose()

    @contextmanager
    def read(self) -> Iterator[CacheReader]:
        """Several reads that see one consistent state."""
        with self.db.read() as conn:
            yield CacheReader(conn)

    # -- meta --------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self.read() as reader:
            return reader.meta(key)

    def cursor(self) -> str | None:
        return self.meta(CURSOR)

    def last_sync(self) -> datetime | None:
        value = self.meta(LAST_SYNC)
        return datetime.fromisoformat(value) if value else None

    def client_id(self) -> str:
        """This installation's id for ``/sync/push``, made once."""
        with self.db.write() as conn:
            value = get_meta(conn, CLIENT_ID)
            if value is None:
                value = str(uuid.uuid4())
                set_meta(conn, CLIENT_ID, value)
            return value

    def account(self) -> tuple[str, str] | None:
        with self.read() as reader:
            server_url, user_id = reader.meta(SERVER_URL), reader.meta(USER_ID)
        return (server_url, user_id) if server_url and user_id else None

    def bind_account(self, server_url: str, user_id: str) -> bool:
        """Tie the snapshot to one account; another account's snapshot is dropped (True).

        The outbox is not touched: its rows carry their user and are pushed only for that user.
        """
        with self.db.write() as conn:
            same = get_meta(conn, SERVER_URL) == server_url and get_meta(conn, USER_ID) == user_id
            known = get_meta(conn, USER_ID) is not None
            if not same:
                for table in schema.SNAPSHOT_TABLES:
                    conn.execute(delete(table))
                for key in (CURSOR, LAST_SYNC, SNAPSHOT_GEN):
                    set_meta(conn, key, None)
                set_meta(conn, SERVER_URL, server_url)
                set_meta(conn, USER_ID, user_id)
            return known and not same

    # -- pulling -----------------------------------------------------------------------------

    def begin_snapshot(self) -> None:
        """Start a full re-snapshot: rows are restamped as pages arrive; stale ones go at the end."""
        with self.db.write() as conn:
            if get_meta(conn, SNAPSHOT_GEN) is None:
                set_meta(conn, SNAPSHOT_GEN, str(int(get_meta(conn, GEN) or 0) + 1))
            set_meta(conn, CURSOR, None)

    def apply_pull(self, changes: Sequence[Change], cursor: str, *, has_more: bool = False) -> PullStats:
        """Apply one page of changes and move the cursor, in one transaction."""
        started = time.perf_counter()
        with self.db.write() as conn:
            rows = self._apply_changes(conn, changes)
            set_meta(conn, CURSOR, cursor)
            if not has_more:
                self._finish_pull(conn)
        return PullStats(rows=rows, seconds=time.perf_counter() - started)

    def _apply_changes(self, conn: Connection, changes: Sequence[Change]) -> int:
        snapshot_gen = get_meta(conn, SNAPSHOT_GEN)
        gen = int(snapshot_gen or get_meta(conn, GEN) or 0)
        # Optimistic local copies stay until their push settles them.
        local_ids = CacheReader(conn).local_session_ids()
        upserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        deletes: dict[str, list[dict[str, str]]] = defaultdict(list)
        settled: list[dict[str, str]] = []
        for (entity, change_id), change in _latest_per_entity(changes).items():
            if entity == "session" and change_id in local_ids:
                continue
            if change.op == "delete" or change.data is None:
                deletes[entity].append({"key": change_id})
            else:
                upserts[entity].append(snapshot_row(entity, change_id, change.version, change.data, gen))
                if entity == "session" and change.data.get("status") != "conflict":
                    settled.append({"key": change_id})
        for entity, keys in deletes.items():
            conn.execute(delete(TABLES[entity]).where(KEY_COLUMNS[entity] == bindparam("key")), keys)
        for entity, rows in upserts.items():
            _bulk_upsert(conn, TABLES[entity], rows)
        _settle_parked(conn, settled)
        return sum(len(rows) for rows in upserts.values()) + sum(len(keys) for keys in deletes.values())

    def _finish_pull(self, conn: Connection) -> None:
        snapshot_gen = get_meta(conn, SNAPSHOT_GEN)
        if snapshot_gen is not None:
            gen = int(snapshot_gen)
            for table in schema.SNAPSHOT_TABLES:
                stale = table.c.gen < gen
                if table is schema.sessions:
                    stale = stale & ~table.c.local
                conn.execute(delete(table).where(stale))
            set_meta(conn, GEN, str(gen))
            set_meta(conn, SNAPSHOT_GEN, None)
        set_meta(conn, LAST_SYNC, utcnow().isoformat())

    def snapshot_in_progress(self) -> bool:
        return self.meta(SNAPSHOT_GEN) is not None

    def has_snapshot(self) -> bool:
        return self.meta(LAST_SYNC) is not None

    def row_counts(self) -> dict[str, int]:
        with self.read() as reader:
            return reader.counts()

    def session(self, session_id: str) -> dict[str, Any] | None:
        with self.read() as reader:
            return reader.session(session_id)

    def clear_snapshot(self) -> None:
        """Forget the snapshot and cursor (sign-out of another account); the outbox stays."""
        with self.db.write() as conn:
            for table in schema.SNAPSHOT_TABLES:
                conn.execute(
                    delete(table).where(~table.c.local) if table is schema.sessions else delete(table)
                )
            for key in (CURSOR, LAST_SYNC, SNAPSHOT_GEN):
                set_meta(conn, key, None)

    def set_meta(self, key: str, value: str | None) -> None:
        with self.db.write() as conn:
            set_meta(conn, key, value)

    def put_sessions(self, sessions: Sequence[dict[str, Any]]) -> None:
        """Store sessions the server just returned (a write made online), unless edits wait on them."""
        with self.db.write() as conn:
            gen = int(get_meta(conn, SNAPSHOT_GEN) or get_meta(conn, GEN) or 0)
            local_ids = CacheReader(conn).local_session_ids()
            rows = [session_row(data, gen) for data in sessions if data["id"] not in local_ids]
            if rows:
                conn.execute(insert(schema.sessions).prefix_with("OR REPLACE"), rows)
            _settle_parked(conn, [{"key": d["id"]} for d in sessions if d.get("status") != "conflict"])

    def pending_session_ids(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.scalars(select(schema.outbox.c.session_id)))
