"""A newcomer on a 360 px phone, in Arabic, with bad input on the way: registration,
confirmation, consents, tokens, a dead reset link and the dashboard's filter message. Every
page is right to left, fits the screen, speaks Arabic and has no serious axe violation."""

from __future__ import annotations

import re

import pytest

from diaspora.db import new_session
from tests.browser.conftest import LIVE, sign_in
from tests.factories import deliver_mail

pytestmark = pytest.mark.browser

EMAIL = "nour.mobile@example.org"
PASSPHRASE = "a long arabic passphrase"


def _submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    page.click(selector)
    page.wait_for_load_state()


def _check_page(page) -> None:  # type: ignore[no-untyped-def]
    """Right to left, no horizontal scroll, no serious or critical axe violation."""
    from axe_playwright_python.sync_playwright import Axe

    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"horizontal scroll on {page.url}"
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in serious]


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="ar")
    page = context.new_page()
    yield page
    context.close()


def test_a_newcomer_on_a_phone_in_arabic(phone, live_server) -> None:
    page = phone
    page.goto(f"{live_server}/register?lang=ar")
    page.fill("#email", EMAIL)
    page.fill("#password", "1234567890")
    page.fill("#password_again", "1234567890")
    _submit(page, "form.stack button[type=submit]")
    assert "من أكثر كلمات المرور شيوعًا" in page.inner_text("#password-error")
    assert page.input_value("#email") == EMAIL  # what was typed is kept
    assert page.get_attribute("#password", "aria-invalid") == "true"
    _check_page(page)
    page.fill("#password", PASSPHRASE)
    page.fill("#password_again", PASSPHRASE)
    _submit(page, "form.stack button[type=submit]")

    with new_session(LIVE["engine"]) as session:  # type: ignore[arg-type]
        mail = [m for m in deliver_mail(session, "account.verify_email") if m.to == EMAIL][-1]
    page.goto(live_server + mail.link("/verify-email"))
    _submit(page, "main form button[type=submit]")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSPHRASE)
    _submit(page, "form.stack button[type=submit]")

    # Consents are words in Arabic, not codes; saving says so where the page opens.
    page.goto(f"{live_server}/me")
    consents = page.inner_text("#consents")
    assert "الحصر: تسجيل إجاباتي" in consents and "mapping" not in consents
    _check_page(page)

    # A token valid for too many days: the message is Arabic, next to the field, value kept.
    page.goto(f"{live_server}/account")
    page.fill("#token-name", "هاتفي")
    page.evaluate("document.querySelector('#token-days').removeAttribute('max')")
    page.fill("#token-days", "99999")
    page.fill("#token-password", PASSPHRASE)
    _submit(page, "form[action='/account/tokens'] button")
    assert "المطلوب عدد أيام من 1 إلى 3650" in page.inner_text("#days-error")
    assert page.input_value("#token-days") == "99999" and page.input_value("#token-name") == "هاتفي"
    _check_page(page)
    page.fill("#token-days", "30")
    page.fill("#token-password", PASSPHRASE)
    _submit(page, "form[action='/account/tokens'] button")
    assert page.inner_text("#new-token").startswith("dpat_")
    revoke = "form[action$='/revoke'] button"
    assert page.eval_on_selector(revoke, "e => getComputedStyle(e).color") != "rgb(255, 255, 255)"
    _check_page(page)  # the long token wraps instead of widening the page

    # A dead reset link says so at once and offers a new one.
    page.click("form.logout button")
    page.wait_for_load_state()
    page.goto(f"{live_server}/reset-password?token=used-or-made-up")
    assert "رابط إعادة التعيين هذا غير صالح" in page.inner_text("main")
    assert page.query_selector("#password") is None
    assert page.query_selector("main a[href='/forgot-password']") is not None
    _check_page(page)


def test_the_dashboard_in_arabic_on_a_phone(phone, live_server) -> None:
    page = phone
    page.goto(f"{live_server}/login?lang=ar")
    sign_in(page, live_server, "ministry@demo.example")
    page.goto(f"{live_server}/dashboard?lang=en")  # a page in English first, then Arabic
    page.goto(f"{live_server}/dashboard?lang=ar")
    assert "أين يعيش المغتربون" in page.inner_text("main")
    _check_page(page)
    page.goto(f"{live_server}/dashboard?skill=zzzunknown")
    message = page.inner_text("#filter-errors")
    assert "«zzzunknown» ليست من المهارات" in message
    assert not re.search(r"[A-Za-z]{4,}", message.replace("zzzunknown", ""))
    _check_page(page)
