"""Placement requests and shortlists: validation, the state machines entry by entry,
optimistic locking across two sessions, notifications, matching and opportunities."""

from __future__ import annotations

import threading
import time
from itertools import product

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from diaspora.audit.models import AuditEvent
from diaspora.consent.service import set_consents
from diaspora.db import new_session
from diaspora.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from diaspora.members import service as members
from diaspora.members.pseudonyms import for_request
from diaspora.outbox.models import OutboxMessage
from diaspora.placements import matching as app_matching
from diaspora.placements import service as placements
from diaspora.placements.models import PlacementRequest, ShortlistEntry
from diaspora.placements.states import REQUEST_STATES, REQUESTS, SHORTLIST, SHORTLIST_STATES, claim
from tests.factories import build_world, deliver_mail, make_member, make_programme, make_user
from tests.placement_factories import (
    entry_of,
    file_engine,  # noqa: F401 (fixture)
    make_assignment,
    make_request,
    request_data,
    shortlisted,
)


def _force(session: Session, row, status: str):  # type: ignore[no-untyped-def]
    """Put a record straight into a state (setting up a transition-table case)."""
    row.status = status
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _outbox(session: Session, kind: str) -> list[str]:
    return [
        m.to_address
        for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    ]


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"start_from": "2027-05-01", "start_to": "2027-03-01"}, "start_to"),
        ({"positions": 0}, "positions"),
        ({"positions": "many"}, "positions"),
        ({"languages": "en, xx"}, "languages"),
        ({"languages": ["english"]}, "languages"),
        ({"mode": "permanent"}, "mode"),
        ({"mode": "holiday"}, "mode"),
        ({"title": "  "}, "title"),
        ({"skills_essential": ""}, "skills_essential"),
        ({"min_education": 9}, "min_education"),
        ({"programme_id": None}, "programme_id"),
        ({"programme_id": 999}, "programme_id"),
        ({"duration_weeks": 0}, "duration_weeks"),
        ({"sector": "astrology"}, "sector"),
        ({"start_from": "next week"}, "start_from"),
    ],
)
def test_it_refuses_bad_request_fields_naming_the_field(session, world, over, field) -> None:
    if field == "mode" and over["mode"] == "permanent":
        world.programme.allowed_modes = ["temporary", "virtual"]
        session.add(world.programme)
        session.commit()
    with pytest.raises(ValidationFailed) as exc:
        placements.create_request(
            session=session, actor=world.carol, data=request_data(world, **over)
        )
    assert field in exc.value.errors
    assert session.exec(select(func.count()).select_from(PlacementRequest)).one() == 0


def test_it_creates_a_draft_of_the_users_institution_with_clean_lists(session, world) -> None:
    req = placements.create_request(
        session=session,
        actor=world.carol,
        data=request_data(
            world,
            skills_essential="nursing care\n infection  control, nursing care",
            languages="EN, fr",
            institution_id=world.inst_b.id,  # ignored for institution users
        ),
    )
    assert req.institution_id == world.inst_a.id
    assert req.status == "draft" and req.version == 1
    assert req.skills_essential == ["nursing care", "infection control"]
    assert req.languages == ["en", "fr"]
    assert [
        e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "request"))
    ] == ["request.create"]


def test_it_lets_staff_create_for_a_named_institution_only(session, world) -> None:
    with pytest.raises(ValidationFailed) as exc:
        placements.create_request(session=session, actor=world.sam, data=request_data(world))
    assert "institution_id" in exc.value.errors
    req = placements.create_request(
        session=session, actor=world.sam, data=request_data(world, institution_id=world.inst_b.id)
    )
    assert req.institution_id == world.inst_b.id


def test_it_refuses_requests_from_members(session, world) -> None:
    with pytest.raises(Forbidden):
        placements.create_request(session=session, actor=world.alice, data=request_data(world))


