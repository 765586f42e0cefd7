"""Attacker findings 7-9, 11-14 replayed: enumeration on register and login, throttles,
lockout of another person, weak passwords, insecure cookies, tokens that never die, unaudited
lists of identified data, and a password change that leaves other sessions open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select

from diaspora.accounts import passwords
from diaspora.accounts import service as accounts
from diaspora.accounts.models import AccessToken, LoginAttempt, User
from diaspora.audit.models import AuditEvent
from diaspora.common import utcnow
from diaspora.config import InsecureConfiguration, Settings
from diaspora.errors import ValidationFailed
from diaspora.outbox.models import OutboxMessage
from diaspora.placements import notify
from tests.factories import PASSWORD, csrf, deliver_mail, make_member, make_user, sign_in
from web.security import SESSION_COOKIE


def _from(app, address: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, client=(address, 50000))


def _login(client: TestClient, email: str, password: str = PASSWORD) -> int:
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    ).status_code


def _register(client: TestClient, email: str, password: str = "a fine passphrase"):  # type: ignore[no-untyped-def]
    return client.post(
        "/register",
        data={
            "email": email,
            "password": password,
            "password_again": password,
            "csrf_token": csrf(client, "/register"),
        },
        follow_redirects=False,
    )


def _kinds(session) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.kind for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]


# --- registration: the same answer, verification ------------------------------------------


def test_register_answers_the_same_for_a_known_and_an_unknown_email(app, session, world) -> None:
    known = _register(_from(app, "10.0.0.1"), "alice@example.org")
    unknown = _register(_from(app, "10.0.0.2"), "someone.new@example.org")
    assert known.status_code == unknown.status_code == 200
    assert "set-cookie" not in known.headers or SESSION_COOKIE not in known.headers["set-cookie"]
    assert "set-cookie" not in unknown.headers or SESSION_COOKIE not in unknown.headers.get(
        "set-cookie", ""
    )
    assert _blank(known.text) == _blank(unknown.text)
    # The owner of the known address hears of the attempt; the new one gets a confirmation.
    mails = {m.to: m for m in deliver_mail(session)}
    assert mails["alice@example.org"].kind == "account.register_attempt"
    assert "/forgot-password" in mails["alice@example.org"].body
    assert mails["someone.new@example.org"].kind == "account.verify_email"
    # The existing account is untouched.
    assert _login(_from(app, "10.0.0.3"), "alice@example.org") == 303


def _blank(text: str) -> str:
    """A page without what differs per browser (CSRF tokens)."""
    import re

    return re.sub(r"[0-9a-f]{64}", "CSRF", text)


def test_the_register_api_answers_the_same_for_a_known_and_an_unknown_email(
    client, session, world
) -> None:
    body = {"password": "a fine passphrase"}
    make_user(session, "staff@example.org", "staff")
    known = client.post("/api/v1/register", json={**body, "email": "staff@example.org"})
    unknown = client.post("/api/v1/register", json={**body, "email": "nobody.yet@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert "exists" not in known.text


def test_an_unverified_account_signs_in_but_owns_nothing_until_it_confirms(
    app, session, world
) -> None:
    c = _from(app, "10.0.1.1")
    _register(c, "claimed@example.org")
    assert _login(c, "claimed@example.org", "a fine passphrase") == 303
    user = accounts.get_by_email(session=session, email="claimed@example.org")
    assert user is not None and user.email_verified_at is None
    assert "not confirmed yet" in c.get("/account").text
    assert c.get("/survey").status_code == 200  # may answer the survey
    # No opportunity mail goes to an address nobody has proved to own.
    profile_id = c.get("/api/v1/me/profile").json()["id"]
    assert not notify.to_member(session, profile_id, kind="k", subject="s", body="b")
    # A GET of the link does not confirm (mail scanners open links); the button does.
    (mail,) = deliver_mail(session, "account.verify_email")
    link = mail.link("/verify-email")
    assert c.get(link).status_code == 200
    session.refresh(user)
    assert user.email_verified_at is None
    r = c.post(
        "/verify-email",
        data={"token": mail.token(), "csrf_token": csrf(c, "/account")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.refresh(user)
    assert user.email_verified_at is not None
    assert notify.to_member(session, profile_id, kind="k", subject="s", body="b")
    # A confirmation link works once.
    again = c.post("/verify-email", data={"token": mail.token(), "csrf_token": csrf(c, "/")})
    assert again.status_code == 422


def test_a_reset_link_proves_the_address_of_an_unverified_account(session) -> None:
    accounts.register_member(session=session, email="late@example.org", password="first passphrase")
    deliver_mail(session)
    accounts.request_password_reset(session=session, email="late@example.org", base_url="")
    (mail,) = deliver_mail(session, "password_reset")
    user = accounts.reset_password(session=session, token=mail.token(), new_password="second one!")
    assert user.email_verified_at is not None


# --- login: equal cost, delays instead of lockouts ------------------------------------------


def test_login_costs_one_password_check_for_a_known_and_an_unknown_email(
    client, session, world, monkeypatch
) -> None:
    calls: list[str] = []
    real = passwords.verify_password

    def counting(password: str, password_hash: str) -> bool:
        calls.append(password_hash[:9])
        return real(password, password_hash)

    monkeypatch.setattr(passwords, "verify_password", counting)
    _login(client, "alice@example.org", "wrong password")
    known = list(calls)
    calls.clear()
    _login(client, "ghost@example.org", "wrong password")
    assert len(known) == len(calls) == 1 and calls[0].startswith("$argon2")


def test_failures_from_one_address_never_lock_the_owner_out(app, session, world) -> None:
    attacker = _from(app, "203.0.113.9")
    for _ in range(8):
        assert _login(attacker, "alice@example.org", "guess-guess-guess") in (400, 429)
    assert _login(attacker, "alice@example.org") == 429  # the attacker's address waits
    assert _login(_from(app, "198.51.100.7"), "alice@example.org") == 303  # the owner does not


def test_many_failures_from_one_address_slow_that_address_only(app, session, world) -> None:
    nat = _from(app, "203.0.113.50")
    for i in range(21):
        _login(nat, f"user{i}@example.org", "guess-guess-guess")
    assert _login(nat, "bob@example.org") == 429
    assert _login(_from(app, "198.51.100.8"), "bob@example.org") == 303


def test_guesses_spread_over_many_addresses_slow_new_addresses_not_the_owners(
    app, session, world
) -> None:
    home = _from(app, "198.51.100.20")
    assert _login(home, "alice@example.org") == 303  # the owner's usual address
    # 50 failures from 50 addresses (a botnet): no pair or address reaches its own limit...
    session.add_all(
        LoginAttempt(email="alice@example.org", address=f"203.0.113.{i}", success=False)
        for i in range(50)
    )
    session.commit()
    # ...but a new address now waits for this account, while the owner's address does not.
    assert _login(_from(app, "203.0.113.200"), "alice@example.org") == 429
    assert _login(home, "alice@example.org") == 303
    assert _login(_from(app, "203.0.113.201"), "bob@example.org") == 303  # other accounts: no


def test_the_delay_passes_and_grows_with_further_failures(app, session, world) -> None:
    c = _from(app, "203.0.113.77")
    for _ in range(5):
        _login(c, "alice@example.org", "guess-guess-guess")
    assert accounts.login_delay(session=session, email="alice@example.org", address="203.0.113.77")
    assert (
        "seconds"
        in c.post(
            "/login",
            data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": csrf(c)},
        ).text
    )
    # Time passes (the failures are two seconds old): the right password works again.
    session.execute(
        update(LoginAttempt).values(at=utcnow() - timedelta(seconds=2))  # type: ignore[call-arg]
    )
    session.commit()
    assert _login(c, "alice@example.org") == 303
    wait = [accounts._backoff(n, 5, 900) for n in (4, 5, 6, 7, 30)]
    assert wait == [0, 1, 2, 4, 900]


# --- throttles on register and forgot-password, shared by every process ----------------------


def test_forgot_password_is_throttled_per_email_silently_and_per_address(
    app, engine, session, world
) -> None:
    from web import create_app

    settings = app.state.settings
    second_process = create_app(settings, engine=engine)  # another app process, same database
    for i in range(5):
        c = _from(app if i % 2 else second_process, f"192.0.2.{i}")
        r = c.post(
            "/forgot-password",
            data={"email": "alice@example.org", "csrf_token": csrf(c, "/forgot-password")},
        )
        assert r.status_code == 200 and "If an account exists" in r.text
    assert _kinds(session).count("password_reset") == settings.forgot_per_email_hour
    one = _from(app, "192.0.2.200")
    codes = [
        one.post(
            "/forgot-password",
            data={"email": f"x{i}@example.org", "csrf_token": csrf(one, "/forgot-password")},
        ).status_code
        for i in range(settings.forgot_per_address_hour + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {200}


def test_registration_is_throttled_per_address_and_per_email(app, session) -> None:
    c = _from(app, "192.0.2.99")
    codes = [_register(c, f"n{i}@example.org").status_code for i in range(11)]
    assert codes[-1] == 429 and set(codes[:-1]) == {200}
    for i in range(5):
        assert _register(_from(app, f"192.0.3.{i}"), "same@example.org").status_code == 200
    mails = [m for m in deliver_mail(session) if m.to == "same@example.org"]
    assert len(mails) == 3  # the rest answered the same, sent nothing


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["1234567890", "qwertyuiop", "Password123", "PASSWORD123"])
def test_common_passwords_are_refused_everywhere(app, session, world, weak) -> None:
    assert passwords.password_problem(weak)
    r = _register(_from(app, "192.0.2.1"), "weak@example.org", weak)
    assert r.status_code == 422 and "most common passwords" in r.text
    with pytest.raises(ValidationFailed):
        make_user(session, "weak2@example.org", password=weak)
    with pytest.raises(ValidationFailed):
        accounts.set_password(session=session, user=world.alice, new_password=weak)
    assert passwords.password_problem("a long unusual passphrase") is None


def test_set_password_revokes_every_other_session_and_token(app, session, world) -> None:
    kept, other = TestClient(app), TestClient(app)
    sign_in(app, kept, world.alice)
    sign_in(app, other, world.alice)
    token = accounts.issue_token(session=session, user=world.alice, name="script")
    accounts.request_password_reset(session=session, email="alice@example.org", base_url="")
    (reset,) = deliver_mail(session, "password_reset")
    r = kept.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a new long passphrase",
            "password_again": "a new long passphrase",
            "csrf_token": csrf(kept, "/account"),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert kept.get("/account").status_code == 200  # this session stays
    assert other.get("/account", follow_redirects=False).status_code == 303  # the other ends
    assert kept.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with pytest.raises(ValidationFailed):
        accounts.reset_password(session=session, token=reset.token(), new_password="hijack pw 1")
    # The service itself revokes too (finding 14), whoever calls it.
    third = TestClient(app)
    sign_in(app, third, world.alice)
    accounts.set_password(session=session, user=world.alice, new_password="yet another passphrase")
    assert third.get("/account", follow_redirects=False).status_code == 303


def test_the_password_change_asks_for_the_current_password(app, world) -> None:
    c = TestClient(app)
    sign_in(app, c, world.alice)
    r = c.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": "a new long passphrase",
            "password_again": "a new long passphrase",
            "csrf_token": csrf(c, "/account"),
        },
    )
    assert r.status_code == 422 and "not your current password" in r.text


# --- tokens ---------------------------------------------------------------------------------


def test_tokens_have_a_name_an_expiry_and_a_last_use(client, session, world) -> None:
    token = accounts.issue_token(session=session, user=world.sam, name="reports", days=90)
    (row,) = accounts.list_tokens(session=session, actor=world.sam)
    assert row.name == "reports" and row.expires_at is not None
    assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    session.refresh(row)
    first = row.last_used_at
    assert first is not None
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    session.refresh(row)
    assert row.last_used_at == first  # not rewritten within the minute
    session.execute(
        update(AccessToken).values(last_used_at=utcnow() - timedelta(minutes=2))  # type: ignore[call-arg]
    )
    session.commit()
    client.get("/api/v1/me", headers=auth)
    session.refresh(row)
    assert row.last_used_at and utcnow() - row.last_used_at < timedelta(seconds=30)
    # Expired: refused.
    session.execute(update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1)))  # type: ignore[call-arg]
    session.commit()
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_tokens_are_listed_and_revoked_one_by_one_from_the_page(app, session, world) -> None:
    alice = TestClient(app)
    sign_in(app, alice, world.alice)
    page = alice.post(
        "/account/tokens",
        data={
            "name": "my laptop",
            "days": "30",
            "token_password": PASSWORD,
            "csrf_token": csrf(alice, "/account"),
        },
    )
    assert page.status_code == 200 and "my laptop" in page.text
    plain = csrf_free_token(page.text)
    kept = accounts.issue_token(session=session, user=world.alice, name="kept")
    tokens = {t.name: t for t in accounts.list_tokens(session=session, actor=world.alice)}
    assert "my laptop" in alice.get("/account").text and plain not in alice.get("/account").text
    # Bob cannot revoke Alice's token (and is not told it exists).
    bob = TestClient(app)
    sign_in(app, bob, world.bob)
    r = bob.post(
        f"/account/tokens/{tokens['my laptop'].id}/revoke",
        data={"csrf_token": csrf(bob, "/account")},
    )
    assert r.status_code == 404
    r = alice.post(
        f"/account/tokens/{tokens['my laptop'].id}/revoke",
        data={"csrf_token": csrf(alice, "/account")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert alice.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert alice.get("/api/v1/me", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    # An admin may revoke anyone's, from the admin list.
    ada = TestClient(app)
    sign_in(app, ada, world.ada)
    assert "kept" in ada.get("/admin/tokens").text
    r = ada.post(
        f"/account/tokens/{tokens['kept'].id}/revoke",
        data={"csrf_token": csrf(ada, "/account"), "back": "admin"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/tokens"
    assert alice.get("/api/v1/me", headers={"Authorization": f"Bearer {kept}"}).status_code == 401


def csrf_free_token(text: str) -> str:
    import re

    match = re.search(r'<pre class="message" id="new-token">(dpat_[\w-]+)</pre>', text)
    assert match
    return match.group(1)


def test_token_commands_issue_list_and_revoke(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from diaspora.cli import app as cli
    from diaspora.config import get_settings
    from diaspora.db import make_engine, new_session
    from diaspora.migrate import upgrade

    db = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    try:
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        with new_session(engine) as s:
            make_user(s, "ops@example.org", "staff")
        runner = CliRunner()
        issued = runner.invoke(
            cli, ["users", "token", "ops@example.org", "--name", "ci", "--days", "7"]
        )
        assert issued.exit_code == 0, issued.output
        plain = issued.output.strip()
        assert plain.startswith("dpat_")
        listed = runner.invoke(cli, ["users", "tokens", "ops@example.org"])
        assert listed.exit_code == 0 and "ci" in listed.output and "active" in listed.output
        assert plain not in listed.output
        token_id = listed.output.split()[0]
        revoked = runner.invoke(cli, ["users", "revoke-token", token_id])
        assert revoked.exit_code == 0 and "revoked" in revoked.output
        assert "revoked" in runner.invoke(cli, ["users", "tokens", "ops@example.org"]).output
        with new_session(engine) as s:
            assert accounts.resolve_token(session=s, token=plain) is None
        bad = runner.invoke(cli, ["users", "token", "ops@example.org", "--days", "0"])
        assert bad.exit_code != 0 and "days" in bad.output
    finally:
        get_settings.cache_clear()


# --- cookies --------------------------------------------------------------------------------


def test_cookies_are_secure_by_default_outside_dev_and_demo(engine) -> None:
    from web import create_app

    secret = "s" * 40
    assert Settings(environment="production", secret_key=secret).secure_cookies is True
    assert Settings(environment="demo").secure_cookies is False
    with pytest.raises(InsecureConfiguration, match="DIASPORA_ALLOW_INSECURE_COOKIES"):
        Settings(environment="production", secret_key=secret, secure_cookies=False).check_safe()
    Settings(
        environment="production",
        secret_key=secret,
        secure_cookies=False,
        allow_insecure_cookies=True,
    ).check_safe()
    prod = create_app(
        Settings(environment="production", secret_key=secret, base_url="https://x"), engine=engine
    )
    with new_session_user(engine) as user_id:
        c = TestClient(prod, base_url="https://testserver")
        r = c.post(
            "/login",
            data={
                "email": "cookie@example.org",
                "password": PASSWORD,
                "csrf_token": csrf(c),
            },
            follow_redirects=False,
        )
        assert user_id and r.status_code == 303
        assert "secure" in r.headers["set-cookie"].lower()


class new_session_user:  # noqa: N801 - a tiny context manager for the test above
    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine

    def __enter__(self) -> int:
        from diaspora.db import new_session

        with new_session(self.engine) as s:
            return make_user(s, "cookie@example.org").id or 0

    def __exit__(self, *a: object) -> None:
        return None


# --- audit of identified lists --------------------------------------------------------------


def test_lists_of_identified_data_are_audited_without_personal_data(
    session, world, as_user
) -> None:
    sam = as_user(world.sam)
    assert sam.get("/staff/outbox").status_code == 200
    assert sam.get("/admin/users").status_code == 200
    assert sam.get("/api/v1/users").status_code == 200
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action.in_(("outbox.read", "user.list")))  # type: ignore[attr-defined]
    ).all()
    assert sorted(e.action for e in events) == ["outbox.read", "user.list", "user.list"]
    assert all(e.actor_id == world.sam.id for e in events)
    assert not any("@" in str(e.details) for e in events)


def test_a_disabled_account_cannot_be_told_from_a_wrong_password(client, session, world) -> None:
    accounts.set_active(session=session, actor=world.ada, user_id=world.bob.id, active=False)
    assert _login(client, "bob@example.org") == 400
    assert (
        session.exec(select(User).where(User.email == "bob@example.org")).one().is_active is False
    )


def test_a_member_created_by_an_operator_counts_as_verified_and_is_mailed(session) -> None:
    _, prof = make_member(session, "verified@example.org")
    assert notify.to_member(session, prof.id or 0, kind="k", subject="s", body="b")


def test_a_token_is_made_only_with_the_current_password(app, session, world) -> None:
    # A token outlives the session: whoever holds a stolen cookie must not mint one, and
    # guesses of the password here count as failed sign-ins.
    alice = TestClient(app)
    sign_in(app, alice, world.alice)

    def make(password: str) -> int:
        return alice.post(
            "/account/tokens",
            data={
                "name": "stolen",
                "days": "30",
                "token_password": password,
                "csrf_token": csrf(alice, "/account"),
            },
        ).status_code

    answer = alice.post(
        "/account/tokens",
        data={"name": "stolen", "days": "30", "csrf_token": csrf(alice, "/account")},
    )
    assert answer.status_code == 422 and 'id="token_password-error"' in answer.text
    assert 'value="stolen"' in answer.text  # what was typed comes back
    # The empty password above was the first failure; four more reach the limit.
    assert [make(f"wrong guess number {i}") for i in range(4)] == [422] * 4
    assert make(PASSWORD) == 429  # the sign-in delay applies to this address now
    assert accounts.list_tokens(session=session, actor=world.alice) == []
