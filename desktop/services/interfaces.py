"""What the UI may call of the services, as Protocols (after warehouse's per-domain ``interfaces.py``).

Screens and dialogs are typed against these, never against the concrete QObjects, so a test hands
them a double typed as the same Protocol. What a call may fail with is in ``errors``; the signals
listed here are the only ones the UI connects to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import SignalInstance

from desktop.services.status import SyncStatus
from desktop.storage import MergeConflictRecord, OutboxEntry
from desktop.sync import SyncReport
from shared.analytics import ManagerDashboard, Scorecard, TeamDashboard
from shared.auth import Me
from shared.directory import Agent, Kpi
from shared.sessions import (
    BookingConflict,
    Decline,
    Override,
    Reschedule,
    ResolveResult,
    Session,
    SessionStatus,
)
from shared.version import ServerVersion


class Auth(Protocol):
    """Sign in, restore a remembered sign-in, sign out, reset a password."""

    @property
    def sig_credential_warning(self) -> SignalInstance:
        """``(str)``: the sign-in could not be remembered as asked, and why."""

    @property
    def server_url(self) -> str | None:
        """The server signed in to (None before the first sign-in)."""

    @property
    def server_version(self) -> ServerVersion | None:
        """What the server said of itself at the last online sign-in; None after an offline start."""

    def keychain_available(self) -> bool: ...

    def allow_plain_file(self, allowed: bool) -> None: ...

    async def sign_in(self, server_url: str, email: str, password: str, remember: bool) -> Me: ...

    async def restore_session(self, server_url: str) -> Me | None: ...

    async def sign_out(self) -> None: ...

    async def request_password_reset(self, server_url: str, email: str) -> None: ...

    async def confirm_password_reset(self, server_url: str, token: str, new_password: str) -> None: ...


class Sync(Protocol):
    """The connection and sync state, the sync itself, and the app-wide change notice."""

    @property
    def sig_status(self) -> SignalInstance:
        """``(SyncStatus)`` whenever the connection, pending count or syncing state changes."""

    @property
    def sig_changed(self) -> SignalInstance:
        """``(Changes)``: the one change notice; screens reload when it concerns them."""

    @property
    def sig_sync_failed(self) -> SignalInstance:
        """``(str)``: the server refused a sync for a reason other than an expired sign-in."""

    @property
    def sig_sign_in_expired(self) -> SignalInstance:
        """``()``: the server no longer takes this login."""

    @property
    def status(self) -> SyncStatus: ...

    def start(self, interval_s: float) -> None: ...

    def stop(self) -> None: ...

    async def sync_now(self, initiator: object | None = None) -> SyncReport | None: ...


class Dashboards(Protocol):
    """Team and manager dashboards and scorecards; offline answers come from the cache."""

    async def team_dashboard(self, period: str, team_id: str | None = None) -> TeamDashboard: ...

    async def manager_dashboard(self, period: str) -> ManagerDashboard: ...

    async def scorecard(self, agent_id: str, period: str) -> Scorecard: ...


class Directory(Protocol):
    """The agents and KPI definitions in the user's scope."""

    async def agents(self, team_id: str | None = None) -> list[Agent]: ...

    async def kpis(self) -> list[Kpi]: ...


class Sessions(Protocol):
    """Coaching sessions: list a range, book, reschedule, edit notes, change status."""

    async def list_range(
        self, start: datetime, end: datetime, team_id: str | None = None
    ) -> list[Session]: ...

    async def book(
        self,
        agent_id: str,
        starts_at: datetime,
        ends_at: datetime,
        topic: str,
        notes: str = "",
        coach_id: str | None = None,
        *,
        initiator: object | None = None,
    ) -> Session: ...

    async def reschedule(
        self, session_id: str, starts_at: datetime, ends_at: datetime, *, initiator: object | None = None
    ) -> Session: ...

    async def edit_notes(
        self, session_id: str, notes: str, *, initiator: object | None = None
    ) -> Session: ...

    async def set_status(
        self, session_id: str, status: SessionStatus, *, initiator: object | None = None
    ) -> Session: ...


class Conflicts(Protocol):
    """What waits for the user's decision, the decisions, and the Conflicts badge."""

    @property
    def sig_count(self) -> SignalInstance:
        """``(int)``: how many wait; the badge's one source."""

    @property
    def count(self) -> int: ...

    async def refresh_count(self) -> int:
        """Count again from the cache; the new count also goes out on ``sig_count``."""

    async def booking_conflicts(self) -> list[BookingConflict]: ...

    async def merge_conflicts(self) -> list[MergeConflictRecord]: ...

    async def failed_changes(self) -> list[OutboxEntry]: ...

    async def resolve_booking(
        self,
        session_id: str,
        version: int,
        resolution: Reschedule | Decline | Override,
        *,
        initiator: object | None = None,
    ) -> ResolveResult: ...

    async def resolve_merge(
        self, conflict_id: str, values: Mapping[str, object], *, initiator: object | None = None
    ) -> Session: ...

    async def retry_failed(self, mutation_id: str, *, initiator: object | None = None) -> None: ...

    async def discard_failed(self, mutation_id: str, *, initiator: object | None = None) -> None: ...


class Live(Protocol):
    """The live-update stream: while started, others' changes are pulled as soon as they commit."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class AppServices(Protocol):
    """Every service the main window and the app lifecycle use; ``Services`` is the real one."""

    @property
    def auth(self) -> Auth: ...

    @property
    def sync(self) -> Sync: ...

    @property
    def dashboards(self) -> Dashboards: ...

    @property
    def directory(self) -> Directory: ...

    @property
    def sessions(self) -> Sessions: ...

    @property
    def conflicts(self) -> Conflicts: ...

    @property
    def live(self) -> Live: ...

    async def aclose(self) -> None: ...
