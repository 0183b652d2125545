"""Server settings, read once from the environment (all optional)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "coachhub"


def default_database_url() -> str:
    data_dir = Path(user_data_dir(APP_NAME, appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{data_dir / 'coachhub.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite://`` URLs and pick the async driver."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def parse_workday(text: str) -> tuple[time, time]:
    start, end = (time.fromisoformat(part.strip()) for part in text.split("-", 1))
    if end <= start:
        raise ValueError(f"COACHHUB_WORKDAY must end after it starts: {text!r}")
    return start, end


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told from outside."""

    database_url: str = field(default_factory=default_database_url)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    pool_size: int = 10
    pool_timeout: float = 2.0
    # Transient failures (deadlock, serialization, SQLite busy): attempts per transaction and the
    # backoff between them (see server/db/retry.py).
    db_retry_attempts: int = 5
    db_retry_base_delay: float = 0.02
    db_retry_max_delay: float = 0.5
    mail_dir: Path | None = None
    smtp_url: str | None = None
    timezone: str = "UTC"
    workday: tuple[time, time] = (time(9), time(17))
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600
    reset_token_ttl: int = 30 * 60
    idempotency_ttl: int = 24 * 3600
    change_retention_days: int = 30
    login_attempts_per_window: int = 10
    reset_requests_per_window: int = 5
    rate_window_seconds: int = 300
    # Live updates (GET /api/v1/events): off answers 404, and clients fall back to timed syncs.
    events_enabled: bool = True
    events_heartbeat: float = 15.0
    # argon2id memory cost; the library default, lowered only where hashing speed matters (tests).
    password_hash_memory_kib: int = 65536

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if url := env.get("COACHHUB_DATABASE_URL"):
            values["database_url"] = normalise_database_url(url)
        if key := env.get("COACHHUB_SECRET_KEY"):
            values["secret_key"] = key
        if size := env.get("COACHHUB_POOL_SIZE"):
            values["pool_size"] = int(size)
        if timeout := env.get("COACHHUB_POOL_TIMEOUT"):
            values["pool_timeout"] = float(timeout)
        if attempts := env.get("COACHHUB_DB_RETRY_ATTEMPTS"):
            values["db_retry_attempts"] = max(1, int(attempts))
        if mail_dir := env.get("COACHHUB_MAIL_DIR"):
            values["mail_dir"] = Path(mail_dir)
        if smtp := env.get("COACHHUB_SMTP_URL"):
            values["smtp_url"] = smtp
        if tz := env.get("COACHHUB_TIMEZONE"):
            values["timezone"] = tz
        if workday := env.get("COACHHUB_WORKDAY"):
            values["workday"] = parse_workday(workday)
        if events := env.get("COACHHUB_EVENTS"):
            values["events_enabled"] = events.strip().lower() not in ("0", "off", "false", "no")
        if heartbeat := env.get("COACHHUB_EVENTS_HEARTBEAT"):
            values["events_heartbeat"] = float(heartbeat)
        return cls(**values)  # type: ignore[arg-type]
