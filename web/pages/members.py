"""Staff pages over member profiles: a pseudonymised list, and one profile (views audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from diaspora.consent import service as consent
from diaspora.members import service as members
from diaspora.vocab import ISCED_LEVELS
from web.deps import Int64, SessionDep, StaffUser
from web.templating import render

router = APIRouter(prefix="/staff/members")
PAGE_SIZE = 50


@router.get("")
def member_list(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    country: str = "",
    q: str = "",
    page: Int64 = 1,
) -> Response:
    page = max(page, 1)
    rows, total = members.get_all(
        session=session,
        actor=user,
        country=country.strip() or None,
        q=q.strip() or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "members/list.html",
        {
            "rows": rows,
            "total": total,
            "country": country,
            "q": q,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
        },
    )


@router.get("/{member_id}")
def member_detail(
    request: Request, session: SessionDep, user: StaffUser, member_id: Int64
) -> Response:
    return detail_page(request, session, user, member_id)


def detail_page(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    member_id: int,
    errors: dict[str, str] | None = None,
) -> Response:
    """The staff member page; with `errors`, re-shown (422) after a refused action on it."""
    profile = members.view(session=session, actor=user, member_id=member_id)
    ident = members.identity(
        session=session, actor=user, member_id=member_id, purpose="staff profile page"
    )
    return render(
        request,
        "members/detail.html",
        {
            "profile": profile,
            "identity": ident,
            "isced": ISCED_LEVELS,
            "active": consent.active_purposes(session=session, member_id=member_id),
            "purposes": consent.PURPOSES,
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )
