"""Assignments: proposing a shortlisted member, approval, acceptance, the placement itself,
its outcome report and the two evaluations; and when an institution may learn who it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from diaspora.accounts.models import Role, User
from diaspora.accounts.permissions import is_staff, require
from diaspora.assignments.models import Assignment, AssignmentStatus
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.consent.service import has_active_consent
from diaspora.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from diaspora.institutions.models import Programme
from diaspora.members.models import MemberIdentity, MemberProfile
from diaspora.members.pseudonyms import for_request, shown_to
from diaspora.placements import notify
from diaspora.placements.models import PlacementRequest, RequestStatus, ShortlistEntry
from diaspora.placements.service import positions_taken
from diaspora.placements.states import (
    ACTIVE_ASSIGNMENT,
    ASSIGNMENTS,
    INSTITUTION,
    MEMBER,
    PROPOSABLE,
    RELEASED,
    STAFF,
    Move,
    claim,
    party,
    save_changes,
)
from diaspora.vocab import MODES

DETAIL_FIELDS = (
    "start_date",
    "end_date",
    "host_supervisor",
    "allowance",
    "travel_details",
    "virtual_hours",
)
OUTCOME_FIELDS = ("outcome_activities", "people_trained", "deliverables")
EDITABLE = ("mode", *DETAIL_FIELDS, *OUTCOME_FIELDS)
# Details can be corrected until the assignment ends; the outcome only once it has run.
CLOSED = (AssignmentStatus.cancelled, AssignmentStatus.declined)


# --- validation ---------------------------------------------------------------------------


def _date(value: Any, key: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[key] = "expected a date as YYYY-MM-DD"
        return None


def _count(value: Any, key: str, errors: dict[str, str], hi: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[key] = "expected a whole number"
        return None
    if isinstance(value, bool) or not 0 <= number <= hi:
        errors[key] = f"expected a number from 0 to {hi}"
        return None
    return number


def clean_details(
    data: dict[str, Any], current: Assignment | None, programme: Programme | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate the given assignment fields (dates checked against each other after merging)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if "mode" in data:
        mode = str(data["mode"] or "").strip()
        if mode not in MODES:
            errors["mode"] = "expected one of " + ", ".join(MODES)
        elif programme is not None and mode not in programme.allowed_modes:
            errors["mode"] = f"the programme {programme.code} allows only " + ", ".join(
                programme.allowed_modes
            )
        out["mode"] = mode
    for key in ("start_date", "end_date"):
        if key in data:
            out[key] = _date(data[key], key, errors)
    start = out.get("start_date", current.start_date if current else None)
    end = out.get("end_date", current.end_date if current else None)
    if start and end and end < start and "end_date" not in errors:
        errors["end_date"] = "must be on or after the start date"
    for key, limit in (("host_supervisor", 200), ("allowance", 100)):
        if key in data:
            out[key] = " ".join(str(data[key] or "").split())[:limit]
    for key in ("travel_details", "outcome_activities", "deliverables"):
        if key in data:
            out[key] = str(data[key] or "").strip()[:5000]
    if "virtual_hours" in data:
        out["virtual_hours"] = _count(data["virtual_hours"], "virtual_hours", errors, 10000)
    if "people_trained" in data:
        out["people_trained"] = _count(data["people_trained"], "people_trained", errors, 1_000_000)
    return out, errors


# --- reading ------------------------------------------------------------------------------


def _member_of(session: Session, actor: User) -> MemberProfile | None:
    return session.exec(select(MemberProfile).where(MemberProfile.user_id == actor.id)).first()


def get_assignment(*, session: Session, actor: User, assignment_id: int) -> Assignment:
    """The member's own, the institution's own, or any for staff; otherwise NotFound."""
    a = session.get(Assignment, assignment_id)
    if a is None:
        raise NotFound("No such assignment.")
    if is_staff(actor):
        return a
    if actor.role == Role.institution and actor.institution_id == a.institution_id:
        return a
    if actor.role == Role.member:
        profile = _member_of(session, actor)
        if profile is not None and profile.id == a.member_id:
            return a
    raise NotFound("No such assignment.")


def get_all_assignments(
    *,
    session: Session,
    actor: User,
    status: str | None = None,
    programme_id: int | None = None,
    request_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[Assignment]:
    """Scoped list: staff all, an institution its own, a member their own."""
    stmt = select(Assignment)
    if is_staff(actor):
        require(actor, "assignment.manage")
    elif actor.role == Role.institution:
        require(actor, "assignment.institution")
        stmt = stmt.where(Assignment.institution_id == (actor.institution_id or -1))
    else:
        require(actor, "assignment.own")
        profile = _member_of(session, actor)
        stmt = stmt.where(Assignment.member_id == (profile.id if profile else -1))
    if status:
        stmt = stmt.where(Assignment.status == status)
    if programme_id:
        stmt = stmt.where(Assignment.programme_id == programme_id)
    if request_id:
        stmt = stmt.where(Assignment.request_id == request_id)
    stmt = stmt.order_by(col(Assignment.updated_at).desc(), col(Assignment.id).desc())
    return session.exec(stmt.offset(offset).limit(limit)).all()


def assignment_moves(session: Session, a: Assignment, actor: User) -> list[Move]:
    """The transitions `actor` may offer on this assignment now (buttons on the pages)."""
    moves = ASSIGNMENTS.moves_for(a.status, actor)
    if a.status == AssignmentStatus.approved:
        req = session.get(PlacementRequest, a.request_id)
        if req is not None and positions_taken(session, a.request_id) >= req.positions:
            moves = [m for m in moves if m.target != AssignmentStatus.accepted]
    return moves


@dataclass
class AssignmentRow:
    """An assignment with the names a list shows: request title, host, member pseudonym."""

    assignment: Assignment
    title: str
    institution: str
    pseudonym: str


def describe(
    session: Session, items: Sequence[Assignment], actor: User | None = None
) -> list[AssignmentRow]:
    """List rows for assignments the caller already may see (one query per kind of name).

    The pseudonym is the one `actor` may see: per request for institution users (and when
    no actor is given), the stable one for staff and for the member."""
    from diaspora.institutions.models import Institution

    request_ids = {a.request_id for a in items}
    member_ids = {a.member_id for a in items}
    institution_ids = {a.institution_id for a in items}
    titles = dict(
        session.exec(
            select(PlacementRequest.id, PlacementRequest.title).where(
                col(PlacementRequest.id).in_(request_ids or {-1})
            )
        ).all()
    )
    names = dict(
        session.exec(
            select(Institution.id, Institution.name).where(
                col(Institution.id).in_(institution_ids or {-1})
            )
        ).all()
    )
    stable = dict(
        session.exec(
            select(MemberProfile.id, MemberProfile.pseudonym).where(
                col(MemberProfile.id).in_(member_ids or {-1})
            )
        ).all()
    )
    return [
        AssignmentRow(
            assignment=a,
            title=titles.get(a.request_id, ""),
            institution=names.get(a.institution_id, ""),
            pseudonym=shown_to(
                actor,
                stable=stable.get(a.member_id, ""),
                member_id=a.member_id,
                request_id=a.request_id,
            ),
        )
        for a in items
    ]


def request_of(session: Session, a: Assignment) -> PlacementRequest:
    """The request an assignment fills (whoever may see the assignment may see its request)."""
    req = session.get(PlacementRequest, a.request_id)
    if req is None:
        raise NotFound("No such placement request.")
    return req


def capabilities(a: Assignment, actor: User) -> dict[str, bool]:
    """Which forms the actor gets on an assignment page besides its transitions."""
    role = party(actor)
    done = a.status == AssignmentStatus.completed
    return {
        "edit": role == STAFF and a.status not in CLOSED,
        "change_mode": role == STAFF and a.status == AssignmentStatus.proposed,
        "record_outcome": role == STAFF
        and a.status in (AssignmentStatus.in_progress, AssignmentStatus.completed),
        "evaluate_host": done and role in (INSTITUTION, STAFF),
        "evaluate_member": done and role in (MEMBER, STAFF),
    }


def pseudonym_of(session: Session, a: Assignment, actor: User | None = None) -> str:
    """The member's pseudonym as `actor` may see it (see `describe`)."""
    profile = session.get(MemberProfile, a.member_id)
    stable = profile.pseudonym if profile else ""
    return shown_to(actor, stable=stable, member_id=a.member_id, request_id=a.request_id)


