"""The edge of the app: input no layer below can store, and the headers of every answer.

`EdgeInput` reads what a request carries before any route sees it and notes, per field,
text with NUL characters or lone UTF-16 surrogates (neither can be stored in PostgreSQL
text, nor encoded as UTF-8) and JSON numbers outside the signed 64-bit range (SQLite's
INTEGER; larger ones raise OverflowError in the driver).  The app's context middleware
then answers 422 naming those fields, in the page or JSON shape the caller expects.
`guard_engine` is the last line for what the edge cannot see (text fields of multipart
forms, numbers parsed from form text): a statement with such a value is not sent.

`SecurityHeaders` adds the security headers and `Cache-Control: no-store` to every
answer that is not a static asset, including those made outside the routes (413 from
the body limit, 422 from the edge, error pages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from diaspora.errors import ValidationFailed

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", CSP.encode()),
)
# Static assets hold nothing personal and are worth caching; every other answer may.
_NO_STORE = (b"cache-control", b"no-store")

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
NUL_MESSAGE = "must not contain NUL characters (\\u0000)"
SURROGATE_MESSAGE = "contains an invalid character (a lone UTF-16 surrogate); send valid Unicode"
RANGE_MESSAGE = f"must be a whole number from {INT64_MIN} to {INT64_MAX}"
UNSTORABLE_TEXT = (
    "a text you sent contains a character that cannot be stored (NUL or a lone surrogate); "
    "remove it"
)
UNSTORABLE_NUMBER = "a number you sent is out of range"
_MAX_DEPTH = 64


def too_large_text(limit: int) -> str:
    return f"The request body is larger than the limit of {limit // 1024} KB."


def header_pairs(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer for `path` carries (unless it sets its own)."""
    pairs = list(_HEADERS)
    if not path.startswith("/static/"):
        pairs.append(_NO_STORE)
    return pairs


def add_headers(headers: Any, path: str) -> None:
    """Add the headers to a Starlette `MutableHeaders` that lacks them."""
    for name, value in header_pairs(path):
        headers.setdefault(name.decode(), value.decode())


class SecurityHeaders:
    """Outermost middleware: every http answer gets the headers it does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = header_pairs(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in extra if pair[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def text_problem(value: str) -> str | None:
    match = _BAD_TEXT.search(value)
    if match is None:
        return None
    return NUL_MESSAGE if match.group() == "\x00" else SURROGATE_MESSAGE


def scan_pairs(pairs: Iterable[tuple[str, str]], errors: dict[str, str]) -> None:
    for key, value in pairs:
        if problem := text_problem(key):
            errors.setdefault("body", "a field name " + problem)
        elif problem := text_problem(value):
            errors.setdefault(key, problem)


def scan_json(document: Any, errors: dict[str, str]) -> None:
    """Note every string, key or integer of a parsed JSON document that cannot be stored."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            if problem := text_problem(value):
                errors.setdefault(where or "body", problem)
        elif isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        elif isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                errors.setdefault(where or "body", RANGE_MESSAGE)
        elif depth >= _MAX_DEPTH:
            errors.setdefault(where or "body", f"is nested more than {_MAX_DEPTH} levels deep")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else str(key)
                if problem := text_problem(key):
                    errors.setdefault(where or "body", "a key " + problem)
                    continue
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{where}.{index}" if where else str(index), depth + 1))


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class EdgeInput:
    """Note unstorable input in `scope["state"]["edge_errors"]` (see the module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors: dict[str, str] = {}
        if problem := text_problem(scope.get("path", "")):
            errors["path"] = problem
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            scan_pairs(parse_qsl(query, keep_blank_values=True), errors)
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        kind = content_type.split(";", 1)[0].strip().lower()
        replay = receive
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE") and (
            _is_json(content_type) or kind == "application/x-www-form-urlencoded"
        ):
            body = await _read_body(receive)
            replay = _replayer(body, receive)
            if _is_json(content_type):
                _scan_json_body(body, errors)
            else:
                scan_pairs(
                    parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8"),
                    errors,
                )
        if errors:
            scope.setdefault("state", {})["edge_errors"] = errors
        await self.app(scope, replay, send)


def _scan_json_body(body: bytes, errors: dict[str, str]) -> None:
    if not body.strip():
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        errors["body"] = f"is not valid UTF-8 (byte {error.start})"
        return
    try:
        document = json.loads(text)
    except RecursionError:
        errors["body"] = f"is nested more than {_MAX_DEPTH} levels deep"
        return
    except ValueError:
        return  # not JSON: the route's own parsing says so
    scan_json(document, errors)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replayer(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class UnstorableValue(ValidationFailed):
    """A value reached the database layer that it cannot store (see `guard_engine`)."""


def _check_params(params: Any) -> None:
    if isinstance(params, dict):
        values: Iterable[Any] = params.values()
    elif isinstance(params, list | tuple):
        if params and isinstance(params[0], dict | list | tuple):
            for row in params:
                _check_params(row)
            return
        values = params
    else:
        return
    for value in values:
        if isinstance(value, str):
            if text_problem(value):
                raise UnstorableValue({"value": UNSTORABLE_TEXT})
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not INT64_MIN <= value <= INT64_MAX
        ):
            raise UnstorableValue({"value": UNSTORABLE_NUMBER})


def _before_execute(  # noqa: PLR0913 - SQLAlchemy's event signature
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    _check_params(parameters)


def guard_engine(engine: Engine) -> None:
    """Refuse statements whose parameters no database here can store (once per engine)."""
    if not event.contains(engine, "before_cursor_execute", _before_execute):
        event.listen(engine, "before_cursor_execute", _before_execute)
