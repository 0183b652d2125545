"""Answers from the local cache when the server is out of reach: dashboards, scorecards, directory.

Plain Python, no Qt; the reads block (SQLite), so services call them through an executor.
"""

from desktop.offline.analytics import LocalAnalytics, NotInCache
from desktop.offline.directory import LocalDirectory

__all__ = ["LocalAnalytics", "LocalDirectory", "NotInCache"]
