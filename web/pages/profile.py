"""The member's own profile, consents, data export and erasure."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from diaspora.consent import service as consent
from diaspora.consent.models import Channel
from diaspora.errors import Conflict, ValidationFailed
from diaspora.members import service as members
from diaspora.members.models import CONTRIBUTIONS
from diaspora.notices import service as notices
from diaspora.vocab import CEFR_LEVELS, GENDERS, ISCED_LEVELS, MODES, SECTORS
from web.deps import MemberUser, SessionDep
from web.pages.forms import form_dict
from web.security import clear_session_cookie
from web.templating import render

router = APIRouter(prefix="/me")

VOCAB = {
    "genders": GENDERS,
    "isced": ISCED_LEVELS,
    "sectors": SECTORS,
    "modes": MODES,
    "contributions": CONTRIBUTIONS,
    "cefr": CEFR_LEVELS,
}


def _profile_context(session: SessionDep, user: MemberUser) -> dict:
    profile = members.get_own(session=session, actor=user)
    ident = members.identity(session=session, actor=user, member_id=profile.id or 0)
    active = consent.active_purposes(session=session, member_id=profile.id or 0)
    return {
        "notice": notices.current(session=session, programme_id=profile.programme_id),
        "profile": profile,
        "identity": ident,
        "active": active,
        "purposes": consent.PURPOSES,
        **VOCAB,
    }


@router.get("")
def my_profile(request: Request, session: SessionDep, user: MemberUser) -> Response:
    return render(request, "profile/show.html", _profile_context(session, user))


@router.get("/edit")
def edit_form(request: Request, session: SessionDep, user: MemberUser) -> Response:
    ctx = _profile_context(session, user)
    return render(request, "profile/edit.html", {**ctx, "errors": {}, "values": None})


@router.post("/edit")
async def edit(request: Request, session: SessionDep, user: MemberUser) -> Response:
    data = await form_dict(request, lists=("modes", "contributions", "sectors"))
    profile = members.get_own(session=session, actor=user)
    version = data.pop("version", "")
    skills = data.pop("skills", "")
    data["skills"] = [s.strip() for s in skills.replace("\n", ",").split(",") if s.strip()]
    langs = data.pop("languages", "")
    data["languages"] = [part.strip() for part in langs.split(",") if part.strip()]
    try:
        members.update_profile(
            session=session,
            actor=user,
            member_id=profile.id or 0,
            data=data,
            expected_version=int(version) if version.isdigit() else None,
        )
    except (ValidationFailed, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"form": exc.message}
        ctx = _profile_context(session, user)
        return render(
            request, "profile/edit.html", {**ctx, "errors": errors, "values": data}, status_code=422
        )
    return RedirectResponse("/me?saved=1", status_code=303)


@router.post("/consents")
async def set_consents(request: Request, session: SessionDep, user: MemberUser) -> Response:
    data = await form_dict(request, lists=("purpose",))
    profile = members.get_own(session=session, actor=user)
    chosen = set(data["purpose"])
    shown = str(data.get("notice_id", ""))
    consent.set_consents(
        session=session,
        actor=user,
        member_id=profile.id or 0,
        choices={p: p in chosen for p in consent.PURPOSES},
        channel=Channel.profile,
        # The version the form showed (a newer one may have been published since).
        notice_id=int(shown) if shown.isdigit() and len(shown) < 12 else None,
    )
    return RedirectResponse("/me?consents_saved=1#consents", status_code=303)


@router.get("/export")
def export(session: SessionDep, user: MemberUser) -> Response:
    profile = members.get_own(session=session, actor=user)
    data = members.export_data(session=session, actor=user, member_id=profile.id or 0)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="my-data-{profile.pseudonym}.json"'},
    )


@router.get("/export/archive")
def export_archive(session: SessionDep, user: MemberUser) -> Response:
    profile = members.get_own(session=session, actor=user)
    data = members.export_archive(session=session, actor=user, member_id=profile.id or 0)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="my-data-{profile.pseudonym}.zip"'},
    )


@router.get("/erase")
def erase_form(request: Request, session: SessionDep, user: MemberUser) -> Response:
    return render(request, "profile/erase.html", {"errors": {}})


@router.post("/erase")
async def erase(request: Request, session: SessionDep, user: MemberUser) -> Response:
    data = await form_dict(request)
    if data.get("confirm", "").strip().upper() != "ERASE":
        return render(
            request,
            "profile/erase.html",
            {"errors": {"confirm": "type ERASE to confirm"}},
            status_code=422,
        )
    profile = members.get_own(session=session, actor=user)
    members.erase(session=session, actor=user, member_id=profile.id or 0)
    response = RedirectResponse("/?erased=1", status_code=303)
    clear_session_cookie(response)
    return response
