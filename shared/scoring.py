"""KPI scoring, identical on server and desktop.

attainment = v/t (higher is better) or t/v (lower is better), clipped to [0, 1.5];
score = 100 * sum(weight * attainment) / sum(weight) over the KPIs with a value, 1 decimal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

ATTAINMENT_CAP = 1.5
TREND_THRESHOLD = 1.0

Trend = Literal["up", "down", "flat"]

# The order KPIs are shown in everywhere; codes added later follow alphabetically.
KPI_DISPLAY_ORDER = ("aht", "csat", "fcr", "qa", "adherence")


def kpi_sort_key(code: str) -> tuple[int, str]:
    """Sort key that puts KPI codes in display order."""
    try:
        return KPI_DISPLAY_ORDER.index(code), code
    except ValueError:
        return len(KPI_DISPLAY_ORDER), code


@dataclass(frozen=True, slots=True)
class KpiRule:
    """What scoring needs to know of a KPI definition."""

    code: str
    target: float
    weight: float
    higher_is_better: bool


def attainment(value: float, target: float, higher_is_better: bool) -> float:
    """How far ``value`` reaches ``target``, in [0, 1.5]."""
    if higher_is_better:
        if target <= 0:
            ratio = ATTAINMENT_CAP if value > 0 else 1.0
        else:
            ratio = value / target
    elif value <= 0:
        # Zero handle time (or less) beats any target: best possible attainment.
        ratio = ATTAINMENT_CAP
    else:
        ratio = target / value
    return min(max(ratio, 0.0), ATTAINMENT_CAP)


def score(values: Mapping[str, float | None], rules: Iterable[KpiRule]) -> float | None:
    """An agent's score for one period, or ``None`` when no KPI has a value."""
    weighted = 0.0
    total_weight = 0.0
    for rule in rules:
        value = values.get(rule.code)
        if value is None or rule.weight <= 0:
            continue
        weighted += rule.weight * attainment(value, rule.target, rule.higher_is_better)
        total_weight += rule.weight
    if total_weight == 0:
        return None
    return round(100.0 * weighted / total_weight, 1)


def trend(current: float | None, previous: float | None) -> Trend | None:
    """``up``/``down`` when the score moved by at least one point, else ``flat``."""
    if current is None or previous is None:
        return None
    change = round(current - previous, 6)
    if change >= TREND_THRESHOLD:
        return "up"
    if change <= -TREND_THRESHOLD:
        return "down"
    return "flat"


def mean(values: Iterable[float | None], digits: int | None = 1) -> float | None:
    """Mean of the present values (``None`` ignored); ``None`` when there are none."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    # fsum is exact, so the mean does not depend on the order the values come in (a database may
    # hand them over in any order).
    result = math.fsum(present) / len(present)
    return round(result, digits) if digits is not None else result


def delta(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return round(current - previous, 4)


def meets_target(value: float | None, rule: KpiRule) -> bool | None:
    """Whether a KPI value is on target (for colouring); ``None`` without a value."""
    if value is None:
        return None
    return value >= rule.target if rule.higher_is_better else value <= rule.target
