"""The respondent's survey pages and the staff survey pages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlmodel import select

from diaspora.audit.models import AuditEvent
from diaspora.members.models import MemberProfile
from diaspora.outbox.models import OutboxMessage
from diaspora.responses.models import Response, SurveyVersion
from tests.factories import build_world, csrf, deliver_mail, sign_in
from tests.survey_factories import SLUG, builtin, submitted
from tests.surveys.forms import SIMPLE, rewrite_zip, xlsform


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    w = build_world(session)
    builtin(session)
    return w


@pytest.fixture
def alice(app, as_user, world):  # type: ignore[no-untyped-def]
    client = as_user(world.alice)
    client.token = csrf(client, "/survey")  # type: ignore[attr-defined]
    return client


def post(client, path: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={**(data or {}), "csrf_token": client.token}, follow_redirects=False, **kwargs
    )


def draft_of(session, user) -> Response:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(
        select(Response).where(Response.user_id == user.id, Response.status == "draft")
    ).one()


PAGES = [
    {"consent_mapping": "yes", "consent_matching": "yes", "consent_contact": "yes"},
    {"first_name": "Alice", "last_name": "Asante", "email": "alice@example.org"},
    {
        "residence_country": "FR",
        "origin_country": "GH",
        "birth_year": "1984",
        "residence_city": "Lyon",
    },
    {"education_level": "6", "education_field": "health_welfare"},
    {
        "occupation": "nurse",
        "sector": "health",
        "years_experience": "10",
        "skills": ["triage", "", ""],
    },
    {
        "languages[0].language_code": "fr",
        "languages[0].language_level": "C2",
        "languages[0].__row__": "1",
    },
    {"willing": "yes", "modes": ["virtual"], "preferred_duration": "months_1_3"},
    {"priorities": ["health"]},
]


def answer_all(client) -> None:  # type: ignore[no-untyped-def]
    assert post(client, "/survey/start").status_code == 303
    for index, form in enumerate(PAGES):
        response = post(client, f"/survey/page/{index}", {**form, "action": "next"})
        assert response.status_code == 303, (index, response.text[:2000])
        expected = f"/survey/page/{index + 1}" if index < len(PAGES) - 1 else "/survey/review"
        assert response.headers["location"] == expected


# --------------------------------------------------------------------------- respondent


def test_it_asks_anonymous_visitors_to_register_or_sign_in(client, world) -> None:
    page = client.get("/survey")
    assert page.status_code == 200
    assert 'href="/register"' in page.text and 'href="/login?next=/survey"' in page.text
    assert (
        client.get("/survey/page/0", follow_redirects=False)
        .headers["location"]
        .startswith("/login")
    )


def test_it_walks_the_pages_with_progress_and_submits_to_the_profile(alice, session, world) -> None:
    assert post(alice, "/survey/start").headers["location"] == "/survey/page/0"
    first = alice.get("/survey/page/0")
    assert "Page 1 of 8" in first.text and '<progress max="8" value="1"' in first.text
    assert "<fieldset" in first.text and "<legend>" in first.text
    answer_all(alice)
    review = alice.get("/survey/review")
    assert review.status_code == 200
    assert "France" in review.text and "Lyon" in review.text and "triage" in review.text
    assert 'href="/survey/page/4?from=review"' in review.text  # a "change" link per page
    change = alice.get("/survey/page/2?from=review")
    assert 'value="review"' in change.text
    back = post(alice, "/survey/page/2?from=review", {**PAGES[2], "action": "review"})
    assert back.headers["location"] == "/survey/review"
    done = post(alice, "/survey/submit")
    assert done.status_code == 303 and done.headers["location"].startswith("/survey/responses/")
    thanks = alice.get(done.headers["location"])
    assert "Thank you" in thanks.text
    me = alice.get("/me")
    assert "Lyon" in me.text
    profile = session.get(MemberProfile, world.alice_profile.id)
    session.refresh(profile)
    assert profile.residence_country == "FR" and profile.skills == ["triage"]


def test_skip_logic_hides_questions_and_pages(alice, session, world) -> None:
    post(alice, "/survey/start")
    refused = post(alice, "/survey/page/0", {"consent_mapping": "no", "action": "next"})
    assert refused.headers["location"] == "/survey/review"
    assert alice.get("/survey/page/3", follow_redirects=False).headers["location"] == (
        "/survey/review"
    )
    post(alice, "/survey/page/0", {"consent_mapping": "yes", "action": "next"})
    page = alice.get("/survey/page/6")
    assert 'name="willing"' in page.text and 'name="modes"' not in page.text
    shown = post(alice, "/survey/page/6", {"willing": "yes", "action": "save"})
    assert shown.status_code == 303
    assert 'name="modes"' in alice.get("/survey/page/6").text
    # htmx: an answer change re-renders only the questions, with skip logic applied
    fragment = alice.post(
        "/survey/page/6/refresh",
        data={"willing": "no"},
        headers={"X-CSRF-Token": alice.token, "HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="questions"' in fragment.text and 'name="modes"' not in fragment.text
    # nothing to re-render: 204, so what is being typed elsewhere is never overwritten
    same = alice.post(
        "/survey/page/6/refresh",
        data={"willing": "no", "contributions": "mentoring"},
        headers={"X-CSRF-Token": alice.token, "HX-Request": "true"},
    )
    assert same.status_code == 204
    assert draft_of(session, world.alice).answers["contributions"] == ["mentoring"]


def test_errors_sit_next_to_fields_and_keep_what_was_typed(alice, session, world) -> None:
    post(alice, "/survey/start")
    post(alice, "/survey/page/0", {"consent_mapping": "yes", "action": "next"})
    page = post(
        alice,
        "/survey/page/2",
        {
            "residence_city": "Lyon",
            "birth_year": "nineteen",
            "residence_country": "FR",
            "action": "next",
        },
    )
    assert page.status_code == 422
    assert 'value="nineteen"' in page.text and 'value="Lyon"' in page.text
    assert re.search(r'id="q-birth_year"[^>]*aria-describedby="q-birth_year-error"', page.text)
    assert 'aria-invalid="true"' in page.text
    assert 'id="q-birth_year-error"' in page.text and "whole number" in page.text
    assert '<option value="FR" selected>' in page.text
    draft = draft_of(session, world.alice)
    assert draft.answers["residence_city"] == "Lyon" and draft.current_page == 2


def test_a_draft_is_saved_at_every_page_and_resumed_from_the_account(alice, session, world) -> None:
    post(alice, "/survey/start")
    post(alice, "/survey/page/0", {**PAGES[0], "action": "next"})
    post(alice, "/survey/page/1", {**PAGES[1], "action": "next"})
    draft = draft_of(session, world.alice)
    assert draft.current_page == 2 and draft.answers["first_name"] == "Alice"
    assert alice.get("/", follow_redirects=False).text.count("/survey/continue") >= 1
    assert alice.get("/survey/continue", follow_redirects=False).headers["location"] == (
        "/survey/page/2"
    )
    later = post(alice, "/survey/page/2", {"residence_city": "Lyon", "action": "save"})
    assert later.headers["location"] == "/survey?saved=1"


def test_a_resume_link_works_on_another_device_only_for_the_owner(
    alice, app, as_user, session, world
) -> None:
    post(alice, "/survey/start")
    post(alice, "/survey/page/0", {**PAGES[0], "action": "next"})
    assert post(alice, "/survey/resume-link").headers["location"] == "/survey?sent=1"
    message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "survey.resume")).one()
    assert message.to_address == "alice@example.org"
    (mail,) = deliver_mail(session, "survey.resume")
    link = re.search(r"http://testserver(/survey/resume\?token=\S+)", mail.body)
    assert link
    phone = as_user(None)
    first = phone.get(link.group(1), follow_redirects=False)
    assert first.headers["location"].startswith("/login?next=/survey/resume")
    bob = as_user(world.bob)
    assert bob.get(link.group(1), follow_redirects=False).status_code == 404
    sign_in(app, phone, world.alice)
    resumed = phone.get(link.group(1), follow_redirects=False)
    assert resumed.headers["location"] == "/survey/page/1"
    assert phone.get("/survey/page/1").status_code == 200


def test_repeats_add_and_remove_rows_without_javascript(alice, world) -> None:
    post(alice, "/survey/start")
    post(alice, "/survey/page/0", {"consent_mapping": "yes", "action": "next"})
    row0 = {"languages[0].language_code": "fr", "languages[0].__row__": "1"}
    added = post(alice, "/survey/page/5", {**row0, "action": "add:languages"})
    assert added.status_code == 200 and 'name="languages[1].language_code"' in added.text
    two = {**row0, "languages[1].language_code": "en", "languages[1].__row__": "1"}
    removed = post(alice, "/survey/page/5", {**two, "action": "remove:languages:0"})
    assert 'name="languages[1].language_code"' not in removed.text
    assert '<option value="en" selected>' in removed.text
    missing = post(alice, "/survey/page/5", {**row0, "action": "next"})
    assert missing.status_code == 422 and 'id="q-languages-0--language_level-error"' in missing.text


def test_arabic_is_right_to_left_with_arabic_labels(alice, world) -> None:
    post(alice, "/survey/start")
    page = alice.get("/survey/page/0?lang=ar")
    assert 'dir="rtl"' in page.text and 'lang="ar"' in page.text
    assert "الموافقة" in page.text and "التالي" in page.text
    french = alice.get("/survey/page/0?lang=fr")
    assert "Consentement" in french.text and "Suivant" in french.text


def test_device_types_get_an_input_the_web_can_offer(session) -> None:
    from diaspora.responses import form as pageform
    from surveys import import_xlsform

    definition = import_xlsform(
        xlsform(
            [
                ["type", "name", "label", "parameters"],
                ["range", "score", "Score", "start=0 end=10 step=1"],
                ["acknowledge", "ok", "I have read this", ""],
                ["geopoint", "where", "Where", ""],
            ]
        ),
        filename="device.xlsx",
    )
    view = pageform.build_page(definition, {"ok": "OK"}, 0, language="en")
    widgets = {item.name: (item.widget, item.value) for item in view.items}
    assert widgets == {
        "score": ("range", ""),
        "ok": ("acknowledge", "OK"),
        "where": ("geopoint", ""),
    }


def test_skill_suggestions_come_from_the_taxonomy(alice, session, world) -> None:
    from diaspora.taxonomy.service import load_builtin

    load_builtin(session=session)
    options = alice.get("/survey/skills?skills=teach", headers={"HX-Request": "true"})
    assert options.status_code == 200 and "<option value=" in options.text
    assert "teaching" in options.text.lower()
    occupations = alice.get("/survey/skills?kind=occupation&occupation=physio")
    assert "physiotherapist" in occupations.text


def test_it_shows_a_members_own_response_but_hides_it_from_others(as_user, session, world) -> None:
    response = submitted(session, world.alice)
    assert as_user(world.alice).get(f"/survey/responses/{response.id}").status_code == 200
    assert as_user(world.bob).get(f"/survey/responses/{response.id}").status_code == 404
    assert as_user(world.sam).get(f"/survey/responses/{response.id}").status_code == 200
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "response.view")).first()


# --------------------------------------------------------------------------- staff


def flat(answers: dict) -> dict:
    """Stored answers as the HTML form posts them."""
    out: dict = {}
    for key, value in answers.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, instance in enumerate(value):
                out.update({f"{key}[{index}].{k}": str(v) for k, v in instance.items()})
        else:
            out[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return out


@pytest.fixture
def sam(as_user, world):  # type: ignore[no-untyped-def]
    client = as_user(world.sam)
    client.token = csrf(client, "/staff/surveys")  # type: ignore[attr-defined]
    return client


def upload(client, path: str, data: bytes, filename: str, **fields):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data={**fields, "csrf_token": client.token},
        files={"file": (filename, data, "application/octet-stream")},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    "data,filename,words",
    [
        (xlsform([["type", "name", "label"], ["not_a_type", "g", "Where"]]), "f.xlsx", "row 2"),
        (SIMPLE, "form.xlsm", "macro"),
        (
            rewrite_zip(SIMPLE, {}, {"xl/media/pad.bin": b"\x00" * (5 * 1024**2)}),
            "f.xlsx",
            "expands",
        ),
        (b"<html>not a workbook</html>", "f.xlsx", "not an Excel workbook"),
    ],
)
def test_staff_upload_lists_the_problems_of_a_refused_form(sam, data, filename, words) -> None:
    page = upload(sam, "/staff/surveys", data, filename)
    assert page.status_code == 422
    assert words in page.text


def test_staff_upload_publish_and_download_a_form(sam, session) -> None:
    created = upload(sam, "/staff/surveys", SIMPLE, "simple.xlsx", slug="simple")
    assert created.status_code == 303 and created.headers["location"].startswith(
        "/staff/surveys/simple"
    )
    assert "v1" in sam.get("/staff/surveys/simple").text
    published = post(sam, "/staff/surveys/simple/versions/1/publish")
    assert published.status_code == 303
    session.expire_all()
    assert session.exec(select(SurveyVersion).where(SurveyVersion.number == 1)).all()
    download = sam.get("/staff/surveys/simple/versions/1/xlsform")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    again = post(sam, "/staff/surveys/simple/versions/1/publish")
    assert again.status_code == 409


def test_staff_list_read_review_and_correct_responses(sam, session, world) -> None:
    response = submitted(session, world.alice)
    listing = sam.get(f"/staff/surveys/{SLUG}/responses?status=submitted&source=web")
    assert listing.status_code == 200 and f"/responses/{response.id}" in listing.text
    assert "alice@example.org" not in listing.text  # lists show pseudonyms
    assert "0 responses" in sam.get(f"/staff/surveys/{SLUG}/responses?source=kobo").text
    detail = sam.get(f"/staff/surveys/{SLUG}/responses/{response.id}")
    assert detail.status_code == 200 and "Amsterdam" in detail.text
    reject = post(
        sam, f"/staff/surveys/{SLUG}/responses/{response.id}/review", {"state": "rejected"}
    )
    assert reject.status_code == 422 and 'id="comment-error"' in reject.text
    ok = post(sam, f"/staff/surveys/{SLUG}/responses/{response.id}/review", {"state": "approved"})
    assert ok.status_code == 303
    form = sam.get(f"/staff/surveys/{SLUG}/responses/{response.id}/edit")
    assert form.status_code == 200 and 'name="residence_city"' in form.text
    values = flat(response.answers)
    bad = post(
        sam, f"/staff/surveys/{SLUG}/responses/{response.id}/edit", {**values, "birth_year": "x"}
    )
    assert bad.status_code == 422 and 'value="x"' in bad.text and 'value="Amsterdam"' in bad.text
    fixed = post(
        sam,
        f"/staff/surveys/{SLUG}/responses/{response.id}/edit",
        {**values, "residence_city": "Delft"},
    )
    assert fixed.status_code == 303 and fixed.headers["location"].endswith("done=corrected-1")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "response.correct")).one()
    assert event.details == {"fields": ["residence_city"]}


def test_staff_import_reports_added_duplicates_and_bad_rows(sam, session) -> None:
    rows = [
        "_uuid;g/consent_mapping;g/first_name;g/last_name;g/email;g/residence_country;"
        "g/origin_country;g/birth_year;g/education_level;g/occupation;g/sector;"
        "g/years_experience;g/skills;g/willing",
        "a1;yes;Kofi;Boateng;k@example.org;GB;GH;1980;6;nurse;health;10;triage;no",
        "a2;yes;Efua;Owusu;e@example.org;GB;GH;1850;6;nurse;health;10;triage;no",
    ]
    data = "\n".join(rows).encode()
    page = upload(sam, f"/staff/surveys/{SLUG}/import", data, "kobo.csv")
    assert page.status_code == 200
    assert "<strong>1</strong> added" in page.text and "<strong>1</strong> bad rows" in page.text
    assert "birth_year" in page.text and "<td>3</td>" in page.text
    again = upload(sam, f"/staff/surveys/{SLUG}/import", data, "kobo.csv")
    assert "<strong>1</strong> already present" in again.text
    refused = upload(sam, f"/staff/surveys/{SLUG}/import", b"\x00\x01\x02", "x.csv")
    assert refused.status_code == 422


def test_staff_export_is_audited_and_formula_safe(sam, session, world) -> None:
    submitted(session, world.alice, residence_city='=HYPERLINK("http://x")')
    export = sam.get(f"/staff/surveys/{SLUG}/export?format=csv")
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["residence_city"].startswith("'=")
    assert sam.get(f"/staff/surveys/{SLUG}/export?format=xlsx").content[:2] == b"PK"
    assert sam.get(f"/staff/surveys/{SLUG}/export?format=json").json()[0]["__version__"] == "1"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "responses.export")).all()
    assert len(events) == 3
