"""The survey widgets for range, rank, geopoint and file questions, through the web pages."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlmodel import select

from diaspora.audit.models import AuditEvent
from diaspora.config import Settings
from diaspora.members import service as members
from diaspora.responses import attachments, respond, service
from diaspora.responses.models import Response, ResponseAttachment
from tests.factories import build_world, csrf
from tests.surveys.forms import xlsform
from web.pages.survey_text import rank_place, texts

SLUG = "widgets"
KB = 1024
# Small limits, so the tests need no megabytes: one file up to 64 KB, 100 KB a response.
FILE_LIMIT = 64 * KB
RESPONSE_LIMIT = 100 * KB

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40
PNG_2 = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x02" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x03" * 40
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 40

PAGE_SCORES, PAGE_ORDER, PAGE_PLACE, PAGE_FILES, PAGE_DOCS = range(5)


def _office(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
DOCM = _office(
    {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"macro",
    }
)
ODT = _office({"mimetype": attachments.ODT.encode(), "content.xml": b"<office:document/>"})

HEAD = ["type", "name", "label::English (en)", "label::French (fr)", "parameters", "appearance"]
FORM = xlsform(
    [
        [*HEAD, "required"],
        ["begin group", "scores", "Scores", "Notes", "", "field-list"],
        ["range", "score", "Score", "Note", "start=0 end=10 step=1", ""],
        ["range", "rating", "Rating", "Appréciation", "start=1 end=5 step=1", "likert"],
        ["range", "big", "Big", "Grand", "start=0 end=100 step=5", "rating"],
        ["text", "remark", "Remark", "Remarque", "", ""],
        ["end group", "", "", "", "", ""],
        ["begin group", "order", "Order", "Ordre", "", "field-list"],
        ["rank priorities", "priorities", "Priorities", "Priorités", "", ""],
        ["text", "why", "Why", "Pourquoi", "", ""],
        ["end group", "", "", "", "", ""],
        ["begin group", "place", "Place", "Lieu", "", "field-list"],
        ["geopoint", "home", "Home", "Domicile", "", "", "yes"],
        ["text", "town", "Town", "Ville", "", ""],
        ["end group", "", "", "", "", ""],
        ["begin group", "uploads", "Files", "Fichiers", "", "field-list"],
        ["image", "photo", "Photo", "Photo", "", ""],
        ["file", "cv", "CV", "CV", "", ""],
        ["text", "caption", "Caption", "Légende", "", ""],
        ["end group", "", "", "", "", ""],
        ["begin repeat", "docs", "Documents", "Documents", "", ""],
        ["image", "scan", "Scan", "Scan", "", ""],
        ["end repeat", "", "", "", "", ""],
    ],
    choices=[
        ["list_name", "name", "label::English (en)", "label::French (fr)"],
        ["priorities", "health", "Health", "Santé"],
        ["priorities", "education", "Education", "Éducation"],
        ["priorities", "trade", "Trade", "Commerce"],
    ],
    settings=[["form_id", "default_language"], ["widgets", "English (en)"]],
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with small upload limits."""
    return settings.model_copy(
        update={
            "max_attachment_bytes": FILE_LIMIT,
            "max_response_attachment_bytes": RESPONSE_LIMIT,
        }
    )


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    w = build_world(session)
    service.import_form(
        session=session, actor=None, data=FORM, filename="widgets.xlsx", slug=SLUG, publish_it=True
    )
    return w


def _client(as_user, user):  # type: ignore[no-untyped-def]
    client = as_user(user)
    client.token = csrf(client, "/survey")  # type: ignore[attr-defined]
    return client


@pytest.fixture
def alice(as_user, world):  # type: ignore[no-untyped-def]
    client = _client(as_user, world.alice)
    assert post(client, "/survey/start").status_code == 303
    return client


def post(client, path: str, data: dict | None = None, files: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data={**(data or {}), "csrf_token": client.token},
        files=files,
        follow_redirects=False,
    )


def upload(client, data: dict | None = None, files: dict | None = None, page: int = PAGE_FILES):  # type: ignore[no-untyped-def]
    """Post the files page as its multipart form does."""
    return post(client, f"/survey/page/{page}/upload", {"action": "save", **(data or {})}, files)


def draft_of(session, user) -> Response:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(
        select(Response).where(Response.user_id == user.id, Response.status == "draft")
    ).one()


def stored_files(session, response_id: int) -> dict[str, ResponseAttachment]:  # type: ignore[no-untyped-def]
    session.expire_all()
    rows = session.exec(
        select(ResponseAttachment).where(ResponseAttachment.response_id == response_id)
    )
    return {row.filename: row for row in rows}


def field_error(html: str, path: str) -> str:
    """The error shown next to a field (its id is q-<path>-error)."""
    found = re.search(rf'id="q-{re.escape(path)}-error">([^<]*)<', html)
    return found.group(1) if found else ""


