"""Assignments over the API (same services and access rules as the pages)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from diaspora.accounts.models import User
from diaspora.assignments import service as assignments
from diaspora.assignments.models import Assignment
from web.api.placement_schemas import (
    AssignmentCreate,
    AssignmentPublic,
    AssignmentTransitionIn,
    AssignmentUpdate,
    EvaluationIn,
    MemberIdentityPublic,
)
from web.deps import CurrentUser, Int64, SessionDep, SettingsDep

router = APIRouter(tags=["assignments"])

DETAIL_KEYS = set(assignments.EDITABLE)


def _public(
    session: Session, a: Assignment, user: User, *, with_identity: bool = False
) -> AssignmentPublic:
    out = AssignmentPublic.model_validate(a)
    out.pseudonym = assignments.pseudonym_of(session, a, user)
    out.allowed_transitions = [m.target for m in assignments.assignment_moves(session, a, user)]
    if with_identity:
        ident = assignments.member_identity(session=session, actor=user, assignment_id=a.id or 0)
        if ident is not None:
            out.member = MemberIdentityPublic(
                first_name=ident.first_name,
                last_name=ident.last_name,
                email=ident.email,
                phone=ident.phone,
            )
    return out


@router.get("/assignments", response_model=list[AssignmentPublic])
def list_assignments(
    session: SessionDep,
    user: CurrentUser,
    status: str | None = None,
    programme_id: Int64 | None = None,
    request_id: Int64 | None = None,
    limit: Int64 = 100,
    offset: Int64 = 0,
) -> list[AssignmentPublic]:
    rows = assignments.get_all_assignments(
        session=session,
        actor=user,
        status=status,
        programme_id=programme_id,
        request_id=request_id,
        limit=min(max(limit, 1), 500),
        offset=max(offset, 0),
    )
    return [_public(session, a, user) for a in rows]


@router.post("/assignments", response_model=AssignmentPublic, status_code=201)
def propose(
    body: AssignmentCreate, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> AssignmentPublic:
    a = assignments.propose(
        session=session,
        actor=user,
        entry_id=body.entry_id,
        data=body.model_dump(exclude_unset=True, exclude={"entry_id"}),
        base_url=settings.base_url,
    )
    return _public(session, a, user)


@router.get("/assignments/{assignment_id}", response_model=AssignmentPublic)
def get_assignment(
    assignment_id: Int64, session: SessionDep, user: CurrentUser
) -> AssignmentPublic:
    a = assignments.get_assignment(session=session, actor=user, assignment_id=assignment_id)
    return _public(session, a, user, with_identity=True)


@router.patch("/assignments/{assignment_id}", response_model=AssignmentPublic)
def update_assignment(
    assignment_id: Int64, body: AssignmentUpdate, session: SessionDep, user: CurrentUser
) -> AssignmentPublic:
    a = assignments.update_assignment(
        session=session,
        actor=user,
        assignment_id=assignment_id,
        data=body.model_dump(exclude_unset=True, exclude={"version"}),
        expected_version=body.version,
    )
    return _public(session, a, user)


@router.post("/assignments/{assignment_id}/transitions", response_model=AssignmentPublic)
def transition_assignment(
    assignment_id: Int64,
    body: AssignmentTransitionIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> AssignmentPublic:
    details = body.model_dump(exclude_unset=True, include=DETAIL_KEYS)
    a = assignments.transition_assignment(
        session=session,
        actor=user,
        assignment_id=assignment_id,
        to=body.to,
        reason=body.reason,
        expected_version=body.version,
        data=details or None,
        base_url=settings.base_url,
    )
    return _public(session, a, user)


@router.post("/assignments/{assignment_id}/evaluations", response_model=AssignmentPublic)
def evaluate(
    assignment_id: Int64, body: EvaluationIn, session: SessionDep, user: CurrentUser
) -> AssignmentPublic:
    a = assignments.evaluate(
        session=session,
        actor=user,
        assignment_id=assignment_id,
        party_name=body.party,
        rating=body.rating,
        text=body.text,
        report=body.report,
        expected_version=body.version,
    )
    return _public(session, a, user)
