"""The scorecard's CSV export cannot carry a formula into a spreadsheet (OWASP CSV injection)."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime
from pathlib import Path

from desktop.ui.export import spreadsheet_safe, write_scorecard_csv
from shared.analytics import HistoryPoint, Scorecard, ScorecardKpi
from shared.directory import Agent

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def _scorecard(agent_name: str, kpi_name: str) -> Scorecard:
    agent = Agent(
        id=str(uuid.uuid4()), name=agent_name, email="a@example.com", team_id=None,
        employee_code="E1", active=True, version=1,
    )
    kpi = ScorecardKpi(
        code="aht", name=kpi_name, unit="s", value=-5.0, target=360, previous=None, delta=-1.5,
        attainment=1.0, year_avg=None,
    )
    return Scorecard(
        agent=agent, period="2031-01", as_of=datetime(2031, 1, 31, tzinfo=UTC), score=90.0,
        previous_score=None, trend=None, year_avg_score=None, kpis=[kpi],
        history=[HistoryPoint(period="2031-01", score=90.0)],
    )


def test_text_that_a_spreadsheet_would_evaluate_is_quoted_as_text() -> None:
    for text in FORMULAS:
        assert spreadsheet_safe(text) == "'" + text, text
    for text in ("Ada Lovelace", "", "1:1 = fine", "a-b"):
        assert spreadsheet_safe(text) == text


def test_the_csv_export_neutralises_formulas_in_names(tmp_path: Path) -> None:
    for formula in FORMULAS:
        path = tmp_path / "card.csv"
        write_scorecard_csv(_scorecard(formula, formula), path)
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][1] == "'" + formula, rows[0]
        assert rows[2][1] == "'" + formula, rows[2]
        # Numbers are written by us, not taken from text: a negative value stays a number.
        assert rows[2][3] == "-5" and rows[2][6] == "-1.5", rows[2]