def input_value(html: str, element_id: str) -> str:
    found = re.search(rf'<input id="{re.escape(element_id)}"[^>]*?value="([^"]*)"', html)
    assert found, f"no input {element_id}"
    return found.group(1)


# --------------------------------------------------------------------------- range


def test_it_draws_a_range_as_a_bounded_number_or_as_radio_buttons(alice) -> None:
    page = alice.get(f"/survey/page/{PAGE_SCORES}").text
    number = re.search(r'<input id="q-score"[^>]*>', page)
    assert number is not None
    tag = number.group(0)
    assert 'type="number"' in tag and 'inputmode="decimal"' in tag
    assert 'min="0"' in tag and 'max="10"' in tag and 'step="1"' in tag
    assert 'aria-describedby="q-score-range"' in tag
    assert '<p class="hint" id="q-score-range">A number from 0 to 10, in steps of 1.</p>' in page
    # likert with five steps: one radio per value, in a fieldset with a legend
    radios = re.findall(r'<input type="radio" name="rating" value="([^"]+)"', page)
    assert radios == ["1", "2", "3", "4", "5"]
    assert "<legend>Rating" in page
    # "rating" with 21 steps is too many buttons: a number input with step 5
    big = re.search(r'<input id="q-big"[^>]*>', page)
    assert big is not None and 'step="5"' in big.group(0) and 'max="100"' in big.group(0)
    assert 'name="big" value=' not in page.replace('id="q-big" name="big" value=', "")


def test_range_answers_round_trip_into_what_the_engine_accepts(alice, session, world) -> None:
    saved = post(
        alice,
        f"/survey/page/{PAGE_SCORES}",
        {"score": "7", "rating": "4", "big": "35", "action": "next"},
    )
    assert saved.status_code == 303, saved.text[:1500]
    answers = draft_of(session, world.alice).answers
    assert answers["score"] == 7 and answers["rating"] == 4 and answers["big"] == 35
    page = alice.get(f"/survey/page/{PAGE_SCORES}").text
    assert input_value(page, "q-score") == "7" and input_value(page, "q-big") == "35"
    assert re.search(r'name="rating" value="4" id="q-rating-3" checked', page)


def test_an_off_step_or_out_of_range_value_is_a_field_error_keeping_the_rest(
    alice, session, world
) -> None:
    refused = post(
        alice,
        f"/survey/page/{PAGE_SCORES}",
        {"score": "11", "rating": "3", "big": "33", "remark": "kept", "action": "next"},
    )
    assert refused.status_code == 422
    assert "outside the allowed range or step" in field_error(refused.text, "score")
    assert "outside the allowed range or step" in field_error(refused.text, "big")
    assert input_value(refused.text, "q-score") == "11"  # what was typed stays
    assert input_value(refused.text, "q-remark") == "kept"
    answers = draft_of(session, world.alice).answers
    assert answers["remark"] == "kept" and answers["rating"] == 3 and "score" not in answers


# --------------------------------------------------------------------------- rank


def test_it_draws_one_select_per_place_labelled_in_the_survey_language(alice) -> None:
    page = alice.get(f"/survey/page/{PAGE_ORDER}").text
    selects = re.findall(r'<select id="(q-priorities-\d)" name="priorities"', page)
    assert selects == ["q-priorities-0", "q-priorities-1", "q-priorities-2"]
    for index, label in enumerate(("1st choice", "2nd choice", "3rd choice")):
        assert f'<label for="q-priorities-{index}">{label}</label>' in page
    assert "<legend>Priorities" in page and 'aria-describedby="q-priorities-order"' in page
    french = alice.get(f"/survey/page/{PAGE_ORDER}?slang=fr").text
    assert "1er choix" in french and "2e choix" in french and "Santé" in french


