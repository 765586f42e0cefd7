"""Reading HTML form posts into plain dicts."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from diaspora.errors import Conflict, DomainError, InvalidTransition, ValidationFailed
from web.security import CSRF_FIELD


async def form_dict(request: Request, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """Text fields as strings, fields named in `lists` as lists; the CSRF field is dropped."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == CSRF_FIELD:
            continue
        values = [v for v in form.getlist(key) if not isinstance(v, UploadFile)]
        data[key] = (
            [str(v) for v in values] if key in lists else (str(values[-1]) if values else "")
        )
    for key in lists:
        data.setdefault(key, [])
    return data


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative redirects (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


# Failures a form shows next to its fields or above its buttons instead of on an error page.
FORM_ERRORS = (ValidationFailed, Conflict, InvalidTransition)


def status_of(exc: DomainError) -> int:
    """422 for input to correct, 409 for a state or version that moved."""
    return 422 if isinstance(exc, ValidationFailed) else 409


def errors_of(exc: DomainError) -> dict[str, str]:
    """Field errors plus a form-level message, as the templates show them."""
    errors = dict(exc.errors) if isinstance(exc, ValidationFailed) else {}
    errors.setdefault("form", exc.message)
    return errors


def version_of(data: dict[str, Any]) -> int | None:
    """The record version a form was rendered with (optimistic locking)."""
    raw = str(data.get("version", "")).strip()
    return int(raw) if raw.isdigit() else None