def _stable_pseudonym(session: Session, a: Assignment) -> str:
    profile = session.get(MemberProfile, a.member_id)
    return profile.pseudonym if profile else ""


def identity_released(session: Session, a: Assignment) -> bool:
    """Staff approved the placement and the member consents to share identity with the host."""
    return a.status in RELEASED and has_active_consent(
        session=session, member_id=a.member_id, purpose="share_with_institution"
    )


def member_identity(*, session: Session, actor: User, assignment_id: int) -> MemberIdentity | None:
    """Name and contact of the assigned member, for whoever may see them now; each read audited.

    Institution users get them only after release (see `identity_released`), staff always,
    the member their own; everyone else gets None and sees the pseudonym.
    """
    a = get_assignment(session=session, actor=actor, assignment_id=assignment_id)
    profile = session.get(MemberProfile, a.member_id)
    if profile is None or profile.erased_at is not None:
        return None
    if actor.role == Role.member:
        return session.get(MemberIdentity, a.member_id)
    if actor.role == Role.institution:
        if not identity_released(session, a):
            return None
        action = "member.identity_release"
    else:
        action = "member.identity_view"
    ident = session.get(MemberIdentity, a.member_id)
    record(
        session=session,
        actor=actor,
        action=action,
        entity="member",
        entity_id=a.member_id,
        details={"assignment_id": a.id, "purpose": "assignment"},
    )
    session.commit()
    return ident


