"""Reading HTML form posts into plain dicts."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

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
