"""How numbers, scores, trends and times read in the app; one place so every screen agrees."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.scoring import KpiRule, attainment, meets_target

TargetStatus = Literal["good", "near", "bad"]

NEAR_TARGET = 0.95
"""Attainment from which a missed target shows amber rather than red."""

SCORE_TARGET = 100.0
"""A score of 100 means every KPI is exactly on target."""

EN_DASH = "\u2013"
MINUS = "\u2212"

TREND_ARROWS = {"up": "▲", "down": "▼", "flat": "▶"}


def target_status(value: float | None, rule: KpiRule) -> TargetStatus | None:
    """Green on target, amber within 5 % of it, red below; ``None`` without a value."""
    met = meets_target(value, rule)
    if met is None or value is None:
        return None
    if met:
        return "good"
    reached = attainment(value, rule.target, rule.higher_is_better)
    return "near" if reached >= NEAR_TARGET else "bad"


def score_status(score: float | None) -> TargetStatus | None:
    if score is None:
        return None
    if score >= SCORE_TARGET:
        return "good"
    return "near" if score >= SCORE_TARGET * NEAR_TARGET else "bad"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.0f} s"
    if unit == "%":
        return f"{value:.1f} %"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def format_delta(delta: float | None, unit: str) -> str:
    if delta is None:
        return "—"
    sign = "+" if delta > 0 else (MINUS if delta < 0 else "±")
    return f"{sign}{format_value(abs(delta), unit)}"


def format_score(score: float | None) -> str:
    return "—" if score is None else f"{score:.1f}"


def format_trend(trend: str | None, score: float | None, previous: float | None) -> str:
    if trend is None:
        return "—"
    arrow = TREND_ARROWS.get(trend, "")
    if score is None or previous is None:
        return arrow
    change = score - previous
    return f"{arrow} {change:+.1f}"


def format_time_range(starts_at: datetime, ends_at: datetime) -> str:
    start, end = starts_at.astimezone(), ends_at.astimezone()
    return f"{start:%a %d %b %Y}, {start:%H:%M}{EN_DASH}{end:%H:%M}"


def format_short_time(moment: datetime) -> str:
    return f"{moment.astimezone():%d %b %H:%M}"
