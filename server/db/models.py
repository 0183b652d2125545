"""SQLAlchemy models: every table of the server.

Each editable row carries ``version``, bumped by exactly one per write through an explicit
``UPDATE ... WHERE version = :expected`` in the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import IdPk, Timestamp, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[IdPk]
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", use_alter=True, name="fk_users_team_id_teams"), index=True
    )
    employee_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[IdPk]
    name: Mapped[str] = mapped_column(String(200))
    leader_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    manager_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class Kpi(Base):
    __tablename__ = "kpis"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    target: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Metric(Base):
    """One KPI value of one agent for one month; written only by the import (upsert)."""

    __tablename__ = "metrics"

    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    kpi_code: Mapped[str] = mapped_column(ForeignKey("kpis.code"), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[Timestamp]

    __table_args__ = (Index("ix_metrics_period_agent", "period", "agent_id"),)


class AgentScore(Base):
    """One agent's KPI values and score for one month, derived from ``metrics`` and the KPI settings.

    Kept by every write that changes either, in the same transaction (``services.score_store``), so
    dashboards read stored scores instead of computing them; ``version`` bumps when a value or the
    score changes.
    """

    __tablename__ = "agent_scores"

    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    kpi_values: Mapped[dict[str, float]] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_agent_scores_period_agent", "period", "agent_id"),)


class CoachingSession(Base):
    """A booked coaching session, ``[starts_at, ends_at)``.

    On PostgreSQL two exclusion constraints (created in the migration) refuse overlapping
    ``scheduled`` sessions per coach and per agent.
    """

    __tablename__ = "coaching_sessions"

    id: Mapped[IdPk]
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    coach_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    topic: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]

    __table_args__ = (
        Index("ix_sessions_starts_id", "starts_at", "id"),
        Index("ix_sessions_coach_starts", "coach_id", "starts_at"),
        Index("ix_sessions_agent_starts", "agent_id", "starts_at"),
        Index("ix_sessions_status", "status"),
    )


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``, scoped to its user, with the stored response."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_progress | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_body: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[Timestamp]
    created_at: Mapped[Timestamp] = mapped_column(index=True)


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[IdPk]
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[Timestamp]
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[Timestamp]


class AuthToken(Base):
    """An access or refresh token, stored as its sha256; ``family_id`` groups one login."""

    __tablename__ = "auth_tokens"

    id: Mapped[IdPk]
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[Timestamp]
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[Timestamp]
    # The login's absolute end: refreshing never carries a token past it (null on old rows).
    login_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[Timestamp]
    count: Mapped[int] = mapped_column(Integer)


class SignInFailure(Base):
    """Failed sign-ins of one (email, client address) pair, and when it may try again.

    ``key`` is a sha256 of the pair, so the table does not say who tried from where.
    """

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    blocked_until: Mapped[Timestamp]
    last_attempt_at: Mapped[Timestamp] = mapped_column(index=True)


class SyncCounter(Base):
    """One row per named counter. Taking the next change sequence updates this row inside the
    write transaction, so concurrent writers queue on its lock and sequence order is commit
    order (a plain auto-increment is not: id 11 may commit before id 10)."""

    __tablename__ = "sync_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Change(Base):
    """The sync change log: one row per write to a synced entity, in commit order."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(200))
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    version: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[str | None] = mapped_column(String(64))  # scope after the write
    previous_team_id: Mapped[str | None] = mapped_column(String(64))  # scope before a move
    agent_id: Mapped[str | None] = mapped_column(String(64))  # for an agent's own scope
    created_at: Mapped[Timestamp] = mapped_column(index=True)

    __table_args__ = (Index("ix_changes_entity", "entity", "entity_id"),)


class MailOutbox(Base):
    """A mail as sent, less its secrets: a reset mail's body holds no token (the token goes out
    in the mail itself and is never stored in clear), and it expires with that token."""

    __tablename__ = "mail_outbox"

    id: Mapped[IdPk]
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Timestamp]
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SyncMutation(Base):
    """A pushed mutation's stored result, so a replayed ``mutation_id`` applies nothing."""

    __tablename__ = "sync_mutations"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    mutation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[Timestamp] = mapped_column(index=True)
