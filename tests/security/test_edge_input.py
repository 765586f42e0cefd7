"""Hostile input at the edge: numbers beyond 64 bits, lone surrogates, NUL characters,
wrong JSON types, oversized CSV cells and bodies.  Each must be refused with a status
that says what to change (422 naming the field, 413, a row error), never a 500, on every
API operation and every page with an integer in its path, on SQLite and PostgreSQL.

The API is walked through its OpenAPI document and the pages through the app's routes,
as the access matrix does, so a new operation or page is covered without a new test.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import select

from diaspora.accounts import service as accounts
from diaspora.members.models import MemberProfile
from diaspora.responses.models import Response as SurveyResponse
from tests.factories import build_world, sign_in
from tests.survey_factories import SLUG, builtin
from web.security import CSRF_HEADER

ABOVE = 2**63  # one past the largest signed 64-bit integer
BELOW = -(2**63) - 1
API_ROLES = ("alice", "carol", "sam", "ada")
PAGE_ROLES = ("alice", "carol", "sam", "ada")
REFUSALS = {401, 403, 404, 422}


# --------------------------------------------------------------------------- helpers


def _api_clients(app, world, session) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    clients = {}
    for role in API_ROLES:
        token = accounts.issue_token(session=session, user=getattr(world, role), name="edge")
        client = TestClient(app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {token}"
        clients[role] = client
    return clients


def _page_clients(app, world) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    clients = {}
    for role in PAGE_ROLES:
        client = TestClient(app, raise_server_exceptions=False)
        sign_in(app, client, getattr(world, role))
        html = client.get("/login").text
        client.headers[CSRF_HEADER] = html.split('name="csrf_token" value="', 1)[1].split('"')[0]
        clients[role] = client
    return clients


def _operations(app) -> list[tuple[str, str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    document = app.openapi()
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _is_integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(
        s.get("type") == "integer" for s in schema.get("anyOf", [])
    )


def _is_string(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" or any(
        s.get("type") == "string" for s in schema.get("anyOf", [])
    )


def _body_properties(app, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return {}
    schema = content["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = app.openapi()["components"]["schemas"][name]
    return schema.get("properties", {})


def _path(path: str, operation: dict[str, Any], value: Any) -> str:
    """`path` with every integer parameter set to `value`, the others to a plain word."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            filler = value if _is_integer(parameter["schema"]) else SLUG
            path = path.replace("{" + parameter["name"] + "}", str(filler))
    return path


