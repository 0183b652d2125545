"""Connection-level database errors are a 503 problem+json with Retry-After; other errors are not.

The live outage (a stopped and a frozen PostgreSQL) is in ``tests/concurrency/test_database_outage.py``;
here, every shape such a failure takes, and a server whose database cannot be reached at all.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from server.app import create_app
from server.db.engine import Database
from server.db.faults import DatabaseUnavailable, connection_faults_unavailable, is_connection_fault
from server.settings import Settings
from tests.live_server import free_port


def _wrapped(error: Exception, wrapper: type[DBAPIError] = DBAPIError) -> DBAPIError:
    """``error`` as SQLAlchemy hands it on: the driver's error wrapped, the asyncpg one its cause."""
    translated = AsyncAdapt_asyncpg_dbapi.Error(str(error))
    translated.__cause__ = error
    return wrapper("SELECT 1", {}, translated)


CONNECTION_FAULTS = [
    ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 1)"),
    TimeoutError(),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.InterfaceError("connection is closed"),
    _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed")),
    _wrapped(asyncpg.exceptions.InterfaceError("connection is closed"), InterfaceError),
    _wrapped(asyncpg.exceptions.CannotConnectNowError("starting up"), OperationalError),
    _wrapped(asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout")),
    _wrapped(ConnectionResetError(104, "Connection reset by peer")),
]
NOT_CONNECTION_FAULTS = [
    _wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key"), IntegrityError),
    _wrapped(asyncpg.exceptions.UndefinedColumnError("no such column")),
    ValueError("bad input"),
    PermissionError(13, "Permission denied"),
    FileNotFoundError(2, "No such file"),
]


@pytest.mark.parametrize("error", CONNECTION_FAULTS, ids=lambda e: type(e).__name__)
def test_connection_faults_become_503(error: Exception) -> None:
    assert is_connection_fault(error)
    with pytest.raises(DatabaseUnavailable) as raised, connection_faults_unavailable():
        raise error
    assert raised.value.code.status == 503 and "Retry-After" in raised.value.headers


@pytest.mark.parametrize("error", NOT_CONNECTION_FAULTS, ids=lambda e: type(e).__name__)
def test_other_errors_pass_through(error: Exception) -> None:
    assert not is_connection_fault(error)
    with pytest.raises(type(error)), connection_faults_unavailable():
        raise error


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_an_unreachable_database_is_503_on_every_route(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        (tmp_path / "a-file").write_text("not a folder")
        url = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'coachhub.sqlite3'}"
    else:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres"
    settings = Settings(database_url=url, db_connect_timeout=1.0)
    db = Database(settings)
    app = create_app(settings, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        for method, path, body in (
            ("POST", "/api/v1/auth/login", {"email": "a@example.com", "password": "long enough pw"}),
            ("GET", "/api/v1/me", None),
            ("GET", "/api/v1/sessions", None),
        ):
            response = await http.request(
                method, path, json=body, headers={"Authorization": "Bearer some-token"}
            )
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "overloaded"
            assert "retry-after" in response.headers
        assert (await http.get("/readyz")).status_code == 503
    await db.dispose()
