"""Walk every registered route as every kind of user and check the answer (see access.py)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi.routing import iter_route_contexts

import tests.web as web_tests
from tests.factories import build_world, sign_in
from tests.web.access import PERSONAS, RULES, Rule
from web.security import CSRF_HEADER

# Domain modules add their rules to RULES when imported (tests/web/access_*.py).
for mod in pkgutil.iter_modules(web_tests.__path__):
    if mod.name.startswith("access_"):
        importlib.import_module(f"tests.web.{mod.name}")

SKIP_PATHS = {"/api/v1/openapi.json", "/api/v1/docs", "/docs/oauth2-redirect", "/static"}


def _route_keys(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    keys = set()
    # FastAPI nests included routers; iter_route_contexts flattens them with full paths.
    for route in iter_route_contexts(app.routes):
        if route.methods and route.path not in SKIP_PATHS:
            for method in set(route.methods) - {"HEAD", "OPTIONS"}:
                keys.add((method, route.path))
    return keys


def test_it_has_a_rule_for_every_route(app) -> None:
    ruled = {(r.method, r.path) for r in RULES}
    missing = sorted(_route_keys(app) - ruled)
    stale = sorted(ruled - _route_keys(app))
    assert missing == [], f"routes without an access rule in tests/web/access*.py: {missing}"
    assert stale == [], f"rules for routes that do not exist: {stale}"


def _classify(response) -> str:  # type: ignore[no-untyped-def]
    code = response.status_code
    location = response.headers.get("location", "")
    if code == 401 or (code in (302, 303, 307) and location.startswith("/login")):
        return "login"
    if code == 403:
        return "deny"
    if code == 404:
        return "hide"
    if code >= 500:
        return f"error {code}"
    return "ok"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.method} {r.path}")
def test_it_enforces_the_access_rule(rule: Rule, app, session, as_user) -> None:
    world = build_world(session)
    if rule.setup:
        rule.setup(world, session)
    path = rule.path.format(**rule.params(world))
    users = world.users()
    seen = {}
    for persona in PERSONAS:
        client = as_user(None)
        if users[persona] is not None:
            sign_in(app, client, users[persona])
        token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        kwargs: dict = {"headers": {CSRF_HEADER: token}, "follow_redirects": False}
        if rule.form is not None:
            kwargs["data"] = {**rule.form(world), "csrf_token": token}
        elif rule.body is not None:
            kwargs["json"] = rule.body(world)
        response = client.request(rule.method, path, **kwargs)
        seen[persona] = _classify(response)
        if seen[persona] == "ok" and persona not in ("sam", "ada") and rule.expect[persona] == "ok":
            # Nobody but staff may ever get someone else's record back.
            assert (
                "bob@example.org" not in response.text
                or persona == "bob"
                or "/api/v1/users" in path
            )
    assert seen == rule.expect
