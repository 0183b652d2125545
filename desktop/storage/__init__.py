"""The local cache: the server snapshot, the sync cursor and the outbox, in one SQLite file."""

from desktop.storage.cache import LocalCache, PullStats, default_cache_dir
from desktop.storage.outbox import BookingConflictRecord, MergeConflictRecord, Outbox, OutboxEntry
from desktop.storage.reader import CacheReader

__all__ = [
    "BookingConflictRecord",
    "CacheReader",
    "LocalCache",
    "MergeConflictRecord",
    "Outbox",
    "OutboxEntry",
    "PullStats",
    "default_cache_dir",
]
