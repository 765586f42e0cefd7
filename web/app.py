"""The FastAPI application factory."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from diaspora.accounts import service as accounts
from diaspora.accounts.models import User
from diaspora.config import Settings, get_settings
from diaspora.db import make_engine, new_session
from web import edge, errors, i18n
from web.edge import too_large_text
from web.security import SESSION_COOKIE, persist_anon_cookie
from web.templating import make_environment

STATIC_DIR = Path(__file__).parent / "static"
UPLOAD_PATHS = ("/surveys/import", "/staff/surveys", "/api/v1/surveys")


# A survey page with file questions posts here; all its files at once may be as large as
# a response's files may be in all, so the engine's per-file and per-response limits
# answer with field errors next to the question instead of a bare 413.
_SURVEY_UPLOAD = re.compile(r"^/survey/page/\d+/upload$")


class BodyLimit:
    """Refuse oversized bodies before they are read into memory (413)."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, max_upload: int, max_survey_upload: int = 0
    ) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload
        self.max_survey_upload = max(max_survey_upload, max_upload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if _SURVEY_UPLOAD.match(path):
            limit = self.max_survey_upload
        elif path.startswith(UPLOAD_PATHS) or "upload" in path or "import" in path:
            limit = self.max_upload
        else:
            limit = self.max_body
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        exceeded = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    # For web.errors: a parser may wrap _TooLarge in an error of its own.
                    scope.setdefault("state", {})["body_limit"] = limit
                    raise _TooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            # A body without Content-Length (chunked) runs over the limit while a route or
            # the framework reads it; what they make of the error (FastAPI: 400 "error
            # parsing the body") is replaced by the 413 it really is.
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await self._refuse(scope, send, limit)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not refused:
                refused = True
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        text = too_large_text(limit)
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        path: str = scope.get("path", "")
        if b"text/html" in accept and not path.startswith("/api/"):
            # A person sent a form: a page that says what happened and leads back.
            back = path.removesuffix("/upload") if _SURVEY_UPLOAD.match(path) else "/"
            body = _TOO_LARGE_PAGE.format(text=html.escape(text), back=back).encode()
            kind = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"detail": text}).encode()
            kind = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


_TOO_LARGE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Too large</title></head>
<body><main><h1>What you sent is too large</h1><p>{text}</p>
<p>Send smaller files, or fewer at a time: what you saved before is kept.</p>
<p><a href="{back}">Back</a></p></main></body></html>
"""


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


# Endpoints that resolve their bearer token themselves (see `context` below).
_SELF_AUTH = re.compile(r"^/api/v1/surveys/[^/]+/(?:responses|kobo)$")


def _resolve_user(
    engine: Engine, bearer: str | None, cookie: str | None
) -> tuple[User | None, str | None]:
    with new_session(engine) as session:
        if bearer:
            return accounts.resolve_token(session=session, token=bearer), "token"
        if cookie:
            return accounts.resolve_session(session=session, token=cookie), "cookie"
    return None, None


def _deliver_forever(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """The outbox sender of a server process (several processes never send one twice)."""
    from diaspora.outbox.service import deliver_pending

    while not stop.wait(settings.outbox_interval_seconds):
        try:
            with new_session(engine) as session:
                deliver_pending(session=session, settings=settings)
        except Exception:  # noqa: BLE001 - keep delivering after a transient database error
            logging.getLogger("diaspora.outbox").exception("outbox delivery failed")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and engine."""
    settings = settings or get_settings()
    settings.check_safe()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Mail goes out from the server itself (every outbox_interval_seconds), so a demo
        # delivers without a second command; tests deliver explicitly.
        stop = threading.Event()
        if settings.environment != "test" and settings.outbox_interval_seconds > 0:
            threading.Thread(
                target=_deliver_forever,
                args=(app.state.engine, settings, stop),
                name="outbox",
                daemon=True,
            ).start()
        yield
        stop.set()

    app = FastAPI(
        title="diaspora API",
        version="1",
        openapi_url="/api/v1/openapi.json",
        # No interactive docs: Swagger UI would load its scripts from a CDN (broken offline,
        # blocked by our CSP) or add ~1.5 MB of vendored JavaScript to audit; the OpenAPI
        # document above is what clients and any local viewer read.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.resolved_database_url)
    edge.guard_engine(app.state.engine)
    app.state.jinja = make_environment()

    @app.middleware("http")
    async def context(request: Request, call_next):  # type: ignore[no-untyped-def]
        request.state.user = None
        request.state.auth_via = None
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if bearer and request.method == "POST" and _SELF_AUTH.match(request.url.path):
            # Submission endpoints check the token in the worker thread and session they
            # store with (web.api.surveys): one hop and one connection, not two.
            request.state.bearer = bearer
        elif not request.url.path.startswith("/static/"):
            user, via = await run_in_threadpool(
                _resolve_user, app.state.engine, bearer, request.cookies.get(SESSION_COOKIE)
            )
            request.state.user, request.state.auth_via = user, via if user else None
            if bearer and user is None and request.url.path.startswith("/api/"):
                return errors.error_response(
                    request, 401, "The access token is invalid or revoked."
                )
        request.state.locale = i18n.choose_locale(request, settings.default_locale)
        edge_errors = getattr(request.state, "edge_errors", None)
        if edge_errors:
            # Noted by web.edge.EdgeInput: nothing of this request reaches a route.
            response = errors.error_response(request, 422, "Some fields are invalid.", edge_errors)
            persist_anon_cookie(request, response)
            return response
        response = await call_next(request)
        persist_anon_cookie(request, response)
        if request.query_params.get("lang") in i18n.LOCALES:
            response.set_cookie(i18n.LOCALE_COOKIE, request.state.locale, samesite="lax", path="/")
        return response

    # Outermost last: headers on everything (413s included), then the body limit, then
    # the edge checks (which read bodies only through the limit).
    app.add_middleware(edge.EdgeInput)
    app.add_middleware(
        BodyLimit,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
        max_survey_upload=settings.max_response_attachment_bytes + settings.max_body_bytes,
    )
    app.add_middleware(edge.SecurityHeaders)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    from web.api import build_router as api_router
    from web.pages import build_router as pages_router

    app.include_router(api_router())
    app.include_router(pages_router())
    return app
