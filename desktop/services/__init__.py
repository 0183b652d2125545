"""Desktop services: QObjects on the qasync loop with ``sig_*`` signals and ``async`` methods.

They call the sync engine, the cache and the API client, run blocking work in an executor, and
never touch a widget.
"""

from desktop.services.auth import AuthService
from desktop.services.conflicts import ConflictService
from desktop.services.context import AppContext, Services
from desktop.services.dashboards import (
    DashboardService,
    OfflineManagerDashboard,
    OfflineScorecard,
    OfflineTeamDashboard,
    is_offline,
)
from desktop.services.directory import DirectoryService
from desktop.services.runner import BlockingRunner
from desktop.services.sessions import SessionService, SlotConflictError
from desktop.services.status import SyncStatus
from desktop.services.sync import SyncService

__all__ = [
    "AppContext",
    "AuthService",
    "BlockingRunner",
    "ConflictService",
    "DashboardService",
    "DirectoryService",
    "OfflineManagerDashboard",
    "OfflineScorecard",
    "OfflineTeamDashboard",
    "Services",
    "SessionService",
    "SlotConflictError",
    "SyncService",
    "SyncStatus",
    "is_offline",
]
