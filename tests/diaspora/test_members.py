"""Member profiles: validation, own edits, staff reads audited, export, erasure."""

from __future__ import annotations

import pytest
from sqlmodel import select

from diaspora.audit.models import AuditEvent
from diaspora.consent import service as consent
from diaspora.errors import Conflict, NotFound, ValidationFailed
from diaspora.members import service as members
from diaspora.members.models import MemberIdentity, MemberLanguage, MemberSkill


def test_it_validates_profile_fields_and_names_each_bad_one(session, world) -> None:
    with pytest.raises(ValidationFailed) as info:
        members.update_profile(
            session=session,
            actor=world.alice,
            member_id=world.alice_profile.id,
            data={
                "residence_country": "ZZ",
                "birth_year": "1850",
                "languages": ["xx:C1"],
                "modes": ["teleport"],
                "available_from": "2027-05-01",
                "available_to": "2027-04-01",
                "years_experience": "many",
            },
        )
    errors = info.value.errors
    assert set(errors) >= {
        "residence_country",
        "birth_year",
        "languages",
        "modes",
        "available_to",
        "years_experience",
    }
    session.rollback()
    fresh = members.get_own(session=session, actor=world.alice)
    assert fresh.residence_country == "NL"  # nothing applied


def test_it_keeps_flattened_columns_in_step_with_the_lists(session, world) -> None:
    members.update_profile(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        data={
            "modes": ["virtual"],
            "contributions": ["mentoring"],
            "skills": ["Triage", "wound care"],
            "languages": [{"code": "fr", "level": "B2"}, "en:native"],
            "occupation_code": "2221",
        },
    )
    p = members.get_own(session=session, actor=world.alice)
    assert (p.mode_virtual, p.mode_temporary, p.contrib_mentoring, p.contrib_investment) == (
        True,
        False,
        True,
        False,
    )
    assert p.isco_major == "2"
    skills = session.exec(select(MemberSkill.label).where(MemberSkill.member_id == p.id)).all()
    assert sorted(skills) == ["triage", "wound care"]
    langs = session.exec(select(MemberLanguage.code).where(MemberLanguage.member_id == p.id)).all()
    assert sorted(langs) == ["en", "fr"]


def test_it_refuses_a_stale_edit(session, world) -> None:
    stale = world.alice_profile.version - 1
    with pytest.raises(Conflict):
        members.update_profile(
            session=session,
            actor=world.alice,
            member_id=world.alice_profile.id,
            data={"residence_city": "Leiden"},
            expected_version=stale,
        )


def test_it_hides_a_profile_from_other_members_and_institutions(session, world) -> None:
    for other in (world.bob, world.carol):
        with pytest.raises(NotFound):
            members.get(session=session, actor=other, member_id=world.alice_profile.id)


def test_it_audits_a_staff_view_and_an_identity_view(session, world) -> None:
    members.view(session=session, actor=world.sam, member_id=world.alice_profile.id)
    members.identity(session=session, actor=world.sam, member_id=world.alice_profile.id)
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.actor_id == world.sam.id)
    ).all()
    assert "member.view" in actions and "member.identity_view" in actions
    members.view(session=session, actor=world.alice, member_id=world.alice_profile.id)
    own = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "member.view", AuditEvent.actor_id == world.alice.id
        )
    ).all()
    assert own == []  # reading one's own profile is not an event


def test_it_exports_everything_held_about_a_member(session, world) -> None:
    data = members.export_data(session=session, actor=world.alice, member_id=world.alice_profile.id)
    assert data["profile"]["pseudonym"] == world.alice_profile.pseudonym
    assert data["identity"]["email"] == "alice@example.org"
    assert {c["purpose"] for c in data["consents"]} >= {"mapping", "matching"}


def test_it_erases_identity_and_free_text_but_keeps_coarse_facts(session, world) -> None:
    members.update_profile(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        data={
            "birth_year": 1987,
            "sector": "health",
            "education_level": 7,
            "priorities": "hospital in Tamale",
        },
    )
    members.erase(session=session, actor=world.alice, member_id=world.alice_profile.id)
    p = session.get(type(world.alice_profile), world.alice_profile.id)
    ident = session.get(MemberIdentity, world.alice_profile.id)
    assert ident.first_name == "" and ident.email == "" and p.priorities == "" and p.skills == []
    assert (p.residence_country, p.sector, p.education_level, p.birth_year) == (
        "NL",
        "health",
        7,
        1980,
    )
    assert p.erased_at is not None
    active = consent.active_purposes(session=session, member_id=p.id)
    assert "matching" not in active and "mapping" in active  # still counted in aggregates
    user = session.get(type(world.alice), world.alice.id)
    assert not user.is_active and "alice" not in user.email
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "member.erase")).first()


def test_it_lets_only_the_member_or_an_admin_erase(session, world) -> None:
    from diaspora.errors import Forbidden

    with pytest.raises(Forbidden):
        members.erase(session=session, actor=world.sam, member_id=world.alice_profile.id)
    members.erase(session=session, actor=world.ada, member_id=world.alice_profile.id)
