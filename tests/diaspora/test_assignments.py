"""Assignments: proposing, the state machine entry by entry, details and outcome, evaluations,
identity release to the host institution, notifications and the programme report."""

from __future__ import annotations

import threading
import time
from itertools import product

import pytest
from sqlmodel import Session, select

from diaspora import reports
from diaspora.assignments import service as assignments
from diaspora.assignments.models import Assignment
from diaspora.audit.models import AuditEvent
from diaspora.consent.service import set_consents
from diaspora.db import new_session
from diaspora.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from diaspora.members import service as members
from diaspora.members.pseudonyms import for_request
from diaspora.outbox.models import OutboxMessage
from diaspora.placements import service as placements
from diaspora.placements.models import PlacementRequest
from diaspora.placements.states import ASSIGNMENT_STATES, ASSIGNMENTS, claim
from tests.factories import build_world, make_member, make_programme
from tests.placement_factories import (
    entry_of,
    file_engine,  # noqa: F401 (fixture)
    make_assignment,
    make_request,
    shortlisted,
)


def _force(session: Session, a: Assignment, status: str) -> Assignment:
    a.status = status
    session.add(a)
    session.commit()
    session.refresh(a)
    return a


def _messages(session: Session, kind: str) -> list[str]:
    return sorted(
        m.to_address
        for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    )


# --- proposing -----------------------------------------------------------------------------


def test_it_proposes_a_shortlisted_member_with_the_requests_dates(session, world) -> None:
    a = make_assignment(session, world, "proposed", duration_weeks=4)
    assert (a.status, a.member_id, a.institution_id) == (
        "proposed",
        world.alice_profile.id,
        world.inst_a.id,
    )
    assert str(a.start_date) == "2027-03-01" and str(a.end_date) == "2027-03-29"
    assert a.mode == "temporary" and a.programme_id == world.programme.id
    assert _messages(session, "assignment.proposed") == [
        "alice@example.org",
        "carol@example.org",
        "sam@example.org",
    ]


def test_it_proposes_only_curated_members_on_open_requests(session, world) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    suggested = entry_of(session, req, world.bob_profile.id)
    with pytest.raises(InvalidTransition, match="shortlisted"):
        assignments.propose(session=session, actor=world.sam, entry_id=suggested.id)
    entry = shortlisted(session, world, req, "shortlisted")
    assignments.propose(session=session, actor=world.sam, entry_id=entry.id)
    with pytest.raises(Conflict, match="already has an active assignment"):
        assignments.propose(session=session, actor=world.sam, entry_id=entry.id)
    placements.transition_request(
        session=session, actor=world.sam, request_id=req.id, to="closed", reason="done"
    )
    with pytest.raises(InvalidTransition, match="open requests"):
        assignments.propose(session=session, actor=world.sam, entry_id=entry.id)


def test_it_lets_the_institution_propose_from_its_own_curated_shortlist(session, world) -> None:
    req = make_request(session, world, "approved")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    suggested = entry_of(session, req, world.bob_profile.id)
    with pytest.raises(NotFound):  # not curated: the institution does not even see it
        assignments.propose(session=session, actor=world.carol, entry_id=suggested.id)
    entry = shortlisted(session, world, req, "shortlisted")
    with pytest.raises(NotFound):
        assignments.propose(session=session, actor=world.dave, entry_id=entry.id)
    with pytest.raises(Forbidden):
        assignments.propose(session=session, actor=world.alice, entry_id=entry.id)
    a = assignments.propose(session=session, actor=world.carol, entry_id=entry.id)
    assert a.created_by == world.carol.id and a.status == "proposed"


def test_it_refuses_a_mode_the_programme_does_not_allow(session, world) -> None:
    world.programme.allowed_modes = ["temporary"]
    session.add(world.programme)
    session.commit()
    req = make_request(session, world, "approved")
    entry = shortlisted(session, world, req, "interested")
    with pytest.raises(ValidationFailed) as exc:
        assignments.propose(
            session=session, actor=world.sam, entry_id=entry.id, data={"mode": "virtual"}
        )
    assert "mode" in exc.value.errors
    assert session.exec(select(Assignment)).all() == []


# --- the assignment state machine ----------------------------------------------------------


