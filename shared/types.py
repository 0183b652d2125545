"""Field types used across the contract: UTC timestamps, periods, ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD_RE = re.compile(PERIOD_PATTERN)


# Far enough inside datetime's range that slot arithmetic (time zones, days of search) never
# overflows, and wide enough for any real booking or filter.
EARLIEST_YEAR = 1900
LATEST_YEAR = 8999


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (e.g. 2026-01-31T09:00:00Z)")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"timestamp must lie in the years {EARLIEST_YEAR} to {LATEST_YEAR}")
    return value.astimezone(UTC)


_RFC3339_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _require_text_timestamp(value: object) -> object:
    # Without this, lax validation reads a number (or "0.5") as seconds since 1970; the contract
    # says a date-time string.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339_START.match(value)):
        return value
    raise ValueError("timestamp must be a date and time like 2026-01-31T09:00:00Z")


UtcDatetime = Annotated[datetime, BeforeValidator(_require_text_timestamp), AfterValidator(_require_aware)]
"""A timezone-aware timestamp in UTC, years 1900 to 8999. A naive datetime is a validation error."""


def _reject_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


NoNul = AfterValidator(_reject_nul)
"""Text the databases can store: PostgreSQL refuses NUL characters in text columns."""

Period = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2026-01"])]
"""A KPI month, ``YYYY-MM``."""

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID_RE = re.compile(UUID_PATTERN)

EntityId = Annotated[
    str,
    Field(
        pattern=UUID_PATTERN,
        json_schema_extra={"format": "uuid"},
        examples=["0b4e7a4e-5f0c-4c1e-9d4a-2f1f0c8e6b1a"],
    ),
    AfterValidator(str.lower),
]
"""An id: a UUID in its hyphenated form (``str(uuid.uuid4())``), compared lower-case.

Server rows and client-made sessions alike; anything else is refused at the edge, so an id can
always be put in a path, a header or a database column as it is.
"""


# What the server checks of an address, all of it here so the schema can say so: one "@", no
# spaces or control characters, a dotted domain. Whether mail arrives is for the mail to find out.
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+$"

Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN, examples=["ada@example.com"])]
"""An email address as the server accepts it (compared and stored lower-case by the services)."""

# The opaque paging and sync cursors the server hands out: base64url (padding optional).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+={0,2}$"


def is_entity_id(value: str) -> bool:
    return _UUID_RE.fullmatch(value) is not None


def is_period(value: str) -> bool:
    return bool(_PERIOD_RE.match(value))


def period_add(period: str, months: int) -> str:
    """Shift a ``YYYY-MM`` period by ``months`` (negative goes back)."""
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def periods_ending(period: str, count: int = 12) -> list[str]:
    """The ``count`` periods ending at ``period``, oldest first."""
    return [period_add(period, -offset) for offset in range(count - 1, -1, -1)]


def utcnow() -> datetime:
    return datetime.now(UTC)
