"""Queueing and delivering outgoing messages.

Messages that carry a secret link (password reset, email verification, survey resume,
shortlist contact) are queued with `SECRET` where the token goes, and the kind and id of the
row the link is for. Delivery mints a fresh token, stores only its hash on that row
(replacing any earlier one) and renders the link into the message handed to SMTP, or in
dev/demo/test without SMTP into an .eml file in the local mail sink. The token is never in
the database, a page, the API or a log, so staff reading the outbox cannot use the link.
"""

from __future__ import annotations

import importlib
import logging
import re
import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.config import Settings
from diaspora.outbox.models import OutboxMessage

log = logging.getLogger("diaspora.outbox")

# Stands for the token in a queued body; replaced only in the delivered copy.
SECRET = "{{secret}}"
REDACTED = "[link sent only to the addressee]"
# A URL (or any word) containing the placeholder is shown whole as REDACTED.
_SECRET_WORD = re.compile(r"\S*" + re.escape(SECRET) + r"\S*")

# secret_kind -> "module:function" minting the token for the referenced row: called as
# fn(session, ref_id) and returns the new token, or None when the link must no longer be
# sent (used, superseded, expired, erased). Resolved lazily: the domains import the outbox.
MINTERS: dict[str, str] = {
    "password_reset": "diaspora.accounts.service:mint_reset_token",
    "email_verification": "diaspora.accounts.service:mint_verification_token",
    "survey_resume": "diaspora.responses.respond:mint_resume_token",
    "shortlist_contact": "diaspora.placements.service:mint_contact_token",
}


def enqueue(
    *,
    session: Session,
    to_address: str,
    subject: str,
    body: str,
    kind: str,
    to_user_id: int | None = None,
    secret_kind: str = "",
    secret_ref: int | None = None,
) -> OutboxMessage:
    """Add a message to the caller's unit of work; it is sent after the commit.

    With `secret_kind`, the body must hold `SECRET` where the token goes."""
    if secret_kind and (secret_kind not in MINTERS or SECRET not in body or secret_ref is None):
        raise ValueError(f"a {secret_kind!r} message needs a known kind, a ref and {SECRET}")
    message = OutboxMessage(
        to_address=to_address,
        to_user_id=to_user_id,
        subject=subject,
        body=body,
        kind=kind,
        secret_kind=secret_kind,
        secret_ref=secret_ref,
    )
    session.add(message)
    return message


def redacted(body: str) -> str:
    """The body as anyone but the addressee may see it."""
    return _SECRET_WORD.sub(REDACTED, body)


def get_all(
    *, session: Session, actor: User, limit: int = 200, kind: str | None = None
) -> Sequence[OutboxMessage]:
    """Newest messages first, for the staff outbox page (bodies hold no secrets).

    Addresses and bodies are identified data: the read is audited (without them)."""
    require(actor, "outbox.read")
    stmt = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    messages = session.exec(stmt).all()
    record(
        session=session,
        actor=actor,
        action="outbox.read",
        entity="outbox",
        details={"count": len(messages), "kind": kind or ""},
    )
    session.commit()
    return messages


def secrets_deliverable(settings: Settings) -> bool:
    """Whether messages with links can go anywhere: SMTP, or the mail sink outside production."""
    return bool(settings.smtp_host) or settings.environment in ("dev", "demo", "test")


def _claim(session: Session, message_id: int, statuses: tuple[str, ...]) -> bool:
    """Take a message for this process, so two senders never send it twice."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status).in_(statuses))
        .values(status="sending")
    )
    session.commit()
    return bool(getattr(claimed, "rowcount", 0))


def _minter(kind: str) -> Callable[[Session, int], str | None]:
    module, _, name = MINTERS[kind].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def deliver_pending(*, session: Session, settings: Settings, limit: int = 100) -> int:
    """Send queued messages by SMTP, or file them in the mail sink (dev/demo/test), or in
    production without SMTP log that they exist (never their content); returns how many.

    Messages with a secret that cannot go anywhere are `held` and go out once SMTP is set.
    """
    statuses: tuple[str, ...] = ("queued", "held") if secrets_deliverable(settings) else ("queued",)
    ids = session.exec(
        select(OutboxMessage.id)
        .where(or_(*(col(OutboxMessage.status) == s for s in statuses)))
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    ).all()
    done = 0
    for message_id in ids:
        if message_id is None or not _claim(session, message_id, statuses):
            continue
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None:
            continue
        _deliver_one(session, settings, message)
        done += 1
    return done


def _deliver_one(session: Session, settings: Settings, message: OutboxMessage) -> None:
    body = message.body
    if message.secret_kind:
        if not secrets_deliverable(settings):
            message.status = "held"
            message.error = "no SMTP server is set: a message with a link is never shown here"
            session.add(message)
            session.commit()
            return
        token = _minter(message.secret_kind)(session, message.secret_ref or 0)
        if token is None:
            message.status = "void"
            message.error = "the link was used, replaced or expired before delivery"
            message.sent_at = utcnow()
            session.add(message)
            session.commit()
            return
        # The hash is stored before the message leaves, so the link works when it arrives.
        session.commit()
        body = body.replace(SECRET, token)
    # The sink is read by a person in a text editor: plain 8-bit text, links unbroken.
    email = _email(settings, message, body, readable=not settings.smtp_host)
    if settings.smtp_host:
        try:
            _send_smtp(settings, email)
            message.status = "sent"
        except (OSError, smtplib.SMTPException) as exc:
            message.status = "failed"
            message.error = str(exc)[:500]
    elif settings.environment in ("dev", "demo", "test"):
        try:
            _file(settings, message, email)
            message.status = "logged"
        except OSError as exc:
            message.status = "failed"
            message.error = f"mail sink: {exc}"[:500]
    else:
        message.status = "logged"
    # Logs name the message, never its address or content.
    log.info("outbox: message %s (%s) %s", message.id, message.kind, message.status)
    message.sent_at = utcnow()
    session.add(message)
    session.commit()


def _email(
    settings: Settings, message: OutboxMessage, body: str, *, readable: bool = False
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain="diaspora.local")
    email["X-Diaspora-Kind"] = message.kind
    if readable:
        email.set_content(body, cte="8bit")
    else:
        email.set_content(body)
    return email


def _file(settings: Settings, message: OutboxMessage, email: EmailMessage) -> None:
    """Write one message to the local mail sink (a folder of .eml files)."""
    folder = settings.resolved_mail_dir
    folder.mkdir(parents=True, exist_ok=True)
    kind = re.sub(r"[^\w.-]", "_", message.kind) or "message"
    path = folder / f"{message.id:06d}-{kind}.eml"
    path.write_bytes(bytes(email))
    path.chmod(0o600)


def _send_smtp(settings: Settings, email: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(email)
