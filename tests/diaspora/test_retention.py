"""Retention periods (admin-set, audited) and the purge (dry run, then erase/delete)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from diaspora.accounts.models import (
    AccessToken,
    EmailVerification,
    LoginAttempt,
    PasswordReset,
    User,
    UserSession,
)
from diaspora.audit.models import AuditEvent
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.errors import Forbidden, ValidationFailed
from diaspora.members.models import MemberIdentity, MemberProfile
from diaspora.outbox.models import OutboxMessage
from diaspora.responses import respond
from diaspora.responses.models import Response
from diaspora.retention import service as retention
from tests.survey_factories import builtin


def age(session, world) -> dict:  # type: ignore[no-untyped-def]
    """Make one record of every kind old enough to go, and a young one of each to stay."""
    now = utcnow()
    old = now - timedelta(days=2000)
    alice = session.get(MemberProfile, world.alice_profile.id)
    alice.last_activity_at = alice.updated_at = old
    session.add(alice)
    builtin(session)
    draft = respond.start(session=session, actor=world.bob)
    draft = session.get(Response, draft.id)
    draft.updated_at = now - timedelta(days=200)
    session.add(draft)
    sent = OutboxMessage(
        to_address="x@example.org", subject="s", body="b", status="logged", sent_at=old
    )
    queued = OutboxMessage(to_address="y@example.org", subject="s", body="b", created_at=old)
    fresh = OutboxMessage(
        to_address="z@example.org", subject="s", body="b", status="sent", sent_at=now
    )
    ended = UserSession(
        token_hash="a" * 64,
        user_id=world.bob.id,
        expires_at=now - timedelta(days=40),
        created_at=old,
    )
    attempt = LoginAttempt(email="someone@example.org", address="10.1.1.1", at=old)
    reset = PasswordReset(user_id=world.sam.id, expires_at=now - timedelta(days=35))
    live_reset = PasswordReset(user_id=world.sam.id, expires_at=now + timedelta(hours=1))
    confirm = EmailVerification(
        user_id=world.bob.id, expires_at=now + timedelta(days=1), used_at=old
    )
    token = AccessToken(token_hash="b" * 64, user_id=world.sam.id, revoked_at=old, expires_at=now)
    live_token = AccessToken(
        token_hash="c" * 64, user_id=world.sam.id, expires_at=now + timedelta(days=9)
    )
    session.add_all(
        [sent, queued, fresh, ended, attempt, reset, live_reset, confirm, token, live_token]
    )
    event = record(
        session=session,
        actor=None,
        action="test.login_failed",
        entity="user",
        entity_id=1,
        details={"email": "someone@example.org", "count": 2},
    )
    event.at = now - timedelta(days=400)
    session.commit()
    return {"draft": draft.id, "sent": sent.id, "queued": queued.id, "fresh": fresh.id,
            "session": ended.id, "attempt": attempt.id, "event": event.id,
            "reset": reset.id, "live_reset": live_reset.id, "confirm": confirm.id,
            "token": token.id, "live_token": live_token.id}  # fmt: skip


def test_the_defaults_are_stored_only_when_changed_and_bad_input_changes_nothing(
    session, world
) -> None:
    assert retention.periods(session=session) == {k.key: k.default for k in retention.KINDS}
    bad = {
        "inactive_members": "-5",
        "drafts": "99999999999999999999999",
        "sent_mail": "",
        "sessions": "0",
        "audit_personal": "ten",
    }
    with pytest.raises(ValidationFailed) as refused:
        retention.update(session=session, actor=world.ada, data=bad)
    assert set(refused.value.errors) == set(bad)
    assert "between 180 and 36500" in refused.value.errors["inactive_members"]
    assert retention.periods(session=session)["drafts"] == 180
    good = {k.key: str(k.default) for k in retention.KINDS} | {"drafts": "30"}
    with pytest.raises(ValidationFailed):  # all or nothing: one bad field keeps the rest
        retention.update(session=session, actor=world.ada, data={**good, "sessions": "-1"})
    assert retention.periods(session=session)["drafts"] == 180
    with pytest.raises(Forbidden):
        retention.update(session=session, actor=world.sam, data=good)
    assert retention.update(session=session, actor=world.ada, data=good)["drafts"] == 30
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.update"))
    assert event.details == {"changes": {"drafts": {"from": 180, "to": 30}}}


def test_the_dry_run_lists_what_would_go_and_why_and_changes_nothing(session, world) -> None:
    ids = age(session, world)
    due = retention.plan(session=session, actor=world.ada)
    listed = {(d.kind, d.entity, d.entity_id) for d in due}
    assert listed == {
        ("inactive_members", "member", world.alice_profile.id),
        ("drafts", "response", ids["draft"]),
        ("sent_mail", "outbox_message", ids["sent"]),
        ("sessions", "user_session", ids["session"]),
        ("sessions", "login_attempt", ids["attempt"]),
        ("sessions", "password_reset", ids["reset"]),
        ("sessions", "email_verification", ids["confirm"]),
        ("sessions", "access_token", ids["token"]),
        ("audit_personal", "audit_event", ids["event"]),
    }
    (member,) = [d for d in due if d.entity == "member"]
    assert world.alice_profile.pseudonym in member.reason and "1825 days" in member.reason
    assert "alice" not in " ".join(d.reason for d in due)  # reasons carry no identity
    session.expire_all()
    assert session.get(MemberProfile, world.alice_profile.id).erased_at is None
    assert session.get(Response, ids["draft"]) is not None
    with pytest.raises(Forbidden):
        retention.plan(session=session, actor=world.sam)


def test_the_purge_erases_through_the_erasure_service_and_audits(session, world) -> None:
    ids = age(session, world)
    done = retention.purge(session=session, actor=world.ada)
    assert len(done) == 9
    session.expire_all()
    alice = session.get(MemberProfile, world.alice_profile.id)
    assert alice.erased_at is not None
    assert session.get(MemberIdentity, alice.id).email == ""
    assert session.get(User, world.alice.id).email.startswith("erased-")
    assert session.get(Response, ids["draft"]) is None
    assert session.get(OutboxMessage, ids["sent"]) is None
    assert session.get(OutboxMessage, ids["queued"]) is not None  # never sent: kept
    assert session.get(OutboxMessage, ids["fresh"]) is not None
    assert session.get(UserSession, ids["session"]) is None
    assert session.get(LoginAttempt, ids["attempt"]) is None
    # Spent links and tokens go; those still usable stay.
    assert session.get(PasswordReset, ids["reset"]) is None
    assert session.get(EmailVerification, ids["confirm"]) is None
    assert session.get(AccessToken, ids["token"]) is None
    assert session.get(PasswordReset, ids["live_reset"]) is not None
    assert session.get(AccessToken, ids["live_token"]) is not None
    event = session.get(AuditEvent, ids["event"])
    assert event.details == {"email": "[removed]", "count": 2, "redacted": True}
    erased = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "member.erase",
            AuditEvent.entity_id == str(world.alice_profile.id),
        )
    ).one()
    assert erased.details["reason"] == "retention" and erased.actor_role == "system"
    purged = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.purge")).all()
    assert len(purged) == 8  # one per record but the member (member.erase says it)
    (run,) = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.run"))
    assert run.details["removed"]["inactive_members"] == 1 and run.actor_id == world.ada.id
    assert retention.plan(session=session, actor=world.ada) == []  # nothing left to do


def test_members_with_an_open_assignment_or_recent_sign_in_are_kept(session, world) -> None:
    from tests.placement_factories import make_assignment

    make_assignment(session, world, "in_progress")
    old = utcnow() - timedelta(days=3000)
    for profile_id in (world.alice_profile.id, world.bob_profile.id):
        profile = session.get(MemberProfile, profile_id)
        profile.last_activity_at = profile.updated_at = old
        session.add(profile)
    bob = session.get(User, world.bob.id)
    bob.last_login_at = utcnow() - timedelta(days=3)
    session.add(bob)
    session.commit()
    due = retention.plan(session=session, actor=world.ada)
    assert [d for d in due if d.kind == "inactive_members"] == []


def test_the_cli_dry_run_and_apply(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from diaspora.cli import app
    from diaspora.config import get_settings
    from diaspora.db import make_engine, session_scope

    monkeypatch.setenv("DIASPORA_SQLITE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        engine = make_engine(get_settings().resolved_database_url)
        with session_scope(engine) as session:
            session.add(LoginAttempt(email="old@example.org", at=utcnow() - timedelta(days=90)))
            session.commit()
        shown = runner.invoke(app, ["retention", "show"])
        assert shown.exit_code == 0 and "sessions\t30 days" in shown.output
        both = runner.invoke(app, ["retention", "purge", "--dry-run", "--apply"])
        assert both.exit_code == 2
        dry = runner.invoke(app, ["retention", "purge", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "login_attempt" in dry.output and "would remove 1 records" in dry.output
        applied = runner.invoke(app, ["retention", "purge", "--apply"])
        assert applied.exit_code == 0 and "removed 1 records" in applied.output
        again = runner.invoke(app, ["retention", "purge", "--dry-run"])
        assert "would remove 0 records" in again.output
        with session_scope(engine) as session:
            assert session.exec(select(LoginAttempt)).all() == []
            actions = {e.action for e in session.exec(select(AuditEvent))}
            assert {"retention.purge", "retention.run"} <= actions
        engine.dispose()
    finally:
        get_settings.cache_clear()
