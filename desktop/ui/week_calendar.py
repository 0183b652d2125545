"""A painted week grid (Monday to Sunday, the whole day, opened at working hours) with one block
per session."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from desktop.models import SessionTableModel
from desktop.models.formatting import format_time_range
from desktop.models.sessions import STATUS_LABELS
from shared.sessions import Session, SessionStatus

FIRST_HOUR, LAST_HOUR = 0, 24
WORKDAY_START = 8
HOUR_HEIGHT = 48.0  # a 30-minute block still has a line for the agent
STEPS = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
HEADER_HEIGHT = 34
GUTTER_WIDTH = 52
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BLOCK_COLOURS = {
    SessionStatus.SCHEDULED: ("#e6eefc", "#2458d3"),
    SessionStatus.COMPLETED: ("#e4f5ea", "#17643a"),
    SessionStatus.CANCELLED: ("#f1f2f4", "#9aa1ad"),
    SessionStatus.NO_SHOW: ("#fde3e0", "#a4251a"),
    SessionStatus.CONFLICT: ("#fff3d6", "#b45309"),
}


def side_by_side(sessions: list[Session]) -> tuple[dict[str, int], dict[str, int]]:
    """A lane per session so overlapping ones sit next to each other, and the lanes of its group."""
    lanes: dict[str, int] = {}
    counts: dict[str, int] = {}
    group: list[Session] = []
    group_end: datetime | None = None
    lane_ends: list[datetime] = []

    def close_group() -> None:
        for member in group:
            counts[member.id] = max(len(lane_ends), 1)

    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        if group_end is not None and session.starts_at >= group_end:
            close_group()
            group, lane_ends, group_end = [], [], None
        lane = next((i for i, end in enumerate(lane_ends) if end <= session.starts_at), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(session.ends_at)
        else:
            lane_ends[lane] = session.ends_at
        lanes[session.id] = lane
        group.append(session)
        group_end = session.ends_at if group_end is None else max(group_end, session.ends_at)
    close_group()
    return lanes, counts


def block_lines(heading: list[str], topic: str, metrics: QFontMetricsF, width: float, room: int) -> list[str]:
    """A session block's text: the heading words packed into as few lines as fit the width, then
    the topic; every line elided rather than cut, and only as many lines as the block has room for."""
    lines: list[str] = []
    for word in heading:
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    lines.append(topic)
    return [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines[:room]]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class WeekCalendar(QWidget):
    """Reads sessions from a ``SessionTableModel``; clicks select, a double-click on free time books."""

    sig_session_selected = Signal(str)
    sig_session_activated = Signal(str)
    sig_book_at = Signal(object)  # a local, timezone-aware datetime

    def __init__(self, model: SessionTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._monday = week_start(date.today())
        self.selected_id: str | None = None
        self._blocks: list[tuple[QRectF, Session]] = []
        self.block_texts: dict[str, list[str]] = {}  # what each block shows, as last painted
        self.header_top = 0
        self.setMinimumHeight(int(HEADER_HEIGHT + (LAST_HOUR - FIRST_HOUR) * HOUR_HEIGHT) + 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # arrows and Enter work here too
        model.modelReset.connect(self.update)

    def set_week(self, monday: date) -> None:
        self._monday = week_start(monday)
        self.update()

    @property
    def monday(self) -> date:
        return self._monday

    # -- geometry ------------------------------------------------------------------------------
    def _day_width(self) -> float:
        return (self.width() - GUTTER_WIDTH - 1) / 7

    def _hour_height(self) -> float:
        return HOUR_HEIGHT

    def y_of_hour(self, hour: float) -> int:
        """Where an hour of the day starts, in this widget's pixels."""
        return int(HEADER_HEIGHT + (hour - FIRST_HOUR) * self._hour_height())

    def _y_of(self, moment: datetime) -> float:
        hours = moment.hour + moment.minute / 60 - FIRST_HOUR
        hours = min(max(hours, 0.0), float(LAST_HOUR - FIRST_HOUR))
        return HEADER_HEIGHT + hours * self._hour_height()

    def moment_at(self, point: QPointF) -> datetime | None:
        """The local time under a point, rounded down to the quarter hour."""
        if point.x() < GUTTER_WIDTH or point.y() < self.header_top + HEADER_HEIGHT:
            return None
        day = int((point.x() - GUTTER_WIDTH) // self._day_width())
        minutes = int((point.y() - HEADER_HEIGHT) / self._hour_height() * 60) // 15 * 15
        start = datetime.combine(self._monday + timedelta(days=min(day, 6)), time(FIRST_HOUR))
        return (start + timedelta(minutes=minutes)).astimezone()

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        self._paint_grid(painter)
        self._paint_sessions(painter)
        self._paint_day_names(painter)
        painter.end()

    def _paint_day_names(self, painter: QPainter) -> None:
        """The day names on top of whatever hour is scrolled to the top of the view."""
        day_width, top = self._day_width(), float(self.header_top)
        today = date.today()
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.fillRect(QRectF(0, top, self.width(), HEADER_HEIGHT), QColor("white"))
        for day in range(7):
            left = GUTTER_WIDTH + day * day_width
            current = self._monday + timedelta(days=day)
            if current == today:
                painter.fillRect(QRectF(left, top, day_width, HEADER_HEIGHT), QColor("#e6eefc"))
            painter.setPen(QColor("#1f2937" if current == today else "#475467"))
            painter.drawText(
                QRectF(left, top, day_width, HEADER_HEIGHT),
                Qt.AlignmentFlag.AlignCenter,
                f"{DAY_NAMES[day]} {current:%d %b}",
            )
        painter.setPen(QPen(QColor("#e3e7ee"), 1))
        bottom = top + HEADER_HEIGHT
        painter.drawLine(QPointF(0, bottom), QPointF(self.width(), bottom))
        painter.setFont(self.font())

    def show_header_at(self, top: int) -> None:
        """Keep the day names at ``top`` (the scroll position), so they never scroll away."""
        self.header_top = top
        self.update()

    def _paint_grid(self, painter: QPainter) -> None:
        day_width, hour_height = self._day_width(), self._hour_height()
        for day in range(5, 7):
            left = GUTTER_WIDTH + day * day_width
            painter.fillRect(QRectF(left, HEADER_HEIGHT, day_width, self.height()), QColor("#fafbfd"))
        for hour in range(FIRST_HOUR, LAST_HOUR + 1):
            y = HEADER_HEIGHT + (hour - FIRST_HOUR) * hour_height
            painter.setPen(QPen(QColor("#eef1f5"), 1))
            painter.drawLine(QPointF(GUTTER_WIDTH, y), QPointF(self.width(), y))
            painter.setPen(QColor("#8a94a3"))
            painter.drawText(
                QRectF(0, y - 8, GUTTER_WIDTH - 8, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{hour:02d}:00",
            )
        painter.setPen(QPen(QColor("#e3e7ee"), 1))
        for day in range(8):
            x = GUTTER_WIDTH + day * day_width
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    def _paint_sessions(self, painter: QPainter) -> None:
        self._blocks = []
        self.block_texts = {}
        day_width = self._day_width()
        end_of_week = self._monday + timedelta(days=7)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
        week = [
            s for s in self._model.sessions() if self._monday <= s.starts_at.astimezone().date() < end_of_week
        ]
        lanes, lane_counts = side_by_side(week)
        for session in week:
            start, end = session.starts_at.astimezone(), session.ends_at.astimezone()
            day = (start.date() - self._monday).days
            top, bottom = self._y_of(start), self._y_of(end)
            width = (day_width - 6) / lane_counts[session.id]
            left = GUTTER_WIDTH + day * day_width + 3 + lanes[session.id] * width
            rect = QRectF(left, top + 1, width - 2, max(bottom - top - 2, 16))
            self._blocks.append((rect, session))
            fill, edge = BLOCK_COLOURS.get(session.status, BLOCK_COLOURS[SessionStatus.SCHEDULED])
            painter.setPen(QPen(QColor(edge), 2 if session.id == self.selected_id else 1))
            painter.setBrush(QColor(fill))
            painter.drawRoundedRect(rect, 5, 5)
            painter.fillRect(QRectF(rect.left(), rect.top() + 3, 3, rect.height() - 6), QColor(edge))
            painter.setPen(QColor("#1f2937"))
            painter.setFont(small)
            text = rect.adjusted(7, 2, -3, -2)
            metrics = QFontMetricsF(small)
            agent = self._model.agent_name(session.agent_id)
            heading = [f"{start:%H:%M}", agent]
            if session.status != SessionStatus.SCHEDULED:
                heading.insert(0, f"{STATUS_LABELS.get(session.status, '')} ·")
            room = max(int(text.height() // metrics.lineSpacing()), 1)
            if room == 1:  # a short block: the agent first, so the elision never hides who it is
                heading = [agent, f"{start:%H:%M}"]
            lines = block_lines(heading, session.topic, metrics, text.width(), room)
            self.block_texts[session.id] = lines
            painter.drawText(
                text, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), "\n".join(lines)
            )

    # -- mouse ---------------------------------------------------------------------------------
    def session_at(self, point: QPointF) -> Session | None:
        for rect, session in reversed(self._blocks):
            if rect.contains(point):
                return session
        return None

    def select(self, session_id: str | None) -> None:
        self.selected_id = session_id
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Arrows step through the week's sessions in time order; Enter opens the selected one."""
        key = Qt.Key(event.key())
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_id is not None:
            self.sig_session_activated.emit(self.selected_id)
        elif key in STEPS:
            self._step(STEPS[key])
        else:
            super().keyPressEvent(event)

    def _step(self, offset: int) -> None:
        ordered = [s.id for s in sorted(self._model.sessions(), key=lambda s: (s.starts_at, s.id))]
        if not ordered:
            return
        if self.selected_id in ordered:
            position = min(max(ordered.index(self.selected_id) + offset, 0), len(ordered) - 1)
        else:
            position = 0 if offset > 0 else len(ordered) - 1
        self.select(ordered[position])
        self.sig_session_selected.emit(ordered[position])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """The tooltip is the session under the pointer, in full (the block may elide it)."""
        session = self.session_at(event.position())
        self.setToolTip(self.details(session) if session is not None else "")
        super().mouseMoveEvent(event)

    def details(self, session: Session) -> str:
        lines = [
            format_time_range(session.starts_at, session.ends_at),
            self._model.agent_name(session.agent_id),
            session.topic,
            STATUS_LABELS.get(session.status, session.status.value),
        ]
        if session.notes:
            lines.append(session.notes if len(session.notes) <= 200 else f"{session.notes[:200]}…")
        return "\n".join(lines)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        session = self.session_at(event.position())
        self.select(session.id if session else None)
        if session is not None:
            self.sig_session_selected.emit(session.id)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        session = self.session_at(event.position())
        if session is not None:
            self.sig_session_activated.emit(session.id)
            return
        moment = self.moment_at(event.position())
        if moment is not None:
            self.sig_book_at.emit(moment)



class DayScroller(QScrollArea):
    """The calendar's whole day in a scroll area, opened at the start of the working day."""

    def __init__(self, calendar: WeekCalendar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calendar = calendar
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setWidget(calendar)
        self._opened = False
        self.verticalScrollBar().rangeChanged.connect(self._open_at_working_hours)
        self.verticalScrollBar().valueChanged.connect(calendar.show_header_at)

    def _open_at_working_hours(self, _low: int, high: int) -> None:
        # Once, when the day first has somewhere to scroll; later resizes keep the user's place.
        if high > 0 and not self._opened:
            self._opened = True
            self.verticalScrollBar().setValue(self.calendar.y_of_hour(WORKDAY_START) - HEADER_HEIGHT)
