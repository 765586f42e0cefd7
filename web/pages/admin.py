"""Staff and admin pages: users, institutions, audit trail, outbox."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from diaspora.accounts import service as accounts
from diaspora.accounts.models import Role
from diaspora.audit import service as audit
from diaspora.errors import ValidationFailed
from diaspora.institutions import service as institutions
from diaspora.institutions.models import InstitutionKind
from diaspora.outbox import service as outbox
from diaspora.vocab import MODES, SECTORS
from web.deps import AdminUser, Int64, SessionDep, SettingsDep, StaffUser
from web.pages.forms import form_dict
from web.templating import render

router = APIRouter()


def _users_page(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    *,
    errors: dict,
    values: dict,
    status: int = 200,
) -> Response:
    return render(
        request,
        "admin/users.html",
        {
            "users": accounts.get_all(session=session, actor=user, audit=True),
            "institutions": institutions.get_all_institutions(session=session),
            "roles": [r.value for r in Role]
            if user.role == Role.admin
            else ["member", "institution"],
            "errors": errors,
            "values": values,
        },
        status_code=status,
    )


@router.get("/admin/users")
def users(request: Request, session: SessionDep, user: StaffUser) -> Response:
    return _users_page(request, session, user, errors={}, values={})


@router.post("/admin/users")
async def create_user(request: Request, session: SessionDep, user: StaffUser) -> Response:
    data = await form_dict(request)
    inst = data.get("institution_id", "")
    try:
        accounts.create_user(
            session=session,
            actor=user,
            email=data.get("email", ""),
            password=data.get("password") or None,
            role=data.get("role", ""),
            institution_id=int(inst) if inst.isdigit() else None,
            display_name=data.get("display_name", ""),
        )
    except ValidationFailed as exc:
        session.rollback()
        return _users_page(request, session, user, errors=exc.errors, values=data, status=422)
    return RedirectResponse("/admin/users?created=1", status_code=303)


@router.post("/admin/users/{user_id}/active")
async def set_active(
    user_id: Int64, request: Request, session: SessionDep, user: AdminUser
) -> Response:
    data = await form_dict(request)
    accounts.set_active(
        session=session, actor=user, user_id=user_id, active=data.get("active") == "1"
    )
    return RedirectResponse("/admin/users", status_code=303)


def _institutions_page(
    request: Request, session: SessionDep, *, errors: dict, values: dict, status: int = 200
) -> Response:
    return render(
        request,
        "admin/institutions.html",
        {
            "institutions": institutions.get_all_institutions(session=session),
            "programmes": institutions.get_all_programmes(session=session),
            "kinds": [k.value for k in InstitutionKind],
            "sectors": SECTORS,
            "modes": MODES,
            "errors": errors,
            "values": values,
        },
        status_code=status,
    )


@router.get("/admin/institutions")
def institutions_page(request: Request, session: SessionDep, user: StaffUser) -> Response:
    return _institutions_page(request, session, errors={}, values={})


@router.post("/admin/institutions")
async def create_institution(request: Request, session: SessionDep, user: AdminUser) -> Response:
    data = await form_dict(request)
    try:
        institutions.create_institution(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        session.rollback()
        return _institutions_page(request, session, errors=exc.errors, values=data, status=422)
    return RedirectResponse("/admin/institutions", status_code=303)


@router.post("/admin/programmes")
async def create_programme(request: Request, session: SessionDep, user: AdminUser) -> Response:
    data = await form_dict(request, lists=("allowed_modes",))
    data["countries_of_origin"] = [
        c for c in data.get("countries_of_origin", "").replace(" ", ",").split(",") if c
    ]
    try:
        institutions.create_programme(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        session.rollback()
        return _institutions_page(request, session, errors=exc.errors, values=data, status=422)
    return RedirectResponse("/admin/institutions", status_code=303)


@router.get("/admin/audit")
def audit_page(
    request: Request, session: SessionDep, user: StaffUser, action: str | None = None
) -> Response:
    return render(
        request,
        "admin/audit.html",
        {"events": audit.recent(session=session, action=action or None), "action": action or ""},
    )


@router.get("/staff/outbox")
def outbox_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: StaffUser
) -> Response:
    return render(
        request,
        "admin/outbox.html",
        {
            "messages": outbox.get_all(session=session, actor=user),
            "redacted": outbox.redacted,
            "smtp": bool(settings.smtp_host),
            "links_deliverable": outbox.secrets_deliverable(settings),
        },
    )
