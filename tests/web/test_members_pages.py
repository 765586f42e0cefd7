"""Staff member pages: a pseudonymised list, and a profile whose view is audited."""

from __future__ import annotations

from sqlmodel import select

from diaspora.audit.models import AuditEvent


def test_it_lists_members_by_pseudonym_and_filters_them(as_user, world) -> None:
    page = as_user(world.sam).get("/staff/members")
    assert page.status_code == 200
    assert world.alice_profile.pseudonym in page.text and world.bob_profile.pseudonym in page.text
    assert "alice@example.org" not in page.text  # the list needs no identity
    de = as_user(world.sam).get("/staff/members?country=DE")
    assert world.bob_profile.pseudonym in de.text and world.alice_profile.pseudonym not in de.text
    assert "No member matches" in as_user(world.sam).get("/staff/members?q=astronaut").text


def test_it_shows_a_profile_with_identity_and_audits_the_view(as_user, world, session) -> None:
    page = as_user(world.sam).get(f"/staff/members/{world.alice_profile.id}")
    assert page.status_code == 200 and "alice@example.org" in page.text
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.actor_id == world.sam.id)
    ).all()
    assert "member.view" in actions and "member.identity_view" in actions
    assert as_user(world.sam).get("/staff/members/999999").status_code == 404