def test_ordinals_follow_each_language() -> None:
    assert [rank_place(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == [
        "1st choice",
        "2nd choice",
        "3rd choice",
        "4th choice",
        "11th choice",
        "12th choice",
        "13th choice",
        "21st choice",
        "22nd choice",
        "23rd choice",
    ]
    assert rank_place(1, "es") == "1.ª opción" and rank_place(2, "pt") == "2.ª escolha"
    assert rank_place(1, "ar") == "الخيار الأول"
    assert texts("sw")["rank_2"] == "2nd choice"  # other languages: English, like every text


def test_a_ranking_is_stored_in_order_and_shown_again(alice, session, world) -> None:
    saved = post(
        alice,
        f"/survey/page/{PAGE_ORDER}",
        {"priorities": ["education", "", "health"], "action": "next"},
    )
    assert saved.status_code == 303, saved.text[:1500]
    assert draft_of(session, world.alice).answers["priorities"] == ["education", "health"]
    page = alice.get(f"/survey/page/{PAGE_ORDER}").text
    first = page.split('id="q-priorities-0"', 1)[1].split("</select>", 1)[0]
    second = page.split('id="q-priorities-1"', 1)[1].split("</select>", 1)[0]
    assert '<option value="education" selected>' in first
    assert '<option value="health" selected>' in second
    review = alice.get("/survey/review").text
    assert "1. Education; 2. Health" in review


def test_a_choice_ranked_twice_is_a_field_error_keeping_the_rest(alice, session, world) -> None:
    refused = post(
        alice,
        f"/survey/page/{PAGE_ORDER}",
        {"priorities": ["trade", "trade", "health"], "why": "because", "action": "next"},
    )
    assert refused.status_code == 422
    assert "ranked only once" in field_error(refused.text, "priorities")
    third = refused.text.split('id="q-priorities-2"', 1)[1].split("</select>", 1)[0]
    assert '<option value="health" selected>' in third  # the places keep what was chosen
    answers = draft_of(session, world.alice).answers
    assert answers["why"] == "because" and "priorities" not in answers


# --------------------------------------------------------------------------- geopoint


def test_it_draws_a_location_as_four_labelled_number_inputs(alice) -> None:
    page = alice.get(f"/survey/page/{PAGE_PLACE}").text
    assert re.search(
        r'<fieldset class="geopoint" data-geopoint aria-describedby="q-home-degrees"', page
    )
    for part in ("latitude", "longitude", "altitude", "accuracy"):
        tag = re.search(rf'<input id="q-home-{part}"[^>]*>', page)
        assert tag is not None and 'name="home"' in tag.group(0)
        # Signed parts keep a keyboard with a minus sign (iPhones' decimal pad has none).
        assert ('inputmode="decimal"' in tag.group(0)) == (part == "accuracy")
        assert f'<label for="q-home-{part}">' in page
    assert "Altitude in metres <span" in page and "(optional)" in page
    # "Use my location" exists only for the script to reveal; without JS it stays hidden.
    assert re.search(r"<button[^>]*data-geo-locate hidden>Use my location</button>", page)
    assert '<script src="/static/geopoint.js" defer></script>' in page
    assert alice.get("/static/geopoint.js").status_code == 200


@pytest.mark.parametrize(
    ("parts", "stored"),
    [
        (["5.6037", "-0.187", "", ""], "5.6037 -0.187"),
        (["5.6037", "-0.187", "61", "4.5"], "5.6037 -0.187 61 4.5"),
    ],
)
def test_a_location_is_stored_as_lat_lon_alt_acc(alice, session, world, parts, stored) -> None:
    saved = post(alice, f"/survey/page/{PAGE_PLACE}", {"home": parts, "action": "next"})
    assert saved.status_code == 303, saved.text[:1500]
    assert draft_of(session, world.alice).answers["home"] == stored
    page = alice.get(f"/survey/page/{PAGE_PLACE}").text
    assert input_value(page, "q-home-latitude") == "5.6037"
    assert input_value(page, "q-home-longitude") == "-0.187"


@pytest.mark.parametrize(
    "parts",
    [
        ["5.6", "", "", ""],  # no longitude
        ["", "-0.187", "", ""],  # no latitude
        ["5.6", "-0.1", "", "3"],  # accuracy without altitude
        ["95", "10", "", ""],  # latitude out of range
        ["5.6", "190", "", ""],  # longitude out of range
        ["5.6", "-0.1", "10", "-3"],  # negative accuracy
        ["north", "-0.1", "", ""],
    ],
)
def test_a_partial_or_impossible_location_is_a_field_error_keeping_what_was_typed(
    alice, session, world, parts
) -> None:
    refused = post(
        alice, f"/survey/page/{PAGE_PLACE}", {"home": parts, "town": "Accra", "action": "next"}
    )
    assert refused.status_code == 422
    assert "expected a location" in field_error(refused.text, "home")
    for part, typed in zip(("latitude", "longitude", "altitude", "accuracy"), parts, strict=True):
        assert input_value(refused.text, f"q-home-{part}") == typed
    answers = draft_of(session, world.alice).answers
    assert answers["town"] == "Accra" and "home" not in answers


def test_a_partial_location_never_replaces_the_saved_one(alice, session, world) -> None:
    post(alice, f"/survey/page/{PAGE_PLACE}", {"home": ["1", "2", "", ""], "action": "save"})
    post(alice, f"/survey/page/{PAGE_PLACE}", {"home": ["", "3", "", ""], "action": "save"})
    assert draft_of(session, world.alice).answers["home"] == "1 2"


def test_background_saves_wait_for_both_coordinates_before_complaining(
    alice, session, world
) -> None:
    def refresh(parts: list[str]):  # type: ignore[no-untyped-def]
        return alice.post(
            f"/survey/page/{PAGE_PLACE}/refresh",
            data={"home": parts, "town": "Tema"},
            headers={"X-CSRF-Token": alice.token, "HX-Request": "true"},
        )

    typing = refresh(["5.6", "", "", ""])  # the longitude is still to come
    assert typing.status_code == 204
    assert draft_of(session, world.alice).answers["town"] == "Tema"
    impossible = refresh(["95", "10", "", ""])
    assert impossible.status_code == 200
    assert "expected a location" in field_error(impossible.text, "home")
    done = refresh(["5.6", "-0.2", "", ""])
    assert draft_of(session, world.alice).answers["home"] == "5.6 -0.2"
    assert field_error(done.text, "home") == ""


# --------------------------------------------------------------------------- files: storing


def test_a_page_with_a_file_question_posts_multipart_to_the_upload_path(alice) -> None:
    page = alice.get(f"/survey/page/{PAGE_FILES}").text
    assert 'action="/survey/page/3/upload" enctype="multipart/form-data"' in page
    photo = re.search(r'<input type="file" id="q-photo" name="photo.__file__"[^>]*>', page)
    assert photo is not None
    assert 'accept="image/jpeg,image/png,image/gif,image/webp"' in photo.group(0)
    assert 'aria-describedby="q-photo-limit"' in photo.group(0)
    assert '<label for="q-photo">Choose a file</label>' in page
    assert "One file, up to 64 KB." in page
    other = alice.get(f"/survey/page/{PAGE_SCORES}").text
    assert "multipart" not in other and 'action="/survey/page/0"' in other


def test_an_upload_is_stored_and_the_answer_is_its_file_name(alice, session, world) -> None:
    saved = upload(
        alice,
        {"caption": "me", "action": "next"},
        {"photo.__file__": ("../../My Photo<1>.PNG", PNG, "image/png")},
    )
    assert saved.status_code == 303, saved.text[:1500]
    draft = draft_of(session, world.alice)
    assert draft.answers["photo"] == "My_Photo_1.png" and draft.answers["caption"] == "me"
    stored = stored_files(session, draft.id)
    assert list(stored) == ["My_Photo_1.png"]
    row = stored["My_Photo_1.png"]
    assert (row.content_type, row.size, row.data, row.question) == (
        "image/png",
        len(PNG),
        PNG,
        "photo",
    )
    assert len(row.sha256) == 64
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "response.attachment.add")
    ).one()
    assert "My_Photo" not in str(event.details)  # no file name (it may name someone)
    page = alice.get(f"/survey/page/{PAGE_FILES}").text
    assert f'href="/survey/responses/{draft.id}/files/{row.id}" download>My_Photo_1.png</a>' in page
    assert '<input type="hidden" name="photo" value="My_Photo_1.png">' in page
    assert '<label for="q-photo">Replace it with another file</label>' in page
    review = alice.get("/survey/review").text
    assert f'href="/survey/responses/{draft.id}/files/{row.id}"' in review