def test_it_edits_drafts_only_and_leaves_the_record_unchanged_on_error(session, world) -> None:
    req = make_request(session, world)
    with pytest.raises(ValidationFailed) as exc:
        placements.update_request(
            session=session,
            actor=world.carol,
            request_id=req.id,
            data={"start_to": "2020-01-01", "title": "Changed"},
            expected_version=1,
        )
    assert "start_to" in exc.value.errors
    session.refresh(req)
    assert (req.title, req.version) == ("Infection control trainer", 1)
    req = placements.update_request(
        session=session,
        actor=world.carol,
        request_id=req.id,
        data={"positions": 2},
        expected_version=1,
    )
    assert (req.positions, req.version) == (2, 2)
    req = placements.transition_request(
        session=session, actor=world.carol, request_id=req.id, to="submitted"
    )
    with pytest.raises(InvalidTransition):
        placements.update_request(
            session=session, actor=world.carol, request_id=req.id, data={"positions": 3}
        )
    # staff may still correct a submitted request
    req = placements.update_request(
        session=session, actor=world.sam, request_id=req.id, data={"positions": 3}
    )
    assert req.positions == 3


def test_it_hides_other_institutions_requests(session, world) -> None:
    req = make_request(session, world)
    for actor in (world.dave, world.alice, world.bob):
        with pytest.raises(NotFound):
            placements.get_request(session=session, actor=actor, request_id=req.id)
    assert placements.get_all_requests(session=session, actor=world.dave) == []
    assert [r.id for r in placements.get_all_requests(session=session, actor=world.carol)] == [
        req.id
    ]
    assert [
        r.id for r in placements.get_all_requests(session=session, actor=world.sam, status="draft")
    ] == [req.id]


# --- the request state machine, entry by entry ---------------------------------------------


@pytest.mark.parametrize("move", REQUESTS.moves, ids=lambda m: f"{m.source}->{m.target}")
def test_it_applies_each_request_move_for_its_roles_only(session, world, move) -> None:
    actors = {"institution": world.carol, "staff": world.sam}
    for role, actor in actors.items():
        req = _force(session, make_request(session, world), move.source)
        if move.target == "filled":  # the guard: every position taken
            a = make_assignment(session, world, "accepted")
            req = _force(session, session.get(PlacementRequest, a.request_id), move.source)
        before = req.version
        if role in move.roles:
            out = placements.transition_request(
                session=session,
                actor=actor,
                request_id=req.id,
                to=move.target,
                reason="r",
                expected_version=req.version,
            )
            assert out.status == move.target
            assert out.version == before + 1
        else:
            with pytest.raises(InvalidTransition, match="Only"):
                placements.transition_request(
                    session=session, actor=actor, request_id=req.id, to=move.target, reason="r"
                )
            session.refresh(req)
            assert req.status == move.source


def test_it_refuses_every_request_move_not_in_the_table(session, world) -> None:
    req = make_request(session, world)
    allowed = {(m.source, m.target) for m in REQUESTS.moves}
    for source, target in product(REQUEST_STATES, REQUEST_STATES):
        if (source, target) in allowed:
            continue
        req = _force(session, req, source)
        with pytest.raises(InvalidTransition):
            placements.transition_request(
                session=session, actor=world.sam, request_id=req.id, to=target, reason="r"
            )
    with pytest.raises(InvalidTransition, match="Unknown"):
        placements.transition_request(
            session=session, actor=world.sam, request_id=req.id, to="open"
        )


def test_it_requires_a_reason_to_reject_or_send_back(session, world) -> None:
    req = make_request(session, world, "submitted")
    for to in ("rejected", "draft"):
        with pytest.raises(ValidationFailed) as exc:
            placements.transition_request(
                session=session, actor=world.sam, request_id=req.id, to=to, reason=" "
            )
        assert "reason" in exc.value.errors
    session.refresh(req)
    assert (req.status, req.version) == ("submitted", 2)
    req = placements.transition_request(
        session=session,
        actor=world.sam,
        request_id=req.id,
        to="draft",
        reason="Add the languages needed.",
    )
    assert (req.status, req.status_reason) == ("draft", "Add the languages needed.")


