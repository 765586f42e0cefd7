"""The access matrix: for every route, what each kind of user must get.

Personas: anonymous; alice and bob (members; records below belong to alice unless said);
carol (institution A) and dave (institution B); sam (staff); ada (admin).

Outcomes:
- "ok": the access gate lets the user through (any answer but 401/403/404 and not a redirect
  to sign-in — a 422 for an empty form still means "allowed").
- "login": 401 (API) or a redirect to /login (pages).
- "deny": 403 — the role may not use this route at all.
- "hide": 404 — the record exists but is not the user's; its existence must not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PERSONAS = ("anonymous", "bob", "carol", "dave", "sam", "ada", "alice")

Fill = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    expect: dict[str, str]
    params: Fill = field(default=lambda w: {})
    body: Callable[[Any], Any] | None = None
    form: Callable[[Any], dict[str, Any]] | None = None
    setup: Callable[[Any, Any], None] | None = None  # (world, session) -> None


def outcomes(default: str, **overrides: str) -> dict[str, str]:
    out = dict.fromkeys(PERSONAS, default)
    out.update(overrides)
    return out


def public() -> dict[str, str]:
    return outcomes("ok")


def signed_in() -> dict[str, str]:
    return outcomes("ok", anonymous="login")


def members_only() -> dict[str, str]:
    return outcomes("deny", anonymous="login", alice="ok", bob="ok")


def institution_only() -> dict[str, str]:
    return outcomes("deny", anonymous="login", carol="ok", dave="ok")


def staff_only() -> dict[str, str]:
    return outcomes("deny", anonymous="login", sam="ok", ada="ok")


def admin_only() -> dict[str, str]:
    return outcomes("deny", anonymous="login", ada="ok")


def alices_record() -> dict[str, str]:
    """A member's own record: alice and staff; everyone else gets 404."""
    return outcomes("hide", anonymous="login", alice="ok", sam="ok", ada="ok")


def institution_a_record() -> dict[str, str]:
    """A record of institution A: carol and staff; members and other institutions get 404."""
    return outcomes("hide", anonymous="login", carol="ok", sam="ok", ada="ok")


# Register rules per domain module below; test_access_matrix checks that every route has one.
RULES: list[Rule] = []


def add(*rules: Rule) -> None:
    RULES.extend(rules)


# --- foundation routes -------------------------------------------------------------------
add(
    Rule("GET", "/", public()),
    Rule("GET", "/privacy", public()),
    Rule("GET", "/healthz", public()),
    Rule("GET", "/login", public()),
    Rule(
        "POST",
        "/login",
        public(),
        form=lambda w: {"email": "x@example.org", "password": "wrong-password"},
    ),
    Rule("POST", "/logout", public()),
    Rule("GET", "/register", public()),
    Rule("POST", "/register", public(), form=lambda w: {"email": "bad"}),
    Rule("GET", "/forgot-password", public()),
    Rule("POST", "/forgot-password", public(), form=lambda w: {"email": "x@example.org"}),
    Rule("GET", "/reset-password", public()),
    Rule("POST", "/reset-password", public(), form=lambda w: {"token": "nope", "password": "x"}),
    Rule("GET", "/me", members_only()),
    Rule("GET", "/me/edit", members_only()),
    Rule("POST", "/me/edit", members_only(), form=lambda w: {"years_experience": "abc"}),
    Rule("POST", "/me/consents", members_only(), form=lambda w: {"purpose": "mapping"}),
    Rule("GET", "/me/export", members_only()),
    Rule("GET", "/me/export/archive", members_only()),
    Rule("GET", "/me/erase", members_only()),
    Rule("POST", "/me/erase", members_only(), form=lambda w: {"confirm": "no"}),
    Rule("GET", "/admin/users", staff_only()),
    Rule("POST", "/admin/users", staff_only(), form=lambda w: {"email": "bad", "role": "member"}),
    Rule(
        "POST",
        "/admin/users/{user_id}/active",
        admin_only(),
        params=lambda w: {"user_id": w.bob.id},
        form=lambda w: {"active": "1"},
    ),
    Rule("GET", "/admin/institutions", staff_only()),
    Rule("POST", "/admin/institutions", admin_only(), form=lambda w: {"name": ""}),
    Rule("POST", "/admin/programmes", admin_only(), form=lambda w: {"code": ""}),
    Rule("GET", "/admin/audit", staff_only()),
    Rule("GET", "/staff/members", staff_only()),
    Rule(
        "GET",
        "/staff/members/{member_id}",
        staff_only(),
        params=lambda w: {"member_id": w.alice_profile.id},
    ),
    Rule("GET", "/staff/outbox", staff_only()),
    Rule("GET", "/api/v1/me", signed_in()),
    Rule("POST", "/api/v1/register", public(), body=lambda w: {"email": "bad", "password": "x"}),
    Rule("GET", "/api/v1/users", staff_only()),
    Rule("POST", "/api/v1/users", staff_only(), body=lambda w: {"email": "bad", "role": "member"}),
    Rule(
        "POST",
        "/api/v1/users/{user_id}/disable",
        admin_only(),
        params=lambda w: {"user_id": w.bob.id},
    ),
    Rule("GET", "/api/v1/me/profile", members_only()),
    Rule("PATCH", "/api/v1/me/profile", members_only(), body=lambda w: {"years_experience": 3}),
    Rule("GET", "/api/v1/me/consents", members_only()),
    Rule(
        "PUT",
        "/api/v1/me/consents",
        members_only(),
        body=lambda w: {"consents": {"research": True}},
    ),
    Rule("GET", "/api/v1/me/export", members_only()),
    Rule("POST", "/api/v1/me/erase", members_only()),
    Rule("GET", "/api/v1/members", staff_only()),
    Rule(
        "GET",
        "/api/v1/members/{member_id}",
        alices_record(),
        params=lambda w: {"member_id": w.alice_profile.id},
    ),
)
