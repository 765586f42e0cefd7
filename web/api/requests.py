"""Placement requests, shortlists and opportunities over the API (same services as the pages)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from diaspora.accounts.models import User
from diaspora.accounts.permissions import is_staff
from diaspora.placements import service as placements
from diaspora.placements.models import PlacementRequest, ShortlistEntry
from web.api.placement_schemas import (
    AnswerIn,
    EntryTransitionIn,
    OpportunityPublic,
    RequestCreate,
    RequestPublic,
    RequestUpdate,
    ShortlistEntryPublic,
    TransitionIn,
)
from web.deps import CurrentUser, Int64, MemberUser, SessionDep, SettingsDep

router = APIRouter(tags=["placements"])


def _public(session: Session, req: PlacementRequest, user: User) -> RequestPublic:
    out = RequestPublic.model_validate(req)
    out.allowed_transitions = [m.target for m in placements.request_moves(session, req, user)]
    return out


def _entry(row: placements.ShortlistRow, *, full: bool) -> ShortlistEntryPublic:
    out = ShortlistEntryPublic(
        id=row.entry_id,
        version=row.version,
        status=row.status,
        rank=row.rank,
        score=row.score,
        pseudonym=row.pseudonym,
        skills=row.skills,
        residence_country=row.residence_country,
        years_experience=row.years_experience,
        experience=row.experience,
    )
    if full:
        out.member_id = row.member_id
        out.modes = row.modes
        out.languages = row.languages
        out.explanation = row.explanation
        out.allowed_transitions = [m.target for m in row.moves]
    return out


def _entry_public(entry: ShortlistEntry) -> dict[str, object]:
    return {"id": entry.id, "status": entry.status, "version": entry.version}


@router.get("/requests", response_model=list[RequestPublic])
def list_requests(
    session: SessionDep,
    user: CurrentUser,
    status: str | None = None,
    programme_id: Int64 | None = None,
    limit: Int64 = 100,
    offset: Int64 = 0,
) -> list[RequestPublic]:
    rows = placements.get_all_requests(
        session=session,
        actor=user,
        status=status,
        programme_id=programme_id,
        limit=min(max(limit, 1), 500),
        offset=max(offset, 0),
    )
    return [_public(session, r, user) for r in rows]


@router.post("/requests", response_model=RequestPublic, status_code=201)
def create_request(
    body: RequestCreate, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> RequestPublic:
    data = body.model_dump(exclude={"submit"})
    req = placements.create_request(session=session, actor=user, data=data)
    if body.submit:
        req = placements.transition_request(
            session=session,
            actor=user,
            request_id=req.id or 0,
            to="submitted",
            expected_version=req.version,
            base_url=settings.base_url,
        )
    return _public(session, req, user)


@router.get("/requests/{request_id}", response_model=RequestPublic)
def get_request(request_id: Int64, session: SessionDep, user: CurrentUser) -> RequestPublic:
    return _public(
        session, placements.get_request(session=session, actor=user, request_id=request_id), user
    )


@router.patch("/requests/{request_id}", response_model=RequestPublic)
def update_request(
    request_id: Int64, body: RequestUpdate, session: SessionDep, user: CurrentUser
) -> RequestPublic:
    req = placements.update_request(
        session=session,
        actor=user,
        request_id=request_id,
        data=body.model_dump(exclude_unset=True, exclude={"version"}),
        expected_version=body.version,
    )
    return _public(session, req, user)


@router.post("/requests/{request_id}/transitions", response_model=RequestPublic)
def transition_request(
    request_id: Int64,
    body: TransitionIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> RequestPublic:
    req = placements.transition_request(
        session=session,
        actor=user,
        request_id=request_id,
        to=body.to,
        reason=body.reason,
        expected_version=body.version,
        base_url=settings.base_url,
    )
    return _public(session, req, user)


@router.get("/requests/{request_id}/shortlist", response_model=list[ShortlistEntryPublic])
def get_shortlist(
    request_id: Int64,
    session: SessionDep,
    user: CurrentUser,
    status: str | None = None,
    country: str | None = None,
    mode: str | None = None,
    language: str | None = None,
) -> list[ShortlistEntryPublic]:
    rows = placements.get_shortlist(
        session=session,
        actor=user,
        request_id=request_id,
        status=status,
        country=country,
        mode=mode,
        language=language,
    )
    return [_entry(r, full=is_staff(user)) for r in rows]


@router.post("/requests/{request_id}/shortlist/run", response_model=list[ShortlistEntryPublic])
def run_matching(
    request_id: Int64, session: SessionDep, user: CurrentUser, limit: Int64 = 50
) -> list[ShortlistEntryPublic]:
    rows = placements.run_matching(
        session=session, actor=user, request_id=request_id, limit=min(max(limit, 1), 500)
    )
    return [_entry(r, full=True) for r in rows]


@router.post("/shortlist/{entry_id}/transitions")
def transition_entry(
    entry_id: Int64,
    body: EntryTransitionIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> dict[str, object]:
    entry = placements.transition_entry(
        session=session,
        actor=user,
        entry_id=entry_id,
        to=body.to,
        expected_version=body.version,
        base_url=settings.base_url,
    )
    return _entry_public(entry)


def _opportunity(o: placements.Opportunity) -> OpportunityPublic:
    r = o.request
    return OpportunityPublic(
        request_id=r.id or 0,
        title=r.title,
        description=r.description,
        institution=o.institution,
        programme=o.programme,
        sector=r.sector,
        mode=r.mode,
        duration_weeks=r.duration_weeks,
        start_from=r.start_from,
        start_to=r.start_to,
        location=r.location,
        languages=r.languages,
        skills_essential=r.skills_essential,
        skills_desirable=r.skills_desirable,
        score=o.score,
        explanation=o.explanation,
        answer=o.answer,
    )


@router.get("/me/opportunities", response_model=list[OpportunityPublic])
def my_opportunities(
    session: SessionDep, user: MemberUser, limit: Int64 = 50
) -> list[OpportunityPublic]:
    rows = placements.opportunities_for(session=session, actor=user, limit=min(max(limit, 1), 200))
    return [_opportunity(o) for o in rows]


@router.post("/me/opportunities/{request_id}/answer", response_model=OpportunityPublic)
def answer_opportunity(
    request_id: Int64,
    body: AnswerIn,
    session: SessionDep,
    settings: SettingsDep,
    user: MemberUser,
) -> OpportunityPublic:
    placements.respond(
        session=session,
        actor=user,
        request_id=request_id,
        answer=body.answer,
        base_url=settings.base_url,
    )
    return _opportunity(
        placements.get_opportunity(session=session, actor=user, request_id=request_id)
    )


@router.get("/skills", response_model=list[str])
def suggest_skills(session: SessionDep, user: CurrentUser, q: str = "") -> list[str]:
    return placements.suggest_skills(session=session, actor=user, q=q)
