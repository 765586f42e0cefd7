"""Assignment pages for the member (/my), the host institution and staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from diaspora.accounts.models import User
from diaspora.assignments import service as assignments
from diaspora.institutions import service as institutions
from diaspora.placements import service as placements
from diaspora.placements.states import ASSIGNMENT_STATES
from diaspora.vocab import MODES
from web.deps import InstitutionUser, Int64, MemberUser, SessionDep, SettingsDep, StaffUser
from web.pages.forms import FORM_ERRORS, errors_of, form_dict, status_of, version_of
from web.templating import render

router = APIRouter()

BASE = {
    "member": "/my/assignments",
    "institution": "/institution/assignments",
    "staff": "/staff/assignments",
}


def _base(user: User) -> str:
    return BASE.get(str(user.role), BASE["staff"])


def _list(request: Request, session: Session, user: User, **filters: Any) -> Response:
    items = assignments.get_all_assignments(session=session, actor=user, **filters)
    return render(
        request,
        "assignments/list.html",
        {
            "rows": assignments.describe(session, items, user),
            "base": _base(user),
            "statuses": ASSIGNMENT_STATES,
            "programmes": institutions.get_all_programmes(session=session),
            "filters": filters,
        },
    )


def _detail(
    request: Request,
    session: Session,
    user: User,
    assignment_id: Int64,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    a = assignments.get_assignment(session=session, actor=user, assignment_id=assignment_id)
    req = assignments.request_of(session, a)
    moves = assignments.assignment_moves(session, a, user)
    return render(
        request,
        "assignments/detail.html",
        {
            "a": a,
            "req": req,
            "row": assignments.describe(session, [a], user)[0],
            "identity": assignments.member_identity(
                session=session, actor=user, assignment_id=assignment_id
            ),
            "released": assignments.identity_released(session, a),
            "moves": [m for m in moves if m.target != "completed"],
            "can_complete": any(m.target == "completed" for m in moves),
            "can": assignments.capabilities(a, user),
            "base": _base(user),
            "modes": MODES,
            "events": placements.history(
                session=session, actor=user, entity="assignment", entity_id=a.id or 0
            ),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )


async def _transition(
    request: Request, session: Session, user: User, base_url: str, assignment_id: Int64
) -> Response:
    data = await form_dict(request)
    try:
        assignments.transition_assignment(
            session=session,
            actor=user,
            assignment_id=assignment_id,
            to=data.pop("to", ""),
            reason=data.pop("reason", ""),
            expected_version=version_of(data),
            data={k: v for k, v in data.items() if k in assignments.EDITABLE} or None,
            base_url=base_url,
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return _detail(
            request,
            session,
            user,
            assignment_id,
            errors=errors_of(exc),
            values=data,
            status=status_of(exc),
        )
    return RedirectResponse(f"{_base(user)}/{assignment_id}", status_code=303)


async def _evaluate(
    request: Request, session: Session, user: User, assignment_id: Int64
) -> Response:
    data = await form_dict(request)
    try:
        assignments.evaluate(
            session=session,
            actor=user,
            assignment_id=assignment_id,
            party_name=data.get("party", ""),
            rating=data.get("rating", ""),
            text=data.get("text", ""),
            report=data.get("report") if "report" in data else None,
            expected_version=version_of(data),
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return _detail(
            request,
            session,
            user,
            assignment_id,
            errors=errors_of(exc),
            values=data,
            status=status_of(exc),
        )
    return RedirectResponse(f"{_base(user)}/{assignment_id}?saved=1", status_code=303)


# --- member -------------------------------------------------------------------------------


@router.get("/my/assignments")
def my_list(request: Request, session: SessionDep, user: MemberUser) -> Response:
    return _list(request, session, user)


@router.get("/my/assignments/{assignment_id}")
def my_detail(
    assignment_id: Int64, request: Request, session: SessionDep, user: MemberUser
) -> Response:
    return _detail(request, session, user, assignment_id)


@router.post("/my/assignments/{assignment_id}/transition")
async def my_transition(
    assignment_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: MemberUser,
) -> Response:
    return await _transition(request, session, user, settings.base_url, assignment_id)


@router.post("/my/assignments/{assignment_id}/evaluation")
async def my_evaluation(
    assignment_id: Int64, request: Request, session: SessionDep, user: MemberUser
) -> Response:
    return await _evaluate(request, session, user, assignment_id)


# --- institution --------------------------------------------------------------------------


@router.get("/institution/assignments")
def institution_list(request: Request, session: SessionDep, user: InstitutionUser) -> Response:
    return _list(request, session, user)


@router.get("/institution/assignments/{assignment_id}")
def institution_detail(
    assignment_id: Int64, request: Request, session: SessionDep, user: InstitutionUser
) -> Response:
    return _detail(request, session, user, assignment_id)


@router.post("/institution/assignments/{assignment_id}/evaluation")
async def institution_evaluation(
    assignment_id: Int64, request: Request, session: SessionDep, user: InstitutionUser
) -> Response:
    return await _evaluate(request, session, user, assignment_id)


# --- staff --------------------------------------------------------------------------------


@router.get("/staff/assignments")
def staff_list(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    status: str | None = None,
    programme: str | None = None,
) -> Response:
    return _list(
        request,
        session,
        user,
        status=status if status in ASSIGNMENT_STATES else None,
        programme_id=int(programme) if programme and programme.isdigit() else None,
    )


@router.get("/staff/assignments/{assignment_id}")
def staff_detail(
    assignment_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    return _detail(request, session, user, assignment_id)


@router.post("/staff/assignments/{assignment_id}/edit")
async def staff_edit(
    assignment_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    data = await form_dict(request)
    try:
        assignments.update_assignment(
            session=session,
            actor=user,
            assignment_id=assignment_id,
            data=data,
            expected_version=version_of(data),
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return _detail(
            request,
            session,
            user,
            assignment_id,
            errors=errors_of(exc),
            values=data,
            status=status_of(exc),
        )
    return RedirectResponse(f"/staff/assignments/{assignment_id}?saved=1", status_code=303)


@router.post("/staff/assignments/{assignment_id}/transition")
async def staff_transition(
    assignment_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: StaffUser,
) -> Response:
    return await _transition(request, session, user, settings.base_url, assignment_id)


@router.post("/staff/assignments/{assignment_id}/evaluation")
async def staff_evaluation(
    assignment_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    return await _evaluate(request, session, user, assignment_id)