# --- writing ------------------------------------------------------------------------------


def _messages(session: Session, a: Assignment, event: str, base_url: str, reason: str = "") -> None:
    """Queue what the member, the host institution and staff need to hear about `event`."""
    req = session.get(PlacementRequest, a.request_id)
    title = req.title if req else "a placement"
    # Mail to the host names the member by the request's pseudonym; staff by the stable one.
    pseudonym = for_request(a.member_id, a.request_id)
    staff_pseudonym = _stable_pseudonym(session, a)
    member_link = notify.link(base_url, f"/my/assignments/{a.id}")
    host_link = notify.link(base_url, f"/institution/assignments/{a.id}")
    staff_link = notify.link(base_url, f"/staff/assignments/{a.id}")
    why = f"\n\nReason: {reason}" if reason else ""
    texts: dict[str, tuple[str, str, str]] = {
        # event: (member text, institution text, staff text); "" = nobody in that role
        "proposed": (
            f'You are proposed for the placement "{title}". The programme will confirm it.',
            f'Member {pseudonym} is proposed for "{title}".',
            f'An assignment for "{title}" was proposed and waits for approval.',
        ),
        "approved": (
            f'Your placement "{title}" is approved. Please accept or decline it.',
            f'The assignment of {pseudonym} to "{title}" is approved.',
            "",
        ),
        "accepted": (
            f'You accepted the placement "{title}". The programme will be in touch about '
            "the practical arrangements.",
            f'Member {pseudonym} accepted the placement "{title}".',
            f'Member {staff_pseudonym} accepted "{title}".',
        ),
        "declined": (
            "",
            f'Member {pseudonym} declined the placement "{title}".{why}',
            f'Member {staff_pseudonym} declined "{title}".{why}',
        ),
        "in_progress": (
            f'Your placement "{title}" has started.',
            f'The placement of {pseudonym} ("{title}") has started.',
            "",
        ),
        "completed": (
            f'Your placement "{title}" is complete. Thank you! Please file your report '
            "and evaluation.",
            f'The placement of {pseudonym} ("{title}") is complete. Please evaluate it.',
            "",
        ),
        "cancelled": (
            f'Your placement "{title}" was cancelled.{why}',
            f'The placement of {pseudonym} ("{title}") was cancelled.{why}',
            "",
        ),
    }
    member_text, host_text, staff_text = texts[event]
    kind = f"assignment.{event}"
    subject = f"Placement {event.replace('_', ' ')}: {title}"
    if member_text:
        notify.to_member(
            session, a.member_id, kind=kind, subject=subject, body=f"{member_text}\n\n{member_link}"
        )
    if host_text:
        notify.to_users(
            session,
            notify.institution_users(session, a.institution_id),
            kind=kind,
            subject=subject,
            body=f"{host_text}\n\n{host_link}",
        )
    if staff_text:
        notify.to_users(
            session,
            notify.staff_users(session),
            kind=kind,
            subject=subject,
            body=f"{staff_text}\n\n{staff_link}",
        )
    if event == "completed":
        notify.to_member(
            session,
            a.member_id,
            kind="evaluation.due",
            subject=f"Evaluation due: {title}",
            body=f"Please rate your placement and describe what you did.\n\n{member_link}",
        )
        notify.to_users(
            session,
            notify.institution_users(session, a.institution_id),
            kind="evaluation.due",
            subject=f"Evaluation due: {title}",
            body=f"Please rate the placement of {pseudonym}.\n\n{host_link}",
        )


