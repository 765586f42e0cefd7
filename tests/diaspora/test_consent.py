"""Consent is a history: one row per grant, withdrawal closes it, flags follow."""

from __future__ import annotations

import pytest

from diaspora.consent import service as consent
from diaspora.errors import ValidationFailed
from diaspora.members.models import MemberProfile


def test_it_keeps_a_history_of_grants_and_withdrawals(session, world) -> None:
    mid = world.alice_profile.id
    consent.set_consents(
        session=session, actor=world.alice, member_id=mid, choices={"matching": False}
    )
    consent.set_consents(
        session=session, actor=world.alice, member_id=mid, choices={"matching": True}
    )
    rows = [c for c in consent.history(session=session, member_id=mid) if c.purpose == "matching"]
    assert len(rows) == 2 and rows[0].withdrawn_at is not None and rows[1].withdrawn_at is None
    assert consent.has_active_consent(session=session, member_id=mid, purpose="matching")


def test_it_writes_nothing_when_a_choice_does_not_change(session, world) -> None:
    mid = world.alice_profile.id
    before = len(consent.history(session=session, member_id=mid))
    consent.set_consents(
        session=session, actor=world.alice, member_id=mid, choices={"mapping": True}
    )
    assert len(consent.history(session=session, member_id=mid)) == before


def test_it_mirrors_mapping_and_matching_consent_on_the_profile(session, world) -> None:
    mid = world.alice_profile.id
    consent.set_consents(
        session=session,
        actor=world.alice,
        member_id=mid,
        choices={"mapping": False, "matching": False},
    )
    profile = session.get(MemberProfile, mid)
    assert (profile.consent_mapping, profile.consent_matching) == (False, False)


def test_it_refuses_an_unknown_purpose(session, world) -> None:
    with pytest.raises(ValidationFailed) as info:
        consent.set_consents(
            session=session,
            actor=world.alice,
            member_id=world.alice_profile.id,
            choices={"marketing": True},
        )
    assert "consent.marketing" in info.value.errors
