"""Placement requests, their shortlists, and the opportunities members see.

Every public function checks access, validates, writes its audit event and its outbox
messages in the same transaction, and owns the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from diaspora.accounts.models import Role, User
from diaspora.accounts.permissions import is_staff, require
from diaspora.analytics.summary import experience_band
from diaspora.assignments.models import Assignment
from diaspora.audit.models import AuditEvent
from diaspora.audit.service import history as audit_history
from diaspora.audit.service import record
from diaspora.common import new_token, token_hash, utcnow
from diaspora.consent.service import has_active_consent
from diaspora.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from diaspora.institutions.models import Institution, Programme
from diaspora.members import pseudonyms
from diaspora.members.models import MemberProfile
from diaspora.outbox.service import SECRET
from diaspora.placements import notify
from diaspora.placements.models import PlacementRequest, RequestStatus, ShortlistEntry
from diaspora.placements.states import (
    HOLDS_POSITION,
    PROPOSABLE,
    REQUESTS,
    SHORTLIST,
    STAFF,
    Move,
    claim,
    party,
    save_changes,
)
from diaspora.vocab import ISCED_LEVELS, MODES, SECTORS, is_language

MAX_SKILLS = 30
# What an institution sees of its shortlist: only entries staff have curated.
CURATED = ("shortlisted", "contacted", "interested")
REQUEST_FIELDS = (
    "programme_id",
    "title",
    "description",
    "sector",
    "skills_essential",
    "skills_desirable",
    "languages",
    "min_education",
    "min_years_experience",
    "mode",
    "duration_weeks",
    "start_from",
    "start_to",
    "location",
    "positions",
)


# --- validation ---------------------------------------------------------------------------


def split_list(value: Any) -> list[str]:
    """A list from a list, or from text separated by commas or new lines; blanks and repeats go."""
    if value in (None, ""):
        return []
    items = value.replace("\n", ",").split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        text = " ".join(str(item).split())[:200]
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


def _int(
    data: dict[str, Any], key: str, errors: dict[str, str], lo: int, hi: int, *, blank: Any = None
) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return blank
    if isinstance(value, bool):
        errors[key] = "expected a whole number"
        return blank
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[key] = "expected a whole number"
        return blank
    if not lo <= number <= hi:
        errors[key] = f"expected a number between {lo} and {hi}"
        return blank
    return number


def _date(data: dict[str, Any], key: str, errors: dict[str, str]) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[key] = "expected a date as YYYY-MM-DD"
        return None


def _programme(session: Session, data: dict[str, Any], errors: dict[str, str]) -> Programme | None:
    raw = data.get("programme_id")
    prog: Programme | None = None
    if raw not in (None, ""):
        if str(raw).strip().isdigit():
            prog = session.get(Programme, int(str(raw).strip()))
        if prog is None:
            errors["programme_id"] = f"no programme with id {raw}"
        return prog
    code = str(data.get("programme") or "").strip()
    if code:
        prog = session.exec(select(Programme).where(Programme.code == code)).first()
        if prog is None:
            errors["programme_id"] = f"no programme with code {code!r}"
        return prog
    errors["programme_id"] = "choose the programme this request belongs to"
    return None


def clean_request(session: Session, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate every request field together; returns (clean values, field errors)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    prog = _programme(session, data, errors)
    out["programme_id"] = prog.id if prog else None
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        errors["title"] = "required: a short title such as 'Trainer for emergency obstetric care'"
    elif len(title) > 200:
        errors["title"] = "at most 200 characters"
    out["title"] = title[:200]
    out["description"] = str(data.get("description") or "").strip()[:5000]
    sector = str(data.get("sector") or "").strip()
    if sector and sector not in SECTORS:
        errors["sector"] = "expected one of " + ", ".join(SECTORS)
    out["sector"] = sector
    for key in ("skills_essential", "skills_desirable"):
        skills = split_list(data.get(key))
        if len(skills) > MAX_SKILLS:
            errors[key] = f"at most {MAX_SKILLS} skills"
        out[key] = skills[:MAX_SKILLS]
    if not out["skills_essential"] and "skills_essential" not in errors:
        errors["skills_essential"] = "name at least one essential skill"
    languages = [code.lower() for code in split_list(data.get("languages"))]
    if bad := [code for code in languages if len(code) != 2 or not is_language(code)]:
        errors["languages"] = (
            f"unknown language code {bad[0]!r}; expected ISO 639-1 codes such as en, fr"
        )
    out["languages"] = languages
    out["min_education"] = _int(data, "min_education", errors, 0, max(ISCED_LEVELS))
    if "min_education" in errors:
        errors["min_education"] = "expected an ISCED level from 0 to 8"
    out["min_years_experience"] = _int(data, "min_years_experience", errors, 0, 70, blank=0)
    mode = str(data.get("mode") or "").strip()
    if mode not in MODES:
        errors["mode"] = "expected one of " + ", ".join(MODES)
    elif prog is not None and mode not in prog.allowed_modes:
        errors["mode"] = (
            f"the programme {prog.code} allows only "
            + ", ".join(prog.allowed_modes)
            + " placements"
        )
    out["mode"] = mode
    out["duration_weeks"] = _int(data, "duration_weeks", errors, 1, 520)
    out["start_from"] = _date(data, "start_from", errors)
    out["start_to"] = _date(data, "start_to", errors)
    if out["start_from"] and out["start_to"] and out["start_to"] < out["start_from"]:
        errors["start_to"] = "must be on or after the earliest start date"
    out["location"] = str(data.get("location") or "").strip()[:200]
    out["positions"] = _int(data, "positions", errors, 1, 100, blank=1)
    if "positions" in errors:
        errors["positions"] = "expected a number of positions from 1 to 100"
    return out, errors


def request_values(req: PlacementRequest) -> dict[str, Any]:
    """The editable fields of a request as a plain dict (form defaults, merging a PATCH)."""
    return {key: getattr(req, key) for key in REQUEST_FIELDS}


# --- requests -----------------------------------------------------------------------------


def _own_institution(actor: User, req: PlacementRequest) -> bool:
    return actor.role == Role.institution and actor.institution_id == req.institution_id


def get_request(*, session: Session, actor: User, request_id: int) -> PlacementRequest:
    """A request its institution or staff may see; anyone else gets NotFound."""
    req = session.get(PlacementRequest, request_id)
    if req is None or not (is_staff(actor) or _own_institution(actor, req)):
        raise NotFound("No such placement request.")
    return req


def get_all_requests(
    *,
    session: Session,
    actor: User,
    status: str | None = None,
    programme_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[PlacementRequest]:
    """Staff: every request (the review queue); institution users: their institution's."""
    stmt = select(PlacementRequest)
    if is_staff(actor):
        require(actor, "request.all")
    else:
        require(actor, "request.own")
        stmt = stmt.where(PlacementRequest.institution_id == (actor.institution_id or -1))
    if status:
        stmt = stmt.where(PlacementRequest.status == status)
    if programme_id:
        stmt = stmt.where(PlacementRequest.programme_id == programme_id)
    stmt = stmt.order_by(col(PlacementRequest.updated_at).desc(), col(PlacementRequest.id).desc())
    return session.exec(stmt.offset(offset).limit(limit)).all()


