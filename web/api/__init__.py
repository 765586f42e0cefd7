"""The JSON API under /api/v1."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from web.deps import api_csrf

# Each module exposes `router`; add new domains here.
MODULES = (
    "health",
    "accounts",
    "members",
    "requests",
    "assignments",
    "reports",
    "surveys",
    "analytics",
)


class ErrorBody(BaseModel):
    """Every refusal of the API (web.errors.error_response)."""

    detail: str = Field(description="what happened, in a sentence")
    errors: dict[str, str] | None = Field(
        default=None, description="field (dotted path) -> what is expected; validation only"
    )


_WHY = {
    400: "The request cannot be carried out as sent",
    401: "Not signed in, or the access token is invalid, expired or revoked",
    403: "Your role may not do this, or the CSRF header is missing",
    404: "No such record, or not one you may see",
    409: "A stale version, or a transition the record's state does not allow",
    413: "The body is larger than the limit",
    422: "Some fields are invalid; `errors` names each with what is expected",
    429: "Too many attempts; wait and try again",
}
# Every operation documents every refusal it can give: those of any request, and on
# unsafe methods a stale version (409) and the body limit (413) too.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _WHY.items()
}


def build_router() -> APIRouter:
    root = APIRouter(responses=ERROR_RESPONSES)
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(api_csrf)])
    for name in MODULES:
        module = importlib.import_module(f"web.api.{name}")
        if getattr(module, "UNPREFIXED", False):
            root.include_router(module.router)
        else:
            api.include_router(module.router)
    root.include_router(api)
    return root
