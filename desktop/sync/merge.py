"""Three-way merge per field: one-sided changes merge by themselves, two-sided ones go to the user."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SESSION_GROUPS: tuple[tuple[str, ...], ...] = (("starts_at", "ends_at"),)
"""Fields that change only together: a session's start and end form one slot."""


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """One field both sides changed to different values."""

    field: str
    base: Any
    mine: Any
    theirs: Any


@dataclass(frozen=True, slots=True)
class MergeResult:
    """``merged`` holds theirs, plus my one-sided changes; conflicting fields keep theirs for now."""

    merged: dict[str, Any]
    conflicts: list[FieldConflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts

    @property
    def conflict_fields(self) -> list[str]:
        return [conflict.field for conflict in self.conflicts]


def _units(fields: Iterable[str], groups: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The fields to merge, with grouped fields kept together as one unit."""
    wanted = list(dict.fromkeys(fields))
    units: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for name in wanted:
        if name in seen:
            continue
        group = next((g for g in groups if name in g), (name,))
        unit = tuple(member for member in group if member in wanted) or (name,)
        units.append(unit)
        seen.update(unit)
    return units


def three_way_merge(
    base: Mapping[str, Any],
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    fields: Iterable[str] | None = None,
    groups: Sequence[tuple[str, ...]] = SESSION_GROUPS,
) -> MergeResult:
    """Merge ``mine`` and ``theirs``, both derived from ``base``, field by field.

    Per field (or group of fields): equal on both sides, or changed only by them → theirs;
    changed only by me → mine; changed by both to different values → a conflict.
    """
    names = fields if fields is not None else [*base, *mine, *theirs]
    merged = dict(theirs)
    conflicts: list[FieldConflict] = []
    for unit in _units(names, groups):
        b = tuple(base.get(name) for name in unit)
        m = tuple(mine.get(name, base.get(name)) for name in unit)
        t = tuple(theirs.get(name) for name in unit)
        if m in (t, b):
            continue
        if t == b:
            merged.update(zip(unit, m, strict=True))
            continue
        conflicts.extend(
            FieldConflict(name, b_value, m_value, t_value)
            for name, b_value, m_value, t_value in zip(unit, b, m, t, strict=True)
        )
    return MergeResult(merged=merged, conflicts=conflicts)
