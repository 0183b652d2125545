"""KPI scoring: attainment, score, trend, means and deltas, with their edge cases."""

from __future__ import annotations

import pytest

from shared.scoring import (
    ATTAINMENT_CAP,
    KpiRule,
    attainment,
    delta,
    mean,
    meets_target,
    score,
    trend,
)

AHT = KpiRule("aht", target=360.0, weight=1.0, higher_is_better=False)
CSAT = KpiRule("csat", target=85.0, weight=2.0, higher_is_better=True)
FCR = KpiRule("fcr", target=75.0, weight=1.5, higher_is_better=True)
QA = KpiRule("qa", target=90.0, weight=2.0, higher_is_better=True)
ADHERENCE = KpiRule("adherence", target=92.0, weight=1.0, higher_is_better=True)
DEFAULT_RULES = [AHT, CSAT, FCR, QA, ADHERENCE]


@pytest.mark.parametrize(
    ("value", "target", "higher", "expected"),
    [
        (85.0, 85.0, True, 1.0),
        (42.5, 85.0, True, 0.5),
        (360.0, 360.0, False, 1.0),
        (720.0, 360.0, False, 0.5),
        (180.0, 360.0, False, 1.5),  # twice as fast: 2.0, clipped
        (200.0, 100.0, True, 1.5),  # clipped at the cap
        (150.0, 100.0, True, 1.5),  # exactly the cap
        (0.0, 85.0, True, 0.0),  # zero value, higher is better
        (0.0, 360.0, False, ATTAINMENT_CAP),  # zero handle time beats any target
        (5.0, 0.0, True, ATTAINMENT_CAP),  # zero target, any value reaches it
        (0.0, 0.0, True, 1.0),
    ],
)
def test_attainment(value: float, target: float, higher: bool, expected: float) -> None:
    assert attainment(value, target, higher) == pytest.approx(expected)


def test_attainment_is_never_negative_or_above_the_cap() -> None:
    for value in (-10.0, 0.0, 1e-9, 1.0, 1e9):
        for target in (0.0, 1.0, 360.0):
            for higher in (True, False):
                assert 0.0 <= attainment(value, target, higher) <= ATTAINMENT_CAP


def test_score_is_the_weighted_mean_of_attainments_times_100() -> None:
    values = {"aht": 360.0, "csat": 85.0, "fcr": 75.0, "qa": 90.0, "adherence": 92.0}
    assert score(values, DEFAULT_RULES) == 100.0
    # csat at half its target (weight 2 of 7.5): 100 * (7.5 - 1) / 7.5 = 86.666… → 86.7
    assert score({**values, "csat": 42.5}, DEFAULT_RULES) == 86.7


def test_score_ignores_missing_values_and_their_weights() -> None:
    assert score({"csat": 85.0, "aht": None}, DEFAULT_RULES) == 100.0
    # Only csat (w 2, att 0.5) and aht (w 1, att 1.5): 100 * (1 + 1.5) / 3 = 83.333… → 83.3
    assert score({"csat": 42.5, "aht": 100.0}, DEFAULT_RULES) == 83.3


def test_score_clips_each_kpi_at_the_cap() -> None:
    assert score({"csat": 1000.0}, DEFAULT_RULES) == 150.0
    assert score({"csat": 1000.0, "qa": 0.0}, DEFAULT_RULES) == 75.0


def test_score_with_no_values_is_none() -> None:
    assert score({}, DEFAULT_RULES) is None
    assert score({"aht": None, "csat": None}, DEFAULT_RULES) is None
    assert score({"unknown": 5.0}, DEFAULT_RULES) is None
    assert score({"csat": 85.0}, []) is None


def test_score_skips_kpis_without_weight() -> None:
    rules = [KpiRule("csat", 85.0, 0.0, True), QA]
    assert score({"csat": 0.0, "qa": 90.0}, rules) == 100.0
    assert score({"csat": 85.0}, rules) is None


def test_score_rounds_to_one_decimal() -> None:
    rules = [KpiRule("x", 3.0, 1.0, True)]
    assert score({"x": 1.0}, rules) == 33.3
    assert score({"x": 2.0}, rules) == 66.7


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (91.0, 90.0, "up"),  # exactly +1.0
        (89.0, 90.0, "down"),  # exactly -1.0
        (90.9, 90.0, "flat"),
        (89.1, 90.0, "flat"),
        (90.0, 90.0, "flat"),
        (80.3, 79.3, "up"),  # +1.0 that floating point makes 0.99999…
        (79.3, 80.3, "down"),
        (None, 90.0, None),
        (90.0, None, None),
        (None, None, None),
    ],
)
def test_trend(current: float | None, previous: float | None, expected: str | None) -> None:
    assert trend(current, previous) == expected


def test_mean_ignores_missing_and_rounds() -> None:
    assert mean([1.0, None, 2.0]) == 1.5
    assert mean([1.0, 1.0, 2.0]) == 1.3
    assert mean([1.0, 1.0, 2.0], digits=None) == pytest.approx(4 / 3)
    assert mean([]) is None
    assert mean([None, None]) is None


def test_delta() -> None:
    assert delta(82.7, 80.0) == 2.7
    assert delta(80.0, 82.7) == -2.7
    assert delta(None, 1.0) is None
    assert delta(1.0, None) is None


def test_meets_target() -> None:
    assert meets_target(85.0, CSAT) is True
    assert meets_target(84.9, CSAT) is False
    assert meets_target(360.0, AHT) is True
    assert meets_target(361.0, AHT) is False
    assert meets_target(None, CSAT) is None
