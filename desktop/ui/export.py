"""Scorecard export to CSV and PDF (QTextDocument printed on a QPdfWriter)."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from PySide6.QtCore import QMarginsF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from desktop.models.formatting import format_delta, format_score, format_short_time, format_value
from desktop.ui.widgets import period_label
from shared.analytics import Scorecard

CSV_HEADER = ("kpi", "name", "unit", "value", "target", "previous", "delta", "attainment", "year_avg")
# A spreadsheet evaluates a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as text: a leading quote before what would start a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def write_scorecard_csv(scorecard: Scorecard, path: Path) -> None:
    """One row per KPI with raw numbers (empty when missing), then the score rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("agent", spreadsheet_safe(scorecard.agent.name), "period", scorecard.period))
        writer.writerow(CSV_HEADER)
        for kpi in scorecard.kpis:
            writer.writerow(
                (
                    *(spreadsheet_safe(text) for text in (kpi.code, kpi.name, kpi.unit)),
                    *(
                        _raw(v)
                        for v in (
                            kpi.value,
                            kpi.target,
                            kpi.previous,
                            kpi.delta,
                            kpi.attainment,
                            kpi.year_avg,
                        )
                    ),
                )
            )
        writer.writerow(())
        writer.writerow(("period", "score"))
        for point in scorecard.history:
            writer.writerow((point.period, _raw(point.score)))


def _raw(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def scorecard_html(scorecard: Scorecard, with_chart: bool) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(k.name)}</td><td align=right>{format_value(k.value, k.unit)}</td>"
        f"<td align=right>{format_value(k.target, k.unit)}</td>"
        f"<td align=right>{format_delta(k.delta, k.unit)}</td>"
        f"<td align=right>{format_value(k.year_avg, k.unit)}</td>"
        "</tr>"
        for k in scorecard.kpis
    )
    chart = "<p><img src='chart.png' width=620></p>" if with_chart else ""
    return (
        "<html><body style='font-family: sans-serif'>"
        f"<h2>Scorecard — {html.escape(scorecard.agent.name)}</h2>"
        f"<p>{period_label(scorecard.period)} · as of {format_short_time(scorecard.as_of)}</p>"
        f"<p><b>Score {format_score(scorecard.score)}</b> (previous month "
        f"{format_score(scorecard.previous_score)}, "
        f"12-month average {format_score(scorecard.year_avg_score)})</p>"
        "<table border=1 cellspacing=0 cellpadding=5 width=100%>"
        "<tr><th align=left>KPI</th><th>This month</th><th>Target</th><th>vs previous</th>"
        f"<th>12-month average</th></tr>{rows}</table>{chart}</body></html>"
    )


def write_scorecard_pdf(scorecard: Scorecard, path: Path, chart: QImage | None = None) -> None:
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"Scorecard {scorecard.agent.name} {scorecard.period}")
    document = QTextDocument()
    if chart is not None:
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl("chart.png"), chart)
    document.setHtml(scorecard_html(scorecard, chart is not None))
    document.print_(writer)
