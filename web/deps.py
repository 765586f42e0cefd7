"""Dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from annotated_types import Interval
from fastapi import Depends, Request
from sqlmodel import Session

from diaspora.accounts.models import Role, User
from diaspora.config import Settings
from diaspora.db import new_session
from diaspora.errors import Forbidden, Unauthorized
from web.edge import INT64_MAX, INT64_MIN
from web.security import CSRF_FIELD, CSRF_HEADER, csrf_valid

# Every integer the web layer accepts (path, query, form, JSON) is one of these, so a
# number no database here can take is a 422 naming its field, not an OverflowError.
# Int64: ids, versions, offsets (SQLite INTEGER; lookups on PostgreSQL's INTEGER with a
# larger value simply find nothing).  Int32: quantities stored in INTEGER columns.
Int64 = Annotated[int, Interval(ge=INT64_MIN, le=INT64_MAX)]
Int32 = Annotated[int, Interval(ge=-(2**31), le=2**31 - 1)]


def get_db(request: Request) -> Iterator[Session]:
    session = new_session(request.app.state.engine)
    try:
        yield session
    finally:
        session.close()


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def optional_user(request: Request) -> User | None:
    return getattr(request.state, "user", None)


def current_user(request: Request) -> User:
    user = getattr(request.state, "user", None)
    if user is None:
        raise Unauthorized("Please sign in.")
    return user


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role):  # noqa: ANN201 - returns a dependency
    """A dependency admitting only the given roles (records are scoped again in services)."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden("You are not allowed to see this page.")
        return user

    return Depends(check)


StaffUser = Annotated[User, require_role(Role.staff, Role.admin)]
AdminUser = Annotated[User, require_role(Role.admin)]
MemberUser = Annotated[User, require_role(Role.member)]
InstitutionUser = Annotated[User, require_role(Role.institution)]

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(Forbidden):
    """The form's CSRF token is missing or wrong."""


async def csrf_protect(request: Request) -> None:
    """Every unsafe page request carries the form's token (or the header, for htmx)."""
    if request.method not in UNSAFE:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if not submitted:
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            form = await request.form()
            value = form.get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
    if not csrf_valid(request, submitted):
        raise CsrfFailed(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and submit it again."
        )


async def api_csrf(request: Request) -> None:
    """Browser (cookie) calls to the API need the CSRF header; token clients do not."""
    if (
        request.method in UNSAFE
        and getattr(request.state, "auth_via", None) == "cookie"
        and not csrf_valid(request, request.headers.get(CSRF_HEADER))
    ):
        raise CsrfFailed("Missing or wrong X-CSRF-Token header for a cookie-authenticated call.")
