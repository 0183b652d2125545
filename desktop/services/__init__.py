"""Desktop services: QObjects on the qasync loop with ``sig_*`` signals and ``async`` methods.

They call the sync engine, the cache and the API client, run blocking work in an executor, and
never touch a widget. The UI sees them through the Protocols of ``interfaces``, catches only the
errors of ``errors``, and reloads on the ``Changes`` notices of the sync service.
"""

from desktop.services.auth import AuthService
from desktop.services.changes import Changes, Entity
from desktop.services.conflicts import ConflictService
from desktop.services.context import Services
from desktop.services.dashboards import (
    Answer,
    DashboardService,
    OfflineManagerDashboard,
    OfflineScorecard,
    OfflineTeamDashboard,
    is_offline,
)
from desktop.services.directory import DirectoryService
from desktop.services.errors import Offline, Refused, ServiceError, SlotConflict, WrongServer
from desktop.services.interfaces import AppServices, Auth, Conflicts, Dashboards, Directory, Sessions, Sync
from desktop.services.runner import BlockingRunner
from desktop.services.sessions import SessionService
from desktop.services.status import SyncStatus
from desktop.services.sync import SyncService
from desktop.storage import MergeConflictRecord, OutboxEntry

__all__ = [
    "Answer",
    "AppServices",
    "Auth",
    "AuthService",
    "BlockingRunner",
    "Changes",
    "ConflictService",
    "Conflicts",
    "DashboardService",
    "Dashboards",
    "Directory",
    "DirectoryService",
    "Entity",
    "MergeConflictRecord",
    "Offline",
    "OfflineManagerDashboard",
    "OfflineScorecard",
    "OfflineTeamDashboard",
    "OutboxEntry",
    "Refused",
    "ServiceError",
    "Services",
    "SessionService",
    "Sessions",
    "SlotConflict",
    "Sync",
    "SyncService",
    "SyncStatus",
    "WrongServer",
    "is_offline",
]
