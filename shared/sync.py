"""The sync protocol: a commit-ordered change feed and an idempotent push."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.auth import Contract
from shared.types import EntityId

Entity = Literal["team", "user", "kpi", "metric", "session"]


class Change(BaseModel):
    entity: Entity
    id: str
    op: Literal["upsert", "delete"]
    version: int
    data: dict[str, Any] | None = None


class ChangesPage(BaseModel):
    changes: list[Change]
    cursor: str
    has_more: bool


class Mutation(Contract):
    mutation_id: EntityId
    type: Literal["create_session", "update_session"]
    session_id: EntityId
    base_version: int | None = None
    data: dict[str, Any]


class PushRequest(Contract):
    client_id: EntityId
    mutations: list[Mutation] = Field(max_length=500)


class MutationResult(BaseModel):
    mutation_id: str
    status: Literal["applied", "conflict", "rejected"]
    code: str | None = None
    detail: str | None = None
    session: dict[str, Any] | None = None
    current: dict[str, Any] | None = None


class PushResponse(BaseModel):
    results: list[MutationResult]
