"""The role-aware home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from diaspora import home as home_service
from web.deps import OptionalUser, SessionDep
from web.templating import render

router = APIRouter()


@router.get("/")
def home(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    if user is None:
        return render(request, "home/anonymous.html")
    summary = home_service.summary(session=session, actor=user)
    return render(request, f"home/{user.role}.html", {"summary": summary})