def test_it_marks_a_request_filled_only_when_positions_are_taken(session, world) -> None:
    a = make_assignment(session, world, "approved", positions=1)
    req = session.get(PlacementRequest, a.request_id)
    assert "filled" not in [m.target for m in placements.request_moves(session, req, world.sam)]
    with pytest.raises(InvalidTransition, match="0 of 1"):
        placements.transition_request(
            session=session, actor=world.sam, request_id=req.id, to="filled"
        )
    from diaspora.assignments import service as assignments

    assignments.transition_assignment(
        session=session, actor=world.alice, assignment_id=a.id, to="accepted"
    )
    session.refresh(req)
    assert "filled" in [m.target for m in placements.request_moves(session, req, world.sam)]
    req = placements.transition_request(
        session=session, actor=world.sam, request_id=req.id, to="filled"
    )
    req = placements.transition_request(
        session=session, actor=world.sam, request_id=req.id, to="closed"
    )
    assert req.status == "closed"


def test_it_notifies_staff_and_the_institution_of_request_moves(session, world) -> None:
    staff2 = make_user(session, "sue@example.org", "staff")
    req = make_request(session, world, "submitted")
    assert sorted(_outbox(session, "request.submitted")) == ["sam@example.org", staff2.email]
    placements.transition_request(
        session=session, actor=world.sam, request_id=req.id, to="approved"
    )
    assert _outbox(session, "request.approved") == ["carol@example.org"]
    other = make_request(session, world, "submitted")
    placements.transition_request(
        session=session, actor=world.sam, request_id=other.id, to="rejected", reason="No budget"
    )
    assert _outbox(session, "request.rejected") == ["carol@example.org"]
    body = session.exec(
        select(OutboxMessage.body).where(OutboxMessage.kind == "request.rejected")
    ).one()
    assert "No budget" in body
    third = make_request(session, world, "submitted")
    placements.transition_request(
        session=session, actor=world.sam, request_id=third.id, to="draft", reason="Dates?"
    )
    assert _outbox(session, "request.draft") == ["carol@example.org"]
    assert "dave@example.org" not in [m.to_address for m in session.exec(select(OutboxMessage))]


# --- optimistic locking --------------------------------------------------------------------


def test_it_refuses_a_stale_version_and_applies_nothing(session, world) -> None:
    req = make_request(session, world, "submitted")
    with pytest.raises(Conflict, match="changed by someone else"):
        placements.transition_request(
            session=session, actor=world.sam, request_id=req.id, to="approved", expected_version=1
        )
    session.refresh(req)
    assert (req.status, req.version) == ("submitted", 2)


def test_it_lets_only_one_of_two_sessions_win(engine, world) -> None:
    with new_session(engine) as s1, new_session(engine) as s2:
        r1 = make_request(s1, world, "submitted")
        r2 = s2.get(PlacementRequest, r1.id)
        assert r1.version == r2.version == 2
        placements.transition_request(
            session=s1, actor=world.sam, request_id=r1.id, to="approved", expected_version=2
        )
        with pytest.raises(Conflict):
            placements.transition_request(
                session=s2,
                actor=world.ada,
                request_id=r1.id,
                to="rejected",
                reason="x",
                expected_version=2,
            )
    with new_session(engine) as s3:
        final = s3.get(PlacementRequest, r1.id)
        assert (final.status, final.version) == ("approved", 3)
        actions = s3.exec(select(AuditEvent.action).where(AuditEvent.entity == "request")).all()
        assert "request.rejected" not in actions


