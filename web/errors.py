"""Domain exceptions and framework errors mapped to HTTP, as JSON for the API and pages otherwise."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from diaspora.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from web import i18n
from web.edge import UNSTORABLE_NUMBER, add_headers, too_large_text
from web.templating import render

log = logging.getLogger("diaspora.web")

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Unauthorized: 401,
    InvalidTransition: 409,
    Conflict: 409,
    RateLimited: 429,
    ValidationFailed: 422,
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz",)


def _status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def error_response(
    request: Request,
    status: int,
    detail: str,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body: dict[str, Any] = {"detail": detail}
        if errors:
            body["errors"] = errors
        extra = dict(headers or {})
        if status == 401:
            extra["WWW-Authenticate"] = "Bearer"
        return JSONResponse(body, status_code=status, headers=extra or None)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    # Messages of the web layer have catalogue entries (scripts/translations/edge.json);
    # others fall back to themselves.
    tr = i18n.translations(getattr(request.state, "locale", "en")).gettext
    response = render(
        request,
        "error.html",
        {
            "status": status,
            "detail": tr(detail),
            "errors": {key: tr(value) for key, value in (errors or {}).items()},
        },
        status_code=status,
    )
    response.headers.update(headers or {})
    return response


def _loc(parts: tuple[Any, ...] | list[Any]) -> str:
    skip = {"body", "query", "path", "header", "cookie"}
    return ".".join(str(p) for p in parts if p not in skip) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        errors = exc.errors if isinstance(exc, ValidationFailed) else None
        return error_response(request, _status(exc), exc.message, errors)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors: dict[str, str] = {}
        for err in exc.errors():
            msg = err.get("msg", "invalid value")
            if err.get("type") == "json_invalid":
                msg = "the body is not valid JSON"
            errors.setdefault(_loc(err.get("loc", ())), msg)
        return error_response(request, 422, "Some fields are invalid.", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404:
            detail = "Not found."
        # The 405 carries the route's `Allow` header.
        return error_response(request, exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(OverflowError)
    async def overflow(request: Request, exc: OverflowError) -> Response:
        # A number that reached a driver without passing the edge (web.edge) first.
        return error_response(
            request, 422, "Some fields are invalid.", {"value": UNSTORABLE_NUMBER}
        )

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> Response:
        # int() of a form field with thousands of digits (Python refuses > 4300): the
        # sender's number, not our bug.  Any other ValueError is one (a 500 below).
        if "integer string conversion" not in str(exc):
            raise exc
        return error_response(
            request, 422, "Some fields are invalid.", {"value": UNSTORABLE_NUMBER}
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses a value for its column (a number beyond INTEGER, an
        # unstorable character in JSON): the request's fault, and nothing was stored.
        log.warning("refused value on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(
            request,
            422,
            "Some fields are invalid.",
            {"value": "a value you sent is out of range or cannot be stored"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        limit = getattr(request.state, "body_limit", None)
        if limit:
            # The body ran over the limit (web.app.BodyLimit) while a form parser read it,
            # and the parser raised an error of its own: the answer is still a 413.
            response = error_response(request, 413, too_large_text(limit))
            add_headers(response.headers, request.url.path)
            return response
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = error_response(
            request, 500, "Something went wrong on our side; nothing was saved by this request."
        )
        # Answered outside the middleware stack (Starlette's ServerErrorMiddleware).
        add_headers(response.headers, request.url.path)
        return response