@pytest.mark.parametrize("move", ASSIGNMENTS.moves, ids=lambda m: f"{m.source}->{m.target}")
def test_it_applies_each_assignment_move_for_its_roles_only(session, world, move) -> None:
    a = make_assignment(session, world, "proposed", positions=3)
    for role, actor in (
        ("staff", world.sam),
        ("member", world.alice),
        ("institution", world.carol),
    ):
        a = _force(session, a, move.source)
        before = a.version
        data = {"outcome_activities": "Trained staff"} if move.target == "completed" else None
        if role in move.roles:
            out = assignments.transition_assignment(
                session=session,
                actor=actor,
                assignment_id=a.id,
                to=move.target,
                reason="r",
                expected_version=before,
                data=data,
            )
            assert (out.status, out.version) == (move.target, before + 1)
        else:
            with pytest.raises(InvalidTransition, match="Only"):
                assignments.transition_assignment(
                    session=session,
                    actor=actor,
                    assignment_id=a.id,
                    to=move.target,
                    reason="r",
                    data=data,
                )
            session.refresh(a)
            assert (a.status, a.version) == (move.source, before)


def test_it_refuses_every_assignment_move_not_in_the_table(session, world) -> None:
    a = make_assignment(session, world, "proposed")
    allowed = {(m.source, m.target) for m in ASSIGNMENTS.moves}
    for source, target in product(ASSIGNMENT_STATES, ASSIGNMENT_STATES):
        if (source, target) not in allowed:
            a = _force(session, a, source)
            for actor in (world.sam, world.alice, world.carol):
                with pytest.raises(InvalidTransition):
                    assignments.transition_assignment(
                        session=session, actor=actor, assignment_id=a.id, to=target, reason="r"
                    )


def test_it_requires_reasons_and_an_outcome_report(session, world) -> None:
    a = make_assignment(session, world, "approved")
    with pytest.raises(ValidationFailed) as exc:
        assignments.transition_assignment(
            session=session, actor=world.alice, assignment_id=a.id, to="declined"
        )
    assert "reason" in exc.value.errors
    a = make_assignment(session, world, "in_progress")
    with pytest.raises(ValidationFailed) as exc:
        assignments.transition_assignment(
            session=session, actor=world.sam, assignment_id=a.id, to="completed"
        )
    assert "outcome_activities" in exc.value.errors
    session.refresh(a)
    assert a.status == "in_progress"
    a = assignments.transition_assignment(
        session=session,
        actor=world.sam,
        assignment_id=a.id,
        to="completed",
        data={
            "outcome_activities": "Workshops",
            "people_trained": "35",
            "deliverables": "Handbook",
        },
    )
    assert (a.status, a.people_trained, a.deliverables) == ("completed", 35, "Handbook")
    assert a.completed_at is not None


def test_it_refuses_acceptance_when_every_position_is_taken(session, world) -> None:
    first = make_assignment(session, world, "accepted", positions=1)
    req = session.get(PlacementRequest, first.request_id)
    _, carl = make_member(session, "carl@example.org")
    placements.run_matching(session=session, actor=world.sam, request_id=req.id)
    entry = entry_of(session, req, carl.id)
    placements.transition_entry(
        session=session, actor=world.sam, entry_id=entry.id, to="shortlisted"
    )
    second = assignments.propose(session=session, actor=world.sam, entry_id=entry.id)
    second = assignments.transition_assignment(
        session=session, actor=world.sam, assignment_id=second.id, to="approved"
    )
    carl_user = members.get(session=session, actor=world.sam, member_id=carl.id)
    from diaspora.accounts.models import User

    carl_account = session.get(User, carl_user.user_id)
    assert "accepted" not in [
        m.target for m in assignments.assignment_moves(session, second, carl_account)
    ]
    with pytest.raises(InvalidTransition, match="All positions"):
        assignments.transition_assignment(
            session=session, actor=carl_account, assignment_id=second.id, to="accepted"
        )


