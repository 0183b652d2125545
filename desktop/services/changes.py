"""``Changes``: the app-wide change notice — what an operation changed, and who started it.

After Anki's ``OpChanges``: the sync service emits one ``Changes`` per operation that changed
something, and each screen decides from ``entities`` whether it concerns it. ``initiator`` is the
object (a screen) that asked for the change: it has already reloaded itself with what it knows
(which week to show, which row to select), so it may skip the notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Entity(StrEnum):
    """What a screen may be showing, at the grain a change notice names."""

    SESSIONS = "sessions"  # coaching sessions in the cache: the calendar and the list
    CONFLICTS = "conflicts"  # booking clashes, edit conflicts and failed changes
    METRICS = "metrics"  # KPI values: dashboards and scorecards
    DIRECTORY = "directory"  # users, teams, agents and KPI definitions


# The change feed's entity names, by what they change on screen.
FEED_ENTITIES: dict[str, frozenset[Entity]] = {
    "session": frozenset({Entity.SESSIONS, Entity.CONFLICTS}),
    "metric": frozenset({Entity.METRICS}),
    "kpi": frozenset({Entity.DIRECTORY, Entity.METRICS}),
    "user": frozenset({Entity.DIRECTORY, Entity.METRICS}),
    "team": frozenset({Entity.DIRECTORY, Entity.METRICS}),
}
EVERYTHING = frozenset(Entity)


@dataclass(frozen=True, slots=True)
class Changes:
    """One change notice: the entities an operation changed and the object that started it."""

    entities: frozenset[Entity]
    initiator: object | None = None

    @classmethod
    def of(cls, *entities: Entity, initiator: object | None = None) -> Changes:
        return cls(frozenset(entities), initiator)

    @classmethod
    def from_feed(cls, names: Iterable[str], initiator: object | None = None) -> Changes:
        """What pulled rows of the change feed touch; an unknown name may touch anything."""
        entities: set[Entity] = set()
        for name in names:
            entities |= FEED_ENTITIES.get(name, EVERYTHING)
        return cls(frozenset(entities), initiator)

    def concerns(self, watched: Iterable[Entity]) -> bool:
        """Whether any of the ``watched`` entities changed."""
        return not self.entities.isdisjoint(watched)

    def __bool__(self) -> bool:
        return bool(self.entities)
