"""Members: open placement requests that fit them, and their answer (interested or not)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from diaspora.placements import service as placements
from diaspora.vocab import ISCED_LEVELS
from web.deps import Int64, MemberUser, SessionDep, SettingsDep
from web.pages.forms import FORM_ERRORS, form_dict, status_of
from web.templating import render

router = APIRouter()


@router.get("/opportunities")
def opportunities(request: Request, session: SessionDep, user: MemberUser) -> Response:
    rows = placements.opportunities_for(session=session, actor=user)
    return render(request, "requests/opportunities.html", {"rows": rows})


# Declared before /opportunities/{request_id} so "respond" is not read as an id.
@router.get("/opportunities/respond")
def respond_link(
    request: Request, session: SessionDep, user: MemberUser, token: str = "", answer: str = ""
) -> Response:
    """The yes/no link from the contact message: confirm with a button (links never change data)."""
    entry = placements.entry_by_token(session=session, actor=user, token=token)
    opp = placements.get_opportunity(session=session, actor=user, request_id=entry.request_id)
    return render(
        request,
        "requests/respond.html",
        {"opp": opp, "token": token, "answer": answer, "errors": {}, "isced": ISCED_LEVELS},
    )


@router.post("/opportunities/respond")
async def respond_by_token(
    request: Request, session: SessionDep, settings: SettingsDep, user: MemberUser
) -> Response:
    data = await form_dict(request)
    entry = placements.entry_by_token(session=session, actor=user, token=data.get("token", ""))
    try:
        placements.respond(
            session=session,
            actor=user,
            request_id=entry.request_id,
            answer=data.get("answer", ""),
            base_url=settings.base_url,
        )
    except FORM_ERRORS as exc:
        session.rollback()
        opp = placements.get_opportunity(session=session, actor=user, request_id=entry.request_id)
        return render(
            request,
            "requests/respond.html",
            {
                "opp": opp,
                "token": data.get("token", ""),
                "answer": data.get("answer", ""),
                "errors": {"form": exc.message},
                "isced": ISCED_LEVELS,
            },
            status_code=status_of(exc),
        )
    return RedirectResponse(f"/opportunities/{entry.request_id}?answered=1", status_code=303)


@router.get("/opportunities/{request_id}")
def opportunity(
    request_id: Int64, request: Request, session: SessionDep, user: MemberUser
) -> Response:
    opp = placements.get_opportunity(session=session, actor=user, request_id=request_id)
    return render(
        request, "requests/opportunity.html", {"opp": opp, "errors": {}, "isced": ISCED_LEVELS}
    )


@router.post("/opportunities/{request_id}/respond")
async def respond(
    request_id: Int64,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: MemberUser,
) -> Response:
    data = await form_dict(request)
    try:
        placements.respond(
            session=session,
            actor=user,
            request_id=request_id,
            answer=data.get("answer", ""),
            base_url=settings.base_url,
        )
    except FORM_ERRORS as exc:
        session.rollback()
        opp = placements.get_opportunity(session=session, actor=user, request_id=request_id)
        return render(
            request,
            "requests/opportunity.html",
            {"opp": opp, "errors": {"form": exc.message}, "isced": ISCED_LEVELS},
            status_code=status_of(exc),
        )
    return RedirectResponse(f"/opportunities/{request_id}?answered=1", status_code=303)