def test_it_gives_the_last_position_to_one_of_two_members_accepting_at_once(file_engine) -> None:  # noqa: F811
    from diaspora.accounts.models import User

    with new_session(file_engine) as setup:
        world = build_world(setup)
        first = make_assignment(setup, world, "approved", positions=1)
        req = setup.get(PlacementRequest, first.request_id)
        carl_user, carl = make_member(setup, "carl@example.org")
        placements.run_matching(session=setup, actor=world.sam, request_id=req.id)
        entry = entry_of(setup, req, carl.id)
        placements.transition_entry(
            session=setup, actor=world.sam, entry_id=entry.id, to="shortlisted"
        )
        second = assignments.propose(session=setup, actor=world.sam, entry_id=entry.id)
        second = assignments.transition_assignment(
            session=setup, actor=world.sam, assignment_id=second.id, to="approved"
        )
        ids = (first.id, first.version, second.id, second.version)
    a = new_session(file_engine)
    # Alice's acceptance is under way: her row is claimed and the request row locked.
    claim(a, Assignment, ids[0], ids[1], "assignment")
    assert assignments._position_still_free(a, req.id)
    outcome: dict[str, str] = {}

    def carl_accepts() -> None:
        with new_session(file_engine) as b:
            try:
                assignments.transition_assignment(
                    session=b,
                    actor=b.get(User, carl_user.id),
                    assignment_id=ids[2],
                    to="accepted",
                    expected_version=ids[3],
                )
                outcome["carl"] = "accepted"
            except InvalidTransition as exc:
                outcome["carl"] = exc.message

    thread = threading.Thread(target=carl_accepts)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second acceptance must wait for the first"
    row = a.get(Assignment, ids[0])
    row.status = "accepted"
    a.add(row)
    a.commit()
    a.close()
    thread.join(timeout=15)
    assert outcome["carl"].startswith("All positions")
    with new_session(file_engine) as check:
        carls = check.get(Assignment, ids[2])
        assert (carls.status, carls.version) == ("approved", ids[3])


def test_it_refuses_a_stale_assignment_version(session, world) -> None:
    a = make_assignment(session, world, "proposed")
    with pytest.raises(Conflict):
        assignments.update_assignment(
            session=session,
            actor=world.sam,
            assignment_id=a.id,
            data={"allowance": "x"},
            expected_version=99,
        )
    with pytest.raises(Conflict):
        assignments.transition_assignment(
            session=session, actor=world.sam, assignment_id=a.id, to="approved", expected_version=99
        )
    session.refresh(a)
    assert (a.status, a.allowance, a.version) == ("proposed", "", 1)


def test_it_records_details_and_checks_them(session, world) -> None:
    a = make_assignment(session, world, "approved")
    with pytest.raises(ValidationFailed) as exc:
        assignments.update_assignment(
            session=session,
            actor=world.sam,
            assignment_id=a.id,
            data={"end_date": "2020-01-01", "virtual_hours": "-3"},
        )
    assert set(exc.value.errors) == {"end_date", "virtual_hours"}
    a = assignments.update_assignment(
        session=session,
        actor=world.sam,
        assignment_id=a.id,
        data={
            "host_supervisor": "Dr. K. Owusu",
            "allowance": "EUR 1,200 per month",
            "travel_details": "KLM AMS-ACC 1 March",
            "virtual_hours": "12",
            "mode": "virtual",  # the mode is fixed once approved
        },
        expected_version=a.version,
    )
    assert (a.host_supervisor, a.virtual_hours, a.mode) == ("Dr. K. Owusu", 12, "temporary")
    for actor in (world.alice, world.carol):
        with pytest.raises(Forbidden):
            assignments.update_assignment(
                session=session, actor=actor, assignment_id=a.id, data={"allowance": "0"}
            )
    cancelled = make_assignment(session, world, "cancelled")
    with pytest.raises(InvalidTransition):
        assignments.update_assignment(
            session=session, actor=world.sam, assignment_id=cancelled.id, data={"allowance": "0"}
        )


def test_it_scopes_assignments_to_their_parties(session, world) -> None:
    a = make_assignment(session, world, "approved")
    for actor in (world.bob, world.dave):
        with pytest.raises(NotFound):
            assignments.get_assignment(session=session, actor=actor, assignment_id=a.id)
        assert assignments.get_all_assignments(session=session, actor=actor) == []
    for actor in (world.alice, world.carol, world.sam):
        assert [x.id for x in assignments.get_all_assignments(session=session, actor=actor)] == [
            a.id
        ]


def test_it_allows_several_assignments_of_one_member_over_time(session, world) -> None:
    first = make_assignment(session, world, "completed")
    second = make_assignment(session, world, "accepted", title="Second visit")
    mine = assignments.get_all_assignments(session=session, actor=world.alice)
    assert {x.id for x in mine} == {first.id, second.id}


