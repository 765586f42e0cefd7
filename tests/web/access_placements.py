"""Access rules for placement requests, shortlists, opportunities, assignments and reports.

Records belong to institution A (carol) and to alice, so dave and bob must get 404.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from diaspora.members import service as members
from tests.factories import deliver_mail
from tests.placement_factories import make_assignment, make_request, shortlisted
from tests.web.access import (
    Rule,
    add,
    alices_record,
    institution_a_record,
    institution_only,
    members_only,
    outcomes,
    signed_in,
    staff_only,
)


def own_institution_route() -> dict[str, str]:
    """An institution page about institution A's record: carol only, dave 404, others 403."""
    return outcomes("deny", anonymous="login", carol="ok", dave="hide")


def own_member_route() -> dict[str, str]:
    """A member page about alice's record: alice only, bob 404, others 403."""
    return outcomes("deny", anonymous="login", alice="ok", bob="hide")


def assignment_parties() -> dict[str, str]:
    """An assignment of alice at institution A: alice, carol and staff see it."""
    return outcomes("hide", anonymous="login", alice="ok", carol="ok", sam="ok", ada="ok")


def institution_and_staff() -> dict[str, str]:
    return outcomes("deny", anonymous="login", carol="ok", dave="ok", sam="ok", ada="ok")


# --- setups: stash ids on the world --------------------------------------------------------


def draft(w: Any, s: Session) -> None:
    w.req = make_request(s, w, "draft")


def submitted(w: Any, s: Session) -> None:
    w.req = make_request(s, w, "submitted")


def open_request(w: Any, s: Session, status: str = "shortlisted") -> None:
    w.req = make_request(s, w, "approved")
    w.entry = shortlisted(s, w, w.req, status)


def open_bob_misfits(w: Any, s: Session, status: str = "shortlisted") -> None:
    """An open request alice fits and bob does not (he only offers permanent placements)."""
    members.update_profile(
        session=s, actor=w.bob, member_id=w.bob_profile.id, data={"modes": ["permanent"]}
    )
    open_request(w, s, status)


def contacted(w: Any, s: Session) -> None:
    open_bob_misfits(w, s, "contacted")
    (mail,) = deliver_mail(s, "shortlist.contacted")
    w.token = mail.token()


def assignment(status: str):  # noqa: ANN201
    def setup(w: Any, s: Session) -> None:
        w.assignment = make_assignment(s, w, status)

    return setup


REQ = lambda w: {"request_id": w.req.id}  # noqa: E731
ENTRY = lambda w: {"entry_id": w.entry.id}  # noqa: E731
ASSIGNMENT = lambda w: {"assignment_id": w.assignment.id}  # noqa: E731

# --- pages ---------------------------------------------------------------------------------
add(
    Rule("GET", "/institution/requests", institution_only()),
    Rule("GET", "/institution/requests/new", institution_only()),
    Rule("POST", "/institution/requests/new", institution_only(), form=lambda w: {"title": ""}),
    Rule(
        "GET",
        "/institution/requests/{request_id}",
        own_institution_route(),
        params=REQ,
        setup=draft,
    ),
    Rule(
        "GET",
        "/institution/requests/{request_id}/edit",
        own_institution_route(),
        params=REQ,
        setup=draft,
    ),
    Rule(
        "POST",
        "/institution/requests/{request_id}/edit",
        own_institution_route(),
        params=REQ,
        setup=draft,
        form=lambda w: {"title": "", "version": "1"},
    ),
    Rule(
        "POST",
        "/institution/requests/{request_id}/transition",
        own_institution_route(),
        params=REQ,
        setup=draft,
        form=lambda w: {"to": "submitted", "version": "1"},
    ),
    Rule(
        "POST",
        "/institution/requests/{request_id}/propose",
        own_institution_route(),
        params=REQ,
        setup=open_request,
        form=lambda w: {"entry_id": str(w.entry.id)},
    ),
    Rule("GET", "/staff/requests", staff_only()),
    Rule("GET", "/staff/requests/{request_id}", staff_only(), params=REQ, setup=submitted),
    Rule(
        "POST",
        "/staff/requests/{request_id}/transition",
        staff_only(),
        params=REQ,
        setup=submitted,
        form=lambda w: {"to": "approved", "version": str(w.req.version)},
    ),
    Rule(
        "GET",
        "/staff/requests/{request_id}/shortlist",
        staff_only(),
        params=REQ,
        setup=open_request,
    ),
    Rule(
        "POST",
        "/staff/requests/{request_id}/shortlist/run",
        staff_only(),
        params=REQ,
        setup=submitted,
    ),
    Rule(
        "POST",
        "/staff/shortlist/{entry_id}/transition",
        staff_only(),
        params=ENTRY,
        setup=open_request,
        form=lambda w: {"to": "dismissed", "version": str(w.entry.version)},
    ),
    Rule(
        "POST",
        "/staff/shortlist/{entry_id}/propose",
        staff_only(),
        params=ENTRY,
        setup=open_request,
    ),
    Rule("GET", "/skills/suggest", signed_in()),
    Rule("GET", "/opportunities", members_only()),
    # Without a valid token the link page is a 404 even for members (tested with one elsewhere).
    Rule(
        "GET",
        "/opportunities/respond",
        outcomes("deny", anonymous="login", alice="hide", bob="hide"),
    ),
    Rule(
        "POST",
        "/opportunities/respond",
        own_member_route(),
        setup=contacted,
        form=lambda w: {"token": w.token, "answer": "interested"},
    ),
    Rule(
        "GET", "/opportunities/{request_id}", own_member_route(), params=REQ, setup=open_bob_misfits
    ),
    Rule(
        "POST",
        "/opportunities/{request_id}/respond",
        own_member_route(),
        params=REQ,
        setup=open_bob_misfits,
        form=lambda w: {"answer": "interested"},
    ),
    Rule("GET", "/my/assignments", members_only()),
    Rule(
        "GET",
        "/my/assignments/{assignment_id}",
        own_member_route(),
        params=ASSIGNMENT,
        setup=assignment("approved"),
    ),
    Rule(
        "POST",
        "/my/assignments/{assignment_id}/transition",
        own_member_route(),
        params=ASSIGNMENT,
        setup=assignment("approved"),
        form=lambda w: {"to": "accepted", "version": str(w.assignment.version)},
    ),
    Rule(
        "POST",
        "/my/assignments/{assignment_id}/evaluation",
        own_member_route(),
        params=ASSIGNMENT,
        setup=assignment("completed"),
        form=lambda w: {"party": "member", "rating": "4", "version": str(w.assignment.version)},
    ),
    Rule("GET", "/institution/assignments", institution_only()),
    Rule(
        "GET",
        "/institution/assignments/{assignment_id}",
        own_institution_route(),
        params=ASSIGNMENT,
        setup=assignment("approved"),
    ),
    Rule(
        "POST",
        "/institution/assignments/{assignment_id}/evaluation",
        own_institution_route(),
        params=ASSIGNMENT,
        setup=assignment("completed"),
        form=lambda w: {"party": "host", "rating": "5", "version": str(w.assignment.version)},
    ),
    Rule("GET", "/staff/assignments", staff_only()),
    Rule(
        "GET",
        "/staff/assignments/{assignment_id}",
        staff_only(),
        params=ASSIGNMENT,
        setup=assignment("proposed"),
    ),
    Rule(
        "POST",
        "/staff/assignments/{assignment_id}/edit",
        staff_only(),
        params=ASSIGNMENT,
        setup=assignment("proposed"),
        form=lambda w: {"allowance": "EUR 900", "version": "1"},
    ),
    Rule(
        "POST",
        "/staff/assignments/{assignment_id}/transition",
        staff_only(),
        params=ASSIGNMENT,
        setup=assignment("proposed"),
        form=lambda w: {"to": "approved", "version": "1"},
    ),
    Rule(
        "POST",
        "/staff/assignments/{assignment_id}/evaluation",
        staff_only(),
        params=ASSIGNMENT,
        setup=assignment("completed"),
        form=lambda w: {"party": "host", "rating": "3"},
    ),
    Rule("GET", "/reports", staff_only()),
    Rule("GET", "/reports/programme.csv", staff_only()),
    Rule("GET", "/reports/programme.xlsx", staff_only()),
)