def test_it_serialises_two_concurrent_writers_with_the_guarded_update(file_engine) -> None:  # noqa: F811
    with new_session(file_engine) as setup:
        world = build_world(setup)
        req = make_request(setup, world, "submitted")
        request_id, version = req.id, req.version
    outcome: dict[str, object] = {}
    a = new_session(file_engine)
    # A claims the row and holds its transaction open while B tries the same version.
    claim(a, PlacementRequest, request_id, version, "request")

    def second_writer() -> None:
        with new_session(file_engine) as b:
            try:
                placements.transition_request(
                    session=b,
                    actor=world.ada,
                    request_id=request_id,
                    to="rejected",
                    reason="x",
                    expected_version=version,
                )
                outcome["b"] = "won"
            except Conflict:
                outcome["b"] = "conflict"

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second writer must wait for the first"
    row = a.get(PlacementRequest, request_id)
    row.status = "approved"
    a.add(row)
    a.commit()
    a.close()
    thread.join(timeout=15)
    assert outcome == {"b": "conflict"}
    with new_session(file_engine) as check:
        final = check.get(PlacementRequest, request_id)
        assert (final.status, final.version) == ("approved", version + 1)


# --- shortlists ----------------------------------------------------------------------------


def test_it_ranks_only_members_with_matching_consent_and_not_erased(session, world) -> None:
    _, carl = make_member(session, "carl@example.org")
    _, dora = make_member(session, "dora@example.org", consents={"mapping": True})
    req = make_request(session, world, "approved")
    rows = placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    ids = {r.member_id for r in rows}
    assert {world.alice_profile.id, world.bob_profile.id, carl.id} <= ids
    assert dora.id not in ids
    set_consents(
        session=session,
        actor=world.bob,
        member_id=world.bob_profile.id,
        choices={"matching": False},
    )
    members.erase(session=session, actor=world.ada, member_id=carl.id)
    rows = placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    assert {r.member_id for r in rows} == {world.alice_profile.id}
    assert all(r.status == "suggested" and r.rank == 1 for r in rows)


def test_it_applies_hard_constraints(session, world) -> None:
    _, francophone = make_member(session, "fr@example.org", languages=["en:C1", "fr:B2"])
    req = make_request(session, world, "approved", languages="en, fr")
    rows = placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    assert [r.member_id for r in rows] == [francophone.id]
    senior = make_request(session, world, "approved", mode="virtual", min_years_experience=10)
    assert placements.run_matching(session=session, actor=world.sam, request_id=senior.id) == []
    later = make_request(session, world, "approved", start_from="2027-03-01", start_to="2027-04-01")
    members.update_profile(
        session=session,
        actor=world.bob,
        member_id=world.bob_profile.id,
        data={"available_from": "2027-06-01", "available_to": "2027-12-31"},
    )
    rows = placements.run_matching(session=session, actor=world.sam, request_id=later.id)
    assert world.bob_profile.id not in {r.member_id for r in rows}


def test_it_refreshes_the_index_incrementally_when_profiles_change(session, world) -> None:
    req = make_request(session, world, "approved", skills_desirable="infection control")
    rank = lambda: {  # noqa: E731
        r.member_id: r.score
        for r in placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    }
    first = rank()
    stats = app_matching.index_stats(session)
    assert stats["builds"] >= 1 and stats["members"] == 2
    rank()
    assert app_matching.index_stats(session) == stats  # nothing changed: no refresh
    members.update_profile(
        session=session,
        actor=world.bob,
        member_id=world.bob_profile.id,
        data={"skills": ["nursing care", "infection control"]},
    )
    second = rank()
    after = app_matching.index_stats(session)
    assert after["builds"] == stats["builds"]
    assert after["refreshes"] == stats["refreshes"] + 1
    assert after["changed"] == stats["changed"] + 1  # only bob was re-encoded
    assert second[world.bob_profile.id] > first[world.bob_profile.id]
    assert second[world.alice_profile.id] == first[world.alice_profile.id]


def test_it_keeps_curated_entries_when_matching_runs_again(session, world) -> None:
    req = make_request(session, world, "approved")
    entry = shortlisted(session, world, req, "shortlisted")
    set_consents(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        choices={"matching": False},
    )
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    session.refresh(entry)
    assert entry.status == "shortlisted" and entry.rank == 0


