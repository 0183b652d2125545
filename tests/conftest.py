"""Fixtures shared by every test: a database per backend, the real app in-process, and users."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import databases

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BACKENDS = ["sqlite", "postgres"]


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Every ``async def test_*`` runs on asyncio through anyio, without a marker per test."""
    if name.startswith("test") and inspect.iscoroutinefunction(obj):
        pytest.mark.anyio(obj)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgres" in callspec.params.values():
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One fresh PostgreSQL database for the whole run, dropped at the end."""
    databases.require_postgres()
    url = asyncio.run(databases.create_postgres_database())
    yield url
    asyncio.run(databases.drop_postgres_database(url))


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A PostgreSQL database of its own with nothing in it, for a ``migrate`` to fill; dropped after."""
    databases.require_postgres()
    url = asyncio.run(databases.create_postgres_database(migrated=False))
    yield url
    asyncio.run(databases.drop_postgres_database(url))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the run's PostgreSQL database reset."""
    if request.param == "sqlite":
        return databases.copy_sqlite(sqlite_template, tmp_path / "coachhub.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(databases.reset_postgres(url))
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"
