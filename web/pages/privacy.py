"""Privacy notices (public) and the admin pages for notices and retention periods."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from diaspora.errors import Forbidden, NotFound, ValidationFailed
from diaspora.institutions.models import Programme
from diaspora.notices import service as notices
from diaspora.notices.models import LegalBasis
from diaspora.retention import service as retention
from web.deps import AdminUser, Int64, SessionDep, StaffUser
from web.pages.forms import form_dict
from web.pages.members import detail_page
from web.templating import render

router = APIRouter()

# Longest id accepted from a query string (ids are database integers).
MAX_ID_DIGITS = 12


def _programme_id(raw: str | None) -> int | None:
    """The `programme` query parameter: empty for the platform's notice, else an id."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > MAX_ID_DIGITS:
        raise NotFound("No such programme.")
    return int(text)


def _kinds() -> list[dict[str, Any]]:
    return [
        {"key": k.key, "label": k.label, "minimum": k.minimum, "explanation": k.explanation}
        for k in retention.KINDS
    ]


@router.get("/privacy")
def privacy(request: Request, session: SessionDep) -> Response:
    published = [(p, n) for p, n in notices.all_current(session=session) if n is not None]
    return render(request, "privacy/index.html", {"published": published})


@router.get("/privacy/notices/{notice_id}")
def notice_page(notice_id: Int64, request: Request, session: SessionDep) -> Response:
    if not 0 < notice_id < 2**63:
        raise NotFound("No such privacy notice.")
    notice = notices.get(session=session, notice_id=notice_id)
    programme = session.get(Programme, notice.programme_id) if notice.programme_id else None
    newest = notices.versions(session=session, programme_id=notice.programme_id)
    return render(
        request,
        "privacy/notice.html",
        {
            "notice": notice,
            "programme": programme,
            "versions": newest,
            "kinds": _kinds(),
            "is_current": bool(newest) and newest[0].id == notice.id,
        },
    )


@router.get("/admin/privacy")
def admin_notices(request: Request, session: SessionDep, user: AdminUser) -> Response:
    rows = [
        (p, n, notices.versions(session=session, programme_id=p.id if p else None))
        for p, n in notices.all_current(session=session)
    ]
    stale = retention.periods(session=session)
    return render(request, "privacy/admin_list.html", {"rows": rows, "periods": stale})


def _edit_page(
    request: Request,
    session: SessionDep,
    programme_id: int | None,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    programme = session.get(Programme, programme_id) if programme_id else None
    if programme_id is not None and programme is None:
        raise NotFound("No such programme.")
    return render(
        request,
        "privacy/admin_edit.html",
        {
            "programme": programme,
            "programme_id": programme_id,
            "values": values,
            "errors": errors,
            "bases": [b.value for b in LegalBasis],
            "purposes": notices.PURPOSES,
            "limits": notices.TEXT_LIMITS,
            "purpose_limit": notices.PURPOSE_LIMIT,
            "current": notices.current(session=session, programme_id=programme_id)
            if programme_id is None
            else next(iter(notices.versions(session=session, programme_id=programme_id)), None),
        },
        status_code=status,
    )


@router.get("/admin/privacy/edit")
def edit_notice(
    request: Request, session: SessionDep, user: AdminUser, programme: str | None = None
) -> Response:
    programme_id = _programme_id(programme)
    values = notices.defaults(session=session, programme_id=programme_id)
    return _edit_page(request, session, programme_id, values=values, errors={})


@router.post("/admin/privacy/edit")
async def publish_notice(
    request: Request, session: SessionDep, user: AdminUser, programme: str | None = None
) -> Response:
    programme_id = _programme_id(programme)
    data = await form_dict(request)
    try:
        notice = notices.publish(session=session, actor=user, programme_id=programme_id, data=data)
    except ValidationFailed as exc:
        session.rollback()
        values = {
            **data,
            "purposes": {p: data.get(f"purpose.{p}", "") for p in notices.PURPOSES},
        }
        return _edit_page(
            request, session, programme_id, values=values, errors=exc.errors, status=422
        )
    return RedirectResponse(f"/privacy/notices/{notice.id}?published=1", status_code=303)


def _retention_page(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    due = retention.plan(session=session, actor=user)
    return render(
        request,
        "privacy/retention.html",
        {
            "kinds": _kinds(),
            "values": values,
            "errors": errors,
            "due": due[:500],
            "more": max(len(due) - 500, 0),
            "counts": retention.summary(due),
            "max_days": retention.MAX_DAYS,
        },
        status_code=status,
    )


@router.get("/admin/retention")
def retention_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    values = {k: str(v) for k, v in retention.periods(session=session).items()}
    return _retention_page(request, session, user, values=values, errors={})


@router.post("/admin/retention")
async def save_retention(request: Request, session: SessionDep, user: AdminUser) -> Response:
    data = await form_dict(request)
    try:
        retention.update(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        session.rollback()
        return _retention_page(request, session, user, values=data, errors=exc.errors, status=422)
    return RedirectResponse("/admin/retention?saved=1", status_code=303)


# --------------------------------------------------------------------------- on a member's behalf


@router.post("/staff/members/{member_id}/consents/withdraw")
async def withdraw_for_member(
    member_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    """Staff record a withdrawal a member asked for (by telephone, letter); never a grant."""
    from diaspora.consent import service as consent

    data = await form_dict(request, lists=("purpose",))
    try:
        consent.withdraw_for_member(
            session=session, actor=user, member_id=member_id, purposes=data["purpose"]
        )
    except ValidationFailed as exc:
        session.rollback()
        return detail_page(request, session, user, member_id, exc.errors)
    return RedirectResponse(f"/staff/members/{member_id}?saved=1", status_code=303)


@router.post("/staff/members/{member_id}/erase")
async def erase_member(
    member_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    """Admins erase a member through the same service the member's own request uses."""
    from diaspora.members import service as members

    data = await form_dict(request)
    members.get(session=session, actor=user, member_id=member_id)  # 404 before anything
    if user.role != "admin":
        raise Forbidden("Only an admin can erase a member.")
    if str(data.get("confirm", "")).strip().upper() != "ERASE":
        return detail_page(request, session, user, member_id, {"confirm": "type ERASE to confirm"})
    members.erase(session=session, actor=user, member_id=member_id)
    return RedirectResponse(f"/staff/members/{member_id}?erased=1", status_code=303)