def test_a_file_of_any_accepted_kind_is_sniffed_from_its_bytes(alice, session, world) -> None:
    for name, data, expected in (
        ("cv.pdf", PDF, "application/pdf"),
        ("cv.docx", DOCX, attachments.DOCX),
        ("cv.odt", ODT, attachments.ODT),
        ("cv.txt", "Expérience : 10 ans\n".encode(), "text/plain"),
        ("cv.pdf", DOCX, attachments.DOCX),  # the bytes decide, and the name follows them
    ):
        saved = upload(alice, files={"cv.__file__": (name, data, "application/octet-stream")})
        assert saved.status_code == 303, (name, saved.text[:1500])
        draft = draft_of(session, world.alice)
        stored = stored_files(session, draft.id)
        assert [row.content_type for row in stored.values()] == [expected]
        assert draft.answers["cv"] == next(iter(stored))
    assert draft.answers["cv"] == "cv.docx"


def test_uploading_again_replaces_the_file(alice, session, world) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    draft = draft_of(session, world.alice)
    assert stored_files(session, draft.id)["photo.png"].data == PNG
    again = upload(
        alice,
        {"photo": "photo.png"},
        {"photo.__file__": ("photo.png", PNG_2, "image/png")},
    )
    assert again.status_code == 303
    stored = stored_files(session, draft.id)
    assert list(stored) == ["photo.png"] and stored["photo.png"].data == PNG_2
    other = upload(
        alice, {"photo": "photo.png"}, {"photo.__file__": ("new.jpg", JPEG, "image/jpeg")}
    )
    assert other.status_code == 303
    assert list(stored_files(session, draft.id)) == ["new.jpg"]
    assert draft_of(session, world.alice).answers["photo"] == "new.jpg"


