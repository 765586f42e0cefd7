"""The outbox: queued in the sender's transaction, delivered (or logged) once."""

from __future__ import annotations

import smtplib

from sqlmodel import select

from diaspora.config import Settings
from diaspora.outbox import service as outbox
from diaspora.outbox.models import OutboxMessage


def _queue(session, n: int = 2) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        outbox.enqueue(
            session=session,
            to_address=f"m{i}@example.org",
            subject="Hello",
            body="Body",
            kind="test",
        )
    session.commit()


def test_it_logs_messages_when_no_smtp_is_configured(session) -> None:
    _queue(session)
    assert outbox.deliver_pending(session=session, settings=Settings(smtp_host=None)) == 2
    statuses = session.exec(select(OutboxMessage.status)).all()
    assert statuses == ["logged", "logged"]
    assert (
        outbox.deliver_pending(session=session, settings=Settings(smtp_host=None)) == 0
    )  # never twice


def test_it_sends_by_smtp_when_configured(session, monkeypatch) -> None:
    sent: list[str] = []

    class FakeSMTP:  # the network boundary, not our database
        def __init__(self, host, port, timeout):  # type: ignore[no-untyped-def]
            assert host == "smtp.example.org"

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *a):  # type: ignore[no-untyped-def]
            return False

        def starttls(self) -> None: ...

        def send_message(self, msg) -> None:  # type: ignore[no-untyped-def]
            sent.append(msg["To"])

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    _queue(session, 1)
    outbox.deliver_pending(session=session, settings=Settings(smtp_host="smtp.example.org"))
    assert sent == ["m0@example.org"]
    assert session.exec(select(OutboxMessage.status)).all() == ["sent"]
