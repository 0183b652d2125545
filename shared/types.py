"""Field types used across the contract: UTC timestamps, periods, ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

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


UtcDatetime = Annotated[datetime, AfterValidator(_require_aware)]
"""A timezone-aware timestamp in UTC, years 1900 to 8999. A naive datetime is a validation error."""


def _reject_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


NoNul = AfterValidator(_reject_nul)
"""Text the databases can store: PostgreSQL refuses NUL characters in text columns."""

Period = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2026-01"])]
"""A KPI month, ``YYYY-MM``."""

EntityId = Annotated[str, Field(min_length=1, max_length=64), NoNul]


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
