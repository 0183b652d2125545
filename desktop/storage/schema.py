"""Tables of the local cache: the server snapshot, meta, and the outbox kept apart from it.

Snapshot rows keep what the server sent (``data``) next to the columns queries need, and the
snapshot ``gen`` they were last written in, so a re-snapshot can sweep rows the server no longer
sends without ever emptying the cache in between.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

teams = Table(
    "teams",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("leader_id", String),
    Column("manager_id", String),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("gen", Integer, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String, primary_key=True),
    Column("email", String, nullable=False),
    Column("name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("team_id", String, index=True),
    Column("employee_code", String),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("gen", Integer, nullable=False),
)

kpis = Table(
    "kpis",
    metadata,
    Column("code", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("unit", String, nullable=False),
    Column("higher_is_better", Boolean, nullable=False),
    Column("target", Float, nullable=False),
    Column("weight", Float, nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("gen", Integer, nullable=False),
)

# The change id of a metric is "agent_id:period:kpi_code".
metrics = Table(
    "metrics",
    metadata,
    Column("id", String, primary_key=True),
    Column("agent_id", String, nullable=False),
    Column("period", String, nullable=False),
    Column("kpi_code", String, nullable=False),
    Column("value", Float, nullable=False),
    Column("version", Integer, nullable=False),
    Column("gen", Integer, nullable=False),
    Index("ix_metrics_agent_period", "agent_id", "period"),
    Index("ix_metrics_period", "period"),
)

# ``local`` marks an optimistic copy whose mutation is still in the outbox (or failed there):
# pulls leave such a row alone until the push has settled it.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String, primary_key=True),
    Column("agent_id", String, nullable=False),
    Column("coach_id", String, nullable=False),
    Column("starts_at", String, nullable=False),  # canonical UTC ISO text: orders as text
    Column("ends_at", String, nullable=False),
    Column("status", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("local", Boolean, nullable=False, default=False),
    Column("gen", Integer, nullable=False),
    Index("ix_sessions_starts", "starts_at"),
    Index("ix_sessions_agent", "agent_id", "starts_at"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text),
)

SNAPSHOT_TABLES = (teams, users, kpis, metrics, sessions)

# -- kept apart from the snapshot: never touched by a pull or a re-snapshot -------------------

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("mutation_id", String, nullable=False, unique=True),
    Column("user_id", String, nullable=False),
    Column("type", String, nullable=False),  # create_session | update_session
    Column("session_id", String, nullable=False, index=True),
    Column("base_version", Integer),
    Column("data", JSON, nullable=False),
    Column("base", JSON),  # the session the edit started from, for the three-way merge
    Column("state", String, nullable=False, default="pending"),  # pending | failed
    # Once a push has carried the mutation, the server may have applied it under its id: later
    # edits must not fold into it (a replay of the id returns the stored result, applying nothing).
    Column("sent", Boolean, nullable=False, default=False),
    Column("code", String),
    Column("detail", Text),
    Column("created_at", String, nullable=False),
)

merge_conflicts = Table(
    "merge_conflicts",
    metadata,
    Column("id", String, primary_key=True),  # the mutation id that met the conflict
    Column("user_id", String, nullable=False),
    Column("session_id", String, nullable=False),
    Column("base", JSON, nullable=False),
    Column("mine", JSON, nullable=False),
    Column("theirs", JSON, nullable=False),
    Column("merged", JSON, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("created_at", String, nullable=False),
)

booking_conflicts = Table(
    "booking_conflicts",
    metadata,
    Column("id", String, primary_key=True),  # the mutation id that met the clash
    Column("user_id", String, nullable=False),
    Column("session_id", String, nullable=False),
    Column("attempted", JSON, nullable=False),
    Column("session", JSON),  # the server's copy (a create is parked there in status conflict)
    # A create the server parked in status ``conflict``: settled once the session leaves it.
    Column("parked", Boolean, nullable=False, default=False),
    Column("clashes", JSON, nullable=False),
    Column("suggestions", JSON, nullable=False),
    Column("detail", Text),
    Column("created_at", String, nullable=False),
)
