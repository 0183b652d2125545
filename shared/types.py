"""Field types used across the contract: UTC timestamps, periods, ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD_RE = re.compile(PERIOD_PATTERN)


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (e.g. 2026-01-31T09:00:00Z)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_aware)]
"""A timezone-aware timestamp, normalised to UTC. A naive datetime is a validation error."""

Period = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2026-01"])]
"""A KPI month, ``YYYY-MM``."""

EntityId = Annotated[str, Field(min_length=1, max_length=64)]


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
