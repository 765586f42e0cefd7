"""Security headers and caching on every answer: pages, API, errors, the 413 of the body
limit, the 422 of the edge checks; TRACE is a 405 with `Allow`; no CDN-backed docs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from diaspora.accounts import service as accounts
from tests.factories import build_world, sign_in

REQUIRED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _assert_secure(response, *, cacheable: bool = False) -> None:  # type: ignore[no-untyped-def]
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp or "sandbox" in csp
    if "sandbox" not in csp:  # downloads carry their own, stricter policy
        assert "base-uri 'none'" in csp and "form-action 'self'" in csp
    if not cacheable:
        assert "no-store" in response.headers.get("cache-control", ""), response.request.url


@pytest.fixture
def sam(app, session):  # type: ignore[no-untyped-def]
    world = build_world(session)
    client = TestClient(app, raise_server_exceptions=False)
    sign_in(app, client, world.sam)
    client.world = world  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/staff/members", "/staff/requests", "/no-such-page", "/healthz"],
)
def test_pages_and_errors_carry_the_headers_and_are_not_stored(sam, path: str) -> None:
    _assert_secure(sam.get(path, follow_redirects=False))


def test_api_answers_and_refusals_carry_the_headers(app, session) -> None:
    world = build_world(session)
    token = accounts.issue_token(session=session, user=world.sam, name="h")
    api = TestClient(app, raise_server_exceptions=False)
    api.headers["Authorization"] = f"Bearer {token}"
    for answer in (
        api.get("/api/v1/me"),
        api.get("/api/v1/members"),
        api.get("/api/v1/requests/999"),  # 404
        api.get("/api/v1/requests/99999999999999999999"),  # 422 from validation
        api.post("/api/v1/requests", json={"title": "a\x00b"}),  # 422 from the edge
        TestClient(app).get("/api/v1/me", headers={"Authorization": "Bearer nope"}),  # 401
    ):
        _assert_secure(answer)


def test_the_413_of_the_body_limit_carries_the_headers(sam) -> None:
    big = b"x" * (3 * 1024 * 1024)
    for answer in (
        sam.post("/api/v1/requests", content=big, headers={"content-type": "application/json"}),
        sam.post("/me/edit", content=big, headers={"accept": "text/html"}),
    ):
        assert answer.status_code == 413
        _assert_secure(answer)


@pytest.mark.parametrize("error", [RuntimeError, ValueError])
def test_a_server_error_page_carries_the_headers(app, session, monkeypatch, error) -> None:
    from web.pages import home

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise error("boom")

    monkeypatch.setattr(home, "render", boom)
    answer = TestClient(app, raise_server_exceptions=False).get("/")
    assert answer.status_code == 500
    _assert_secure(answer)


def test_static_assets_stay_cacheable(sam) -> None:
    answer = sam.get("/static/app.css")
    assert answer.status_code == 200
    _assert_secure(answer, cacheable=True)
    assert "no-store" not in answer.headers.get("cache-control", "")


def test_trace_is_a_405_with_allow(sam) -> None:
    answer = sam.request("TRACE", "/staff/members")
    assert answer.status_code == 405
    assert "GET" in answer.headers["allow"]
    api = sam.request("TRACE", "/api/v1/me")
    assert api.status_code == 405 and "GET" in api.headers["allow"]
    _assert_secure(api)


def test_no_docs_page_from_a_cdn(client) -> None:
    assert client.get("/api/v1/docs").status_code == 404
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert "cdn." not in document.text


def test_the_openapi_document_describes_the_real_error_bodies(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["properties"]["detail"]["type"] == "string"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            documented = set(operation["responses"])
            assert {"400", "401", "403", "404", "409", "413", "422", "429"} <= documented, (
                method,
                path,
            )
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