def propose(
    *,
    session: Session,
    actor: User,
    entry_id: int,
    data: dict[str, Any] | None = None,
    base_url: str = "",
) -> Assignment:
    """Propose a shortlisted (contacted, interested) member for the entry's request.

    Staff, or the request's institution from its own curated shortlist.
    """
    data = dict(data or {})
    entry = session.get(ShortlistEntry, entry_id)
    req = session.get(PlacementRequest, entry.request_id) if entry else None
    if entry is None or req is None:
        raise NotFound("No such shortlist entry.")
    if is_staff(actor):
        require(actor, "assignment.manage")
    else:
        # Institutions propose from their own request's curated shortlist; members never do.
        require(actor, "assignment.institution")
        if actor.institution_id != req.institution_id or entry.status not in PROPOSABLE:
            raise NotFound("No such shortlist entry.")
    if entry.status not in PROPOSABLE:
        raise InvalidTransition(
            f"Only a shortlisted, contacted or interested member can be proposed; this one is "
            f"{entry.status}."
        )
    if req.status != RequestStatus.approved:
        raise InvalidTransition(
            f"Assignments are proposed on open requests; this one is {req.status}."
        )
    profile = session.get(MemberProfile, entry.member_id)
    if profile is None or profile.erased_at is not None:
        raise InvalidTransition("This member's profile has been erased.")
    clash = session.exec(
        select(Assignment.id).where(
            Assignment.request_id == req.id,
            Assignment.member_id == entry.member_id,
            col(Assignment.status).in_(ACTIVE_ASSIGNMENT),
        )
    ).first()
    if clash is not None:
        raise Conflict(f"This member already has an active assignment (#{clash}) on this request.")
    programme = session.get(Programme, req.programme_id) if req.programme_id else None
    data.setdefault("mode", req.mode)
    if "start_date" not in data and req.start_from:
        data["start_date"] = req.start_from
    if "end_date" not in data and req.start_from and req.duration_weeks:
        data["end_date"] = req.start_from + timedelta(weeks=req.duration_weeks)
    values, errors = clean_details(
        {k: v for k, v in data.items() if k in EDITABLE}, None, programme
    )
    values = {k: v for k, v in values.items() if k not in OUTCOME_FIELDS}
    if errors:
        raise ValidationFailed(errors)
    a = Assignment(
        request_id=req.id or 0,
        member_id=entry.member_id,
        institution_id=req.institution_id,
        programme_id=req.programme_id,
        created_by=actor.id,
        status=AssignmentStatus.proposed,
        **values,
    )
    session.add(a)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="assignment.proposed",
        entity="assignment",
        entity_id=a.id,
        details={"request_id": req.id, "entry_id": entry_id, "by": party(actor)},
    )
    record(
        session=session,
        actor=actor,
        action="assignment.proposed",
        entity="request",
        entity_id=req.id,
        details={"assignment_id": a.id},
    )
    _messages(session, a, "proposed", base_url)
    session.commit()
    return a


def _check_version(a: Assignment, expected_version: int | None) -> int:
    version = a.version if expected_version is None else expected_version
    if version != a.version:
        raise Conflict(
            "This assignment was changed by someone else since you opened it; reload it."
        )
    return version


