"""Accounts over the API: who am I, registration, user administration."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from diaspora.accounts import service as accounts
from web.api.schemas import RegisterIn, UserCreate, UserPublic
from web.deps import AdminUser, CurrentUser, Int64, SessionDep, SettingsDep, StaffUser
from web.pages.forms import client_address

router = APIRouter(tags=["accounts"])


class Accepted(BaseModel):
    """The answer of a request whose outcome must not be told (mail may have been sent)."""

    detail: str


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.post("/register", response_model=Accepted, status_code=202)
def register(
    body: RegisterIn, session: SessionDep, settings: SettingsDep, request: Request
) -> Accepted:
    """The same answer for a new and a known email; the account is confirmed by mail."""
    accounts.register_member(
        session=session,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        address=client_address(request),
        base_url=settings.base_url,
        per_email_hour=settings.register_per_email_hour,
        per_address_hour=settings.register_per_address_hour,
    )
    return Accepted(detail=accounts.REGISTERED)


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, user: StaffUser) -> list[UserPublic]:
    return [
        UserPublic.model_validate(u)
        for u in accounts.get_all(session=session, actor=user, audit=True)
    ]


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, session: SessionDep, user: StaffUser) -> UserPublic:
    created = accounts.create_user(
        session=session,
        actor=user,
        email=body.email,
        password=body.password,
        role=body.role,
        institution_id=body.institution_id,
        display_name=body.display_name,
    )
    return UserPublic.model_validate(created)


@router.post("/users/{user_id}/disable", response_model=UserPublic)
def disable_user(user_id: Int64, session: SessionDep, user: AdminUser) -> UserPublic:
    return UserPublic.model_validate(
        accounts.set_active(session=session, actor=user, user_id=user_id, active=False)
    )
