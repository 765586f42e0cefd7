"""Accounts over the API: who am I, registration, user administration."""

from __future__ import annotations

from fastapi import APIRouter, Request

from diaspora.accounts import service as accounts
from web.api.schemas import RegisterIn, UserCreate, UserPublic
from web.deps import AdminUser, CurrentUser, Int64, SessionDep, StaffUser

router = APIRouter(tags=["accounts"])


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)


@router.post("/register", response_model=UserPublic, status_code=201)
def register(body: RegisterIn, session: SessionDep, request: Request) -> UserPublic:
    user = accounts.register_member(
        session=session, email=body.email, password=body.password, display_name=body.display_name
    )
    return UserPublic.model_validate(user)


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, user: StaffUser) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in accounts.get_all(session=session, actor=user)]


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
