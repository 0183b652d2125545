"""Outgoing mail: stored in the outbox inside the caller's transaction, delivered after commit.

The outbox keeps what was sent, less its secrets: a mail may carry a secret (a reset token) that
goes out in the delivered message only and is stored in clear nowhere. Mail files are readable by
their owner only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import MailOutbox
from server.db.private_files import PRIVATE_DIR, PRIVATE_FILE
from server.settings import Settings
from shared.types import utcnow

log = logging.getLogger(__name__)
SENDER = "Coaching Hub <no-reply@coachhub.local>"


@dataclass(frozen=True)
class OutgoingMail:
    """A queued mail with the body to deliver (which may hold a secret the outbox does not)."""

    id: str
    recipient: str
    subject: str
    body: str
    created_at: datetime


async def enqueue(
    session: AsyncSession,
    recipient: str,
    subject: str,
    body: str,
    *,
    stored_body: str | None = None,
    expires_at: datetime | None = None,
) -> OutgoingMail:
    """Queue a mail; the outbox row keeps ``stored_body`` (``body`` less its secrets) when given,
    and is purged after ``expires_at`` (when what it carried no longer works)."""
    row = MailOutbox(
        recipient=recipient,
        subject=subject,
        body=body if stored_body is None else stored_body,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return OutgoingMail(row.id, recipient, subject, body, row.created_at)


def _message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<{mail.id}@coachhub.local>"
    # 8bit keeps every line intact (quoted-printable would fold the reset link).
    message.set_content(mail.body, cte="8bit")
    return message


def mail_file_pattern(mail_id: str) -> str:
    return f"*-{mail_id}.eml"


def _write_eml(mail_dir: Path, mail: OutgoingMail) -> None:
    mail_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    stamp = mail.created_at.strftime("%Y%m%dT%H%M%S.%f")
    path = mail_dir / f"{stamp}-{mail.id}.eml"
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(bytes(_message(mail)))
    temporary.replace(path)  # atomic: a reader never sees half a mail


def _send_smtp(smtp_url: str, mail: OutgoingMail) -> None:
    url = urlparse(smtp_url)
    with smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=10) as client:
        if url.scheme == "smtp+starttls":
            client.starttls()
        if url.username:
            client.login(url.username, url.password or "")
        client.send_message(_message(mail))


async def deliver(db: Database, settings: Settings, mail: OutgoingMail) -> None:
    """Write the ``.eml`` (mail dir) and/or send it (SMTP); mark it sent. Failures stay queued."""
    if settings.mail_dir is None and settings.smtp_url is None:
        return
    try:
        if settings.mail_dir is not None:
            await asyncio.to_thread(_write_eml, settings.mail_dir, mail)
        if settings.smtp_url is not None:
            await asyncio.to_thread(_send_smtp, settings.smtp_url, mail)
    except OSError:
        log.exception("mail %s stays in the outbox: delivery failed", mail.id)
        return

    async def mark_sent(session: AsyncSession) -> None:
        await session.execute(update(MailOutbox).where(MailOutbox.id == mail.id).values(sent_at=utcnow()))

    await db.run_write(mark_sent)
