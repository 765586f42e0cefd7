"""The JSON API under /api/v1."""

from __future__ import annotations

import importlib

from fastapi import APIRouter, Depends

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


def build_router() -> APIRouter:
    root = APIRouter()
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(api_csrf)])
    for name in MODULES:
        module = importlib.import_module(f"web.api.{name}")
        if getattr(module, "UNPREFIXED", False):
            root.include_router(module.router)
        else:
            api.include_router(module.router)
    root.include_router(api)
    return root
