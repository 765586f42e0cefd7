"""Cookies and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "diaspora_session"
ANON_COOKIE = "diaspora_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _binding(request: Request) -> str:
    """What a CSRF token is bound to: the login session, or the anonymous browser id."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and getattr(request.state, "user", None) is not None:
        return "s:" + token
    return "a:" + anon_id(request)


def anon_id(request: Request) -> str:
    existing = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anon_id", None)
    if existing:
        return existing
    request.state.new_anon_id = secrets.token_urlsafe(18)
    return request.state.new_anon_id


def csrf_token(request: Request) -> str:
    """A token tied to this browser's session; no server storage needed (HMAC with the secret)."""
    secret = request.app.state.settings.secret_key.encode()
    return hmac.new(secret, _binding(request).encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(csrf_token(request), str(submitted))


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.settings.secure_cookies),
        path="/",
        max_age=request.app.state.settings.session_hours * 3600,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def persist_anon_cookie(request: Request, response: Response) -> None:
    new_id = getattr(request.state, "new_anon_id", None)
    if new_id:
        response.set_cookie(
            ANON_COOKIE,
            new_id,
            httponly=True,
            samesite="lax",
            path="/",
            secure=bool(request.app.state.settings.secure_cookies),
        )