def create_request(*, session: Session, actor: User, data: dict[str, Any]) -> PlacementRequest:
    """A new draft request of the actor's institution (staff name the institution)."""
    if is_staff(actor):
        require(actor, "request.all")
        raw = str(data.get("institution_id") or "").strip()
        inst = session.get(Institution, int(raw)) if raw.isdigit() else None
        if inst is None:
            raise ValidationFailed({"institution_id": "choose the host institution"})
        institution_id = inst.id or 0
    else:
        require(actor, "request.create")
        if actor.institution_id is None:
            raise ValidationFailed({"institution_id": "your account belongs to no institution"})
        institution_id = actor.institution_id
    values, errors = clean_request(session, data)
    if errors:
        raise ValidationFailed(errors)
    req = PlacementRequest(
        institution_id=institution_id, created_by=actor.id, status=RequestStatus.draft, **values
    )
    session.add(req)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="request.create",
        entity="request",
        entity_id=req.id,
        details={"institution_id": institution_id, "programme_id": req.programme_id},
    )
    session.commit()
    return req


def editable(req: PlacementRequest, actor: User) -> bool:
    """Institutions edit drafts; staff may also correct a submitted request."""
    return req.status == RequestStatus.draft or (
        req.status == RequestStatus.submitted and party(actor) == STAFF
    )


