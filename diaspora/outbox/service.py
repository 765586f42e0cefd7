"""Queueing and delivering outgoing messages."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from sqlalchemy import update
from sqlmodel import Session, col, select

from diaspora.common import utcnow
from diaspora.config import Settings
from diaspora.outbox.models import OutboxMessage

log = logging.getLogger("diaspora.outbox")


def enqueue(
    *,
    session: Session,
    to_address: str,
    subject: str,
    body: str,
    kind: str,
    to_user_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the caller's unit of work; it is sent after the commit."""
    message = OutboxMessage(
        to_address=to_address, to_user_id=to_user_id, subject=subject, body=body, kind=kind
    )
    session.add(message)
    return message


def get_all(
    *, session: Session, limit: int = 200, kind: str | None = None
) -> Sequence[OutboxMessage]:
    """Newest messages first, for the staff outbox page."""
    stmt = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return session.exec(stmt).all()


def _claim(session: Session, message_id: int) -> bool:
    """Take a queued message for this process, so two senders never send it twice."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == "queued")
        .values(status="sending")
    )
    session.commit()
    return bool(getattr(claimed, "rowcount", 0))


def deliver_pending(*, session: Session, settings: Settings, limit: int = 100) -> int:
    """Send queued messages by SMTP when configured, otherwise log them; returns how many."""
    ids = session.exec(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued")
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    ).all()
    pending = [
        m
        for m in (
            session.get(OutboxMessage, i) for i in ids if i is not None and _claim(session, i)
        )
        if m
    ]
    for message in pending:
        if settings.smtp_host:
            try:
                _send_smtp(settings, message)
                message.status = "sent"
            except (OSError, smtplib.SMTPException) as exc:
                message.status = "failed"
                message.error = str(exc)[:500]
        else:
            log.info("outbox: to=%s subject=%s", message.to_address, message.subject)
            message.status = "logged"
        message.sent_at = utcnow()
        session.add(message)
    session.commit()
    return len(pending)


def _send_smtp(settings: Settings, message: OutboxMessage) -> None:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(email)
