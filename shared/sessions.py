"""Coaching sessions: booking, editing, listing, free slots and booking conflicts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.auth import Contract
from shared.types import CURSOR_PATTERN, EntityId, NoNul, UtcDatetime

MIN_LENGTH = timedelta(minutes=15)
MAX_LENGTH = timedelta(hours=4)


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    CONFLICT = "conflict"


OCCUPYING_STATUSES = frozenset({SessionStatus.SCHEDULED})

# Moves a PATCH may make. conflict -> scheduled | cancelled happens only through resolution.
ALLOWED_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.SCHEDULED: frozenset(
        {SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW}
    ),
}
# What can be said of a session only once it has begun: nobody completes or misses a future one.
ONCE_STARTED_STATUSES = frozenset({SessionStatus.COMPLETED, SessionStatus.NO_SHOW})
RESOLUTION_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.CONFLICT: frozenset({SessionStatus.SCHEDULED, SessionStatus.CANCELLED}),
}


def check_length(starts_at: datetime, ends_at: datetime) -> None:
    """Raise ``ValueError`` unless 15 minutes <= ends_at - starts_at <= 4 hours."""
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    length = ends_at - starts_at
    if length < MIN_LENGTH:
        raise ValueError("a session lasts at least 15 minutes")
    if length > MAX_LENGTH:
        raise ValueError("a session lasts at most 4 hours")


class Session(BaseModel):
    """A coaching session as the API shows it."""

    id: str
    agent_id: str
    coach_id: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    topic: str
    notes: str
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


Topic = Annotated[str, Field(min_length=1, max_length=200), NoNul]
Notes = Annotated[str, Field(max_length=10_000), NoNul]


class SessionCreate(Contract):
    id: EntityId | None = None
    agent_id: EntityId
    coach_id: EntityId | None = None
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    topic: Topic
    notes: Notes = ""

    @model_validator(mode="after")
    def _length(self) -> SessionCreate:
        check_length(self.starts_at, self.ends_at)
        return self


class SessionPatch(Contract):
    """Fields to change; both times must come together when rescheduling."""

    starts_at: UtcDatetime | None = None
    ends_at: UtcDatetime | None = None
    topic: Topic | None = None
    notes: Notes | None = None
    status: SessionStatus | None = None
    coach_id: EntityId | None = None

    @model_validator(mode="after")
    def _times(self) -> SessionPatch:
        if (self.starts_at is None) != (self.ends_at is None):
            raise ValueError("starts_at and ends_at change together")
        if self.starts_at is not None and self.ends_at is not None:
            check_length(self.starts_at, self.ends_at)
        return self


class SessionPage(BaseModel):
    items: list[Session]
    next_cursor: str | None


class Slot(BaseModel):
    starts_at: datetime
    ends_at: datetime


class SlotList(BaseModel):
    items: list[Slot]


class BookingConflict(BaseModel):
    """A session in status ``conflict`` with what it clashes with and where it could go."""

    session: Session
    clashes_with: list[Session]
    suggestions: list[Slot]


class ConflictList(BaseModel):
    items: list[BookingConflict]


class Reschedule(Contract):
    action: Literal["reschedule"]
    starts_at: UtcDatetime
    ends_at: UtcDatetime

    @model_validator(mode="after")
    def _length(self) -> Reschedule:
        check_length(self.starts_at, self.ends_at)
        return self


class Decline(Contract):
    action: Literal["decline"]
    reason: Annotated[str, Field(min_length=1, max_length=1000), NoNul]


class DisplacedMove(Contract):
    id: EntityId
    version: int
    starts_at: UtcDatetime
    ends_at: UtcDatetime

    @model_validator(mode="after")
    def _length(self) -> DisplacedMove:
        check_length(self.starts_at, self.ends_at)
        return self


class Override(Contract):
    action: Literal["override"]
    displaced: DisplacedMove


Resolution = Annotated[Reschedule | Decline | Override, Field(discriminator="action")]
"""The body of ``POST /conflicts/{id}/resolve``: one of reschedule, decline or override."""


class ResolveResult(BaseModel):
    session: Session
    displaced: Session | None = None


class SessionQuery(BaseModel):
    """Filters and paging of ``GET /sessions``; ``from``/``to`` select sessions overlapping them."""

    model_config = ConfigDict(populate_by_name=True)

    from_: UtcDatetime | None = Field(default=None, alias="from")
    to: UtcDatetime | None = None
    agent_id: EntityId | None = None
    coach_id: EntityId | None = None
    team_id: EntityId | None = None
    status: SessionStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500, pattern=CURSOR_PATTERN)


class FreeSlotQuery(BaseModel):
    """``GET /sessions/free-slots``: ``coach_id`` defaults to the caller."""

    agent_id: EntityId
    coach_id: EntityId | None = None
    date: date
    duration_minutes: int = Field(default=30, ge=15, le=240)