def update_request(
    *,
    session: Session,
    actor: User,
    request_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> PlacementRequest:
    """Change fields of a draft; fields not given keep their value."""
    req = get_request(session=session, actor=actor, request_id=request_id)
    version = req.version if expected_version is None else expected_version
    if version != req.version:
        raise Conflict("This request was changed by someone else since you opened it; reload it.")
    if not editable(req, actor):
        raise InvalidTransition(
            f"A request that is {req.status} cannot be edited; only drafts can "
            "(staff can send a submitted request back for changes)."
        )
    merged = {**request_values(req), **{k: v for k, v in data.items() if k in REQUEST_FIELDS}}
    if "programme" in data and "programme_id" not in data:
        merged.pop("programme_id")
        merged["programme"] = data["programme"]
    values, errors = clean_request(session, merged)
    if errors:
        raise ValidationFailed(errors)
    return save_changes(
        session, actor=actor, obj=req, values=values, expected_version=version, entity="request"
    )


def positions_taken(session: Session, request_id: int) -> int:
    """Assignments that hold one of the request's positions (accepted or later, not cancelled)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.request_id == request_id, col(Assignment.status).in_(HOLDS_POSITION))
        ).one()
    )


def request_moves(session: Session, req: PlacementRequest, actor: User) -> list[Move]:
    """The transitions `actor` may offer on this request now (pages show these as buttons)."""
    moves = REQUESTS.moves_for(req.status, actor)
    if req.status == RequestStatus.approved:
        full = positions_taken(session, req.id or 0) >= req.positions
        moves = [m for m in moves if m.target != RequestStatus.filled or full]
    return moves


def _request_messages(
    session: Session, req: PlacementRequest, actor: User, target: str, reason: str, base_url: str
) -> None:
    inst = session.get(Institution, req.institution_id)
    name = inst.name if inst else "an institution"
    subject_by_target = {
        "approved": f"Your placement request is open: {req.title}",
        "rejected": f"Your placement request was not approved: {req.title}",
        "draft": f"Changes needed on your placement request: {req.title}",
        "filled": f"All positions filled: {req.title}",
        "closed": f"Placement request closed: {req.title}",
    }
    if target == "submitted":
        notify.to_users(
            session,
            notify.staff_users(session),
            kind="request.submitted",
            subject=f"New placement request to review: {req.title}",
            body=(
                f'{name} submitted the placement request "{req.title}" '
                f"({req.mode}, {req.positions} position(s)).\n\nReview it: "
                f"{notify.link(base_url, f'/staff/requests/{req.id}')}"
            ),
        )
        return
    if party(actor) != STAFF:
        notify.to_users(
            session,
            notify.staff_users(session),
            kind=f"request.{target}",
            subject=f"Placement request withdrawn by {name}: {req.title}",
            body=f"Reason: {reason or '-'}\n\n{notify.link(base_url, f'/staff/requests/{req.id}')}",
        )
        return
    notify.to_users(
        session,
        notify.institution_users(session, req.institution_id),
        kind=f"request.{target}",
        subject=subject_by_target.get(target, f"Placement request {target}: {req.title}"),
        body=(
            f'The placement request "{req.title}" is now {"open" if target == "approved" else target}.'
            + (f"\n\nReason: {reason}" if reason else "")
            + f"\n\n{notify.link(base_url, f'/institution/requests/{req.id}')}"
        ),
    )


def transition_request(
    *,
    session: Session,
    actor: User,
    request_id: int,
    to: str,
    reason: str = "",
    expected_version: int | None = None,
    base_url: str = "",
) -> PlacementRequest:
    """Move a request along its state machine (see states.REQUESTS)."""
    req = get_request(session=session, actor=actor, request_id=request_id)
    version = req.version if expected_version is None else expected_version
    if version != req.version:
        raise Conflict("This request was changed by someone else since you opened it; reload it.")
    move = REQUESTS.check(req.status, to, actor)
    reason = str(reason or "").strip()[:2000]
    if move.reason_required and not reason:
        raise ValidationFailed({"reason": f"give a reason to {move.label.lower()}"})
    if to == RequestStatus.filled and positions_taken(session, request_id) < req.positions:
        raise InvalidTransition(
            f"Only {positions_taken(session, request_id)} of {req.positions} position(s) are "
            "taken by accepted assignments; the request cannot be marked filled yet."
        )
    if to == RequestStatus.submitted:
        _values, errors = clean_request(session, request_values(req))
        if errors:
            raise ValidationFailed(errors, "Complete the request before submitting it.")
    previous = req.status
    claim(session, PlacementRequest, request_id, version, "request")
    session.refresh(req)
    req.status = to
    req.status_reason = reason
    req.updated_at = utcnow()
    session.add(req)
    record(
        session=session,
        actor=actor,
        action=f"request.{to}",
        entity="request",
        entity_id=request_id,
        details={"from": previous, "to": to, "reason": bool(reason)},
    )
    _request_messages(session, req, actor, to, reason, base_url)
    session.commit()
    return req


# --- shortlists ---------------------------------------------------------------------------


@dataclass
class ShortlistRow:
    """One shortlisted member as institutions and staff see them: pseudonym, never identity."""

    entry_id: int
    version: int
    status: str
    rank: int
    score: float
    member_id: int
    pseudonym: str
    skills: list[str]
    residence_country: str
    years_experience: int | None
    experience: str
    modes: list[str]
    languages: list[str]
    explanation: dict[str, Any] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    proposable: bool = False


def _matched_skills(
    entry: ShortlistEntry, profile: MemberProfile, req: PlacementRequest
) -> list[str]:
    """The request's own skills this candidate covers, in the request's words: what an
    institution needs to judge the fit, and nothing it could use to recognise the person."""
    asked = [*req.skills_essential, *req.skills_desirable]
    covered = {
        str(c.get("skill", "")).casefold()
        for c in (entry.explanation or {}).get("covered", [])
        if isinstance(c, dict)
    }
    held = {str(s).strip().casefold() for s in profile.skills}
    return [s for s in asked if s.casefold() in covered or s.strip().casefold() in held]


def _row(
    entry: ShortlistEntry,
    profile: MemberProfile,
    actor: User,
    req: PlacementRequest,
    *,
    full: bool,
) -> ShortlistRow:
    return ShortlistRow(
        entry_id=entry.id or 0,
        version=entry.version,
        status=entry.status,
        rank=entry.rank,
        score=round(entry.score, 3),
        member_id=(profile.id or 0) if full else 0,
        # Per request for institutions, so a candidate cannot be linked across requests.
        pseudonym=pseudonyms.shown_to(
            actor, stable=profile.pseudonym, member_id=profile.id or 0, request_id=req.id or 0
        ),
        skills=list(profile.skills) if full else _matched_skills(entry, profile, req),
        residence_country=profile.residence_country,
        years_experience=profile.years_experience if full else None,
        # A band for institutions: exact years next to a full skill list fingerprint a
        # person across requests as well as a stable pseudonym would.
        experience=(
            str(profile.years_experience or 0)
            if full
            else experience_band(profile.years_experience)
        ),
        modes=list(profile.modes) if full else [],
        languages=[lang.get("code", "") for lang in profile.languages] if full else [],
        explanation=entry.explanation if full else {},
        moves=SHORTLIST.moves_for(entry.status, actor) if full else [],
        proposable=req.status == RequestStatus.approved and entry.status in PROPOSABLE,
    )


def get_shortlist(
    *,
    session: Session,
    actor: User,
    request_id: int,
    status: str | None = None,
    country: str | None = None,
    mode: str | None = None,
    language: str | None = None,
) -> list[ShortlistRow]:
    """Staff: every entry with its explanation, filterable; institution: the curated pseudonyms."""
    req = get_request(session=session, actor=actor, request_id=request_id)
    stmt = (
        select(ShortlistEntry, MemberProfile)
        .join(MemberProfile, col(MemberProfile.id) == ShortlistEntry.member_id)
        .where(ShortlistEntry.request_id == req.id)
    )
    full = is_staff(actor)
    if full:
        require(actor, "shortlist.curate")
        if status:
            stmt = stmt.where(ShortlistEntry.status == status)
        if country:
            stmt = stmt.where(MemberProfile.residence_country == country.strip().upper())
        if mode == "temporary":
            stmt = stmt.where(col(MemberProfile.mode_temporary).is_(True))
        elif mode == "permanent":
            stmt = stmt.where(col(MemberProfile.mode_permanent).is_(True))
        elif mode == "virtual":
            stmt = stmt.where(col(MemberProfile.mode_virtual).is_(True))
    else:
        require(actor, "shortlist.pseudonymised")
        stmt = stmt.where(col(ShortlistEntry.status).in_(CURATED))
    stmt = stmt.order_by(
        col(ShortlistEntry.score).desc(), col(ShortlistEntry.rank), col(ShortlistEntry.id)
    )
    rows = [_row(e, p, actor, req, full=full) for e, p in session.exec(stmt).all()]
    if full and language:
        code = language.strip().lower()
        rows = [r for r in rows if code in r.languages]
    return rows


def run_matching(
    *, session: Session, actor: User, request_id: int, limit: int = 50
) -> list[ShortlistRow]:
    """Rank eligible members for the request and refresh its suggestions.

    Entries staff or members already acted on keep their status (their score is refreshed);
    suggestions that no longer rank are dropped.
    """
    from diaspora.placements import matching as app_matching

    require(actor, "shortlist.curate")
    req = get_request(session=session, actor=actor, request_id=request_id)
    if req.status not in (RequestStatus.submitted, RequestStatus.approved):
        raise InvalidTransition(
            f"Matching runs on submitted or open requests; this one is {req.status}."
        )
    matches = app_matching.rank_members(session, req, limit=limit)
    existing = {
        e.member_id: e
        for e in session.exec(
            select(ShortlistEntry).where(ShortlistEntry.request_id == request_id)
        ).all()
    }
    now = utcnow()
    ranked_ids = set()
    for rank, match in enumerate(matches, start=1):
        ranked_ids.add(match.member_id)
        entry = existing.get(match.member_id)
        if entry is None:
            entry = ShortlistEntry(
                request_id=request_id, member_id=match.member_id, added_by=actor.id
            )
        entry.score = match.score
        entry.explanation = match.explanation
        entry.rank = rank
        entry.updated_at = now
        session.add(entry)
    dropped = 0
    for member_id, entry in existing.items():
        if member_id not in ranked_ids:
            if entry.status == "suggested":
                session.delete(entry)
                dropped += 1
            else:
                entry.rank = 0
                session.add(entry)
    record(
        session=session,
        actor=actor,
        action="shortlist.run",
        entity="request",
        entity_id=request_id,
        details={"ranked": len(matches), "dropped": dropped},
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Matching ran twice at the same time for this request; reload.") from None
    return get_shortlist(session=session, actor=actor, request_id=request_id)


def _entry_for(session: Session, actor: User, entry_id: int) -> ShortlistEntry:
    entry = session.get(ShortlistEntry, entry_id)
    if entry is None:
        raise NotFound("No such shortlist entry.")
    if is_staff(actor):
        return entry
    if actor.role == Role.member:
        profile = session.get(MemberProfile, entry.member_id)
        if profile is not None and profile.user_id == actor.id:
            return entry
    raise NotFound("No such shortlist entry.")


def get_entry(*, session: Session, actor: User, entry_id: int) -> ShortlistEntry:
    """A shortlist entry for staff or its own member; anyone else gets NotFound."""
    return _entry_for(session, actor, entry_id)


def _entry_messages(
    session: Session, entry: ShortlistEntry, req: PlacementRequest, target: str, base_url: str
) -> str | None:
    """Queue the messages of a shortlist move (the contact link is minted at delivery)."""
    if target == "shortlisted":
        if has_active_consent(session=session, member_id=entry.member_id, purpose="contact"):
            notify.to_member(
                session,
                entry.member_id,
                kind="shortlist.shortlisted",
                subject=f"You are on a shortlist: {req.title}",
                body=(
                    f'Your profile fits the placement "{req.title}" ({req.mode}, '
                    f"{req.location or 'location to be agreed'}). The programme may contact you "
                    f"about it.\n\nSee your opportunities: {notify.link(base_url, '/opportunities')}"
                ),
            )
        return None
    if target == "contacted":
        respond = notify.link(base_url, f"/opportunities/respond?token={SECRET}")
        when = ""
        if req.start_from:
            when = f"Start between {req.start_from} and {req.start_to or 'later'}. "
        notify.to_member(
            session,
            entry.member_id,
            kind="shortlist.contacted",
            subject=f"An opportunity for you: {req.title}",
            body=(
                f"{req.title}\n\n{req.description}\n\nMode: {req.mode}. "
                f"Duration: {req.duration_weeks or '-'} weeks. Location: {req.location or '-'}. "
                f"{when}\n\nAre you interested?\n"
                f"Yes: {respond}&answer=interested\nNo: {respond}&answer=declined\n\n"
                "The links work once you are signed in to your account."
            ),
            secret_kind="shortlist_contact",
            secret_ref=entry.id,
        )
        return None
    if target == "interested":
        notify.to_users(
            session,
            notify.staff_users(session),
            kind="shortlist.interested",
            subject=f"A member is interested in: {req.title}",
            body=notify.link(base_url, f"/staff/requests/{req.id}/shortlist"),
        )
    return None


def transition_entry(
    *,
    session: Session,
    actor: User,
    entry_id: int,
    to: str,
    expected_version: int | None = None,
    base_url: str = "",
) -> ShortlistEntry:
    """Move a shortlist entry (staff curate; the member answers) along states.SHORTLIST."""
    entry = _entry_for(session, actor, entry_id)
    version = entry.version if expected_version is None else expected_version
    if version != entry.version:
        raise Conflict("This shortlist entry was changed by someone else; reload it.")
    SHORTLIST.check(entry.status, to, actor)
    req = session.get(PlacementRequest, entry.request_id)
    if req is None:
        raise NotFound("No such placement request.")
    if party(actor) == STAFF:
        require(actor, "shortlist.curate")
        if to == "contacted":
            if req.status != RequestStatus.approved:
                raise InvalidTransition("Members can be contacted only about open requests.")
            if not has_active_consent(
                session=session, member_id=entry.member_id, purpose="contact"
            ):
                raise InvalidTransition(
                    "This member has not consented to be contacted about opportunities."
                )
    elif req.status != RequestStatus.approved:
        raise InvalidTransition("This opportunity is no longer open.")
    previous = entry.status
    claim(session, ShortlistEntry, entry_id, version, "shortlist entry")
    session.refresh(entry)
    entry.status = to
    entry.updated_at = utcnow()
    _entry_messages(session, entry, req, to, base_url)
    session.add(entry)
    record(
        session=session,
        actor=actor,
        action=f"shortlist.{to}",
        entity="request",
        entity_id=req.id,
        details={"entry_id": entry_id, "from": previous, "to": to},
    )
    session.commit()
    return entry


# --- members: opportunities ---------------------------------------------------------------


@dataclass
class Opportunity:
    """An open request as a member sees it, with how well it fits them."""

    request: PlacementRequest
    score: float
    explanation: dict[str, Any]
    entry: ShortlistEntry | None
    institution: str
    programme: str

    @property
    def answer(self) -> str:
        """The member's own answer so far ('' when none; staff curation is not shown)."""
        if self.entry is not None and self.entry.status in ("contacted", "interested", "declined"):
            return self.entry.status
        return ""


def _own_profile(session: Session, actor: User) -> MemberProfile:
    require(actor, "opportunity.list")
    profile = session.exec(select(MemberProfile).where(MemberProfile.user_id == actor.id)).first()
    if profile is None or profile.erased_at is not None:
        raise NotFound("You have no member profile.")
    return profile


def _opportunity(
    session: Session, req: PlacementRequest, score: float, expl: dict[str, Any], entry: Any
) -> Opportunity:
    inst = session.get(Institution, req.institution_id)
    prog = session.get(Programme, req.programme_id) if req.programme_id else None
    return Opportunity(
        request=req,
        score=round(score, 3),
        explanation=expl,
        entry=entry,
        institution=inst.name if inst else "",
        programme=prog.name if prog else "",
    )


def opportunities_for(*, session: Session, actor: User, limit: int = 50) -> list[Opportunity]:
    """Open requests ranked for the signed-in member; hard constraints filter out misfits."""
    from diaspora.placements import matching as app_matching

    profile = _own_profile(session, actor)
    open_requests = session.exec(
        select(PlacementRequest)
        .where(PlacementRequest.status == RequestStatus.approved)
        .order_by(col(PlacementRequest.id))
    ).all()
    entries = {
        e.request_id: e
        for e in session.exec(
            select(ShortlistEntry).where(ShortlistEntry.member_id == profile.id)
        ).all()
    }
    ranked = app_matching.rank_requests_for(session, profile, open_requests, limit=limit)
    by_id = {r.id: r for r in open_requests}
    return [
        _opportunity(
            session, by_id[m.request_id], m.score, m.explanation, entries.get(m.request_id)
        )
        for m in ranked
        if m.request_id in by_id
    ]


def get_opportunity(*, session: Session, actor: User, request_id: int) -> Opportunity:
    """One open request the member fits (or was contacted about); otherwise NotFound."""
    from diaspora.placements import matching as app_matching

    profile = _own_profile(session, actor)
    req = session.get(PlacementRequest, request_id)
    if req is None or req.status != RequestStatus.approved:
        raise NotFound("No such opportunity.")
    entry = session.exec(
        select(ShortlistEntry).where(
            ShortlistEntry.request_id == request_id, ShortlistEntry.member_id == profile.id
        )
    ).first()
    ranked = app_matching.rank_requests_for(session, profile, [req], limit=1)
    if ranked:
        return _opportunity(session, req, ranked[0].score, ranked[0].explanation, entry)
    if entry is not None and entry.status in ("contacted", "interested", "declined"):
        return _opportunity(session, req, entry.score, {}, entry)
    raise NotFound("No such opportunity.")


def respond(
    *, session: Session, actor: User, request_id: int, answer: str, base_url: str = ""
) -> ShortlistEntry:
    """The member says interested or declined about an opportunity (creating their entry)."""
    if answer not in ("interested", "declined"):
        raise ValidationFailed({"answer": "expected interested or declined"})
    opp = get_opportunity(session=session, actor=actor, request_id=request_id)
    entry = opp.entry
    if entry is None:
        profile = _own_profile(session, actor)
        entry = ShortlistEntry(
            request_id=request_id,
            member_id=profile.id or 0,
            score=opp.score,
            explanation=opp.explanation,
            added_by=actor.id,
        )
        session.add(entry)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise Conflict("You answered this already in another window; reload.") from None
        record(
            session=session,
            actor=actor,
            action="shortlist.self_added",
            entity="request",
            entity_id=request_id,
            details={"entry_id": entry.id},
        )
        session.commit()
    if entry.status == answer:
        return entry
    return transition_entry(
        session=session,
        actor=actor,
        entry_id=entry.id or 0,
        to=answer,
        expected_version=entry.version,
        base_url=base_url,
    )


def mint_contact_token(session: Session, ref_id: int) -> str | None:
    """Outbox minter: a fresh contact token for an entry still waiting for the answer."""
    entry = session.get(ShortlistEntry, ref_id, populate_existing=True)
    if entry is None or entry.status not in ("contacted", "interested", "declined"):
        return None
    profile = session.get(MemberProfile, entry.member_id, populate_existing=True)
    if profile is None or profile.erased_at is not None:
        return None
    token = new_token()
    entry.contact_token_hash = token_hash(token)
    session.add(entry)
    return token


def entry_by_token(*, session: Session, actor: User, token: str) -> ShortlistEntry:
    """The shortlist entry behind a contact link, for its own member only."""
    profile = _own_profile(session, actor)
    entry = session.exec(
        select(ShortlistEntry).where(ShortlistEntry.contact_token_hash == token_hash(token or ""))
    ).first()
    if entry is None or not token or entry.member_id != profile.id:
        raise NotFound("This link is not valid for your account.")
    return entry


# --- history ------------------------------------------------------------------------------


def history(*, session: Session, actor: User, entity: str, entity_id: int) -> list[AuditEvent]:
    """A record's audit trail for its page; outside staff, members show as a role, not an id
    (an id seen across requests would let an institution link a pseudonymous member)."""
    events = list(audit_history(session=session, entity=entity, entity_id=entity_id))
    if is_staff(actor):
        return events
    return [
        AuditEvent(
            at=e.at,
            actor_id=None if e.actor_role == Role.member and e.actor_id != actor.id else e.actor_id,
            actor_role=e.actor_role,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            details=e.details,
        )
        for e in events
    ]


# --- vocabulary ---------------------------------------------------------------------------


def suggest_skills(*, session: Session, actor: User, q: str, limit: int = 12) -> list[str]:
    """Skill labels from the stored taxonomy for the request form (any signed-in user)."""
    from diaspora.taxonomy.service import suggest

    return suggest(session=session, q=" ".join(str(q or "").split())[:100], limit=limit)
