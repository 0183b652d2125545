"""Outgoing mail: stored in the outbox inside the caller's transaction, delivered after commit."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import MailOutbox
from server.settings import Settings
from shared.types import utcnow

log = logging.getLogger(__name__)
SENDER = "Coaching Hub <no-reply@coachhub.local>"


async def enqueue(session: AsyncSession, recipient: str, subject: str, body: str) -> MailOutbox:
    mail = MailOutbox(recipient=recipient, subject=subject, body=body, created_at=utcnow())
    session.add(mail)
    await session.flush()
    return mail


def _message(mail: MailOutbox) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<{mail.id}@coachhub.local>"
    # 8bit keeps every line intact (quoted-printable would fold the reset link).
    message.set_content(mail.body, cte="8bit")
    return message


def _write_eml(mail_dir: Path, mail: MailOutbox) -> None:
    mail_dir.mkdir(parents=True, exist_ok=True)
    stamp = mail.created_at.strftime("%Y%m%dT%H%M%S.%f")
    path = mail_dir / f"{stamp}-{mail.id}.eml"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(bytes(_message(mail)))
    temporary.replace(path)  # atomic: a reader never sees half a mail


def _send_smtp(smtp_url: str, mail: MailOutbox) -> None:
    url = urlparse(smtp_url)
    with smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=10) as client:
        if url.scheme == "smtp+starttls":
            client.starttls()
        if url.username:
            client.login(url.username, url.password or "")
        client.send_message(_message(mail))


async def deliver(db: Database, settings: Settings, mail: MailOutbox) -> None:
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
