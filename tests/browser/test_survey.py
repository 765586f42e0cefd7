"""The survey in a real browser: a member answers on a phone over two sittings, and the
pages pass an accessibility check."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

MEMBER = "member@demo.example"


def _fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide"


def _next(page) -> None:  # type: ignore[no-untyped-def]
    page.click(".nav-buttons button[value=next]")
    page.wait_for_load_state()


def _start(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server + "/survey")
    button = page.locator("main form[action='/survey/start'] button")
    if button.count() == 0:  # a draft is already there
        page.goto(live_server + "/survey/continue")
        return
    button.first.click()
    page.wait_for_load_state()


def test_a_member_answers_on_a_phone_leaves_resumes_and_submits(page, live_server) -> None:
    sign_in(page, live_server, MEMBER)
    _start(page, live_server)
    page.goto(live_server + "/survey/page/0")
    assert "Page 1 of" in page.inner_text(".progress-label")
    page.check("#q-consent_mapping-0")
    page.check("#q-consent_matching-0")
    _fits(page, 390)
    _next(page)
    assert page.url.endswith("/survey/page/1")
    page.fill("#q-first_name", "Ama")
    page.fill("#q-last_name", "Mensah")
    page.fill("#q-email", "member@demo.example")
    _next(page)
    page.select_option("#q-residence_country", "NL")
    page.select_option("#q-origin_country", "GH")
    page.fill("#q-residence_city", "Haarlem")
    page.fill("#q-birth_year", "nineteen")
    _next(page)
    # the error sits next to the field and what was typed is still there
    assert page.get_attribute("#q-birth_year", "aria-invalid") == "true"
    assert page.input_value("#q-residence_city") == "Haarlem"
    page.fill("#q-birth_year", "1986")
    page.goto(live_server + "/survey/page/2?lang=ar")  # right to left, still no sideways scroll
    assert page.get_attribute("html", "dir") == "rtl"
    _fits(page, 390)
    page.goto(live_server + "/survey/page/2?lang=en")
    page.fill("#q-birth_year", "1986")
    _next(page)
    assert page.url.endswith("/survey/page/3")
    _fits(page, 390)

    # leave, sign out, come back: the survey continues where it stopped
    page.goto(live_server + "/")
    page.click("form.logout button")
    page.wait_for_load_state()
    sign_in(page, live_server, MEMBER)
    page.click("a[href='/survey/continue']")
    page.wait_for_load_state()
    assert page.url.endswith("/survey/page/3")

    page.check("#q-education_level-6")
    _next(page)
    page.fill("#q-occupation", "nurse")
    page.check("#q-sector-0")
    page.fill("#q-years_experience", "12")
    page.fill("#q-skills-0", "nursing care")
    _next(page)
    page.select_option("#q-languages-0--language_code", "en")
    page.check("#q-languages-0--language_level-5")  # C2
    page.click("button[value='add:languages']")
    page.wait_for_load_state()
    page.select_option("#q-languages-1--language_code", "nl")
    page.check("#q-languages-1--language_level-3")  # B2
    _fits(page, 390)
    _next(page)
    page.check("#q-willing-1")  # no: the follow-up questions are skipped
    _next(page)
    _next(page)
    assert page.url.endswith("/survey/review")
    assert "Haarlem" in page.inner_text("main")
    _fits(page, 390)
    page.click("main form[action='/survey/submit'] button")
    page.wait_for_load_state()
    assert "Thank you" in page.inner_text("h1")
    page.goto(live_server + "/me")
    assert "Haarlem" in page.inner_text("main")


def test_skip_logic_shows_follow_up_questions_as_soon_as_an_answer_changes(
    page, live_server
) -> None:
    sign_in(page, live_server, MEMBER)
    _start(page, live_server)
    page.goto(live_server + "/survey/page/0")
    page.check("#q-consent_mapping-0")
    _next(page)
    page.goto(live_server + "/survey/page/6")
    page.check("#q-willing-1")
    page.wait_for_timeout(300)
    assert page.locator("input[name=modes]").count() == 0
    page.check("#q-willing-0")  # htmx re-renders the questions: "how could you contribute?"
    page.locator("input[name=modes]").first.wait_for(timeout=5000)


def test_the_survey_works_without_javascript(browser, live_server) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 700})
    page = context.new_page()
    sign_in(page, live_server, MEMBER)
    _start(page, live_server)
    page.goto(live_server + "/survey/page/0")
    page.check("#q-consent_mapping-0")
    _next(page)
    page.goto(live_server + "/survey/page/5")
    rows = page.locator("select[name$='.language_code']").count()
    page.click("button[value='add:languages']")
    page.wait_for_load_state()
    assert page.locator("select[name$='.language_code']").count() == rows + 1
    _fits(page, 320)
    context.close()


@pytest.mark.parametrize(
    "path", ["/survey", "/survey/page/0", "/survey/page/4", "/survey/page/5", "/survey/review"]
)
def test_survey_pages_have_no_serious_accessibility_violations(page, live_server, path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    sign_in(page, live_server, MEMBER)
    _start(page, live_server)
    page.goto(live_server + "/survey/page/0")
    page.check("#q-consent_mapping-0")
    _next(page)
    page.goto(live_server + path)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [
        (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious
    ]


def test_staff_survey_pages_have_no_serious_accessibility_violations(page, live_server) -> None:
    from axe_playwright_python.sync_playwright import Axe

    sign_in(page, live_server, "staff@demo.example")
    for path in ("/staff/surveys", "/staff/surveys/diaspora_mapping/responses"):
        page.goto(live_server + path)
        results = Axe().run(page)
        serious = [
            v for v in results.response["violations"] if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, [(v["id"], v["help"]) for v in serious])
