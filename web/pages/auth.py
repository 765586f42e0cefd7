"""Sign in, sign out, register, email verification, password reset."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from diaspora.accounts import service as accounts
from diaspora.errors import RateLimited, Unauthorized, ValidationFailed
from web.deps import SessionDep, SettingsDep
from web.pages.forms import client_address, form_dict, safe_next
from web.security import SESSION_COOKIE, clear_session_cookie, set_session_cookie
from web.templating import render

router = APIRouter()


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "auth/login.html", {"next": safe_next(next), "values": {}, "errors": {}})


@router.post("/login")
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    data = await form_dict(request)
    target = safe_next(data.get("next"))
    try:
        user = accounts.authenticate(
            session=session,
            email=data.get("email", ""),
            password=data.get("password", ""),
            address=client_address(request),
            max_failures=settings.login_max_failures,
            address_max_failures=settings.login_address_max_failures,
            account_max_failures=settings.login_account_max_failures,
            window_minutes=settings.login_window_minutes,
            max_delay_seconds=settings.login_max_delay_seconds,
        )
    except (Unauthorized, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 400
        return render(
            request,
            "auth/login.html",
            {
                "next": target,
                "values": {"email": data.get("email", "")},
                "errors": {"form": exc.message},
            },
            status_code=status,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(session=session, token=old)
    token = accounts.start_session(
        session=session,
        user=user,
        hours=settings.session_hours,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(session=session, token=token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/register")
def register_form(request: Request) -> Response:
    return render(request, "auth/register.html", {"values": {}, "errors": {}, "sent": False})


@router.post("/register")
async def register(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    data = await form_dict(request)
    values = {"email": data.get("email", ""), "display_name": data.get("display_name", "")}
    page = {"values": values, "sent": False}
    if data.get("password", "") != data.get("password_again", ""):
        return render(
            request,
            "auth/register.html",
            {**page, "errors": {"password_again": "the two passwords differ"}},
            status_code=422,
        )
    try:
        accounts.register_member(
            session=session,
            email=values["email"],
            password=data.get("password", ""),
            display_name=values["display_name"],
            locale=getattr(request.state, "locale", "en"),
            address=client_address(request),
            base_url=settings.base_url,
            per_email_hour=settings.register_per_email_hour,
            per_address_hour=settings.register_per_address_hour,
        )
    except ValidationFailed as exc:
        return render(
            request, "auth/register.html", {**page, "errors": exc.errors}, status_code=422
        )
    except RateLimited as exc:
        return render(
            request,
            "auth/register.html",
            {**page, "errors": {"form": exc.message}},
            status_code=429,
        )
    # The same page whether the address was new or known: no sign-in here, which would
    # tell the two apart. The new member signs in with the password they chose.
    return render(request, "auth/register.html", {**page, "errors": {}, "sent": True})


@router.get("/verify-email")
def verify_form(request: Request, token: str = "") -> Response:
    # A GET only shows a button: mail scanners that open links must not confirm for us.
    return render(request, "auth/verify.html", {"token": token[:200], "errors": {}})


@router.post("/verify-email")
async def verify(request: Request, session: SessionDep) -> Response:
    data = await form_dict(request)
    try:
        accounts.verify_email(session=session, token=data.get("token", ""))
    except ValidationFailed as exc:
        return render(
            request,
            "auth/verify.html",
            {"token": "", "errors": exc.errors},
            status_code=422,
        )
    target = "/account?verified=1" if getattr(request.state, "user", None) else "/login?verified=1"
    return RedirectResponse(target, status_code=303)


@router.get("/forgot-password")
def forgot_form(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"sent": False, "errors": {}})


@router.post("/forgot-password")
async def forgot(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    data = await form_dict(request)
    try:
        accounts.request_password_reset(
            session=session,
            email=data.get("email", ""),
            base_url=settings.base_url,
            address=client_address(request),
            per_email_hour=settings.forgot_per_email_hour,
            per_address_hour=settings.forgot_per_address_hour,
        )
    except RateLimited as exc:
        return render(
            request,
            "auth/forgot.html",
            {"sent": False, "errors": {"form": exc.message}},
            status_code=429,
        )
    return render(request, "auth/forgot.html", {"sent": True, "errors": {}})


@router.get("/reset-password")
def reset_form(request: Request, session: SessionDep, token: str = "") -> Response:
    if not accounts.reset_link_is_open(session=session, token=token):
        errors = {"token": "this reset link is invalid or has expired; ask for a new one"}
        return render(request, "auth/reset.html", {"token": "", "errors": errors})
    return render(request, "auth/reset.html", {"token": token[:200], "errors": {}})


@router.post("/reset-password")
async def reset(request: Request, session: SessionDep) -> Response:
    data = await form_dict(request)
    if data.get("password", "") != data.get("password_again", data.get("password", "")):
        return render(
            request,
            "auth/reset.html",
            {
                "token": data.get("token", "")[:200],
                "errors": {"password_again": "the two passwords differ"},
            },
            status_code=422,
        )
    try:
        accounts.reset_password(
            session=session, token=data.get("token", ""), new_password=data.get("password", "")
        )
    except ValidationFailed as exc:
        return render(
            request,
            "auth/reset.html",
            {"token": data.get("token", "")[:200], "errors": exc.errors},
            status_code=422,
        )
    return RedirectResponse("/login?reset=1", status_code=303)
