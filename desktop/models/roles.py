"""Custom item roles shared by every model, so views and proxies can rely on them."""

from PySide6.QtCore import Qt

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""A raw, comparable value (number, timestamp or lower-case text) for ``QSortFilterProxyModel``."""

ID_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""The id of the row's entity (agent, team, session)."""

OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 3
"""The contract object behind the row."""

STATUS_ROLE = int(Qt.ItemDataRole.UserRole) + 4
"""``good`` / ``near`` / ``bad`` against target, or ``None``."""
