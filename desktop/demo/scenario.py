"""Demo situations that need a decision, made through the real client paths.

A booking pushed from an "offline" device onto a taken slot (the server parks it as a conflict),
and one session's notes edited both here and by someone else (a three-way merge conflict).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from desktop.net import ApiClient
from desktop.services import Services
from shared.sessions import Session, SessionPatch, SessionStatus
from shared.sync import Mutation, PushRequest


def upcoming_scheduled(sessions: list[Session], after: datetime) -> list[Session]:
    return [s for s in sessions if s.status == SessionStatus.SCHEDULED and s.starts_at > after]


async def push_offline_clash(
    api: ApiClient, taken: Session, topic: str = "Quality review (booked offline)"
) -> None:
    """What a laptop that was offline would push: a booking onto ``taken``'s slot."""
    session_id = str(uuid.uuid4())
    data = {
        "id": session_id,
        "agent_id": taken.agent_id,
        "coach_id": taken.coach_id,
        "starts_at": taken.starts_at.isoformat(),
        "ends_at": taken.ends_at.isoformat(),
        "topic": topic,
        "notes": "",
    }
    mutation = Mutation(
        mutation_id=str(uuid.uuid4()), type="create_session", session_id=session_id, data=data
    )
    await api.sync_push(PushRequest(client_id=str(uuid.uuid4()), mutations=[mutation]))


async def edit_on_both_sides(services: Services, other: ApiClient, session: Session) -> None:
    """Someone else edits the notes on the server, then this app edits the same notes."""
    await other.update_session(
        session.id, session.version, SessionPatch(notes="Manager: focus on hold time, see call 4711.")
    )
    await services.sessions.edit_notes(session.id, "Agreed goals: shorter holds, summarise at the end.")


def next_weekday_morning(now: datetime) -> datetime:
    day = now + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)
