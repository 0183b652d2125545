"""Free time: working-hours slots that neither the coach nor the agent has taken.

Working hours are ``settings.workday`` in ``settings.timezone``; candidate slots start every
15 minutes from the start of the working day. Busy time is every occupying session of either person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import CoachingSession
from server.settings import Settings
from shared.sessions import OCCUPYING_STATUSES, Slot

SLOT_STEP = timedelta(minutes=15)
SUGGESTION_COUNT = 3
SUGGESTION_DAYS = 14

Interval = tuple[datetime, datetime]


def working_window(day: date, settings: Settings) -> Interval:
    """The working hours of ``day`` (a local date) as a UTC interval."""
    zone = ZoneInfo(settings.timezone)
    opens, closes = settings.workday
    return (
        datetime.combine(day, opens, tzinfo=zone).astimezone(UTC),
        datetime.combine(day, closes, tzinfo=zone).astimezone(UTC),
    )


def local_date(moment: datetime, settings: Settings) -> date:
    return moment.astimezone(ZoneInfo(settings.timezone)).date()


def _overlaps_any(starts: datetime, ends: datetime, busy: Iterable[Interval]) -> bool:
    return any(taken_start < ends and starts < taken_end for taken_start, taken_end in busy)


def free_slots_on(
    day: date, length: timedelta, busy: Sequence[Interval], settings: Settings, not_before: datetime
) -> list[Slot]:
    """Every slot of ``length`` on ``day`` within working hours that overlaps nothing busy."""
    opens, closes = working_window(day, settings)
    slots: list[Slot] = []
    starts = opens
    while starts + length <= closes:
        ends = starts + length
        if starts >= not_before and not _overlaps_any(starts, ends, busy):
            slots.append(Slot(starts_at=starts, ends_at=ends))
        starts += SLOT_STEP
    return slots


def nearest_slots(
    wanted: Interval,
    busy: Sequence[Interval],
    settings: Settings,
    now: datetime,
    count: int = SUGGESTION_COUNT,
    days: int = SUGGESTION_DAYS,
) -> list[Slot]:
    """Free slots as long as ``wanted``: the closest ones on its day first, then following days."""
    length = wanted[1] - wanted[0]
    first_day = local_date(wanted[0], settings)
    same_day = free_slots_on(first_day, length, busy, settings, now)
    same_day.sort(key=lambda slot: (abs(slot.starts_at - wanted[0]), slot.starts_at))
    picks = same_day[:count]
    for offset in range(1, days + 1):
        if len(picks) >= count:
            break
        later = free_slots_on(first_day + timedelta(days=offset), length, busy, settings, now)
        picks.extend(later[: count - len(picks)])
    return picks


def search_horizon(wanted: Interval, settings: Settings, days: int = SUGGESTION_DAYS) -> Interval:
    """The UTC span ``nearest_slots`` may look at, to load busy time in one query."""
    first_day = local_date(wanted[0], settings)
    return (
        working_window(first_day, settings)[0] - timedelta(days=1),
        working_window(first_day + timedelta(days=days), settings)[1] + timedelta(days=1),
    )


async def busy_intervals(
    session: AsyncSession,
    people: Iterable[str],
    span: Interval,
    exclude_ids: Iterable[str] = (),
) -> list[Interval]:
    """Occupied time of anyone in ``people`` (as coach or agent) overlapping ``span``."""
    ids = list(people)
    query = select(CoachingSession.starts_at, CoachingSession.ends_at).where(
        CoachingSession.status.in_([status.value for status in OCCUPYING_STATUSES]),
        CoachingSession.starts_at < span[1],
        CoachingSession.ends_at > span[0],
        or_(CoachingSession.coach_id.in_(ids), CoachingSession.agent_id.in_(ids)),
    )
    excluded = list(exclude_ids)
    if excluded:
        query = query.where(CoachingSession.id.not_in(excluded))
    rows = await session.execute(query.order_by(CoachingSession.starts_at))
    return [(row.starts_at, row.ends_at) for row in rows]
