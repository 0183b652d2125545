"""The sync engine, the three-way merge, local analytics and directory: plain Python, no Qt."""

from desktop.sync.analytics import LocalAnalytics, NotInCache
from desktop.sync.backoff import Backoff
from desktop.sync.directory import LocalDirectory
from desktop.sync.engine import SyncEngine, SyncReport
from desktop.sync.merge import FieldConflict, MergeResult, three_way_merge

__all__ = [
    "Backoff",
    "FieldConflict",
    "LocalAnalytics",
    "LocalDirectory",
    "MergeResult",
    "NotInCache",
    "SyncEngine",
    "SyncReport",
    "three_way_merge",
]
