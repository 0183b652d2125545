"""Server settings, read once from the environment (all optional)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import time
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "coachhub"


def default_database_url() -> str:
    data_dir = Path(user_data_dir(APP_NAME, appauthor=False))
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
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


Network = IPv4Network | IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``10.0.0.5, 10.1.0.0/16, ::1`` → the networks; a bare address is a network of one."""
    return tuple(ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def parse_flag(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told from outside."""

    database_url: str = field(default_factory=default_database_url)
    pool_size: int = 10
    pool_timeout: float = 2.0
    # Transient failures (deadlock, serialization, SQLite busy): attempts per transaction and the
    # backoff between them (see server/db/retry.py).
    db_retry_attempts: int = 5
    db_retry_base_delay: float = 0.02
    db_retry_max_delay: float = 0.5
    # PostgreSQL: seconds to connect, and per statement (a hung database fails within
    # about connect + 2 x (statement + 1): the statement, then the rollback).
    db_connect_timeout: float = 5.0
    db_statement_timeout: float = 10.0
    mail_dir: Path | None = None
    smtp_url: str | None = None
    timezone: str = "UTC"
    workday: tuple[time, time] = (time(9), time(17))
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600  # sliding: each refresh starts it again
    refresh_token_max_age: int = 90 * 24 * 3600  # absolute: from the sign-in, whatever refreshes
    reset_token_ttl: int = 30 * 60
    idempotency_ttl: int = 24 * 3600
    change_retention_days: int = 30
    # Per (account, client address): this many failures are free, then each waits longer.
    login_free_failures: int = 5
    login_max_delay_seconds: int = 15 * 60
    # Per client address, over every account: failed sign-ins per window.
    login_failures_per_address: int = 100
    reset_requests_per_window: int = 5
    rate_window_seconds: int = 300
    # Request bodies: JSON up to 1 MiB; the metrics CSV import has its own, larger bound.
    max_body_bytes: int = 1024 * 1024
    max_import_bytes: int = 32 * 1024 * 1024
    # Live updates (GET /api/v1/events): off answers 404, and clients fall back to timed syncs.
    events_enabled: bool = True
    events_heartbeat: float = 15.0
    # argon2id memory cost; the library default, lowered only where hashing speed matters (tests).
    password_hash_memory_kib: int = 65536
    # The hashing lane, per process: hashes at once, and how long a sign-in may wait for a turn
    # before it is shed with 503 (a flood must not queue up behind it).
    password_hash_concurrency: int = 1
    password_hash_wait_seconds: float = 0.5
    # Proxies whose X-Forwarded-For names the client; anyone else's header is ignored.
    trusted_proxies: tuple[Network, ...] = ()
    metrics_enabled: bool = False

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
        if size := env.get("COACHHUB_POOL_SIZE"):
            values["pool_size"] = int(size)
        if timeout := env.get("COACHHUB_POOL_TIMEOUT"):
            values["pool_timeout"] = float(timeout)
        if attempts := env.get("COACHHUB_DB_RETRY_ATTEMPTS"):
            values["db_retry_attempts"] = max(1, int(attempts))
        if connect_timeout := env.get("COACHHUB_DB_CONNECT_TIMEOUT"):
            values["db_connect_timeout"] = float(connect_timeout)
        if statement_timeout := env.get("COACHHUB_DB_STATEMENT_TIMEOUT"):
            values["db_statement_timeout"] = float(statement_timeout)
        if mail_dir := env.get("COACHHUB_MAIL_DIR"):
            values["mail_dir"] = Path(mail_dir)
        if smtp := env.get("COACHHUB_SMTP_URL"):
            values["smtp_url"] = smtp
        if tz := env.get("COACHHUB_TIMEZONE"):
            values["timezone"] = tz
        if workday := env.get("COACHHUB_WORKDAY"):
            values["workday"] = parse_workday(workday)
        if proxies := env.get("COACHHUB_TRUSTED_PROXIES"):
            values["trusted_proxies"] = parse_networks(proxies)
        if hashes := env.get("COACHHUB_PASSWORD_HASH_CONCURRENCY"):
            values["password_hash_concurrency"] = max(1, int(hashes))
        if metrics := env.get("COACHHUB_METRICS"):
            values["metrics_enabled"] = parse_flag(metrics)
        if max_body := env.get("COACHHUB_MAX_BODY_BYTES"):
            values["max_body_bytes"] = int(max_body)
        if max_import := env.get("COACHHUB_MAX_IMPORT_BYTES"):
            values["max_import_bytes"] = int(max_import)
        if events := env.get("COACHHUB_EVENTS"):
            values["events_enabled"] = parse_flag(events)
        if heartbeat := env.get("COACHHUB_EVENTS_HEARTBEAT"):
            values["events_heartbeat"] = float(heartbeat)
        return cls(**values)  # type: ignore[arg-type]
