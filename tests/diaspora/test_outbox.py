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


def test_it_files_messages_in_the_mail_sink_when_no_smtp_is_configured(session, tmp_path) -> None:
    _queue(session)
    settings = Settings(smtp_host=None, environment="dev", mail_dir=tmp_path)
    assert outbox.deliver_pending(session=session, settings=settings) == 2
    statuses = session.exec(select(OutboxMessage.status)).all()
    assert statuses == ["logged", "logged"]
    assert len(list(tmp_path.glob("*.eml"))) == 2
    assert outbox.deliver_pending(session=session, settings=settings) == 0  # never twice


def test_it_holds_messages_with_links_in_production_without_smtp(session, tmp_path) -> None:
    from diaspora.accounts import service as accounts
    from tests.factories import make_user

    make_user(session, "alice@example.org")
    accounts.request_password_reset(
        session=session, email="alice@example.org", base_url="https://x.example"
    )
    _queue(session, 1)
    prod = Settings(
        smtp_host=None,
        environment="production",
        secret_key="s" * 40,
        mail_dir=tmp_path,
    )
    assert outbox.deliver_pending(session=session, settings=prod) == 2
    by_kind = {m.kind: m for m in session.exec(select(OutboxMessage)).all()}
    assert by_kind["password_reset"].status == "held" and by_kind["test"].status == "logged"
    assert not list(tmp_path.glob("*"))  # production never writes mail to disk
    # Once SMTP is set, the held message goes out with its link.
    sent: list[str] = []

    class FakeSMTP:  # the network boundary, not our database
        def __init__(self, host, port, timeout):  # type: ignore[no-untyped-def]
            pass

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *a):  # type: ignore[no-untyped-def]
            return False

        def starttls(self) -> None: ...

        def send_message(self, msg) -> None:  # type: ignore[no-untyped-def]
            sent.append(msg.get_content())

    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(smtplib, "SMTP", FakeSMTP)
        with_smtp = prod.model_copy(update={"smtp_host": "smtp.example.org"})
        assert outbox.deliver_pending(session=session, settings=with_smtp) == 1
    assert len(sent) == 1 and "reset-password?token=" in sent[0] and "{{secret}}" not in sent[0]
    session.refresh(by_kind["password_reset"])
    assert by_kind["password_reset"].status == "sent"
    assert "{{secret}}" in by_kind["password_reset"].body  # the stored copy never changes


def test_it_shows_links_redacted() -> None:
    body = "Open https://x.example/reset-password?token={{secret}}&a=1 now.\nThanks"
    assert outbox.redacted(body) == "Open [link sent only to the addressee] now.\nThanks"


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