# --- evaluations ---------------------------------------------------------------------------


def test_it_takes_evaluations_from_the_right_party_once_completed(session, world) -> None:
    running = make_assignment(session, world, "in_progress")
    with pytest.raises(InvalidTransition, match="completed"):
        assignments.evaluate(
            session=session,
            actor=world.carol,
            assignment_id=running.id,
            party_name="host",
            rating=4,
        )
    a = make_assignment(session, world, "completed", title="Done")
    with pytest.raises(InvalidTransition):
        assignments.evaluate(
            session=session, actor=world.carol, assignment_id=a.id, party_name="member", rating=4
        )
    with pytest.raises(InvalidTransition):
        assignments.evaluate(
            session=session, actor=world.alice, assignment_id=a.id, party_name="host", rating=4
        )
    with pytest.raises(NotFound):
        assignments.evaluate(
            session=session, actor=world.dave, assignment_id=a.id, party_name="host", rating=4
        )
    for bad in (0, 6, "five", True):
        with pytest.raises(ValidationFailed) as exc:
            assignments.evaluate(
                session=session,
                actor=world.carol,
                assignment_id=a.id,
                party_name="host",
                rating=bad,
            )
        assert "rating" in exc.value.errors
    a = assignments.evaluate(
        session=session,
        actor=world.carol,
        assignment_id=a.id,
        party_name="host",
        rating=5,
        text="Excellent",
    )
    a = assignments.evaluate(
        session=session,
        actor=world.alice,
        assignment_id=a.id,
        party_name="member",
        rating="4",
        text="Well organised",
        report="Trained 20 nurses in infection control.",
        expected_version=a.version,
    )
    assert (a.host_rating, a.host_evaluation, a.member_rating) == (5, "Excellent", 4)
    assert a.member_report.startswith("Trained 20")
    actions = session.exec(
        select(AuditEvent.action).where(
            AuditEvent.entity == "assignment", AuditEvent.entity_id == str(a.id)
        )
    ).all()
    assert {"assignment.evaluation_host", "assignment.evaluation_member"} <= set(actions)


# --- identity release ----------------------------------------------------------------------


def _releases(session: Session) -> int:
    return len(
        session.exec(select(AuditEvent).where(AuditEvent.action == "member.identity_release")).all()
    )


def test_it_releases_identity_only_after_approval_and_with_consent(session, world) -> None:
    a = make_assignment(session, world, "proposed")
    get = lambda actor: assignments.member_identity(  # noqa: E731
        session=session, actor=actor, assignment_id=a.id
    )
    assert get(world.carol) is None  # proposed
    a = assignments.transition_assignment(
        session=session, actor=world.sam, assignment_id=a.id, to="approved"
    )
    assert get(world.carol) is None  # approved, but no consent to share
    assert _releases(session) == 0
    set_consents(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        choices={"share_with_institution": True},
    )
    ident = get(world.carol)
    assert ident is not None and ident.first_name == "Alice" and ident.email == "alice@example.org"
    assert _releases(session) == 1
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "member.identity_release")
    ).one()
    assert (event.actor_id, event.entity_id, event.details["assignment_id"]) == (
        world.carol.id,
        str(world.alice_profile.id),
        a.id,
    )
    assert "Alice" not in str(event.details)
    get(world.carol)
    assert _releases(session) == 2  # every view is audited
    with pytest.raises(NotFound):
        get(world.dave)
    set_consents(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        choices={"share_with_institution": False},
    )
    assert get(world.carol) is None  # consent withdrawn
    set_consents(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        choices={"share_with_institution": True},
    )
    assignments.transition_assignment(
        session=session, actor=world.sam, assignment_id=a.id, to="cancelled", reason="x"
    )
    assert get(world.carol) is None  # cancelled
    assert get(world.sam) is not None  # staff always, audited as a view
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "member.identity_view")
    ).first()


def test_it_never_releases_an_erased_members_identity(session, world) -> None:
    set_consents(
        session=session,
        actor=world.alice,
        member_id=world.alice_profile.id,
        choices={"share_with_institution": True},
    )
    a = make_assignment(session, world, "accepted")
    assert (
        assignments.member_identity(session=session, actor=world.carol, assignment_id=a.id)
        is not None
    )
    members.erase(session=session, actor=world.alice, member_id=world.alice_profile.id)
    assert (
        assignments.member_identity(session=session, actor=world.carol, assignment_id=a.id) is None
    )
    assert session.get(Assignment, a.id).status == "accepted"  # erasure keeps assignment facts


