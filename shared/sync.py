"""The sync protocol: a commit-ordered change feed and an idempotent push."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.auth import Contract
from shared.types import CURSOR_PATTERN, EntityId

Entity = Literal["team", "user", "kpi", "metric", "session"]

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 5000


class ChangesQuery(BaseModel):
    """``GET /sync/changes``: no ``since`` starts a full snapshot of the caller's scope."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(default=None, max_length=2000, pattern=CURSOR_PATTERN)
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class Change(BaseModel):
    """One entity as it is now (``upsert``), or gone from the caller's view (``delete``).

    ``id`` is the entity's id; a KPI's is its code, a metric's ``agent_id:period:kpi_code``.
    ``data`` is the entity as the API shows it (a metric is ``{agent_id, period, kpi_code,
    value, version}``); it is ``None`` for a delete.
    """

    entity: Entity
    id: str
    op: Literal["upsert", "delete"]
    version: int
    data: dict[str, Any] | None = None


class ChangesPage(BaseModel):
    """A page of the feed. Pass ``cursor`` as ``since`` next; ``has_more`` says to ask again now."""

    changes: list[Change]
    cursor: str
    has_more: bool


class Mutation(Contract):
    """One offline edit. ``data`` is a ``SessionCreate`` (without ``id``) or a ``SessionPatch``."""

    mutation_id: EntityId
    type: Literal["create_session", "update_session"]
    session_id: EntityId
    base_version: StrictInt | None = None
    data: dict[str, Any]


class PushRequest(Contract):
    """Pending mutations of one client, applied in order."""

    client_id: EntityId
    mutations: list[Mutation] = Field(max_length=500)


class MutationResult(BaseModel):
    """What became of one mutation; a replayed ``mutation_id`` gets the same result again.

    ``applied``: ``session`` is the server's session after the write. ``conflict``:
    ``version_conflict`` with ``current`` (the server's session, nothing applied), or
    ``slot_conflict`` with ``session`` (a create stored in status ``conflict`` for a manager to
    resolve) or, for an update, ``current`` plus ``conflicts`` and ``suggestions``. ``rejected``:
    ``code`` says why (``validation_error``, ``not_found``, ``invalid_transition``…).
    """

    mutation_id: str
    status: Literal["applied", "conflict", "rejected"]
    code: str | None = None
    detail: str | None = None
    session: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    conflicts: list[dict[str, Any]] | None = None
    suggestions: list[dict[str, Any]] | None = None


class PushResponse(BaseModel):
    """One result per mutation, in the order they were sent."""

    results: list[MutationResult]
