"""The sync engine, its backoff and the three-way merge: plain Python, no Qt."""

from desktop.sync.backoff import Backoff
from desktop.sync.engine import SyncEngine, SyncReport
from desktop.sync.merge import FieldConflict, MergeResult, three_way_merge

__all__ = [
    "Backoff",
    "FieldConflict",
    "MergeResult",
    "SyncEngine",
    "SyncReport",
    "three_way_merge",
]