# --- notifications -------------------------------------------------------------------------


def test_it_notifies_the_parties_of_each_assignment_move(session, world) -> None:
    first = make_assignment(session, world, "completed")
    assert _messages(session, "assignment.approved") == ["alice@example.org", "carol@example.org"]
    assert _messages(session, "assignment.accepted") == [
        "alice@example.org",
        "carol@example.org",
        "sam@example.org",
    ]
    assert _messages(session, "assignment.completed") == ["alice@example.org", "carol@example.org"]
    assert _messages(session, "evaluation.due") == ["alice@example.org", "carol@example.org"]
    a = make_assignment(session, world, "approved", title="Other")
    assignments.transition_assignment(
        session=session,
        actor=world.alice,
        assignment_id=a.id,
        to="declined",
        reason="Not free then",
    )
    assert _messages(session, "assignment.declined") == ["carol@example.org", "sam@example.org"]
    to_carol = session.exec(
        select(OutboxMessage.body).where(
            OutboxMessage.kind == "assignment.accepted",
            OutboxMessage.to_address == "carol@example.org",
        )
    ).one()
    # The host is told the request's pseudonym, not the member's stable one (issue 11).
    per_request = for_request(world.alice_profile.id, first.request_id)
    assert per_request in to_carol and "Alice" not in to_carol
    assert world.alice_profile.pseudonym not in to_carol
    to_sam = session.exec(
        select(OutboxMessage.body).where(
            OutboxMessage.kind == "assignment.accepted",
            OutboxMessage.to_address == "sam@example.org",
        )
    ).one()
    assert world.alice_profile.pseudonym in to_sam
    assert "dave@example.org" not in _messages(session, "assignment.approved")


# --- the programme report ------------------------------------------------------------------


def test_it_reports_figures_from_the_data(session, world) -> None:
    make_assignment(session, world, "completed")  # alice, temporary, NL, 20 trained
    make_assignment(session, world, "accepted", title="Second")  # alice again
    make_assignment(session, world, "cancelled", title="Third")
    make_request(session, world, "submitted", title="Waiting")
    done = session.exec(select(Assignment).where(Assignment.status == "completed")).one()
    assignments.evaluate(
        session=session, actor=world.carol, assignment_id=done.id, party_name="host", rating=5
    )
    assignments.evaluate(
        session=session, actor=world.alice, assignment_id=done.id, party_name="member", rating=4
    )
    other = make_programme(session, "TRQN")
    report = reports.programme_report(session=session, actor=world.sam)
    assert report.members_placed == 1  # one person, placed twice
    assert report.members_placed_by_mode == {"temporary": 1, "permanent": 0, "virtual": 0}
    assert (report.assignments, report.completed, report.people_trained) == (3, 1, 20)
    assert (report.host_rating_avg, report.member_rating_avg) == (5.0, 4.0)
    assert report.table("requests_by_status").rows == [["submitted", 1, 1], ["approved", 3, 3]]
    assert report.table("assignments_by_mode_status").rows == [
        ["temporary", "accepted", 1],
        ["temporary", "completed", 1],
        ["temporary", "cancelled", 1],
    ]
    assert report.table("assignments_by_residence").rows == [["NL", 3, 1, 20]]
    assert report.table("assignments_by_institution").rows == [["Ministry of Health", 3, 1, 20]]
    assert report.table("assignments_by_sector").rows == [["health", 3, 1, 20]]
    assert report.table("assignments_by_programme").rows == [["MIDA-GH", 3, 1, 20]]
    empty = reports.programme_report(session=session, actor=world.sam, programme_code=other.code)
    assert (empty.assignments, empty.members_placed, empty.host_rating_avg) == (0, 0, None)
    with pytest.raises(NotFound):
        reports.programme_report(session=session, actor=world.sam, programme_code="NOPE")
    with pytest.raises(Forbidden):
        reports.programme_report(session=session, actor=world.carol)
    csv = reports.report_csv(report).decode("utf-8-sig")
    assert (
        "members on temporary assignment,1" in csv and "assignments_by_residence,NL,3,1,20" in csv
    )
    assert reports.report_xlsx(report)[:2] == b"PK"
