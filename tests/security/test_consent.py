"""Withdrawn consent stays withdrawn: only the member's own, explicit choice gives it back.

Attacker finding: after a member withdrew "research" on /me, *Answer again* pre-filled
the consent question with the old "Yes", and submitting re-granted it silently
(audited as `consent.give`).
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from diaspora.audit.models import AuditEvent
from diaspora.consent import service as consent
from diaspora.consent.models import Channel, Consent
from diaspora.responses import imports, respond, review
from diaspora.responses.models import Response
from tests.factories import build_world, csrf
from tests.survey_factories import SLUG, answers, builtin
from tests.web.test_survey_pages import PAGES, post

RESEARCH_YES = {**PAGES[0], "consent_research": "yes"}


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    w = build_world(session)
    builtin(session)
    return w


@pytest.fixture
def alice(app, as_user, world):  # type: ignore[no-untyped-def]
    client = as_user(world.alice)
    client.token = csrf(client, "/survey")  # type: ignore[attr-defined]
    return client


def shown_choices(html: str) -> dict[str, str]:
    """The radio answers a page shows as chosen: what a browser posts back unchanged."""
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", html):
        if " checked" in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]+)"', tag)
            if name and value:
                found[name.group(1)] = value.group(1)
    return found


def walk_and_submit(client, first_page: dict) -> None:  # type: ignore[no-untyped-def]
    forms = [first_page, *PAGES[1:]]
    for index, form in enumerate(forms):
        answer = post(client, f"/survey/page/{index}", {**form, "action": "next"})
        assert answer.status_code == 303, (index, answer.text[:1500])
    done = post(client, "/survey/submit")
    assert done.status_code == 303 and done.headers["location"].startswith("/survey/responses/")


def research_events(session, member_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return [
        e
        for e in session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "member", AuditEvent.entity_id == str(member_id))
            .order_by(col(AuditEvent.id))
        )
        if e.action.startswith("consent.") and e.details.get("purpose") == "research"
    ]


def holds_research(session, member_id: int) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    return consent.has_active_consent(session=session, member_id=member_id, purpose="research")


def test_answer_again_after_withdrawing_on_the_profile_does_not_regrant(
    alice, session, world
) -> None:
    member_id = world.alice_profile.id or 0
    assert post(alice, "/survey/start").status_code == 303
    walk_and_submit(alice, RESEARCH_YES)
    assert holds_research(session, member_id)

    # Withdraw "research" on /me (keep the others).
    token = csrf(alice, "/me")
    kept = {"purpose": ["mapping", "matching", "contact"], "csrf_token": token}
    assert alice.post("/me/consents", data=kept, follow_redirects=False).status_code == 303
    assert not holds_research(session, member_id)

    # Answer again: the consent page says what the member holds now, not the old "Yes".
    assert post(alice, "/survey/start", {"restart": "1"}).status_code == 303
    shown = shown_choices(alice.get("/survey/page/0").text)
    assert shown["consent_research"] == "no"
    assert shown["consent_mapping"] == "yes" and shown["consent_matching"] == "yes"
    # Post back what the page shows (a member who only clicks "next"), and submit.
    walk_and_submit(alice, shown)
    assert not holds_research(session, member_id)
    events = research_events(session, member_id)
    assert [(e.action, e.details["channel"]) for e in events] == [
        ("consent.give", "survey"),
        ("consent.withdraw", "profile"),
    ]


def test_a_draft_opened_before_the_withdrawal_follows_it(alice, session, world) -> None:
    member_id = world.alice_profile.id or 0
    assert post(alice, "/survey/start").status_code == 303
    walk_and_submit(alice, RESEARCH_YES)
    # A new draft (pre-filled "yes": research is held), left open...
    assert post(alice, "/survey/start", {"restart": "1"}).status_code == 303
    assert shown_choices(alice.get("/survey/page/0").text)["consent_research"] == "yes"
    post(alice, "/survey/page/0", {**RESEARCH_YES, "action": "next"})
    # ...then research is withdrawn through the API...
    api = alice.put(
        "/api/v1/me/consents",
        json={"consents": {"research": False}},
        headers={"X-CSRF-Token": csrf(alice, "/me")},
    )
    assert api.status_code == 200, api.text
    # ...and the open draft says so; submitting it without touching page 0 keeps it.
    assert shown_choices(alice.get("/survey/page/0").text)["consent_research"] == "no"
    for index, form in enumerate(PAGES[1:], start=1):
        post(alice, f"/survey/page/{index}", {**form, "action": "next"})
    assert post(alice, "/survey/submit").status_code == 303
    assert not holds_research(session, member_id)
    channels = [(e.action, e.details["channel"]) for e in research_events(session, member_id)]
    assert channels[-1] == ("consent.withdraw", "api")


def test_changing_the_answer_in_the_survey_is_an_explicit_choice(alice, session, world) -> None:
    member_id = world.alice_profile.id or 0
    assert post(alice, "/survey/start").status_code == 303
    walk_and_submit(alice, RESEARCH_YES)
    token = csrf(alice, "/me")
    alice.post("/me/consents", data={"purpose": ["mapping"], "csrf_token": token})
    assert post(alice, "/survey/start", {"restart": "1"}).status_code == 303
    shown = shown_choices(alice.get("/survey/page/0").text)
    assert shown["consent_research"] == "no"
    walk_and_submit(alice, {**shown, "consent_research": "yes"})  # the member changes it
    assert holds_research(session, member_id)
    assert research_events(session, member_id)[-1].details["channel"] == "survey"


def test_an_api_submission_does_not_regrant_a_withdrawn_purpose(
    app, as_user, session, world
) -> None:
    member_id = world.alice_profile.id or 0
    consent.set_consents(
        session=session, actor=world.alice, member_id=member_id, choices={"research": True}
    )
    consent.set_consents(
        session=session, actor=world.alice, member_id=member_id, choices={"research": False}
    )
    client = as_user(world.alice)
    body = {"answers": answers(consent_research="yes")}
    sent = client.post(
        f"/api/v1/surveys/{SLUG}/responses", json=body, headers={"X-CSRF-Token": csrf(client)}
    )
    assert sent.status_code in (200, 201), sent.text
    assert not holds_research(session, member_id)
    kept = research_events(session, member_id)[-1]
    assert (kept.action, kept.details["channel"]) == ("consent.keep_withdrawn", "survey-api")


def test_import_and_staff_correction_never_regrant(session, world) -> None:
    """An imported member (paper form, research "yes") withdraws by telephone; neither a
    staff correction of the response nor an import channel gives it back."""
    from tests.diaspora.test_responses import kobo_csv, kobo_row

    data = kobo_csv([kobo_row(1, _uuid="paper-1")])
    report = imports.import_file(
        session=session, actor=world.sam, slug=SLUG, data=data, filename="paper.csv"
    )
    assert report.added == 1, report
    stored = session.exec(select(Response).where(Response.external_id == "paper-1")).one()
    member_id = stored.member_id or 0
    given = session.exec(select(Consent).where(Consent.member_id == member_id)).all()
    assert {c.purpose for c in given} >= {"mapping", "research"}
    assert {c.source for c in given} == {"import"}
    create = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "member.create", AuditEvent.entity_id == str(member_id)
        )
    ).one()
    assert create.details["channel"] == "import"

    # The member calls and withdraws research; staff record it.
    consent.set_consents(
        session=session,
        actor=world.sam,
        member_id=member_id,
        choices={"research": False},
        channel=Channel.staff,
    )
    # A staff correction of another answer re-applies the answers: research stays withdrawn.
    form = {**stored.answers, "residence_city": "Utrecht"}
    _, changed = review.correct(
        session=session, actor=world.sam, slug=SLUG, response_id=stored.id or 0, form=form
    )
    assert "residence_city" in changed
    assert not holds_research(session, member_id)
    # Staff may still not give it back themselves through a correction channel.
    consent.set_consents(
        session=session,
        actor=world.sam,
        member_id=member_id,
        choices={"research": True},
        channel=Channel.import_,
    )
    assert not holds_research(session, member_id)
    trail = [(e.action, e.details["channel"]) for e in research_events(session, member_id)]
    assert trail[-3:] == [
        ("consent.withdraw", "staff"),
        ("consent.keep_withdrawn", "correction"),
        ("consent.keep_withdrawn", "import"),
    ]


def test_a_draft_never_grants_more_than_the_member_answered(session, world) -> None:
    """The service level: a stale draft answer (written before a withdrawal) cannot
    survive the withdrawal."""
    member_id = world.alice_profile.id or 0
    draft = respond.start(session=session, actor=world.alice)
    draft.answers = {**(draft.answers or {}), **answers(consent_research="yes")}
    session.add(draft)
    session.commit()
    consent.set_consents(
        session=session, actor=world.alice, member_id=member_id, choices={"research": False}
    )
    session.refresh(draft)
    assert draft.answers["consent_research"] == "no"
