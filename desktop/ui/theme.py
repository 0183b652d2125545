"""The app's look: one font, a calm palette, readable tables, green/amber/red against target."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

ACCENT = "#2458d3"
INK = "#1f2937"
MUTED = "#6b7280"
LINE = "#e3e7ee"
SURFACE = "#f5f7fb"

STYLESHEET = f"""
QWidget {{ color: {INK}; }}
QMainWindow, QDialog {{ background: {SURFACE}; }}
QLabel#pageTitle {{ font-size: 20px; font-weight: 600; }}
QLabel#pageSubtitle, QLabel#muted {{ color: {MUTED}; }}
QLabel#sectionTitle {{ font-size: 14px; font-weight: 600; margin-top: 6px; }}
QLabel#brand {{ color: white; font-size: 17px; font-weight: 700; padding: 6px 4px 14px 4px; }}
QLabel#userLabel {{ color: #c7d2fe; padding: 4px; }}
QFrame#sidebar {{ background: #1e2a4a; }}
QListWidget#nav {{ background: transparent; border: none; color: #e5e9f5; font-size: 14px; outline: 0; }}
QListWidget#nav::item {{ padding: 10px 12px; border-radius: 6px; margin: 1px 0; }}
QListWidget#nav::item:selected {{ background: {ACCENT}; color: white; }}
QListWidget#nav::item:hover:!selected {{ background: #2c3b63; }}
QFrame#card {{ background: white; border: 1px solid {LINE}; border-radius: 8px; }}
QLabel#cardValue {{ font-size: 24px; font-weight: 600; }}
QScrollArea#mergeScroll, QWidget#mergeFields {{ background: transparent; }}
QFrame#mergeField {{ background: #fafbfd; border: 1px solid {LINE}; border-radius: 6px; }}
QLabel#mergeCaption {{ color: {MUTED}; font-weight: 600; min-width: 52px; }}
QLabel#mergeValue {{
    background: white; border: 1px solid #dde3ec; border-radius: 5px; padding: 6px 8px;
}}
QLabel#mergeValue[chosen="true"] {{ background: #eef4ff; border: 1px solid #9db7f0; }}
QLabel#cardLabel {{ color: {MUTED}; font-size: 12px; }}
QLabel#fieldError {{ color: #a4251a; font-size: 12px; }}
QLabel#emptyState {{
    color: {MUTED}; font-size: 15px; background: white; border: 1px solid {LINE}; border-radius: 6px;
    padding: 24px;
}}
QTableView {{
    background: white; border: 1px solid {LINE}; border-radius: 6px;
    gridline-color: #eef1f5; selection-background-color: #dbe6ff; selection-color: {INK};
    alternate-background-color: #fafbfd;
}}
QTableView::item {{ padding: 0 6px; }}
QHeaderView::section {{
    background: #f0f3f8; color: #475467; font-weight: 600; border: none;
    border-bottom: 1px solid {LINE}; padding: 6px 8px;
}}
QPushButton {{
    background: white; border: 1px solid #cfd6e2; border-radius: 6px; padding: 6px 14px;
}}
QPushButton:hover {{ background: #f0f4fc; }}
QPushButton:disabled {{ color: #a0a8b5; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600; }}
QPushButton#primary:hover {{ background: #1c47ad; }}
QPushButton#slot {{ background: #eef4ff; border: 1px solid #9db7f0; color: #1c47ad; font-weight: 600; }}
QPushButton#link {{ border: none; background: transparent; color: {ACCENT}; padding: 2px; }}
QLineEdit, QPlainTextEdit {{
    background: white; border: 1px solid #cfd6e2; border-radius: 6px; padding: 5px 8px;
}}
QLineEdit:focus, QPlainTextEdit:focus {{ border: 1px solid {ACCENT}; }}
QComboBox, QDateEdit, QTimeEdit {{ min-height: 24px; }}
QFrame#banner {{ border-radius: 6px; }}
QFrame#banner[kind="error"] {{ background: #fde3e0; border: 1px solid #f3b4ab; }}
QFrame#banner[kind="warning"] {{ background: #fff3d6; border: 1px solid #f0cf7d; }}
QFrame#banner[kind="info"] {{ background: #e6eefc; border: 1px solid #b7c9f3; }}
QFrame#banner[kind="success"] {{ background: #e4f5ea; border: 1px solid #a8d8b9; }}
QStatusBar {{ background: white; border-top: 1px solid {LINE}; color: #475467; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QLabel#online {{ color: #17643a; font-weight: 600; }}
QLabel#offline {{ color: #a4251a; font-weight: 600; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ padding: 6px 16px; border: none; border-bottom: 2px solid transparent; color: {MUTED}; }}
QTabBar::tab:selected {{ color: {INK}; border-bottom: 2px solid {ACCENT}; font-weight: 600; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style (the same on every platform), the stylesheet and a readable base font."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