def test_an_empty_file_input_keeps_the_file_and_remove_clears_it(alice, session, world) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    draft = draft_of(session, world.alice)
    kept = upload(
        alice, {"photo": "photo.png"}, {"photo.__file__": ("", b"", "application/octet-stream")}
    )
    assert kept.status_code == 303
    assert draft_of(session, world.alice).answers["photo"] == "photo.png"
    page = alice.get(f"/survey/page/{PAGE_FILES}").text
    assert 'name="photo.__remove__" value="1"' in page and "Remove this file" in page
    removed = upload(alice, {"photo": "photo.png", "photo.__remove__": "1"})
    assert removed.status_code == 303
    assert "photo" not in draft_of(session, world.alice).answers
    assert stored_files(session, draft.id) == {}
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "response.attachment.delete")
    ).first()


def test_a_file_name_that_is_not_one_of_the_responses_files_is_dropped(
    alice, session, world
) -> None:
    saved = upload(alice, {"photo": "someone-elses.png", "caption": "x"})
    assert saved.status_code == 303
    answers = draft_of(session, world.alice).answers
    assert "photo" not in answers and answers["caption"] == "x"


def test_background_saves_keep_the_file(alice, session, world) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    refresh = alice.post(
        f"/survey/page/{PAGE_FILES}/refresh",
        # htmx posts the form url-encoded: a file input arrives as text, and is ignored.
        data={"photo": "photo.png", "photo.__file__": "[object File]", "caption": "typed"},
        headers={"X-CSRF-Token": alice.token, "HX-Request": "true"},
    )
    assert refresh.status_code in (200, 204)
    answers = draft_of(session, world.alice).answers
    assert answers["photo"] == "photo.png" and answers["caption"] == "typed"


def test_files_inside_repeats_follow_their_rows(alice, session, world) -> None:
    first = upload(
        alice,
        {"docs[0].__row__": "1", "docs[1].__row__": "1", "action": "save"},
        {
            "docs[0].scan.__file__": ("a.png", PNG, "image/png"),
            "docs[1].scan.__file__": ("b.png", PNG_2, "image/png"),
        },
        page=PAGE_DOCS,
    )
    assert first.status_code == 303, first.text[:1500]
    draft = draft_of(session, world.alice)
    assert draft.answers["docs"] == [{"scan": "a.png"}, {"scan": "b.png"}]
    assert stored_files(session, draft.id)["b.png"].question == "docs[1].scan"
    removed = upload(
        alice,
        {
            "docs[0].__row__": "1",
            "docs[0].scan": "a.png",
            "docs[1].__row__": "1",
            "docs[1].scan": "b.png",
            "action": "remove:docs:0",
        },
        page=PAGE_DOCS,
    )
    assert removed.status_code == 200
    assert draft_of(session, world.alice).answers["docs"] == [{"scan": "b.png"}]
    assert list(stored_files(session, draft.id)) == ["b.png"]
    assert '<input type="hidden" name="docs[0].scan" value="b.png">' in removed.text


