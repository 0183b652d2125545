"""The engine and the two kinds of transaction every service uses.

``Database.read()`` is one consistent snapshot (``REPEATABLE READ`` on PostgreSQL, one ``BEGIN``
on SQLite). ``Database.write()`` is one atomic write (``BEGIN IMMEDIATE`` on SQLite, so writers
queue on the database lock instead of failing half-way).

Services go through the units of work ``Database.run_write(work)`` / ``run_read(work)``: ``work``
gets the session of a fresh transaction, and after a transient failure (deadlock, serialization
failure, SQLite busy) the whole of it runs again on a new one (``server/db/retry.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from server.db.faults import connection_faults_unavailable
from server.db.private_files import create_private_sqlite_file
from server.db.retry import RetryPolicy
from server.live.hub import PokeHub
from server.live.publish import deliver_committed
from server.settings import Settings

if TYPE_CHECKING:
    from server.live.listener import PostgresListener

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]

SQLITE_BUSY_TIMEOUT_MS = 10_000
CLIENT_TIMEOUT_MARGIN = 1.0  # seconds past the server's statement_timeout


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the driver so BEGIN is ours (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def postgres_timeouts(settings: Settings) -> dict[str, Any]:
    """asyncpg's connect and command timeouts, and PostgreSQL's own ``statement_timeout``.

    The server cancels a statement past its timeout and the connection stays usable. The client's
    command timeout is a little longer: it fires only when the server does not answer at all
    (hung, frozen), so a request fails within its budget instead of waiting for the socket.
    """
    return {
        "timeout": settings.db_connect_timeout,
        "command_timeout": settings.db_statement_timeout + CLIENT_TIMEOUT_MARGIN,
        "server_settings": {"statement_timeout": str(int(settings.db_statement_timeout * 1000))},
    }


def create_engine(settings: Settings) -> AsyncEngine:
    kwargs: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": 0,
        "pool_timeout": settings.pool_timeout,
        "pool_pre_ping": False,
    }
    if settings.is_sqlite:
        create_private_sqlite_file(settings.database_url)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["connect_args"] = postgres_timeouts(settings)
    engine = create_async_engine(settings.database_url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


class Database:
    """Owns the engine; hands out read snapshots and write transactions."""

    def __init__(self, settings: Settings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.retry = RetryPolicy(
            attempts=max(1, settings.db_retry_attempts),
            base_delay=settings.db_retry_base_delay,
            max_delay=settings.db_retry_max_delay,
        )
        # This process's live-update subscribers; on PostgreSQL fed by one listening connection.
        self.pokes = PokeHub()
        self._listener: PostgresListener | None = None
        if self.engine.dialect.name == "postgresql":
            # Imported here: the driver is a PostgreSQL deployment's, the desktop's demo has none.
            from server.live.listener import PostgresListener

            self._listener = PostgresListener(
                self.engine.url.render_as_string(hide_password=False), self.pokes
            )
            self.pokes.before_first_subscriber(self._listener.start)
        if self.is_sqlite:
            self._read_bind = self.engine
            self._write_bind = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            self._one_statement_bind = self.engine
        else:
            self._read_bind = self.engine.execution_options(isolation_level="REPEATABLE READ")
            self._write_bind = self.engine
            self._one_statement_bind = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One read snapshot: every statement inside sees the same committed state."""
        with connection_faults_unavailable():
            async with AsyncSession(self._read_bind, expire_on_commit=False) as session, session.begin():
                yield session

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a read that is ONE statement, which is its own consistent snapshot: on
        PostgreSQL it runs in autocommit, sparing the BEGIN and COMMIT round trips of ``read()``."""
        with connection_faults_unavailable():
            async with self._one_statement_bind.connect() as connection:
                yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One atomic write transaction; committed on success, rolled back on any error."""
        with connection_faults_unavailable():
            async with AsyncSession(self._write_bind, expire_on_commit=False) as session:
                async with session.begin():
                    yield session
                deliver_committed(session.info, self.pokes)

    async def run_write(self, work: Work[T]) -> T:
        """Run ``work`` in one write transaction and return its result; the whole of ``work``
        runs again on a new transaction after a transient failure. ``work`` must not have effects
        outside the session (they would repeat); raises ``DatabaseContended`` (503) when the
        attempts are spent, and anything else ``work`` raises unchanged."""
        return await self.retry.run(lambda: self.write_once(work))

    async def run_read(self, work: Work[T]) -> T:
        """``run_write``'s twin for one read snapshot."""
        return await self.retry.run(lambda: self.read_once(work))

    async def write_once(self, work: Work[T]) -> T:
        async with self.write() as session:
            return await work(session)

    async def read_once(self, work: Work[T]) -> T:
        async with self.read() as session:
            return await work(session)

    def pool_status(self) -> tuple[int, int]:
        """(connections checked out, pool size)."""
        pool: Any = self.engine.pool
        checked_out = pool.checkedout() if hasattr(pool, "checkedout") else 0
        return checked_out, self.settings.pool_size

    async def dispose(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
        await self.engine.dispose()
