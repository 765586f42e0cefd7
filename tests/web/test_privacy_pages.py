"""The privacy notice (versioned per programme, shown to members, pointed at by consents)
and the admin pages for notices and retention periods."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, func, select

from diaspora.audit.models import AuditEvent
from diaspora.consent.models import Consent
from diaspora.members.models import MemberProfile
from diaspora.notices import service as notices
from diaspora.notices.models import PrivacyNotice
from diaspora.retention import service as retention
from tests.factories import build_world, csrf
from tests.survey_factories import builtin


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def notice_form(**over: str) -> dict[str, str]:
    form = {
        "controller": "Ministry of Health of Ghana",
        "contact": "privacy@moh.example, Accra",
        "dpo": "Ama Owusu, dpo@moh.example",
        "legal_basis": "public_task",
        "legal_basis_note": "Health workforce mandate",
        "recipients": "Programme staff; host institutions after your consent",
        "retention_note": "",
        "rights": "Access, correction, erasure from My profile",
        **{f"purpose.{p}": f"We use it for {p}" for p in notices.PURPOSES},
    }
    form.update(over)
    return form


def publish(client, programme_id, **over):  # type: ignore[no-untyped-def]
    token = csrf(client, f"/admin/privacy/edit?programme={programme_id}")
    return client.post(
        f"/admin/privacy/edit?programme={programme_id}",
        data={**notice_form(**over), "csrf_token": token},
        follow_redirects=False,
    )


def count(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(func.count()).select_from(PrivacyNotice)).one()


def test_an_admin_publishes_versions_and_a_published_one_never_changes(
    as_user, client, session, world
) -> None:
    ada = as_user(world.ada)
    programme = world.programme.id
    form = ada.get(f"/admin/privacy/edit?programme={programme}")
    assert form.status_code == 200 and "We use your answers" not in form.text
    assert "To compare your profile" in form.text  # sensible defaults to start from
    first = publish(ada, programme)
    assert first.status_code == 303, first.text
    v1 = session.exec(select(PrivacyNotice)).one()
    assert (v1.version, v1.programme_id, v1.legal_basis) == (1, programme, "public_task")
    assert v1.retention == retention.periods(session=session)
    page = client.get(first.headers["location"])  # public, no sign-in needed
    assert page.status_code == 200
    for text in (
        "Ministry of Health of Ghana",
        "privacy@moh.example",
        "Ama Owusu",
        "We use it for research",
        "public task",
        "Programme staff; host institutions",
        "1825 days",
        "Access, correction, erasure",
        'href="/me"',
    ):
        assert text in page.text, text
    snapshot = v1.model_dump()

    second = publish(ada, programme, controller="Ministry of Health (new address)")
    assert second.status_code == 303
    session.expire_all()
    rows = session.exec(select(PrivacyNotice).order_by(col(PrivacyNotice.version))).all()
    assert [r.version for r in rows] == [1, 2]
    assert rows[0].model_dump() == snapshot  # the published version is untouched
    old = client.get(f"/privacy/notices/{rows[0].id}")
    assert "A newer version of this notice exists." in old.text
    assert "Ministry of Health of Ghana" in old.text
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "notice.publish")).all()
    assert [e.details["version"] for e in events] == [1, 2]
    listing = client.get("/privacy")
    assert f'href="/privacy/notices/{rows[1].id}"' in listing.text
    assert f'href="/privacy/notices/{rows[0].id}"' not in listing.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("controller", "", "required"),
        ("controller", "x" * 301, "at most 300 characters"),
        ("recipients", "y" * 5000, "at most 4000 characters"),
        ("legal_basis", "because", "choose a legal basis: consent or public task"),
        ("purpose.research", "", "required"),
    ],
)
def test_bad_notice_input_shows_the_field_keeps_values_and_saves_nothing(
    as_user, session, world, field, value, message
) -> None:
    ada = as_user(world.ada)
    answer = publish(ada, world.programme.id, **{field: value}, contact="kept@moh.example")
    assert answer.status_code == 422
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert "kept@moh.example" in answer.text  # what was typed comes back
    assert count(session) == 0


def test_a_nul_character_is_refused_at_the_edge_naming_the_field(as_user, session, world) -> None:
    # web.edge answers before the page (PostgreSQL cannot store NUL): the page is not
    # re-rendered, but the field is named and nothing is saved.
    ada = as_user(world.ada)
    answer = publish(ada, world.programme.id, rights="a\x00b", contact="kept@moh.example")
    assert answer.status_code == 422
    assert "rights" in answer.text and "NUL" in answer.text
    assert count(session) == 0


def test_an_unknown_programme_is_not_found(as_user, world) -> None:
    ada = as_user(world.ada)
    assert ada.get("/admin/privacy/edit?programme=999999").status_code == 404
    assert ada.get("/admin/privacy/edit?programme=9" * 30).status_code == 404
    assert ada.get("/privacy/notices/99999999999999999999").status_code in (404, 422)


def test_consents_point_at_the_version_the_member_was_shown(as_user, session, world) -> None:
    ada = as_user(world.ada)
    profile = session.get(MemberProfile, world.alice_profile.id)
    profile.programme_id = world.programme.id
    session.add(profile)
    session.commit()
    assert publish(ada, world.programme.id).status_code == 303
    v1 = session.exec(select(PrivacyNotice)).one()
    alice = as_user(world.alice)
    me = alice.get("/me")
    assert f'href="/privacy/notices/{v1.id}"' in me.text
    assert f'name="notice_id" value="{v1.id}"' in me.text
    # A new version is published while alice's page is open: her choice records v1.
    assert publish(ada, world.programme.id, controller="Someone else").status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', me.text).group(1)  # type: ignore[union-attr]
    sent = alice.post(
        "/me/consents",
        data={"purpose": ["mapping", "research"], "notice_id": str(v1.id), "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    session.expire_all()
    research = session.exec(
        select(Consent).where(Consent.member_id == profile.id, Consent.purpose == "research")
    ).one()
    assert research.notice_id == v1.id
    give = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "consent.give")
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert give is not None and give.details == {
        "purpose": "research",
        "notice": v1.id,
        "channel": "profile",
    }
    # The member's data export says under which notice each consent was given.
    exported = alice.get("/me/export").json()
    (row,) = [c for c in exported["consents"] if c["purpose"] == "research"]
    assert row["source"] == "profile"
    assert row["notice"] == {
        "programme_id": world.programme.id,
        "version": 1,
        "published_at": v1.published_at.isoformat(),
        "url": f"/privacy/notices/{v1.id}",
    }


def test_the_survey_consent_page_links_the_notice(as_user, session, world) -> None:
    builtin(session)
    data = {**notices.defaults(session=session, programme_id=None), **notice_form()}
    notice = notices.publish(session=session, actor=world.ada, programme_id=None, data=data)
    alice = as_user(world.alice)
    token = csrf(alice, "/survey")
    assert f'href="/privacy/notices/{notice.id}"' in alice.get("/survey").text
    alice.post("/survey/start", data={"csrf_token": token})
    page = alice.get("/survey/page/0")
    assert f'href="/privacy/notices/{notice.id}"' in page.text
    assert "/privacy/notices/" not in alice.get("/survey/page/1").text  # only where consent is


def test_the_retention_page_shows_settings_and_the_dry_run(as_user, session, world) -> None:
    from datetime import timedelta

    from diaspora.accounts.models import LoginAttempt
    from diaspora.common import utcnow

    session.add(LoginAttempt(email="x@example.org", at=utcnow() - timedelta(days=45)))
    session.commit()
    ada = as_user(world.ada)
    page = ada.get("/admin/retention")
    assert page.status_code == 200
    assert 'name="inactive_members"' in page.text and 'value="1825"' in page.text
    assert "login_attempt" in page.text and "sign-in attempt more than 30 days ago" in page.text
    token = csrf(ada, "/admin/retention")
    good = {k.key: str(k.default) for k in retention.KINDS}
    bad = ada.post(
        "/admin/retention",
        data={**good, "drafts": "-3", "sent_mail": "100000000", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "between 7 and 36500" in bad.text and 'value="-3"' in bad.text
    assert 'value="100000000"' in bad.text
    assert retention.periods(session=session)["drafts"] == 180  # nothing saved
    saved = ada.post(
        "/admin/retention",
        data={**good, "sessions": "60", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    assert retention.periods(session=session)["sessions"] == 60
    assert "login_attempt" not in ada.get("/admin/retention").text  # 45 days < 60


def test_staff_record_a_withdrawal_and_only_admins_erase_from_the_member_page(
    as_user, session, world
) -> None:
    from diaspora.consent import service as consent

    member_id = world.alice_profile.id
    sam = as_user(world.sam)
    page = sam.get(f"/staff/members/{member_id}")
    assert "/consents/withdraw" in page.text and "/erase" not in page.text
    token = csrf(sam, f"/staff/members/{member_id}")
    empty = sam.post(f"/staff/members/{member_id}/consents/withdraw", data={"csrf_token": token})
    assert empty.status_code == 422 and "choose at least one purpose" in empty.text
    done = sam.post(
        f"/staff/members/{member_id}/consents/withdraw",
        data={"purpose": "contact", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "The withdrawal is recorded." in sam.get(done.headers["location"]).text
    session.expire_all()
    active = consent.active_purposes(session=session, member_id=member_id)
    assert "contact" not in active and "matching" in active
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "consent.withdraw")).one()
    assert event.details["channel"] == "staff" and event.actor_id == world.sam.id
    refused = sam.post(
        f"/staff/members/{member_id}/erase", data={"confirm": "ERASE", "csrf_token": token}
    )
    assert refused.status_code == 403
    ada = as_user(world.ada)
    token = csrf(ada, f"/staff/members/{member_id}")
    unconfirmed = ada.post(
        f"/staff/members/{member_id}/erase", data={"confirm": "yes", "csrf_token": token}
    )
    assert unconfirmed.status_code == 422 and "type ERASE to confirm" in unconfirmed.text
    erased = ada.post(
        f"/staff/members/{member_id}/erase",
        data={"confirm": "ERASE", "csrf_token": token},
        follow_redirects=False,
    )
    assert erased.status_code == 303
    session.expire_all()
    assert session.get(MemberProfile, member_id).erased_at is not None
