"""Placement request pages: institutions post and follow their requests; staff review them,
run matching and curate shortlists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from diaspora.accounts.models import User
from diaspora.assignments import service as assignments
from diaspora.audit import service as audit
from diaspora.errors import ValidationFailed
from diaspora.institutions import service as institutions
from diaspora.placements import service as placements
from diaspora.placements.models import PlacementRequest
from diaspora.placements.states import REQUEST_STATES, SHORTLIST_STATES
from diaspora.vocab import ISCED_LEVELS, MODES, SECTORS
from web.deps import CurrentUser, InstitutionUser, Int64, SessionDep, SettingsDep, StaffUser
from web.pages.forms import FORM_ERRORS, errors_of, form_dict, status_of, version_of
from web.templating import render

router = APIRouter()


def _form_values(req: PlacementRequest | None) -> dict[str, Any]:
    """A request's fields as the form shows them (lists as lines, codes comma-separated)."""
    if req is None:
        return {"positions": 1, "mode": "temporary", "min_years_experience": 0}
    values = placements.request_values(req)
    values["skills_essential"] = "\n".join(req.skills_essential)
    values["skills_desirable"] = "\n".join(req.skills_desirable)
    values["languages"] = ", ".join(req.languages)
    return {k: "" if v is None else v for k, v in values.items()}


async def _request_form(request: Request) -> dict[str, Any]:
    data = await form_dict(request)
    # The "add a skill" boxes (with suggestions) append to the lists, with or without JavaScript.
    for kind in ("essential", "desirable"):
        extra = data.pop(f"add_{kind}", "").strip()
        if extra:
            current = data.get(f"skills_{kind}", "").rstrip()
            data[f"skills_{kind}"] = f"{current}\n{extra}" if current else extra
    return data


def _form_page(
    request: Request,
    session: Session,
    *,
    req: PlacementRequest | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "requests/form.html",
        {
            "req": req,
            "values": values,
            "errors": errors,
            "programmes": institutions.get_all_programmes(session=session),
            "sectors": SECTORS,
            "modes": MODES,
            "isced": ISCED_LEVELS,
        },
        status_code=status,
    )


# --- institution ----------------------------------------------------------------------------


@router.get("/institution/requests")
def institution_list(request: Request, session: SessionDep, user: InstitutionUser) -> Response:
    rows = placements.get_all_requests(session=session, actor=user)
    return render(request, "requests/institution_list.html", {"rows": rows})


@router.get("/institution/requests/new")
def new_form(request: Request, session: SessionDep, user: InstitutionUser) -> Response:
    return _form_page(request, session, req=None, values=_form_values(None), errors={})


