"""Qt item models: contract objects in, rows and roles out. No widgets, no I/O."""

from desktop.models.conflicts import ConflictItem, ConflictListModel
from desktop.models.manager_overview import ManagerOverviewModel
from desktop.models.roles import ID_ROLE, OBJECT_ROLE, SORT_ROLE
from desktop.models.scorecard import ScorecardKpiModel
from desktop.models.sessions import SessionTableModel
from desktop.models.team_dashboard import TeamDashboardModel

__all__ = [
    "ID_ROLE",
    "OBJECT_ROLE",
    "SORT_ROLE",
    "ConflictItem",
    "ConflictListModel",
    "ManagerOverviewModel",
    "ScorecardKpiModel",
    "SessionTableModel",
    "TeamDashboardModel",
]