# --- API -----------------------------------------------------------------------------------
add(
    Rule("GET", "/api/v1/requests", institution_and_staff()),
    Rule("POST", "/api/v1/requests", institution_and_staff(), body=lambda w: {"title": ""}),
    Rule("GET", "/api/v1/requests/{request_id}", institution_a_record(), params=REQ, setup=draft),
    Rule(
        "PATCH",
        "/api/v1/requests/{request_id}",
        institution_a_record(),
        params=REQ,
        setup=draft,
        body=lambda w: {"title": "Infection control trainer (2)", "version": 1},
    ),
    Rule(
        "POST",
        "/api/v1/requests/{request_id}/transitions",
        institution_a_record(),
        params=REQ,
        setup=draft,
        body=lambda w: {"to": "submitted", "version": 1},
    ),
    Rule(
        "GET",
        "/api/v1/requests/{request_id}/shortlist",
        institution_a_record(),
        params=REQ,
        setup=open_request,
    ),
    Rule(
        "POST",
        "/api/v1/requests/{request_id}/shortlist/run",
        staff_only(),
        params=REQ,
        setup=submitted,
    ),
    Rule(
        "POST",
        "/api/v1/shortlist/{entry_id}/transitions",
        alices_record(),
        params=ENTRY,
        setup=open_request,
        body=lambda w: {"to": "interested", "version": w.entry.version},
    ),
    Rule("GET", "/api/v1/me/opportunities", members_only()),
    Rule(
        "POST",
        "/api/v1/me/opportunities/{request_id}/answer",
        own_member_route(),
        params=REQ,
        setup=open_bob_misfits,
        body=lambda w: {"answer": "declined"},
    ),
    Rule("GET", "/api/v1/skills", signed_in()),
    Rule("GET", "/api/v1/assignments", signed_in()),
    Rule(
        "POST",
        "/api/v1/assignments",
        outcomes("deny", anonymous="login", carol="ok", dave="hide", sam="ok", ada="ok"),
        setup=open_request,
        body=lambda w: {"entry_id": w.entry.id},
    ),
    Rule(
        "GET",
        "/api/v1/assignments/{assignment_id}",
        assignment_parties(),
        params=ASSIGNMENT,
        setup=assignment("approved"),
    ),
    Rule(
        "PATCH",
        "/api/v1/assignments/{assignment_id}",
        outcomes("hide", anonymous="login", alice="deny", carol="deny", sam="ok", ada="ok"),
        params=ASSIGNMENT,
        setup=assignment("proposed"),
        body=lambda w: {"allowance": "EUR 900", "version": 1},
    ),
    Rule(
        "POST",
        "/api/v1/assignments/{assignment_id}/transitions",
        assignment_parties(),
        params=ASSIGNMENT,
        setup=assignment("approved"),
        body=lambda w: {"to": "accepted", "version": 2},
    ),
    Rule(
        "POST",
        "/api/v1/assignments/{assignment_id}/evaluations",
        assignment_parties(),
        params=ASSIGNMENT,
        setup=assignment("completed"),
        body=lambda w: {"party": "host", "rating": 4, "version": w.assignment.version},
    ),
    Rule("GET", "/api/v1/reports/programme", staff_only()),
)
