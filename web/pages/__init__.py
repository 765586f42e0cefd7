"""Server-rendered HTML pages; every unsafe request is CSRF-checked."""

from __future__ import annotations

import importlib

from fastapi import APIRouter, Depends

from web.deps import csrf_protect

# Each module exposes `router`; add new domains here.
MODULES = (
    "auth",
    "account",
    "home",
    "profile",
    "admin",
    "members",
    "opportunities",
    "requests",
    "assignments",
    "reports",
    "survey",
    "staff_surveys",
    "dashboard",
    "privacy",
)


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
    for name in MODULES:
        router.include_router(importlib.import_module(f"web.pages.{name}").router)
    return router
