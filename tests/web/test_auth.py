"""Sign-in, sessions, CSRF, tokens, password reset, and bad input on the account paths."""

from __future__ import annotations

import re

from sqlmodel import select

from diaspora.accounts import service as accounts
from diaspora.audit.models import AuditEvent
from diaspora.outbox.models import OutboxMessage
from tests.factories import PASSWORD, csrf, deliver_mail, make_user
from web.security import SESSION_COOKIE


def _login(client, email, password=PASSWORD, **extra):  # type: ignore[no-untyped-def]
    token = csrf(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def test_it_signs_in_with_the_right_password_and_sets_a_safe_cookie(client, session) -> None:
    make_user(session, "alice@example.org")
    r = _login(client, "alice@example.org")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Welcome" in client.get("/").text


def test_it_gives_the_same_message_for_a_wrong_password_and_an_unknown_email(
    client, session
) -> None:
    make_user(session, "alice@example.org")
    wrong = _login(client, "alice@example.org", "not the password")
    unknown = _login(client, "nobody@example.org", "whatever123")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert 'value="alice@example.org"' in wrong.text  # what was typed is kept


def test_it_delays_an_address_after_repeated_failures_for_an_account(client, session) -> None:
    make_user(session, "alice@example.org")
    for _ in range(5):
        assert _login(client, "alice@example.org", "bad-password").status_code == 400
    r = _login(client, "alice@example.org")  # this address waits, even with the right one
    assert r.status_code == 429 and "Too many" in r.text and "seconds" in r.text


def test_it_issues_a_new_session_id_at_each_login(client, session) -> None:
    make_user(session, "alice@example.org")
    client.cookies.set(SESSION_COOKIE, "attacker-chosen", domain="testserver.local")
    r = _login(client, "alice@example.org")
    first = client.cookies.get(SESSION_COOKIE)
    assert r.status_code == 303 and first and first != "attacker-chosen"
    _login(client, "alice@example.org")
    assert client.cookies.get(SESSION_COOKIE) != first


def test_it_ends_the_session_at_logout(client, session) -> None:
    make_user(session, "alice@example.org")
    _login(client, "alice@example.org")
    old = client.cookies.get(SESSION_COOKIE)
    token = csrf(client, "/")
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    client.cookies.set(SESSION_COOKIE, old or "", domain="testserver.local")
    assert client.get("/me", follow_redirects=False).headers["location"].startswith("/login")


def test_it_ends_every_session_and_token_when_a_user_is_disabled(client, session, world) -> None:
    _login(client, "alice@example.org")
    api_token = accounts.issue_token(session=session, user=world.alice)
    accounts.set_active(session=session, actor=world.ada, user_id=world.alice.id, active=False)
    assert client.get("/me", follow_redirects=False).status_code == 303
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"})
    assert r.status_code == 401


def test_it_refuses_a_form_without_a_csrf_token(client, session) -> None:
    make_user(session, "alice@example.org")
    r = client.post("/login", data={"email": "alice@example.org", "password": PASSWORD})
    assert r.status_code == 403 and "expired" in r.text
    assert client.cookies.get(SESSION_COOKIE) is None


def test_it_refuses_a_csrf_token_from_another_browser(client, app, session) -> None:
    from fastapi.testclient import TestClient

    make_user(session, "alice@example.org")
    other = TestClient(app)
    stolen = csrf(other)
    r = client.post(
        "/login", data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": stolen}
    )
    assert r.status_code == 403


def test_it_registers_a_member_with_a_profile_and_reports_field_errors(client, session) -> None:
    token = csrf(client, "/register")
    bad = client.post(
        "/register",
        data={
            "email": "not-an-email",
            "password": "short",
            "password_again": "short",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert "expected an email address" in bad.text and "at least 10 characters" in bad.text
    ok = client.post(
        "/register",
        data={
            "email": "New@Example.org",
            "password": "long enough pw",
            "password_again": "long enough pw",
            "csrf_token": token,
            "display_name": "Kofi",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 200 and "If this address has no account yet" in ok.text
    assert _login(client, "new@example.org", "long enough pw").status_code == 303
    me = client.get("/me")
    assert me.status_code == 200 and re.search(r"DM-[0-9A-Z]{6}", me.text)
    user = accounts.get_by_email(session=session, email="new@example.org")
    assert user is not None and user.email_verified_at is None
    assert "not confirmed yet" in me.text


def test_it_resets_a_password_through_the_outbox(client, session) -> None:
    make_user(session, "alice@example.org")
    token = csrf(client, "/forgot-password")
    r = client.post("/forgot-password", data={"email": "alice@example.org", "csrf_token": token})
    assert "If an account exists" in r.text
    r2 = client.post("/forgot-password", data={"email": "ghost@example.org", "csrf_token": token})
    assert "If an account exists" in r2.text  # no account enumeration
    messages = session.exec(
        select(OutboxMessage).where(OutboxMessage.kind == "password_reset")
    ).all()
    assert len(messages) == 1 and "token=" not in messages[0].body.replace("token={{", "")
    mails = deliver_mail(session, "password_reset")
    assert [m.to for m in mails] == ["alice@example.org"]
    link = re.search(r"token=(\S+)", mails[0].body)
    assert link
    r3 = client.post(
        "/reset-password",
        data={"token": link.group(1), "password": "a brand new pass", "csrf_token": token},
        follow_redirects=False,
    )
    assert r3.status_code == 303
    assert _login(client, "alice@example.org", "a brand new pass").status_code == 303
    r4 = client.post(
        "/reset-password",
        data={
            "token": link.group(1),
            "password": "another new pass",
            "csrf_token": csrf(client, "/"),
        },
    )
    assert r4.status_code == 422 and "invalid or has expired" in r4.text


def test_it_authenticates_api_clients_with_a_personal_access_token(client, session, world) -> None:
    token = accounts.issue_token(session=session, user=world.sam)
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["email"] == "sam@example.org"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_it_answers_malformed_json_and_wrong_types_with_field_errors(
    client, session, world
) -> None:
    token = accounts.issue_token(session=session, user=world.sam)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    r = client.post("/api/v1/users", content=b"{not json", headers=auth)
    assert r.status_code == 422 and r.json()["detail"]
    r = client.post("/api/v1/users", json={"email": 5, "role": ["x"]}, headers=auth)
    body = r.json()
    assert r.status_code == 422 and "email" in body["errors"] and "role" in body["errors"]
    r = client.post(
        "/api/v1/users",
        json={"email": "x@example.org", "role": "wizard", "password": "long password"},
        headers=auth,
    )
    assert r.status_code == 422 and "role" in r.json()["errors"]


def test_it_refuses_oversized_bodies_without_reading_them(client, session, world) -> None:
    token = accounts.issue_token(session=session, user=world.sam)
    r = client.post(
        "/api/v1/users",
        content=b"x" * (3 * 1024 * 1024),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "larger than the limit" in r.json()["detail"]


def test_it_requires_the_csrf_header_for_cookie_authenticated_api_writes(as_user, world) -> None:
    c = as_user(world.sam)
    r = c.post(
        "/api/v1/users",
        json={"email": "z@example.org", "role": "member", "password": "long password"},
    )
    assert r.status_code == 403
    r = c.post(
        "/api/v1/users",
        json={"email": "z@example.org", "role": "member", "password": "long password"},
        headers={"X-CSRF-Token": csrf(c, "/")},
    )
    assert r.status_code == 201


def test_it_reports_health_after_checking_the_database(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_it_audits_user_creation_and_sign_in(client, session) -> None:
    make_user(session, "alice@example.org")
    _login(client, "alice@example.org")
    actions = {e.action for e in session.exec(select(AuditEvent)).all()}
    assert {"user.create", "session.start", "member.create"} <= actions


def test_it_never_shows_a_traceback_for_an_unknown_page(client) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Traceback" not in r.text and "Not found" in r.text
    r = client.get("/api/v1/no-such")
    assert r.status_code == 404 and r.json() == {"detail": "Not found."}


def test_it_serves_french_and_right_to_left_arabic(client) -> None:
    fr = client.get("/login?lang=fr")
    assert '<html lang="fr" dir="ltr">' in fr.text and "Se connecter" in fr.text
    ar = client.get("/login?lang=ar")
    assert 'dir="rtl"' in ar.text


def test_a_dead_reset_link_says_so_before_anything_is_typed(client, session) -> None:
    make_user(session, "alice@example.org")
    r = client.get("/reset-password?token=not-a-live-token")
    assert r.status_code == 200 and "invalid or has expired" in r.text
    assert 'href="/forgot-password"' in r.text and 'name="password"' not in r.text
    token = csrf(client, "/forgot-password")
    client.post("/forgot-password", data={"email": "alice@example.org", "csrf_token": token})
    link = re.search(r"token=(\S+)", deliver_mail(session, "password_reset")[0].body)
    assert link
    live = client.get(f"/reset-password?token={link.group(1)}")
    assert 'name="password_again"' in live.text and "invalid" not in live.text
    r = client.post(
        "/reset-password",
        data={
            "token": link.group(1),
            "password": "a brand new pass",
            "password_again": "a brand new pas",
            "csrf_token": token,
        },
    )
    assert r.status_code == 422 and "the two passwords differ" in r.text
    assert _login(client, "alice@example.org").status_code == 303  # nothing was changed
