"""The web shell in a real browser: each demo login, 320 px, no JavaScript, accessibility."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

HOMES = {
    "member@demo.example": "Welcome",
    "ministry@demo.example": "Institution home",
    "staff@demo.example": "Programme staff",
    "admin@demo.example": "Programme staff",
}


@pytest.mark.parametrize("email", sorted(HOMES))
def test_it_shows_each_demo_login_its_own_home_page(page, live_server, email) -> None:
    sign_in(page, live_server, email)
    assert HOMES[email] in page.inner_text("h1")
    page.click("form.logout button")
    page.wait_for_load_state()
    assert page.locator("a[href='/login']").count() >= 1


def test_it_fits_a_320_pixel_screen_without_sideways_scrolling(browser, live_server) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in ("/", "/login", "/register"):
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width}px wide"
    sign_in(page, live_server, "member@demo.example")
    for path in ("/", "/me", "/me/edit"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()


def test_it_signs_in_and_saves_a_profile_without_javascript(browser, live_server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "member@demo.example")
    page.goto(live_server + "/me/edit")
    page.fill("#residence_city", "Rotterdam")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert "Rotterdam" in page.inner_text("main")
    context.close()


def test_it_keeps_typed_values_and_marks_the_field_on_a_bad_profile_edit(page, live_server) -> None:
    sign_in(page, live_server, "member@demo.example")
    page.goto(live_server + "/me/edit")
    page.fill("#residence_country", "ZZ")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("#residence_country", "aria-invalid") == "true"
    assert "ISO 3166" in page.inner_text("#residence_country-error")


@pytest.mark.parametrize(
    "path,email",
    [
        ("/login", None),
        ("/register", None),
        ("/", "member@demo.example"),
        ("/me", "member@demo.example"),
        ("/admin/users", "staff@demo.example"),
    ],
)
def test_it_has_no_serious_accessibility_violations(page, live_server, path, email) -> None:
    from axe_playwright_python.sync_playwright import Axe

    if email:
        sign_in(page, live_server, email)
    page.goto(live_server + path)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [
        (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious
    ]


def test_it_renders_arabic_right_to_left(page, live_server) -> None:
    page.goto(live_server + "/login?lang=ar")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