def test_it_pseudonymises_the_institutions_shortlist(session, world) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    assert placements.get_shortlist(session=session, actor=world.carol, request_id=req.id) == []
    shortlisted(session, world, req, "shortlisted")
    rows = placements.get_shortlist(session=session, actor=world.carol, request_id=req.id)
    # The institution sees the request's pseudonym of the member, staff the stable one.
    assert [r.pseudonym for r in rows] == [for_request(world.alice_profile.id, req.id)]
    assert rows[0].pseudonym != world.alice_profile.pseudonym
    staff_rows = placements.get_shortlist(session=session, actor=world.sam, request_id=req.id)
    assert world.alice_profile.pseudonym in [r.pseudonym for r in staff_rows]
    assert rows[0].member_id == 0 and rows[0].explanation == {} and rows[0].languages == []
    with pytest.raises(NotFound):
        placements.get_shortlist(session=session, actor=world.dave, request_id=req.id)


def test_it_filters_the_staff_shortlist(session, world) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    by_country = placements.get_shortlist(
        session=session, actor=world.sam, request_id=req.id, country="de"
    )
    assert [r.member_id for r in by_country] == [world.bob_profile.id]
    assert (
        placements.get_shortlist(
            session=session, actor=world.sam, request_id=req.id, mode="permanent"
        )
        == []
    )
    assert (
        len(
            placements.get_shortlist(
                session=session, actor=world.sam, request_id=req.id, language="en"
            )
        )
        == 2
    )
    assert (
        placements.get_shortlist(session=session, actor=world.sam, request_id=req.id, language="fr")
        == []
    )


@pytest.mark.parametrize("move", SHORTLIST.moves, ids=lambda m: f"{m.source}->{m.target}")
def test_it_applies_each_shortlist_move_for_its_roles_only(session, world, move) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    entry = entry_of(session, req, world.alice_profile.id)
    for role, actor in (("staff", world.sam), ("member", world.alice)):
        entry = _force(session, entry, move.source)
        if role in move.roles:
            out = placements.transition_entry(
                session=session,
                actor=actor,
                entry_id=entry.id,
                to=move.target,
                expected_version=entry.version,
            )
            assert out.status == move.target
        else:
            with pytest.raises(InvalidTransition, match="Only"):
                placements.transition_entry(
                    session=session, actor=actor, entry_id=entry.id, to=move.target
                )


def test_it_refuses_every_shortlist_move_not_in_the_table(session, world) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    entry = entry_of(session, req, world.alice_profile.id)
    allowed = {(m.source, m.target) for m in SHORTLIST.moves}
    for source, target in product(SHORTLIST_STATES, SHORTLIST_STATES):
        if (source, target) not in allowed:
            entry = _force(session, entry, source)
            for actor in (world.sam, world.alice):
                with pytest.raises(InvalidTransition):
                    placements.transition_entry(
                        session=session, actor=actor, entry_id=entry.id, to=target
                    )


def test_it_hides_entries_from_other_members_and_institutions(session, world) -> None:
    req = make_request(session, world, "approved")
    entry = shortlisted(session, world, req, "contacted")
    for actor in (world.bob, world.carol, world.dave):
        with pytest.raises(NotFound):
            placements.transition_entry(
                session=session, actor=actor, entry_id=entry.id, to="interested"
            )


def test_it_contacts_only_members_who_consented_with_a_token_link(session, world) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    bob_entry = entry_of(session, req, world.bob_profile.id)
    set_consents(
        session=session, actor=world.bob, member_id=world.bob_profile.id, choices={"contact": False}
    )
    with pytest.raises(InvalidTransition, match="consented"):
        placements.transition_entry(
            session=session, actor=world.sam, entry_id=bob_entry.id, to="contacted"
        )
    entry = shortlisted(session, world, req, "contacted")
    assert entry.contact_token_hash is None  # minted only when the message is delivered
    (stored,) = session.exec(
        select(OutboxMessage.body).where(OutboxMessage.kind == "shortlist.contacted")
    ).all()
    assert "token={{secret}}" in stored
    (mail,) = deliver_mail(session, "shortlist.contacted")
    body = mail.body
    session.refresh(entry)
    assert entry.contact_token_hash and mail.token() not in stored
    assert (
        "Infection control trainer" in body
        and "answer=interested" in body
        and "answer=declined" in body
    )
    token = body.split("token=")[1].split("&")[0]
    assert placements.entry_by_token(session=session, actor=world.alice, token=token).id == entry.id
    with pytest.raises(NotFound):
        placements.entry_by_token(session=session, actor=world.bob, token=token)
    with pytest.raises(NotFound):
        placements.entry_by_token(session=session, actor=world.alice, token="forged")
    assert _outbox(session, "shortlist.shortlisted") == ["alice@example.org"]