def _send(client: TestClient, method: str, path: str, body: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
    if body is not None:
        # json.dumps escapes lone surrogates and NUL as \\uXXXX, as any client would.
        kw["content"] = json.dumps(body)
        kw["headers"] = {"content-type": "application/json"}
    return client.request(method, path, follow_redirects=False, **kw)


def _check(answers: dict[str, Any], field: str, where: str) -> None:
    """No server error for any role; at least one role got through to a 422 naming `field`."""
    errors = {role: r.status_code for role, r in answers.items() if r.status_code >= 500}
    assert errors == {}, f"{where}: server errors {errors}"
    odd = {role: r.status_code for role, r in answers.items() if r.status_code not in REFUSALS}
    assert odd == {}, f"{where}: accepted or odd answers {odd}"
    named = [
        role
        for role, r in answers.items()
        if r.status_code == 422 and field in (r.json().get("errors") or {})
    ]
    assert named, f"{where}: no role got a 422 naming {field!r}: " + str(
        {role: r.text[:200] for role, r in answers.items()}
    )


# --------------------------------------------------------------------------- every integer is bounded


def test_every_integer_parameter_of_every_route_is_bounded(app) -> None:
    """A bare `int` in a path or query would reach the driver as OverflowError."""
    unbounded = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        for param in dependant.path_params + dependant.query_params:
            if param.field_info.annotation in (int, int | None) and not any(
                getattr(m, "le", None) is not None for m in param.field_info.metadata
            ):
                unbounded.append(f"{route.path} {param.name}")
    assert unbounded == []


# --------------------------------------------------------------------------- API


def test_every_api_operation_refuses_out_of_range_integers(app, session) -> None:
    world = build_world(session)
    clients = _api_clients(app, world, session)
    covered = 0
    for method, path, operation in _operations(app):
        for value in (ABOVE, BELOW):
            for parameter in operation.get("parameters", []):
                if not _is_integer(parameter["schema"]):
                    continue
                name = parameter["name"]
                if parameter["in"] == "path":
                    url = _path(path, operation, value)
                    body = {} if "requestBody" in operation else None
                else:
                    url = _path(path, operation, 1) + f"?{name}={value}"
                    body = None
                answers = {r: _send(c, method, url, body) for r, c in clients.items()}
                _check(answers, name, f"{method} {url}")
                covered += 1
            for name, schema in _body_properties(app, operation).items():
                if _is_integer(schema) or schema.get("type") == "array":
                    payload = {name: value}
                    answers = {
                        r: _send(c, method, _path(path, operation, 1), payload)
                        for r, c in clients.items()
                    }
                    _check(answers, name, f"{method} {path} body.{name}={value}")
                    covered += 1
    assert covered > 60  # the walk really found the operations


def test_numbers_beyond_32_bits_never_fail(app, session) -> None:
    """In 64 bits but beyond PostgreSQL's INTEGER columns: looked up, found nothing, or
    refused, but never a 500 (on PostgreSQL an INTEGER column cannot store 2**40)."""
    world = build_world(session)
    clients = _api_clients(app, world, session)
    for method, path, operation in _operations(app):
        ints = [
            p["name"]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and _is_integer(p["schema"])
        ]
        body_ints = [n for n, s in _body_properties(app, operation).items() if _is_integer(s)]
        for value in (2**40, -(2**40), 2**31):
            url = _path(path, operation, value)
            query = "&".join(f"{name}={value}" for name in ints)
            body = dict.fromkeys(body_ints, value) if "requestBody" in operation else None
            for role, client in clients.items():
                answer = _send(client, method, url + (f"?{query}" if query else ""), body)
                assert answer.status_code < 500, f"{role} {method} {url} {body}: {answer.text}"


@pytest.mark.parametrize(
    "text,words", [("a\ud800b", "surrogate"), ("a\x00b", "NUL")], ids=["surrogate", "nul"]
)
def test_every_api_operation_refuses_unstorable_text(app, session, text: str, words: str) -> None:
    world = build_world(session)
    clients = _api_clients(app, world, session)
    covered = 0
    for method, path, operation in _operations(app):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and _is_string(parameter["schema"]):
                name = parameter["name"]
                url = _path(path, operation, 1)
                answers = {
                    r: c.request(method, url, params={name: text}, follow_redirects=False)
                    for r, c in clients.items()
                    if "\x00" in text  # a URL cannot carry a lone surrogate (it is UTF-8)
                }
                if answers:
                    _check(answers, name, f"{method} {url}?{name}=…")
                    covered += 1
        for name, schema in _body_properties(app, operation).items():
            value: Any = text if _is_string(schema) else [text] if schema.get("type") else None
            if value is None:
                continue
            field = name if _is_string(schema) else f"{name}.0"
            url = _path(path, operation, 1)
            answers = {r: _send(c, method, url, {name: value}) for r, c in clients.items()}
            _check(answers, field, f"{method} {path} body.{name}")
            assert any(
                words in (r.json().get("errors") or {}).get(field, "") for r in answers.values()
            )
            covered += 1
    assert covered > 30


def test_no_api_operation_fails_on_wrong_json_types(app, session) -> None:
    world = build_world(session)
    clients = _api_clients(app, world, session)
    wrong: list[Any] = [[1], {"a": 1}, "x", 1.5, True, None, [[]], [{"code": 1}]]
    for method, path, operation in _operations(app):
        properties = _body_properties(app, operation)
        url = _path(path, operation, 1)
        for name in properties:
            for value in wrong:
                for role, client in clients.items():
                    answer = _send(client, method, url, {name: value})
                    assert answer.status_code < 500, f"{role} {method} {url} {name}={value!r}"
        if "requestBody" in operation:
            for document in ([], "x", 1, None, [{"a": 1}]):
                answer = _send(clients["sam"], method, url, document)
                assert answer.status_code < 500, f"{method} {url} body {document!r}"


def test_profile_patch_names_the_field_and_keeps_the_profile(app, session) -> None:
    world = build_world(session)
    alice = _api_clients(app, world, session)["alice"]
    before = alice.get("/api/v1/me/profile").json()
    cases = {
        "languages.0": {"languages": [1]},
        "residence_city": {"residence_city": "\ud800"},
        "priorities": {"priorities": "a\x00b"},
        "years_experience": {"years_experience": ABOVE},
        "skills": {"skills": 5},
    }
    for field, body in cases.items():
        answer = _send(alice, "PATCH", "/api/v1/me/profile", body)
        assert answer.status_code == 422, (field, answer.text)
        assert field in answer.json()["errors"], (field, answer.json())
    assert alice.get("/api/v1/me/profile").json() == before
    good = _send(alice, "PATCH", "/api/v1/me/profile", {"languages": ["fr:B2", {"code": "en"}]})
    assert good.status_code == 200, good.text
    assert good.json()["languages"] == [{"code": "fr", "level": "B2"}, {"code": "en", "level": ""}]


def test_a_body_that_is_not_utf8_or_too_deep_is_a_422(app, session) -> None:
    world = build_world(session)
    sam = _api_clients(app, world, session)["sam"]
    headers = {"content-type": "application/json"}
    bad = sam.post("/api/v1/requests", content=b'{"title": "\xff"}', headers=headers)
    assert bad.status_code == 422 and "UTF-8" in bad.json()["errors"]["body"]
    deep = sam.post("/api/v1/requests", content=b"[" * 100_000, headers=headers)
    assert deep.status_code == 422
    assert sam.get("/api/v1/requests").status_code == 200  # the server is fine


# --------------------------------------------------------------------------- pages


def _int_page_routes(app) -> list[tuple[str, str, list[str], list[str]]]:  # type: ignore[no-untyped-def]
    routes = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or route.path.startswith("/api/") or not route.methods:
            continue
        ints = [p.name for p in dependant.path_params if p.field_info.annotation is int]
        others = [p.name for p in dependant.path_params if p.field_info.annotation is not int]
        if ints:
            for method in sorted(set(route.methods) - {"HEAD", "OPTIONS"}):
                routes.append((method, route.path, ints, others))
    return routes


def test_every_page_with_an_integer_in_its_path_refuses_out_of_range(app, session) -> None:
    world = build_world(session)
    builtin(session)
    clients = _page_clients(app, world)
    routes = _int_page_routes(app)
    assert len(routes) > 30
    for method, path, ints, others in routes:
        for value in (ABOVE, BELOW):
            url = path
            for name in ints:
                url = url.replace("{" + name + "}", str(value))
            for name in others:
                url = url.replace("{" + name + "}", SLUG)
            answers = {
                role: client.request(method, url, data={"x": "1"}, follow_redirects=False)
                for role, client in clients.items()
            }
            codes = {role: a.status_code for role, a in answers.items()}
            assert all(code < 500 for code in codes.values()), f"{method} {url}: {codes}"
            assert all(code in (303, 403, 404, 422) for code in codes.values()), (url, codes)
            refused = [a for a in answers.values() if a.status_code == 422]
            assert refused, f"{method} {url}: nobody reached the parameter check: {codes}"
            for answer in refused:
                assert answer.headers["content-type"].startswith("text/html")
                assert ints[0] in answer.text or "invalid" in answer.text.lower()


@pytest.mark.parametrize(
    "url",
    [
        "/staff/members?page={n}",
        "/staff/surveys/{slug}/responses?page={n}",
        "/staff/surveys/{slug}/responses?version={n}",
        "/staff/surveys/{slug}/versions/{n}",
        "/staff/members?q=a%00b",
        "/staff/requests?programme={n}",
        "/staff/assignments?programme={n}",
    ],
)
def test_staff_pages_with_hostile_query_values_never_fail(app, session, url: str) -> None:
    # 422 for what the edge or a bounded parameter sees; the free-text `programme` filters
    # of the request and assignment queues still ignore a value that is not an id (200),
    # as they ignore "abc" (issue 12: a bogus filter must be named).
    world = build_world(session)
    builtin(session)
    sam = _page_clients(app, world)["sam"]
    for n in (ABOVE, BELOW):
        answer = sam.get(url.format(n=n, slug=SLUG), follow_redirects=False)
        assert answer.status_code in (200, 404, 422), (url, answer.status_code)
        if answer.status_code != 200:
            assert answer.headers["content-type"].startswith("text/html")


def test_page_forms_with_hostile_values_answer_422_and_store_nothing(app, session) -> None:
    world = build_world(session)
    clients = _page_clients(app, world)
    alice, ada = clients["alice"], clients["ada"]
    # urlencoded: seen at the edge, the field named on the page
    nul = alice.post("/me/edit", data={"residence_city": "a\x00b"}, follow_redirects=False)
    assert nul.status_code == 422 and "residence_city" in nul.text
    # multipart: the text reaches the service; the database guard refuses it
    multi = alice.post(
        "/me/edit",
        data={"residence_city": "a\x00b"},
        files={"unused": ("a.txt", b"x", "text/plain")},
        follow_redirects=False,
    )
    assert multi.status_code == 422
    # a number typed into a form that no column can hold
    big = ada.post(
        "/admin/users",
        data={"email": "x@example.org", "role": "institution", "institution_id": str(ABOVE)},
        follow_redirects=False,
    )
    assert big.status_code == 422  # refused, not an account with a dangling institution
    session.expire_all()
    profile = session.exec(
        select(MemberProfile).where(MemberProfile.id == world.alice_profile.id)
    ).one()
    assert "\x00" not in (profile.residence_city or "")


# --------------------------------------------------------------------------- imports and bodies


def _csv(rows: list[str]) -> bytes:
    return "\n".join(rows).encode()


def test_an_oversized_csv_cell_is_a_row_error_and_earlier_rows_are_kept(app, session) -> None:
    world = build_world(session)
    builtin(session)
    sam = _page_clients(app, world)["sam"]
    header = (
        "_uuid;g/consent_mapping;g/first_name;g/last_name;g/email;g/residence_country;"
        "g/origin_country;g/birth_year;g/education_level;g/occupation;g/sector;"
        "g/years_experience;g/skills;g/willing"
    )
    good = "a1;yes;Kofi;Boateng;k@example.org;GB;GH;1980;6;nurse;health;10;triage;no"
    huge = "a2;yes;" + "E" * 140_000 + ";Owusu;e@example.org;GB;GH;1980;6;nurse;health;10;x;no"
    answer = sam.post(
        f"/staff/surveys/{SLUG}/import",
        files={"file": ("kobo.csv", _csv([header, good, huge]), "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 200, answer.text[:500]
    assert "longer than 131,072 characters" in answer.text
    assert "<strong>1</strong> added" in answer.text
    stored = session.exec(select(SurveyResponse)).all()
    assert len(stored) == 1


def test_an_import_with_an_out_of_range_version_is_a_422(app, session) -> None:
    world = build_world(session)
    builtin(session)
    sam = _page_clients(app, world)["sam"]
    answer = sam.post(
        f"/staff/surveys/{SLUG}/import",
        data={"version": str(ABOVE)},
        files={"file": ("kobo.csv", b"_uuid;g/first_name\na1;Kofi", "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 422


def _chunks(size: int):  # type: ignore[no-untyped-def]
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536


@pytest.mark.parametrize(
    "path,kind",
    [
        ("/api/v1/requests", "application/json"),
        ("/me/edit", "application/x-www-form-urlencoded"),
        ("/staff/surveys", "multipart/form-data; boundary=x"),
    ],
)
def test_a_chunked_body_over_the_limit_is_a_413(app, session, path: str, kind: str) -> None:
    world = build_world(session)
    client = _page_clients(app, world)["sam"]
    limit = app.state.settings.max_upload_bytes if "surveys" in path else 2 * 1024 * 1024
    answer = client.post(path, content=_chunks(limit + 1024 * 1024), headers={"content-type": kind})
    assert answer.status_code == 413, answer.text[:300]
    assert answer.headers["content-security-policy"]
    assert re.search("larger than the limit", answer.text)


def test_the_unpacked_budget_of_an_export_scales_with_its_size() -> None:
    from surveys.submissions import EXPORT_LIMITS, UNPACK_FLOOR, export_limits

    ten = export_limits(10 * 1024 * 1024)
    assert ten.max_uncompressed == 240 * 1024 * 1024  # not 2 GB
    # The attacker's 7.3 MB workbook that unpacks to 419 MB is over its budget.
    assert export_limits(int(7.3 * 1024 * 1024)).max_uncompressed < 419 * 1024 * 1024
    assert export_limits(1000).max_uncompressed == UNPACK_FLOOR
    assert export_limits(10**12).max_uncompressed == EXPORT_LIMITS.max_uncompressed
    assert EXPORT_LIMITS.max_ratio <= 100


def test_a_form_number_with_thousands_of_digits_is_a_422(app, session) -> None:
    world = build_world(session)
    builtin(session)
    clients = _page_clients(app, world)
    digits = "9" * 5000
    answers = [
        clients["ada"].post(
            "/admin/users",
            data={"email": "x@example.org", "role": "institution", "institution_id": digits},
            follow_redirects=False,
        ),
        clients["sam"].post(
            f"/staff/surveys/{SLUG}/import",
            data={"version": digits},
            files={"file": ("kobo.csv", b"_uuid;g/first_name\na1;Kofi", "text/csv")},
            follow_redirects=False,
        ),
        clients["sam"].get(f"/staff/surveys/{SLUG}/responses?page={digits}"),
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]


def test_a_nul_in_a_csv_cell_is_a_row_error(app, session) -> None:
    world = build_world(session)
    builtin(session)
    sam = _page_clients(app, world)["sam"]
    header = (
        "_uuid;g/consent_mapping;g/first_name;g/last_name;g/email;g/residence_country;"
        "g/origin_country;g/birth_year;g/education_level;g/occupation;g/sector;"
        "g/years_experience;g/skills;g/willing"
    )
    good = "a1;yes;Kofi;Boateng;k@example.org;GB;GH;1980;6;nurse;health;10;triage;no"
    filler = [f"x{i};;;;;;;;;;;;;" for i in range(1000)]  # past the first 8 KB
    nul = "a2;yes;Ef\x00ua;Owusu;e@example.org;GB;GH;1980;6;nurse;health;10;x;no"
    answer = sam.post(
        f"/staff/surveys/{SLUG}/import",
        files={"file": ("kobo.csv", _csv([header, good, *filler, nul]), "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 200, answer.text[:500]
    assert "NUL" in answer.text
    assert "<strong>1</strong> added" in answer.text
