"""Finding 1 and 6 of the attacker run, replayed: nobody but the addressee reads a secret
link (reset, verification, resume, contact), and a reset link dies when another is used or
issued. Every step of the chain is tried over HTTP and must fail."""

from __future__ import annotations

import html as htmllib
import logging
import re

from fastapi.testclient import TestClient
from sqlalchemy import String, Text
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

from diaspora.accounts import service as accounts
from diaspora.accounts.models import PasswordReset
from diaspora.audit.models import AuditEvent
from diaspora.outbox.models import OutboxMessage
from diaspora.responses import respond
from tests.factories import PASSWORD, csrf, deliver_mail
from tests.placement_factories import make_request, shortlisted
from tests.survey_factories import builtin

NEW_ADMIN_PASSWORD = "Sec-Test-2026-takeover"


def _every_text_value(session: Session) -> str:
    """Every string stored in every table, joined: what a database reader could see."""
    values: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        text_cols = [c for c in table.columns if isinstance(c.type, String | Text)]
        json_cols = [c for c in table.columns if c.type.__class__.__name__ == "JSON"]
        if not text_cols and not json_cols:
            continue
        for row in session.execute(sa_select(*text_cols, *json_cols)).all():
            values.extend(str(v) for v in row if v is not None)
    return "\n".join(values)


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    ).status_code


def _try_reset(client: TestClient, token: str, password: str = NEW_ADMIN_PASSWORD) -> int:
    return client.post(
        "/reset-password",
        data={"token": token, "password": password, "csrf_token": csrf(client, "/forgot-password")},
        follow_redirects=False,
    ).status_code


def test_staff_cannot_take_over_the_admin_through_the_outbox(
    app, session, world, as_user, caplog
) -> None:
    # 1. Anyone asks for a reset of the admin's password.
    anon = as_user(None)
    r = anon.post(
        "/forgot-password",
        data={"email": "ada@example.org", "csrf_token": csrf(anon, "/forgot-password")},
    )
    assert r.status_code == 200
    # 2. Staff read the outbox: before delivery and after it.
    sam = as_user(world.sam)
    before = htmllib.unescape(sam.get("/staff/outbox").text)
    with caplog.at_level(logging.DEBUG):
        (mail,) = deliver_mail(session, "password_reset")
    real_token = mail.token()
    assert mail.to == "ada@example.org"
    after = htmllib.unescape(sam.get("/staff/outbox").text)
    for page in (before, after):
        assert "Reset your diaspora password" in page  # the message is listed...
        assert "[link sent only to the addressee]" in page  # ...its link is not
        assert real_token not in page
        assert not re.search(r"reset-password\?token=[\w-]{8,}", page)
    # ...nor in the database (only its hash), nor in the logs.
    assert real_token not in _every_text_value(session)
    assert real_token not in caplog.text and "ada@example.org" not in caplog.text
    # There is no outbox API to read instead.
    assert sam.get("/api/v1/outbox").status_code == 404
    # 3. Staff try every token-looking string the outbox gave them.
    candidates = set(re.findall(r"token=(\S+)", after)) | {
        "{{secret}}",
        "[link sent only to the addressee]",
        "",
    }
    for candidate in candidates:
        assert _try_reset(sam, candidate) == 422
    # 4. ...and cannot sign in as the admin with the password they wanted to set.
    assert _login(as_user(None), "ada@example.org", NEW_ADMIN_PASSWORD) == 400
    assert _login(as_user(None), "ada@example.org", PASSWORD) == 303  # the owner still can
    # The read was audited, without personal data.
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.read")).first()
    assert event is not None and "ada@" not in str(event.details)
    # Only the addressee's link works.
    assert _try_reset(as_user(None), real_token, "the owner's own new pw") == 303


def test_an_older_reset_link_dies_when_a_newer_one_is_issued_or_used(session, world) -> None:
    accounts.request_password_reset(session=session, email="alice@example.org", base_url="")
    (first,) = deliver_mail(session)
    accounts.request_password_reset(session=session, email="alice@example.org", base_url="")
    (second,) = deliver_mail(session)
    accounts.request_password_reset(session=session, email="alice@example.org", base_url="")
    (third,) = deliver_mail(session)
    # Issuing the third closed the first two.
    for mail in (first, second):
        try:
            accounts.reset_password(
                session=session, token=mail.token(), new_password="older link pw 1"
            )
        except Exception as exc:  # noqa: BLE001 - asserted below
            assert "invalid or has expired" in str(exc)
        else:
            raise AssertionError("an older reset link still worked")
    accounts.reset_password(session=session, token=third.token(), new_password="newest link pw")
    # Using it closed every link of the account, itself included.
    open_links = session.exec(
        select(PasswordReset).where(
            PasswordReset.user_id == world.alice.id,
            PasswordReset.used_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    assert open_links == []


def test_a_link_superseded_before_delivery_is_never_sent(session, world, as_user) -> None:
    anon = as_user(None)
    for _ in range(2):
        anon.post(
            "/forgot-password",
            data={"email": "alice@example.org", "csrf_token": csrf(anon, "/forgot-password")},
        )
    (mail,) = deliver_mail(session)  # only the newer request's message carries a link
    statuses = sorted(m.status for m in session.exec(select(OutboxMessage)).all())
    assert statuses == ["logged", "void"]
    assert _try_reset(anon, mail.token(), "alice's fresh pw") == 303


def test_a_reset_link_sent_before_a_newer_one_is_refused_over_http(session, world, as_user) -> None:
    accounts.request_password_reset(session=session, email="bob@example.org", base_url="")
    (old,) = deliver_mail(session)
    accounts.request_password_reset(session=session, email="bob@example.org", base_url="")
    (new,) = deliver_mail(session)
    anon = as_user(None)
    assert _try_reset(anon, new.token(), "bob's new password") == 303
    assert _try_reset(anon, old.token(), "attacker's password") == 422
    assert _login(as_user(None), "bob@example.org", "attacker's password") == 400
    assert _login(as_user(None), "bob@example.org", "bob's new password") == 303


def test_resume_verification_and_contact_links_are_never_shown_or_stored(
    session, world, as_user
) -> None:
    builtin(session)
    draft = respond.start(session=session, actor=world.alice)
    respond.send_resume_link(
        session=session, actor=world.alice, response_id=draft.id or 0, base_url="http://t"
    )
    req = make_request(session, world, "approved")
    shortlisted(session, world, req, "contacted")
    accounts.register_member(
        session=session, email="newcomer@example.org", password="a fine passphrase"
    )
    mails = deliver_mail(session)
    by_kind = {m.kind: m for m in mails}
    assert {"survey.resume", "shortlist.contacted", "account.verify_email"} <= set(by_kind)
    tokens = [by_kind[k].token() for k in ("survey.resume", "shortlist.contacted")]
    tokens.append(by_kind["account.verify_email"].token())
    stored = _every_text_value(session)
    for sam_or_ada in (world.sam, world.ada):
        page = htmllib.unescape(as_user(sam_or_ada).get("/staff/outbox").text)
        for token in tokens:
            assert token not in page and token not in stored
        assert "?token=" not in page
    # The links work for their addressee.
    alice = as_user(world.alice)
    assert alice.get(f"/survey/resume?token={tokens[0]}", follow_redirects=False).status_code in (
        200,
        303,
    )
    assert alice.get(f"/opportunities/respond?token={tokens[1]}").status_code == 200
