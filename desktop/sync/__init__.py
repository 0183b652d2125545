"""The sync engine, the three-way merge and local analytics: plain Python, no Qt."""

from desktop.sync.analytics import LocalAnalytics, NotInCache
from desktop.sync.backoff import Backoff
from desktop.sync.engine import SyncEngine, SyncReport
from desktop.sync.merge import FieldConflict, MergeResult, three_way_merge

__all__ = [
    "Backoff",
    "FieldConflict",
    "LocalAnalytics",
    "MergeResult",
    "NotInCache",
    "SyncEngine",
    "SyncReport",
    "three_way_merge",
]