def update_assignment(
    *,
    session: Session,
    actor: User,
    assignment_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Assignment:
    """Staff record dates, allowance, host supervisor, travel or virtual hours, and the outcome."""
    a = get_assignment(session=session, actor=actor, assignment_id=assignment_id)
    require(actor, "assignment.manage")
    version = _check_version(a, expected_version)
    if a.status in CLOSED:
        raise InvalidTransition(f"A {a.status} assignment cannot be changed.")
    fields = {k: v for k, v in data.items() if k in EDITABLE}
    if a.status != AssignmentStatus.proposed:
        fields.pop("mode", None)
    programme = session.get(Programme, a.programme_id) if a.programme_id else None
    values, errors = clean_details(fields, a, programme)
    if errors:
        raise ValidationFailed(errors)
    return save_changes(
        session, actor=actor, obj=a, values=values, expected_version=version, entity="assignment"
    )


def _position_still_free(session: Session, request_id: int) -> bool:
    """Re-count under a lock on the request row, so two members accepting at once cannot both
    take the last position (PostgreSQL: FOR UPDATE; SQLite: the writer lock already held)."""
    req = session.exec(
        select(PlacementRequest).where(PlacementRequest.id == request_id).with_for_update()
    ).one()
    return positions_taken(session, request_id) < req.positions


def transition_assignment(
    *,
    session: Session,
    actor: User,
    assignment_id: int,
    to: str,
    reason: str = "",
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
    base_url: str = "",
) -> Assignment:
    """Move an assignment along states.ASSIGNMENTS; `data` may carry details set in the same step
    (e.g. the outcome report when completing)."""
    a = get_assignment(session=session, actor=actor, assignment_id=assignment_id)
    version = _check_version(a, expected_version)
    move = ASSIGNMENTS.check(a.status, to, actor)
    reason = str(reason or "").strip()[:2000]
    if move.reason_required and not reason:
        raise ValidationFailed({"reason": f"give a reason to {move.label.lower()}"})
    values: dict[str, Any] = {}
    if data and party(actor) == STAFF:
        programme = session.get(Programme, a.programme_id) if a.programme_id else None
        fields = {k: v for k, v in data.items() if k in EDITABLE and k != "mode"}
        values, errors = clean_details(fields, a, programme)
        if errors:
            raise ValidationFailed(errors)
    if (
        to == AssignmentStatus.completed
        and not values.get("outcome_activities", a.outcome_activities).strip()
    ):
        raise ValidationFailed(
            {"outcome_activities": "describe what was done before completing the assignment"}
        )
    previous = a.status
    claim(session, Assignment, assignment_id, version, "assignment")
    if to == AssignmentStatus.accepted and not _position_still_free(session, a.request_id):
        session.rollback()
        raise InvalidTransition(
            "All positions of this request are already taken; the assignment cannot be accepted."
        )
    session.refresh(a)
    for key, value in values.items():
        setattr(a, key, value)
    a.status = to
    a.status_reason = reason
    a.updated_at = utcnow()
    if to == AssignmentStatus.in_progress and a.start_date is None:
        a.start_date = utcnow().date()
    if to == AssignmentStatus.completed:
        a.completed_at = utcnow()
        if a.end_date is None:
            a.end_date = utcnow().date()
    session.add(a)
    record(
        session=session,
        actor=actor,
        action=f"assignment.{to}",
        entity="assignment",
        entity_id=assignment_id,
        details={"from": previous, "to": to, "reason": bool(reason), "fields": sorted(values)},
    )
    _messages(session, a, to, base_url, reason)
    session.commit()
    return a


def evaluate(
    *,
    session: Session,
    actor: User,
    assignment_id: int,
    party_name: str,
    rating: Any,
    text: str = "",
    report: str | None = None,
    expected_version: int | None = None,
) -> Assignment:
    """Record the host's or the member's evaluation (1-5 and words) of a completed assignment.

    The member may add their report at the same time. Staff may record either on behalf.
    """
    a = get_assignment(session=session, actor=actor, assignment_id=assignment_id)
    version = _check_version(a, expected_version)
    role = party(actor)
    if party_name not in ("host", "member"):
        raise ValidationFailed({"party": "expected host or member"})
    allowed = {"host": (INSTITUTION, STAFF), "member": (MEMBER, STAFF)}[party_name]
    if role not in allowed:
        raise InvalidTransition(
            "The host evaluation is given by the institution; the member evaluation by the member."
        )
    if a.status != AssignmentStatus.completed:
        raise InvalidTransition(
            f"Evaluations are given once the assignment is completed; this one is {a.status.replace('_', ' ')}."
        )
    errors: dict[str, str] = {}
    try:
        score = int(str(rating).strip())
        if isinstance(rating, bool) or not 1 <= score <= 5:
            raise ValueError
    except ValueError:
        errors["rating"] = "expected a rating from 1 (poor) to 5 (excellent)"
        score = 0
    if errors:
        raise ValidationFailed(errors)
    claim(session, Assignment, assignment_id, version, "assignment")
    session.refresh(a)
    if party_name == "host":
        a.host_rating, a.host_evaluation = score, str(text or "").strip()[:5000]
    else:
        a.member_rating, a.member_evaluation = score, str(text or "").strip()[:5000]
        if report is not None:
            a.member_report = str(report).strip()[:10000]
    a.updated_at = utcnow()
    session.add(a)
    record(
        session=session,
        actor=actor,
        action=f"assignment.evaluation_{party_name}",
        entity="assignment",
        entity_id=assignment_id,
        details={"rating": score},
    )
    session.commit()
    return a
