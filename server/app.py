"""The Starlette application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from server.admission import SIGN_IN_PREFIXES, Admission, AdmissionGate
from server.api.analytics import IMPORT_PATH
from server.body_limit import BodySizeLimit
from server.db.engine import Database
from server.observability import RequestMetrics
from server.problems import EXCEPTION_HANDLERS
from server.response_headers import SecurityHeaders
from server.services.auth import AuthService
from server.services.passwords import Passwords
from server.settings import Settings
from shared.version import package_version

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


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    db = db or Database(settings)
    passwords = Passwords(
        settings.password_hash_memory_kib,
        settings.password_hash_concurrency,
        settings.password_hash_wait_seconds,
    )
    admission = Admission(settings.pool_size, settings.pool_timeout)
    # Sign-ins hash passwords: a lane of their own that sheds fast (see admission.py).
    sign_in_admission = Admission(settings.password_hash_concurrency, settings.password_hash_wait_seconds)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await db.dispose()
        passwords.close()

    app = Starlette(
        routes=collect_routes(),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(RequestMetrics),
            Middleware(
                BodySizeLimit,
                limit=settings.max_body_bytes,
                per_path={IMPORT_PATH: settings.max_import_bytes},
            ),
            Middleware(AdmissionGate, admission=admission, exempt=SIGN_IN_PREFIXES),
            Middleware(AdmissionGate, admission=sign_in_admission, prefixes=SIGN_IN_PREFIXES),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.admission = admission
    app.state.version = package_version()
    app.state.services = Services(auth=AuthService(db, settings, passwords), passwords=passwords)
    return app
