"""The Starlette application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from server.admission import Admission, AdmissionGate
from server.db.engine import Database
from server.observability import RequestMetrics
from server.problems import EXCEPTION_HANDLERS
from server.services.auth import AuthService
from server.services.passwords import Passwords
from server.settings import Settings

log = logging.getLogger(__name__)

# One module per domain, each exposing ``routes``.
ROUTE_MODULES = ("ops", "auth", "directory", "admin", "analytics", "sessions", "sync", "events")


@dataclass
class Services:
    """The app's services, built once per app and shared by its handlers."""

    auth: AuthService
    passwords: Passwords


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in ROUTE_MODULES:
        module = import_module(f"server.api.{name}")
        routes.extend(module.routes)
    return routes


def _package_version() -> str:
    try:
        return version("coachhub")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    db = db or Database(settings)
    passwords = Passwords(settings.password_hash_memory_kib)
    admission = Admission(settings.pool_size, settings.pool_timeout)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await db.dispose()

    app = Starlette(
        routes=collect_routes(),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(RequestMetrics),
            Middleware(AdmissionGate, admission=admission),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.admission = admission
    app.state.version = _package_version()
    app.state.services = Services(auth=AuthService(db, settings, passwords), passwords=passwords)
    return app
