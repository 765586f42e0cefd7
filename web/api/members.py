"""The member's own profile, consents, data export and erasure; staff reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from diaspora.consent import service as consent
from diaspora.consent.models import Channel
from diaspora.members import service as members
from web.api.schemas import ConsentsIn, ProfilePublic, ProfileUpdate
from web.deps import CurrentUser, Int64, MemberUser, SessionDep, StaffUser

router = APIRouter(tags=["members"])


@router.get("/me/profile", response_model=ProfilePublic)
def my_profile(session: SessionDep, user: MemberUser) -> ProfilePublic:
    return ProfilePublic.model_validate(members.get_own(session=session, actor=user))


@router.patch("/me/profile", response_model=ProfilePublic)
def update_my_profile(body: ProfileUpdate, session: SessionDep, user: MemberUser) -> ProfilePublic:
    profile = members.get_own(session=session, actor=user)
    data = body.model_dump(exclude_unset=True)
    expected = data.pop("version", None)
    updated = members.update_profile(
        session=session,
        actor=user,
        member_id=profile.id or 0,
        data=data,
        expected_version=expected,
    )
    return ProfilePublic.model_validate(updated)


@router.get("/me/consents")
def my_consents(session: SessionDep, user: MemberUser) -> dict[str, Any]:
    profile = members.get_own(session=session, actor=user)
    active = consent.active_purposes(session=session, member_id=profile.id or 0)
    return {"consents": {p: p in active for p in consent.PURPOSES}}


@router.put("/me/consents")
def set_my_consents(body: ConsentsIn, session: SessionDep, user: MemberUser) -> dict[str, Any]:
    profile = members.get_own(session=session, actor=user)
    active = consent.set_consents(
        session=session,
        actor=user,
        member_id=profile.id or 0,
        choices=body.consents,
        channel=Channel.api,
    )
    return {"consents": {p: p in active for p in consent.PURPOSES}}


@router.get("/me/export")
def export_my_data(session: SessionDep, user: MemberUser) -> dict[str, Any]:
    profile = members.get_own(session=session, actor=user)
    return members.export_data(session=session, actor=user, member_id=profile.id or 0)


@router.post("/me/erase")
def erase_me(session: SessionDep, user: MemberUser) -> dict[str, str]:
    profile = members.get_own(session=session, actor=user)
    members.erase(session=session, actor=user, member_id=profile.id or 0)
    return {"status": "erased"}


@router.get("/members", response_model=list[ProfilePublic])
def list_members(
    session: SessionDep,
    user: StaffUser,
    country: str | None = None,
    q: str | None = None,
    limit: Int64 = 100,
    offset: Int64 = 0,
) -> list[ProfilePublic]:
    rows, _ = members.get_all(
        session=session,
        actor=user,
        country=country,
        q=q,
        limit=min(max(limit, 1), 500),
        offset=max(offset, 0),
    )
    return [ProfilePublic.model_validate(r) for r in rows]


@router.get("/members/{member_id}", response_model=ProfilePublic)
def get_member(member_id: Int64, session: SessionDep, user: CurrentUser) -> ProfilePublic:
    return ProfilePublic.model_validate(
        members.view(session=session, actor=user, member_id=member_id)
    )