@router.post("/institution/requests/new")
async def create(
    request: Request, session: SessionDep, settings: SettingsDep, user: InstitutionUser
) -> Response:
    data = await _request_form(request)
    submit = data.pop("submit", "") == "1"
    try:
        req = placements.create_request(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        session.rollback()
        return _form_page(
            request, session, req=None, values=data, errors=errors_of(exc), status=422
        )
    if submit:
        try:
            placements.transition_request(
                session=session,
                actor=user,
                request_id=req.id or 0,
                to="submitted",
                expected_version=req.version,
                base_url=settings.base_url,
            )
        except FORM_ERRORS:
            session.rollback()
    return RedirectResponse(f"/institution/requests/{req.id}?saved=1", status_code=303)


def _institution_detail(
    request: Request,
    session: Session,
    user: User,
    request_id: Int64,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    req = placements.get_request(session=session, actor=user, request_id=request_id)
    return render(
        request,
        "requests/institution_detail.html",
        {
            "req": req,
            "programme": institutions.get_programme(session=session, programme_id=req.programme_id)
            if req.programme_id
            else None,
            "moves": placements.request_moves(session, req, user),
            "editable": placements.editable(req, user),
            "shortlist": placements.get_shortlist(
                session=session, actor=user, request_id=req.id or 0
            ),
            "assignments": assignments.describe(
                session,
                assignments.get_all_assignments(session=session, actor=user, request_id=req.id),
                user,
            ),
            "taken": placements.positions_taken(session, req.id or 0),
            "events": placements.history(
                session=session, actor=user, entity="request", entity_id=req.id or 0
            ),
            "errors": errors or {},
            "isced": ISCED_LEVELS,
        },
        status_code=status,
    )


@router.get("/institution/requests/{request_id}")
def institution_detail(
    request_id: Int64, request: Request, session: SessionDep, user: InstitutionUser
) -> Response:
    return _institution_detail(request, session, user, request_id)


@router.get("/institution/requests/{request_id}/edit")
def edit_form(
    request_id: Int64, request: Request, session: SessionDep, user: InstitutionUser
) -> Response:
    req = placements.get_request(session=session, actor=user, request_id=request_id)
    return _form_page(request, session, req=req, values=_form_values(req), errors={})


@router.post("/institution/requests/{request_id}/edit")
async def edit(
    request_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: InstitutionUser,
) -> Response:
    data = await _request_form(request)
    req = placements.get_request(session=session, actor=user, request_id=request_id)
    submit = data.pop("submit", "") == "1"
    try:
        req = placements.update_request(
            session=session,
            actor=user,
            request_id=request_id,
            data=data,
            expected_version=version_of(data),
        )
        if submit:
            placements.transition_request(
                session=session,
                actor=user,
                request_id=request_id,
                to="submitted",
                expected_version=req.version,
                base_url=settings.base_url,
            )
    except FORM_ERRORS as exc:
        session.rollback()
        req = placements.get_request(session=session, actor=user, request_id=request_id)
        return _form_page(
            request, session, req=req, values=data, errors=errors_of(exc), status=status_of(exc)
        )
    return RedirectResponse(f"/institution/requests/{request_id}?saved=1", status_code=303)


async def _transition(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: User,
    request_id: Int64,
    detail: Callable[..., Response],
    back: str,
) -> Response:
    """Apply a request transition from a form; on refusal re-render the detail page with why."""
    data = await form_dict(request)
    try:
        placements.transition_request(
            session=session,
            actor=user,
            request_id=request_id,
            to=data.get("to", ""),
            reason=data.get("reason", ""),
            expected_version=version_of(data),
            base_url=settings.base_url,
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return detail(
            request, session, user, request_id, errors=errors_of(exc), status=status_of(exc)
        )
    return RedirectResponse(back, status_code=303)


@router.post("/institution/requests/{request_id}/transition")
async def institution_transition(
    request_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: InstitutionUser,
) -> Response:
    return await _transition(
        request,
        session,
        settings,
        user,
        request_id,
        _institution_detail,
        f"/institution/requests/{request_id}",
    )


@router.post("/institution/requests/{request_id}/propose")
async def institution_propose(
    request_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: InstitutionUser,
) -> Response:
    data = await form_dict(request)
    placements.get_request(session=session, actor=user, request_id=request_id)
    raw = data.get("entry_id", "")
    try:
        a = assignments.propose(
            session=session,
            actor=user,
            entry_id=int(raw) if raw.isdigit() else 0,
            base_url=settings.base_url,
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return _institution_detail(
            request, session, user, request_id, errors=errors_of(exc), status=status_of(exc)
        )
    return RedirectResponse(f"/institution/assignments/{a.id}", status_code=303)


# --- staff ----------------------------------------------------------------------------------


@router.get("/staff/requests")
def staff_queue(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    status: str | None = None,
    programme: str | None = None,
) -> Response:
    programme_id = int(programme) if programme and programme.isdigit() else None
    rows = placements.get_all_requests(
        session=session,
        actor=user,
        status=status if status in REQUEST_STATES else None,
        programme_id=programme_id,
    )
    return render(
        request,
        "requests/staff_queue.html",
        {
            "rows": rows,
            "status": status or "",
            "programme": programme_id,
            "statuses": REQUEST_STATES,
            "programmes": institutions.get_all_programmes(session=session),
            "institutions": {
                i.id: i.name for i in institutions.get_all_institutions(session=session)
            },
        },
    )


def _staff_detail(
    request: Request,
    session: Session,
    user: User,
    request_id: Int64,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    req = placements.get_request(session=session, actor=user, request_id=request_id)
    return render(
        request,
        "requests/staff_detail.html",
        {
            "req": req,
            "institution": institutions.get_institution(
                session=session, institution_id=req.institution_id
            ),
            "programme": institutions.get_programme(session=session, programme_id=req.programme_id)
            if req.programme_id
            else None,
            "moves": placements.request_moves(session, req, user),
            "shortlist": placements.get_shortlist(
                session=session, actor=user, request_id=req.id or 0
            ),
            "assignments": assignments.describe(
                session,
                assignments.get_all_assignments(session=session, actor=user, request_id=req.id),
                user,
            ),
            "taken": placements.positions_taken(session, req.id or 0),
            "events": audit.history(session=session, entity="request", entity_id=req.id or 0),
            "errors": errors or {},
            "isced": ISCED_LEVELS,
        },
        status_code=status,
    )


@router.get("/staff/requests/{request_id}")
def staff_detail(
    request_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    return _staff_detail(request, session, user, request_id)


@router.post("/staff/requests/{request_id}/transition")
async def staff_transition(
    request_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: StaffUser,
) -> Response:
    return await _transition(
        request, session, settings, user, request_id, _staff_detail, f"/staff/requests/{request_id}"
    )


def _shortlist_page(
    request: Request,
    session: Session,
    user: User,
    request_id: Int64,
    *,
    filters: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    req = placements.get_request(session=session, actor=user, request_id=request_id)
    rows = placements.get_shortlist(
        session=session,
        actor=user,
        request_id=request_id,
        status=filters.get("status") or None,
        country=filters.get("country") or None,
        mode=filters.get("mode") or None,
        language=filters.get("language") or None,
    )
    return render(
        request,
        "requests/shortlist.html",
        {
            "req": req,
            "rows": rows,
            "filters": filters,
            "statuses": SHORTLIST_STATES,
            "modes": MODES,
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/staff/requests/{request_id}/shortlist")
def shortlist(
    request_id: Int64,
    request: Request,
    session: SessionDep,
    user: StaffUser,
    status: str = "",
    country: str = "",
    mode: str = "",
    language: str = "",
) -> Response:
    filters = {"status": status, "country": country, "mode": mode, "language": language}
    return _shortlist_page(request, session, user, request_id, filters=filters)


@router.post("/staff/requests/{request_id}/shortlist/run")
def run_matching(
    request_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    try:
        placements.run_matching(session=session, actor=user, request_id=request_id)
    except FORM_ERRORS as exc:
        session.rollback()
        return _shortlist_page(
            request,
            session,
            user,
            request_id,
            filters={},
            errors=errors_of(exc),
            status=status_of(exc),
        )
    return RedirectResponse(f"/staff/requests/{request_id}/shortlist", status_code=303)


@router.post("/staff/shortlist/{entry_id}/transition")
async def entry_transition(
    entry_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: StaffUser,
) -> Response:
    data = await form_dict(request)
    entry = placements.get_entry(session=session, actor=user, entry_id=entry_id)
    try:
        placements.transition_entry(
            session=session,
            actor=user,
            entry_id=entry_id,
            to=data.get("to", ""),
            expected_version=version_of(data),
            base_url=settings.base_url,
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return _shortlist_page(
            request,
            session,
            user,
            entry.request_id,
            filters={},
            errors=errors_of(exc),
            status=status_of(exc),
        )
    return RedirectResponse(
        f"/staff/requests/{entry.request_id}/shortlist#entry-{entry_id}", status_code=303
    )


@router.post("/staff/shortlist/{entry_id}/propose")
async def staff_propose(
    entry_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: StaffUser,
) -> Response:
    await form_dict(request)
    entry = placements.get_entry(session=session, actor=user, entry_id=entry_id)
    try:
        a = assignments.propose(
            session=session, actor=user, entry_id=entry_id, base_url=settings.base_url
        )
    except FORM_ERRORS as exc:
        session.rollback()
        return _shortlist_page(
            request,
            session,
            user,
            entry.request_id,
            filters={},
            errors=errors_of(exc),
            status=status_of(exc),
        )
    return RedirectResponse(f"/staff/assignments/{a.id}", status_code=303)


# --- skill suggestions (htmx datalist) -----------------------------------------------------


@router.get("/skills/suggest")
def suggest_skills(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
    add_essential: str = "",
    add_desirable: str = "",
) -> Response:
    # htmx sends the typing box under its own name.
    text = q or add_essential or add_desirable
    labels = placements.suggest_skills(session=session, actor=user, q=text)
    return render(request, "requests/_skill_options.html", {"labels": labels})
