"""The signed-in account: email confirmation, password change, personal access tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from diaspora.accounts import service as accounts
from diaspora.errors import Conflict, RateLimited, ValidationFailed
from web.deps import AdminUser, CurrentUser, Int64, SessionDep, SettingsDep
from web.pages.forms import client_address, form_dict
from web.security import SESSION_COOKIE
from web.templating import render

router = APIRouter()


def _page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    new_token: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "auth/account.html",
        {
            "tokens": accounts.list_tokens(session=session, actor=user),
            "errors": errors or {},
            "values": values or {},
            "new_token": new_token,
            "token_days": request.app.state.settings.token_days,
        },
        status_code=status,
    )


@router.get("/account")
def account(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _page(request, session, user)


@router.post("/account/password")
async def change_password(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    data = await form_dict(request)
    if data.get("password", "") != data.get("password_again", ""):
        return _page(
            request,
            session,
            user,
            errors={"password_again": "the two passwords differ"},
            status=422,
        )
    try:
        accounts.change_password(
            session=session,
            actor=user,
            current_password=data.get("current_password", ""),
            new_password=data.get("password", ""),
            keep_session=request.cookies.get(SESSION_COOKIE),
            address=client_address(request),
            max_failures=settings.login_max_failures,
            address_max_failures=settings.login_address_max_failures,
            account_max_failures=settings.login_account_max_failures,
            window_minutes=settings.login_window_minutes,
            max_delay_seconds=settings.login_max_delay_seconds,
        )
    except ValidationFailed as exc:
        session.rollback()
        return _page(request, session, user, errors=exc.errors, status=422)
    except RateLimited as exc:
        session.rollback()
        return _page(request, session, user, errors={"current_password": exc.message}, status=429)
    return RedirectResponse("/account?changed=1", status_code=303)


@router.post("/account/verify")
async def resend_verification(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    try:
        accounts.resend_verification(session=session, actor=user, base_url=settings.base_url)
    except (Conflict, RateLimited) as exc:
        session.rollback()
        status = 429 if isinstance(exc, RateLimited) else 409
        return _page(request, session, user, errors={"verify": exc.message}, status=status)
    return RedirectResponse("/account?sent=1", status_code=303)


@router.post("/account/tokens")
async def issue_token(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    data = await form_dict(request)
    days_text = data.get("days", "").strip() or str(settings.token_days)
    values = {k: v for k, v in data.items() if k != "token_password"}
    try:
        days = int(days_text) if days_text.isdigit() and len(days_text) <= 4 else 0
        # The fields first: their errors need no password, and a typo must not count as a
        # failed sign-in.
        if errors := accounts.token_field_errors(name=data.get("name", ""), days=days):
            raise ValidationFailed(errors)
        # A token outlives the session that makes it: a stolen cookie alone must not mint one.
        accounts.confirm_password(
            session=session,
            actor=user,
            password=data.get("token_password", ""),
            address=client_address(request),
            max_failures=settings.login_max_failures,
            address_max_failures=settings.login_address_max_failures,
            account_max_failures=settings.login_account_max_failures,
            window_minutes=settings.login_window_minutes,
            max_delay_seconds=settings.login_max_delay_seconds,
        )
        token = accounts.issue_token(
            session=session, user=user, name=data.get("name", ""), days=days
        )
    except ValidationFailed as exc:
        session.rollback()
        errors = {
            ("token_password" if k == "current_password" else k): v for k, v in exc.errors.items()
        }
        return _page(request, session, user, errors=errors, values=values, status=422)
    except RateLimited as exc:
        session.rollback()
        errors = {"token_password": exc.message}
        return _page(request, session, user, errors=errors, values=values, status=429)
    # Shown once, on this answer only; the database keeps its hash.
    response = _page(request, session, user, new_token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: Int64, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    accounts.revoke_token(session=session, actor=user, token_id=token_id)
    back = "/admin/tokens" if (await form_dict(request)).get("back") == "admin" else "/account"
    return RedirectResponse(back, status_code=303)


@router.get("/admin/tokens")
def admin_tokens(request: Request, session: SessionDep, user: AdminUser) -> Response:
    tokens = accounts.all_tokens(session=session, actor=user)
    owners = {u.id: u for u in accounts.get_all(session=session, actor=user)}
    return render(request, "admin/tokens.html", {"tokens": tokens, "owners": owners})
