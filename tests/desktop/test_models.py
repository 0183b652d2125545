"""Item models tested without a widget: rows, roles, colours against target, sorting via a proxy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt

from desktop.models import (
    ID_ROLE,
    OBJECT_ROLE,
    SORT_ROLE,
    ConflictListModel,
    ManagerOverviewModel,
    ScorecardKpiModel,
    SessionTableModel,
    TeamDashboardModel,
    palette,
)
from desktop.models.formatting import target_status
from desktop.models.roles import STATUS_ROLE
from shared.analytics import (
    AgentRow,
    HistoryPoint,
    ManagerDashboard,
    Scorecard,
    ScorecardKpi,
    TeamDashboard,
    TeamOverview,
    TeamSummary,
    UserRef,
)
from shared.directory import Agent, Kpi, Team
from shared.scoring import KpiRule
from shared.sessions import BookingConflict, Session, SessionStatus, Slot

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DISPLAY = Qt.ItemDataRole.DisplayRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole

KPIS = [
    Kpi(
        code="aht",
        name="Average Handle Time",
        unit="s",
        higher_is_better=False,
        target=360,
        weight=1,
        version=1,
    ),
    Kpi(code="csat", name="CSAT", unit="%", higher_is_better=True, target=85, weight=2, version=1),
]
TEAM = Team(id="t1", name="Billing", version=1)


def agent(agent_id: str, name: str) -> Agent:
    return Agent(
        id=agent_id,
        name=name,
        email=f"{agent_id}@x",
        team_id="t1",
        employee_code=agent_id.upper(),
        active=True,
        version=1,
    )


def team_dashboard() -> TeamDashboard:
    rows = [
        AgentRow(
            agent=agent("a1", "Zoe"),
            metrics={"aht": 300, "csat": 90},
            score=112.0,
            previous_score=108.0,
            trend="up",
        ),
        AgentRow(
            agent=agent("a2", "Ben"),
            metrics={"aht": 370, "csat": 70},
            score=88.5,
            previous_score=90.0,
            trend="down",
        ),
        AgentRow(
            agent=agent("a3", "Amara"),
            metrics={"aht": None, "csat": None},
            score=None,
            previous_score=None,
            trend=None,
        ),
    ]
    return TeamDashboard(
        team=TEAM,
        period="2026-02",
        as_of=NOW,
        kpis=KPIS,
        agents=rows,
        summary=TeamSummary(avg_score=100.2, below_target_count=1),
    )


def session(
    session_id: str, hours: int, status: SessionStatus = SessionStatus.SCHEDULED, **extra: object
) -> Session:
    start = NOW + timedelta(hours=hours)
    values: dict[str, object] = dict(
        id=session_id,
        agent_id="a1",
        coach_id="c1",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=status,
        topic=f"Topic {session_id}",
        notes="",
        created_by="c1",
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    values.update(extra)
    return Session.model_validate(values)


def column_of(model: TeamDashboardModel, title: str) -> int:
    for column in range(model.columnCount()):
        if model.headerData(column, Qt.Orientation.Horizontal, DISPLAY) == title:
            return column
    raise AssertionError(title)


class TestTargetStatus:
    @pytest.mark.parametrize(
        ("value", "higher", "expected"),
        [
            (90, True, "good"),
            (85, True, "good"),
            (82, True, "near"),
            (70, True, "bad"),
            (350, False, "good"),
            (370, False, "near"),
            (450, False, "bad"),
            (None, True, None),
        ],
    )
    def test_green_amber_red_against_target(
        self, value: float | None, higher: bool, expected: str | None
    ) -> None:
        target = 85 if higher else 360
        assert target_status(value, KpiRule("k", target, 1, higher)) == expected


class TestTeamDashboardModel:
    def test_rows_and_columns_follow_the_dashboard(self) -> None:
        model = TeamDashboardModel()
        model.set_dashboard(team_dashboard())
        assert model.rowCount() == 3
        assert model.columnCount() == 2 + len(KPIS) + 1
        headers = [
            model.headerData(c, Qt.Orientation.Horizontal, DISPLAY) for c in range(model.columnCount())
        ]
        assert headers == ["Agent", "AHT", "CSAT", "Score", "Trend"]
        assert model.data(model.index(0, 0)) == "Zoe"
        assert model.data(model.index(0, 1)) == "300 s"
        assert model.data(model.index(0, 2)) == "90.0 %"
        assert model.data(model.index(2, 1)) == "—"
        assert model.data(model.index(0, 0), ID_ROLE) == "a1"
        assert model.data(model.index(1, 0), OBJECT_ROLE).agent.name == "Ben"

    def test_cells_are_coloured_against_each_kpis_own_target_and_direction(self) -> None:
        model = TeamDashboardModel()
        model.set_dashboard(team_dashboard())
        aht, csat = column_of(model, "AHT"), column_of(model, "CSAT")
        # Lower handle time is better: 300 s under a 360 s target is green, 370 s is amber (within 5 %).
        assert model.data(model.index(0, aht), STATUS_ROLE) == "good"
        assert model.data(model.index(1, aht), STATUS_ROLE) == "near"
        assert model.data(model.index(1, csat), STATUS_ROLE) == "bad"
        assert model.data(model.index(0, aht), BACKGROUND) == palette.BACKGROUND["good"]
        assert model.data(model.index(1, csat), BACKGROUND) == palette.BACKGROUND["bad"]
        assert model.data(model.index(1, csat), FOREGROUND) == palette.FOREGROUND["bad"]
        assert model.data(model.index(2, csat), BACKGROUND) is None
        score = model.score_column
        assert model.data(model.index(0, score), STATUS_ROLE) == "good"
        assert model.data(model.index(1, score), STATUS_ROLE) == "bad"

    def test_trend_shows_direction_and_change(self) -> None:
        model = TeamDashboardModel()
        model.set_dashboard(team_dashboard())
        assert model.data(model.index(0, model.trend_column)) == "▲ +4.0"
        assert model.data(model.index(1, model.trend_column)) == "▼ -1.5"
        assert model.data(model.index(2, model.trend_column)) == "—"

    def test_proxy_sorts_numbers_as_numbers_and_missing_last(self) -> None:
        model = TeamDashboardModel()
        model.set_dashboard(team_dashboard())
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        proxy.sort(model.score_column, Qt.SortOrder.DescendingOrder)
        assert [proxy.index(r, 0).data() for r in range(3)] == ["Zoe", "Ben", "Amara"]
        proxy.sort(column_of(model, "AHT"), Qt.SortOrder.AscendingOrder)
        assert [proxy.index(r, 0).data() for r in range(3)] == ["Amara", "Zoe", "Ben"]
        proxy.sort(0, Qt.SortOrder.AscendingOrder)
        assert [proxy.index(r, 0).data() for r in range(3)] == ["Amara", "Ben", "Zoe"]

    def test_reset_signals_views(self, qtbot: object) -> None:
        model = TeamDashboardModel()
        resets: list[bool] = []
        model.modelReset.connect(lambda: resets.append(True))
        model.set_dashboard(team_dashboard())
        model.set_dashboard(None)
        assert resets == [True, True]
        assert model.rowCount() == 0


class TestManagerOverviewModel:
    def test_teams_with_scores_coloured_and_ids_for_drill_down(self) -> None:
        overview = ManagerDashboard(
            period="2026-02",
            as_of=NOW,
            teams=[
                TeamOverview(
                    team=TEAM,
                    leader=UserRef(id="l1", name="Lee"),
                    agent_count=8,
                    avg_score=101.5,
                    min_score=90.0,
                    max_score=115.0,
                    below_target_count=2,
                ),
                TeamOverview(
                    team=Team(id="t2", name="Sales", version=1),
                    leader=None,
                    agent_count=0,
                    avg_score=None,
                    min_score=None,
                    max_score=None,
                    below_target_count=0,
                ),
            ],
        )
        model = ManagerOverviewModel()
        model.set_dashboard(overview)
        assert model.rowCount() == 2
        assert [model.data(model.index(0, c)) for c in range(7)] == [
            "Billing",
            "Lee",
            "8",
            "101.5",
            "90.0",
            "115.0",
            "2",
        ]
        assert model.data(model.index(1, 1)) == "—"
        assert model.data(model.index(1, 3)) == "—"
        assert model.data(model.index(0, 0), ID_ROLE) == "t1"
        assert model.data(model.index(0, 3), STATUS_ROLE) == "good"
        assert model.data(model.index(0, 4), STATUS_ROLE) == "bad"
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        proxy.sort(3, Qt.SortOrder.AscendingOrder)
        assert proxy.index(0, 0).data() == "Sales"


class TestScorecardKpiModel:
    def scorecard(self) -> Scorecard:
        return Scorecard(
            agent=agent("a1", "Zoe"),
            period="2026-02",
            as_of=NOW,
            score=104.0,
            previous_score=100.0,
            trend="up",
            year_avg_score=101.0,
            kpis=[
                ScorecardKpi(
                    code="aht",
                    name="Average Handle Time",
                    unit="s",
                    value=380,
                    target=360,
                    previous=350,
                    delta=30,
                    attainment=360 / 380,
                    year_avg=355,
                ),
                ScorecardKpi(
                    code="csat",
                    name="CSAT",
                    unit="%",
                    value=91,
                    target=85,
                    previous=88,
                    delta=3,
                    attainment=91 / 85,
                    year_avg=None,
                ),
            ],
            history=[
                HistoryPoint(period="2026-01", score=100.0),
                HistoryPoint(period="2026-02", score=104.0),
            ],
        )

    def test_values_targets_deltas_and_year_average(self) -> None:
        model = ScorecardKpiModel()
        model.set_scorecard(self.scorecard(), {"aht": False, "csat": True})
        assert model.rowCount() == 2
        assert [model.data(model.index(0, c)) for c in range(6)] == [
            "Average Handle Time",
            "380 s",
            "360 s",
            "+30 s",
            "355 s",
            "95 %",
        ]
        assert model.data(model.index(1, 4)) == "—"
        assert model.data(model.index(0, 1), STATUS_ROLE) == "bad"
        assert model.data(model.index(1, 1), STATUS_ROLE) == "good"

    def test_delta_coloured_by_whether_it_helps(self) -> None:
        model = ScorecardKpiModel()
        model.set_scorecard(self.scorecard(), {"aht": False, "csat": True})
        # Handle time went up: worse. CSAT went up: better.
        assert model.data(model.index(0, 3), FOREGROUND) == palette.FOREGROUND["bad"]
        assert model.data(model.index(1, 3), FOREGROUND) == palette.FOREGROUND["good"]

    def test_direction_is_read_back_from_attainment_without_definitions(self) -> None:
        card = self.scorecard()
        card.kpis[0] = card.kpis[0].model_copy(update={"code": "handle"})
        model = ScorecardKpiModel()
        model.set_scorecard(card)
        assert model.rule(card.kpis[0]).higher_is_better is False
        assert model.rule(card.kpis[1]).higher_is_better is True


class TestSessionTableModel:
    def test_sessions_in_time_order_with_agent_names_and_status(self) -> None:
        model = SessionTableModel()
        later, earlier = session("s2", 5), session("s1", 1, SessionStatus.COMPLETED, notes="Went well\nmore")
        model.set_sessions([later, earlier], {"a1": "Zoe"}, pending_ids={"s2"})
        assert model.rowCount() == 2
        assert model.data(model.index(0, 0), ID_ROLE) == "s1"
        assert model.data(model.index(0, 2)) == "Zoe"
        assert model.data(model.index(0, 4)) == "Completed"
        assert model.data(model.index(0, 5)) == "Went well"
        assert model.data(model.index(1, 4)) == "Scheduled · not synced"
        assert model.data(model.index(1, 4), FOREGROUND) == palette.STATUS_FOREGROUND["scheduled"]
        assert model.row_of("s2") == 1
        assert model.session(1) is later

    def test_sorting_by_time_uses_timestamps(self) -> None:
        model = SessionTableModel()
        model.set_sessions([session("s1", 1), session("s2", 30), session("s3", 10)], {})
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        proxy.sort(0, Qt.SortOrder.DescendingOrder)
        assert [proxy.index(r, 0).data(ID_ROLE) for r in range(3)] == ["s2", "s3", "s1"]


class TestConflictListModel:
    def test_booking_and_merge_conflicts_side_by_side(self) -> None:
        from desktop.storage.outbox import MergeConflictRecord

        booking = BookingConflict(
            session=session("s9", 2, SessionStatus.CONFLICT),
            clashes_with=[session("s1", 2)],
            suggestions=[Slot(starts_at=NOW + timedelta(hours=4), ends_at=NOW + timedelta(hours=5))],
        )
        merge = MergeConflictRecord(
            id="m1",
            session_id="s3",
            base={"notes": "a", "topic": "T"},
            mine={"notes": "b", "topic": "T"},
            theirs={"notes": "c", "topic": "T", "starts_at": NOW.isoformat()},
            merged={},
            fields=["notes"],
            created_at=NOW.isoformat(),
        )
        model = ConflictListModel()
        model.set_conflicts([booking], [merge])
        assert model.rowCount() == 2
        assert model.data(model.index(0, 0)) == "Booking clash"
        assert model.data(model.index(0, 3)) == "Clashes with 1 session; 1 free slots suggested"
        assert model.data(model.index(1, 0)) == "Edit conflict"
        assert model.data(model.index(1, 3)) == "Changed here and on the server: notes"
        assert model.data(model.index(1, 0), ID_ROLE) == "m1"
        assert model.item(0).payload is booking
