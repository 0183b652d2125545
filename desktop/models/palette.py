"""Colours for on-target / near / below; readable on white, shared by models and views."""

from __future__ import annotations

from PySide6.QtGui import QColor

from desktop.models.formatting import TargetStatus

BACKGROUND: dict[TargetStatus, QColor] = {
    "good": QColor("#e4f5ea"),
    "near": QColor("#fff3d6"),
    "bad": QColor("#fde3e0"),
}
FOREGROUND: dict[TargetStatus, QColor] = {
    "good": QColor("#17643a"),
    "near": QColor("#8a5300"),
    "bad": QColor("#a4251a"),
}
TREND_FOREGROUND = {"up": QColor("#17643a"), "down": QColor("#a4251a"), "flat": QColor("#5f6b7a")}
MUTED = QColor("#8a94a3")

STATUS_FOREGROUND = {
    "scheduled": QColor("#1d4ed8"),
    "completed": QColor("#17643a"),
    "cancelled": QColor("#6b7280"),
    "no_show": QColor("#a4251a"),
    "conflict": QColor("#b45309"),
}
