"""Registration, address confirmation, tokens, password change and reset in a real browser,
following the links as the addressee receives them (the outbox shows them redacted)."""

from __future__ import annotations

import pytest

from diaspora.db import new_session
from tests.browser.conftest import LIVE
from tests.factories import Mail, deliver_mail

pytestmark = pytest.mark.browser

EMAIL = "browser.newcomer@example.org"
FIRST, SECOND, THIRD = "first browser passphrase", "second browser passphrase", "third one!!"


def _mail(kind: str) -> Mail:
    with new_session(LIVE["engine"]) as session:  # type: ignore[arg-type]
        mails = deliver_mail(session, kind)
    assert mails, f"no {kind} mail"
    return mails[-1]


def _submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    page.click(selector)
    page.wait_for_load_state()


def test_a_newcomer_registers_confirms_manages_tokens_and_resets(page, live_server) -> None:
    page.goto(f"{live_server}/register")
    page.fill("#email", EMAIL)
    page.fill("#password", FIRST)
    page.fill("#password_again", FIRST)
    _submit(page, "form.stack button[type=submit]")
    assert "If this address has no account yet" in page.inner_text("main")

    page.goto(f"{live_server}/login")
    page.fill("#email", EMAIL)
    page.fill("#password", FIRST)
    _submit(page, "form.stack button[type=submit]")
    assert "not confirmed yet" in page.inner_text("main")

    verify = _mail("account.verify_email")
    page.goto(live_server + verify.link("/verify-email"))
    _submit(page, "main form button[type=submit]")
    assert page.url.endswith("/account?verified=1")
    assert "Your email address is confirmed." in page.inner_text("main")

    page.fill("#token-name", "my laptop")
    page.fill("#token-days", "30")
    page.fill("#token-password", FIRST)
    _submit(page, "form[action='/account/tokens'] button")
    token = page.inner_text("#new-token").strip()
    assert token.startswith("dpat_") and "my laptop" in page.inner_text("table")
    page.goto(f"{live_server}/account")
    assert token not in page.content()
    _submit(page, "form[action$='/revoke'] button")
    assert "revoked" in page.inner_text("table")

    page.fill("#current_password", FIRST)
    page.fill("#password", SECOND)
    page.fill("#password_again", SECOND)
    _submit(page, "form[action='/account/password'] button")
    assert "Your password was changed" in page.inner_text("main")

    page.click("form.logout button")
    page.wait_for_load_state()
    page.goto(f"{live_server}/forgot-password")
    page.fill("#email", EMAIL)
    _submit(page, "form.stack button[type=submit]")
    reset = _mail("password_reset")
    page.goto(live_server + reset.link("/reset-password"))
    page.fill("#password", THIRD + " more")
    page.fill("#password_again", THIRD + " more")
    _submit(page, "form.stack button[type=submit]")
    assert "/login?reset=1" in page.url
    page.fill("#email", EMAIL)
    page.fill("#password", THIRD + " more")
    _submit(page, "form.stack button[type=submit]")
    assert "Welcome" in page.inner_text("h1")
