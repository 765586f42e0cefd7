"""Location, media, device and metadata types kept from ODK/Kobo forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from surveys.definition import Definition, pages
from surveys.exports import export_csv
from surveys.submissions import parse_csv
from surveys.validation import coerce_answers, prepare_answers, validate_all, validate_page
from surveys.xlsform import import_xlsform
from tests.surveys.forms import xlsform


@pytest.fixture(scope="module")
def device() -> Definition:
    data = xlsform(
        [
            ["type", "name", "label", "parameters"],
            ["geopoint", "where", "Where?", ""],
            ["geotrace", "path", "Path", ""],
            ["geoshape", "area", "Area", ""],
            ["barcode", "code", "Code", ""],
            ["acknowledge", "ok", "OK?", ""],
            ["image", "photo", "Photo", ""],
            ["file", "doc", "Document", ""],
            ["range", "score", "Score", "start=0 end=10 step=2"],
            ["rank colours", "order", "Order", ""],
            ["deviceid", "device", "", ""],
            ["username", "user", "", ""],
            ["background-audio", "ambient", "", ""],
            ["start", "started", "", ""],
        ],
        [["list_name", "name", "label"], ["colours", "red", "Red"], ["colours", "blue", "Blue"]],
    )
    return import_xlsform(data, filename="device.xlsx")


def good() -> dict[str, Any]:
    return {
        "where": "5.6 -0.2 10 4.5",
        "path": "5.6 -0.2;5.7 -0.21",
        "area": "5.6 -0.2;5.7 -0.21;5.65 -0.3;5.6 -0.2",
        "code": "0123456789",
        "ok": "OK",
        "photo": "1700000000.jpg",
        "doc": "cv.pdf",
        "score": 4,
        "order": ["blue", "red"],
    }


def test_it_accepts_well_formed_answers(device: Definition) -> None:
    assert validate_all(device, good()) == {}


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("where", "91 0", "latitude −90 to 90"),
        ("where", "0 181", "longitude −180 to 180"),
        ("where", "north", "expected a location"),
        ("where", "1 2 3 -4", "expected a location"),
        ("path", "5.6 -0.2", "expected a location"),
        ("area", "5 5;6 6", "expected a location"),
        ("area", "5 5;6 6;95 1", "expected a location"),
        ("ok", "yes", "expected “OK”"),
        ("score", 11, "outside the allowed range"),
        ("score", 3, "outside the allowed range"),
        ("score", "x", "expected a number"),
        ("order", ["red", "red"], "ranked only once"),
        ("order", ["green"], "not one of the choices"),
    ],
)
def test_it_rejects_bad_answers_with_a_clear_message(
    device: Definition, name: str, value: Any, fragment: str
) -> None:
    errors = validate_all(device, {**good(), name: value})
    assert fragment in errors[name]


def test_it_coerces_form_strings_for_the_new_types(device: Definition) -> None:
    answers, errors = coerce_answers(
        device,
        {"where": " 5.6   -0.2 ", "ok": "ok", "score": "6", "order": "red blue", "photo": "a.jpg"},
    )
    assert errors == {}
    assert answers["where"] == "5.6 -0.2"
    assert answers["ok"] == "OK"
    assert answers["score"] == 6.0
    assert answers["order"] == ["red", "blue"]
    assert answers["photo"] == "a.jpg"
    _, errors = coerce_answers(device, {"where": "100 0"})
    assert "where" in errors


def test_metadata_is_never_asked_and_only_kept_from_imports(device: Definition) -> None:
    asked = [q.name for page in pages(device) for q in page.questions() if q.is_asked]
    assert "device" not in asked and "user" not in asked
    assert "ambient" not in asked  # a phone records it in the background; a page cannot
    assert "photo" in asked and "where" in asked
    assert validate_page(device, {}, 0) == {}
    now = dt.datetime(2026, 1, 2, 3, 4, 5)
    imported = {**good(), "device": "imei:1", "ambient": "1700000000.m4a"}
    kept = prepare_answers(device, imported, now=now)
    assert kept["device"] == "imei:1" and "user" not in kept
    assert kept["ambient"] == "1700000000.m4a"
    assert kept["started"] == now.isoformat()
    assert validate_all(device, {**good(), "device": "imei:1", "user": "ana"}) == {}


def test_rank_answers_survive_a_csv_export_and_import(device: Definition) -> None:
    lines = export_csv([("1", good(), {})], {"1": device}).decode("utf-8-sig").splitlines()
    data = "\n".join([lines[0] + ",_uuid", lines[1] + ",u1"])
    parsed = parse_csv(device, data)
    assert not parsed.errors
    assert parsed.submissions[0].answers["order"] == ["blue", "red"]
    assert parsed.submissions[0].answers["where"] == "5.6 -0.2 10 4.5"