def test_it_does_not_contact_about_a_request_that_is_not_open(session, world) -> None:
    req = make_request(session, world, "submitted")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    entry = entry_of(session, req, world.alice_profile.id)
    with pytest.raises(InvalidTransition, match="open"):
        placements.transition_entry(
            session=session, actor=world.sam, entry_id=entry.id, to="contacted"
        )


# --- opportunities -------------------------------------------------------------------------


def test_it_ranks_open_requests_for_a_member_with_hard_constraints(session, world) -> None:
    fits = make_request(session, world, "approved", title="Fits")
    make_request(session, world, "approved", title="Needs French", languages="en, fr")
    make_request(session, world, "submitted", title="Not open yet")
    make_request(
        session,
        world,
        "approved",
        title="Agronomy",
        description="Soil surveys.",
        skills_essential="crop production",
        skills_desirable="soil science",
    )  # nothing in common with alice: not listed (and the page must not fail on it)
    titles = [
        o.request.title for o in placements.opportunities_for(session=session, actor=world.alice)
    ]
    assert titles == ["Fits"]
    opp = placements.get_opportunity(session=session, actor=world.alice, request_id=fits.id)
    assert opp.institution == "Ministry of Health" and opp.score > 0
    with pytest.raises(Forbidden):
        placements.opportunities_for(session=session, actor=world.carol)


def test_it_records_a_members_answer_creating_the_entry(session, world) -> None:
    req = make_request(session, world, "approved")
    entry = placements.respond(
        session=session, actor=world.alice, request_id=req.id, answer="interested"
    )
    assert entry.status == "interested" and entry.member_id == world.alice_profile.id
    assert _outbox(session, "shortlist.interested") == ["sam@example.org"]
    entry = placements.respond(
        session=session, actor=world.alice, request_id=req.id, answer="declined"
    )
    assert entry.status == "declined"
    with pytest.raises(ValidationFailed):
        placements.respond(session=session, actor=world.alice, request_id=req.id, answer="maybe")
    members.update_profile(
        session=session,
        actor=world.bob,
        member_id=world.bob_profile.id,
        data={"modes": ["permanent"]},
    )
    with pytest.raises(NotFound):
        placements.respond(session=session, actor=world.bob, request_id=req.id, answer="interested")


def test_it_suggests_skills_from_the_taxonomy(session, world) -> None:
    from diaspora.taxonomy.models import SkillConcept

    for i, label in enumerate(["infection control", "nursing care", "control of infection"]):
        session.add(SkillConcept(id=f"s{i}", preferred_label=label))
    session.commit()
    found = placements.suggest_skills(session=session, actor=world.carol, q=" inf ")
    assert found == ["infection control", "control of infection"]
    assert placements.suggest_skills(session=session, actor=world.carol, q="i") == []


def test_programme_modes_are_checked_against_the_requests_programme(session, world) -> None:
    virtual_only = make_programme(session, "VIRT", allowed_modes=["virtual"])
    with pytest.raises(ValidationFailed) as exc:
        placements.create_request(
            session=session,
            actor=world.carol,
            data=request_data(world, programme_id=virtual_only.id),
        )
    assert "VIRT allows only virtual" in exc.value.errors["mode"]
    req = placements.create_request(
        session=session,
        actor=world.carol,
        data=request_data(world, programme_id=None, programme="VIRT", mode="virtual"),
    )
    assert req.programme_id == virtual_only.id
    assert session.exec(select(func.count()).select_from(ShortlistEntry)).one() == 0