def test_multipart_posts_still_need_the_csrf_token(alice, session, world) -> None:
    refused = alice.post(
        f"/survey/page/{PAGE_FILES}/upload",
        data={"action": "save"},
        files={"photo.__file__": ("photo.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert stored_files(session, draft_of(session, world.alice).id) == {}


# --------------------------------------------------------------------------- files: refusals


@pytest.mark.parametrize(
    ("field", "name", "data", "message"),
    [
        ("photo", "cat.jpg", HTML, "is not a JPEG, PNG, GIF or WebP picture"),
        ("photo", "logo.svg", SVG, "is not a JPEG, PNG, GIF or WebP picture"),
        ("photo", "cv.pdf", PDF, "is not a JPEG, PNG, GIF or WebP picture"),
        ("cv", "cv.txt", HTML, "is not a PDF, Word (DOCX)"),
        ("cv", "cv.txt", SVG, "is not a PDF, Word (DOCX)"),
        ("cv", "setup.pdf", EXE, "is not a PDF, Word (DOCX)"),
        ("cv", "run.txt", b"#!/bin/sh\nrm -rf /\n", "is not a PDF, Word (DOCX)"),
        ("cv", "cv.docm", DOCM, "is not a PDF, Word (DOCX)"),
        ("cv", "photo.png", PNG, "is not a PDF, Word (DOCX)"),
        ("photo", "empty.png", b"", "the file is empty"),
    ],
)
def test_disguised_or_unsupported_files_are_refused_next_to_the_field(
    alice, session, world, field, name, data, message
) -> None:
    refused = upload(
        alice,
        {"caption": "still here", "action": "next"},
        {f"{field}.__file__": (name, data, "image/jpeg")},
    )
    assert refused.status_code == 422
    assert message in field_error(refused.text, field)
    assert input_value(refused.text, "q-caption") == "still here"
    draft = draft_of(session, world.alice)
    assert draft.answers["caption"] == "still here" and field not in draft.answers
    assert stored_files(session, draft.id) == {}


def test_an_oversized_file_is_a_field_error_not_a_413_and_the_old_file_stays(
    alice, session, world
) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    # Over the attachment limit and over the ordinary body limit (2 MB), under the upload
    # body limit: the page answers with the field error.
    big = PNG + b"\x00" * (3 * 1024 * KB)
    refused = upload(
        alice,
        {"photo": "photo.png", "caption": "kept", "action": "next"},
        {"photo.__file__": ("huge.png", big, "image/png")},
    )
    assert refused.status_code == 422
    assert "larger than 64 KB" in field_error(refused.text, "photo")
    assert input_value(refused.text, "q-caption") == "kept"
    assert "photo.png</a>" in refused.text  # the file it had is still shown
    draft = draft_of(session, world.alice)
    assert draft.answers["photo"] == "photo.png" and draft.answers["caption"] == "kept"
    assert list(stored_files(session, draft.id)) == ["photo.png"]


def test_the_files_of_one_response_have_a_total_limit(alice, session, world) -> None:
    near = FILE_LIMIT - KB
    upload(alice, files={"photo.__file__": ("photo.png", PNG + b"\x00" * (near - len(PNG)), "")})
    refused = upload(
        alice,
        {"photo": "photo.png"},
        {"cv.__file__": ("cv.pdf", PDF + b"\x00" * (near - len(PDF)), "")},
    )
    assert refused.status_code == 422
    assert "more than 100 KB in all" in field_error(refused.text, "cv")
    # Replacing a file counts without the file it replaces.
    replaced = upload(
        alice,
        {"photo": "photo.png"},
        {"photo.__file__": ("other.png", PNG + b"\x01" * (near - len(PNG)), "")},
    )
    assert replaced.status_code == 303


@pytest.fixture
def small_uploads(settings: Settings) -> Settings:
    """An upload body limit (128 KB) below two files that are each a little too large."""
    settings.max_upload_bytes = 128 * KB
    settings.max_body_bytes = 64 * KB
    return settings


def test_a_page_of_files_may_exceed_the_upload_limit_and_gets_field_errors(
    small_uploads, alice, session, world
) -> None:
    """All of a response's files at once fit in a survey page's body (per-response limit
    + the page's fields), so two files over the per-file limit get field errors."""
    over = PNG + b"\x00" * (70 * KB)
    body = {"photo.__file__": ("a.png", over, "image/png"), "cv.__file__": ("b.pdf", over, "")}
    refused = upload(alice, {"caption": "kept", "action": "next"}, body)
    assert refused.status_code == 422
    assert "larger than 64 KB" in field_error(refused.text, "photo")
    assert "larger than 64 KB" in field_error(refused.text, "cv")
    assert input_value(refused.text, "q-caption") == "kept"
    # Beyond even that, a person gets a page that leads back to the survey page.
    huge = {"photo.__file__": ("a.png", PNG + b"\x00" * (200 * KB), "image/png")}
    page = alice.post(
        f"/survey/page/{PAGE_FILES}/upload",
        data={"csrf_token": alice.token, "action": "save"},
        files=huge,
        headers={"accept": "text/html"},
    )
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert f'href="/survey/page/{PAGE_FILES}"' in page.text and "larger than" in page.text
    assert draft_of(session, world.alice).answers.get("photo") is None


def test_the_default_limits_leave_room_for_a_refusal_below_the_upload_body_limit() -> None:
    defaults = Settings()
    assert defaults.max_attachment_bytes < defaults.max_upload_bytes
    assert defaults.max_attachment_bytes <= defaults.max_response_attachment_bytes


# --------------------------------------------------------------------------- files: access


@pytest.fixture
def with_photo(alice, session, world):  # type: ignore[no-untyped-def]
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    draft = draft_of(session, world.alice)
    return draft, stored_files(session, draft.id)["photo.png"]


def test_the_member_downloads_their_own_file(alice, session, with_photo) -> None:
    draft, row = with_photo
    got = alice.get(f"/survey/responses/{draft.id}/files/{row.id}")
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith('attachment; filename="photo.png"')
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert "no-store" in got.headers["cache-control"]
    assert session.exec(
        select(AuditEvent).where(AuditEvent.action == "response.attachment.view")
    ).one()


def test_other_members_and_institutions_cannot_download_it(
    as_user, session, world, with_photo
) -> None:
    draft, row = with_photo
    for user in (world.bob, world.carol):
        assert as_user(user).get(f"/survey/responses/{draft.id}/files/{row.id}").status_code == 404
    anonymous = as_user(None).get(
        f"/survey/responses/{draft.id}/files/{row.id}", follow_redirects=False
    )
    assert anonymous.headers["location"].startswith("/login")
    # A file id under another response is not found either.
    bob = _client(as_user, world.bob)
    post(bob, "/survey/start")
    bobs = draft_of(session, world.bob)
    assert alice_get(as_user, world, f"/survey/responses/{bobs.id}/files/{row.id}") == 404
    assert not session.exec(
        select(AuditEvent).where(AuditEvent.action == "response.attachment.view")
    ).first()


def alice_get(as_user, world, path: str) -> int:  # type: ignore[no-untyped-def]
    return int(as_user(world.alice).get(path).status_code)


def test_staff_see_the_link_and_download_it_audited(as_user, session, world, alice) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    post(alice, f"/survey/page/{PAGE_PLACE}", {"home": ["1", "2", "", ""], "action": "save"})
    done = post(alice, "/survey/submit")
    assert done.status_code == 303, done.text[:2000]
    response = session.exec(select(Response).where(Response.user_id == world.alice.id)).one()
    row = stored_files(session, response.id or 0)["photo.png"]
    url = f"/survey/responses/{response.id}/files/{row.id}"
    assert url in alice.get(f"/survey/responses/{response.id}").text
    sam = as_user(world.sam)
    staff_page = sam.get(f"/staff/surveys/{SLUG}/responses/{response.id}").text
    assert f'href="{url}" download>photo.png</a>' in staff_page
    got = sam.get(url)
    assert got.status_code == 200 and got.content == PNG
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "response.attachment.view", AuditEvent.actor_id == world.sam.id
        )
    ).one()
    assert event.entity_id == str(response.id) and event.details["attachment_id"] == row.id


def test_the_members_data_export_carries_their_files(alice, session, world, with_photo) -> None:
    """The JSON export describes each file; the archive holds the JSON and the bytes."""
    draft, row = with_photo
    described = alice.get("/me/export").json()["files"]
    path = f"files/response-{draft.id}/photo.png"
    assert [(f["filename"], f["size"], f["in_archive"]) for f in described] == [
        ("photo.png", len(PNG), path)
    ]
    assert "data" not in described[0]
    got = alice.get("/me/export/archive")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        assert archive.read(path) == PNG
        assert json.loads(archive.read("my-data.json"))["files"][0]["in_archive"] == path
    exports = session.exec(select(AuditEvent).where(AuditEvent.action == "member.export")).all()
    assert len(exports) == 2 and {e.actor_id for e in exports} == {world.alice.id}
    assert 'href="/me/export/archive"' in alice.get("/me").text


@pytest.fixture
def submitted(alice, session, world) -> Response:  # type: ignore[no-untyped-def]
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    post(alice, f"/survey/page/{PAGE_PLACE}", {"home": ["1", "2", "", ""], "action": "save"})
    assert post(alice, "/survey/submit").status_code == 303
    return session.exec(select(Response).where(Response.user_id == world.alice.id)).one()


def staff_edit(sam, response: Response, data: dict, files: dict | None = None):  # type: ignore[no-untyped-def]
    """Post the staff correction form as the page does (every answer, multipart)."""
    path = f"/staff/surveys/{SLUG}/responses/{response.id}/edit"
    page = sam.get(path)
    assert 'enctype="multipart/form-data"' in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answers = {"home": ["1", "2", "", ""], "action": "save"}
    return sam.post(
        path, data={**fields, **answers, **data}, files=files or {}, follow_redirects=False
    )


def test_staff_correct_a_file_answer_by_uploading(as_user, session, world, submitted) -> None:
    sam = as_user(world.sam)
    before = stored_files(session, submitted.id or 0)["photo.png"]
    # A refused file changes nothing.
    refused = staff_edit(sam, submitted, {}, {"photo.__file__": ("x.png", HTML, "image/png")})
    assert refused.status_code == 422 and field_error(refused.text, "photo")
    assert stored_files(session, submitted.id or 0)["photo.png"].sha256 == before.sha256
    # The same name with new bytes is a change; the old file goes.
    done = staff_edit(sam, submitted, {}, {"photo.__file__": ("photo.png", PNG_2, "image/png")})
    assert done.status_code == 303, done.text[:1500]
    after = stored_files(session, submitted.id or 0)
    assert list(after) == ["photo.png"] and after["photo.png"].data == PNG_2
    session.refresh(submitted)
    assert submitted.answers["photo"] == "photo.png"
    actions = {
        e.action: e
        for e in session.exec(select(AuditEvent).where(AuditEvent.actor_id == world.sam.id))
    }
    assert actions["response.correct"].details["fields"] == ["photo"]
    assert actions["response.attachment.add"].details["question"] == "photo"
    # A second file question gets a file; the member downloads what staff put there.
    staff_edit(sam, submitted, {}, {"cv.__file__": ("cv.pdf", PDF, "application/pdf")})
    files = stored_files(session, submitted.id or 0)
    assert set(files) == {"photo.png", "cv.pdf"}
    got = as_user(world.alice).get(f"/survey/responses/{submitted.id}/files/{files['cv.pdf'].id}")
    assert got.status_code == 200 and got.content == PDF


# --------------------------------------------------------------------------- files: erasure


def test_erasing_the_member_deletes_their_files(alice, session, world, with_photo) -> None:
    draft, _row = with_photo
    members.erase(session=session, actor=world.alice, member_id=world.alice_profile.id or 0)
    assert stored_files(session, draft.id) == {}


def test_discarding_or_restarting_a_draft_deletes_its_files(
    alice, session, world, with_photo
) -> None:
    first = with_photo[0].id or 0
    respond.discard(session=session, actor=world.alice, response_id=first)
    assert stored_files(session, first) == {}
    post(alice, "/survey/start")
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    assert list(stored_files(session, draft_of(session, world.alice).id or 0)) == ["photo.png"]
    # Starting again deletes the draft; the database deletes its files with it.
    post(alice, "/survey/start", {"restart": "1"})
    assert session.exec(select(ResponseAttachment)).all() == []


def test_a_new_draft_from_the_last_answers_takes_its_files_along(alice, session, world) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    post(alice, f"/survey/page/{PAGE_PLACE}", {"home": ["1", "2", "", ""], "action": "save"})
    assert post(alice, "/survey/submit").status_code == 303
    post(alice, "/survey/start", {"restart": "1"})
    draft = draft_of(session, world.alice)
    assert draft.answers["photo"] == "photo.png"
    # The new draft has its own copy at once: submitting it untouched keeps the file.
    assert stored_files(session, draft.id)["photo.png"].data == PNG
    saved = post(alice, f"/survey/page/{PAGE_SCORES}", {"remark": "again", "action": "next"})
    assert saved.status_code == 303
    assert stored_files(session, draft.id)["photo.png"].data == PNG
    kept = upload(alice, {"photo": "photo.png", "action": "next"})
    assert kept.status_code == 303
    assert draft_of(session, world.alice).answers["photo"] == "photo.png"
    assert list(stored_files(session, draft.id)) == ["photo.png"]


# --------------------------------------------------------------------------- helpers


def test_sniffing_and_names() -> None:
    assert attachments.sniff(JPEG, "image") == "image/jpeg"
    assert attachments.sniff(b"GIF89a" + b"\x00" * 10, "image") == "image/gif"
    assert attachments.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image") == "image/webp"
    assert attachments.sniff(b"ID3\x03\x00", "audio") == "audio/mpeg"
    assert attachments.sniff(b"\x00\x00\x00\x18ftypM4A \x00", "audio") == "audio/mp4"
    assert attachments.sniff(b"\x00\x00\x00\x18ftypisom\x00", "video") == "video/mp4"
    assert attachments.sniff(b"\x00\x00\x00\x14ftypqt  \x00", "video") == "video/quicktime"
    assert attachments.sniff(b"ID3\x03\x00", "video") is None
    assert attachments.sniff(b"\xef\xbb\xbf  <html>", "file") is None
    assert attachments.safe_filename("C:\\Users\\a\\report.final.PDF", "application/pdf") == (
        "report_final.pdf"
    )
    assert attachments.safe_filename("صورة.jpg", "image/png") == "صورة.png"
    assert attachments.safe_filename("...", "image/png") == "file.png"
    assert attachments.size_text(5 * 1024 * 1024) == "5 MB" and attachments.size_text(300) == "1 KB"


# --------------------------------------------------------------------------- staff corrections


def test_staff_corrections_keep_the_new_widgets_answers(as_user, session, world, alice) -> None:
    upload(alice, files={"photo.__file__": ("photo.png", PNG, "image/png")})
    post(alice, f"/survey/page/{PAGE_ORDER}", {"priorities": ["trade", "health", ""]})
    post(alice, f"/survey/page/{PAGE_PLACE}", {"home": ["1", "2", "", ""], "action": "save"})
    assert post(alice, "/survey/submit").status_code == 303
    response = session.exec(select(Response).where(Response.user_id == world.alice.id)).one()
    sam = as_user(world.sam)
    sam.token = csrf(sam, "/staff/surveys")  # type: ignore[attr-defined]
    edit = f"/staff/surveys/{SLUG}/responses/{response.id}/edit"
    page = sam.get(edit).text
    assert '<input type="hidden" name="photo" value="photo.png">' in page
    assert 'name="photo.__file__"' in page  # staff may upload a file in its place
    assert input_value(page, "q-home-latitude") == "1"
    form = {
        "expected_version": str(response.version),
        "photo": "photo.png",
        "priorities": ["health", "trade", ""],
        "action": "save",
    }
    gap = post(sam, edit, {**form, "home": ["", "2", "", ""]})
    assert gap.status_code == 422 and "expected a location" in field_error(gap.text, "home")
    saved = post(sam, edit, {**form, "home": ["3", "4", "", ""]})
    assert saved.status_code == 303, saved.text[:1500]
    session.expire_all()
    answers = session.get(Response, response.id).answers  # type: ignore[union-attr]
    assert answers["home"] == "3 4" and answers["priorities"] == ["health", "trade"]
    assert answers["photo"] == "photo.png"
    assert list(stored_files(session, response.id or 0)) == ["photo.png"]
