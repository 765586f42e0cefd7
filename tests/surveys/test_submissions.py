"""Kobo/ODK submissions: JSON, CSV and XLSX parsing, bad rows and stable ids."""

from __future__ import annotations

import datetime as dt

import pytest

from surveys.definition import Definition
from surveys.exports import export_xlsx
from surveys.submissions import ParsedSubmission, iter_csv, parse_csv, parse_kobo_json, parse_xlsx
from surveys.xlsform import import_xlsform
from tests.surveys.forms import RICH


@pytest.fixture(scope="module")
def rich() -> Definition:
    return import_xlsform(RICH, filename="rich.xlsx")


KOBO = {
    "_id": 17,
    "_uuid": "6f1c0a52-0000-4000-8000-000000000001",
    "meta/instanceID": "uuid:6f1c0a52-0000-4000-8000-000000000001",
    "_submission_time": "2025-03-01T10:15:00",
    "formhub/uuid": "abc",
    "__version__": "vX",
    "identity/first_name": "Ana",
    "identity/birth_year": "1990",
    "identity/country": "PT",
    "region": "north",
    "city": "n1",
    "modes": "temporary virtual",
    "n_children": "2",
    "children": [
        {"children/child_name": "Rui", "children/child_age": "4"},
        {"children/child_name": "Eva", "children/child_age": "2"},
    ],
    "skills": "nursing; triage",
    "_attachments": [],
}


def test_it_parses_a_kobo_rest_submission(rich: Definition) -> None:
    result = parse_kobo_json(rich, KOBO)
    assert result.errors == []
    [submission] = result.submissions
    assert submission.external_id == "6f1c0a52-0000-4000-8000-000000000001"
    assert submission.submitted_at == dt.datetime(2025, 3, 1, 10, 15, tzinfo=dt.UTC)
    assert submission.answers == {
        "first_name": "Ana",
        "birth_year": 1990,
        "country": "PT",
        "region": "north",
        "city": "n1",
        "modes": ["temporary", "virtual"],
        "n_children": 2,
        "children": [{"child_name": "Rui", "child_age": 4}, {"child_name": "Eva", "child_age": 2}],
        "skills": ["nursing", "triage"],
    }


def test_it_keeps_good_rows_and_reports_bad_ones(rich: Definition) -> None:
    bad = KOBO | {"_uuid": "two", "meta/instanceID": "uuid:two", "identity/birth_year": "old"}
    missing_id = {k: v for k, v in KOBO.items() if k not in ("_uuid", "meta/instanceID")}
    result = parse_kobo_json(rich, [KOBO, bad, missing_id, KOBO])
    assert [s.external_id for s in result.submissions] == [KOBO["_uuid"]]
    reasons = [(e.row, e.field, e.reason) for e in result.errors]
    assert (2, "birth_year", "Birth year: expected a whole number, got “old”.") in reasons
    assert any(row == 3 and "no submission id" in reason for row, _, reason in reasons)
    assert any(row == 4 and "duplicate submission id" in reason for row, _, reason in reasons)


CSV = (
    "_uuid;_submission_time;identity/first_name;identity/birth_year;identity/country;region;city;"
    "modes;modes/temporary;modes/virtual;n_children;skills;meta/instanceID;_index\n"
    "a1;2025-03-01T10:00:00;Ana;1990;PT;north;n1;temporary;1;0;0;nursing;uuid:a1;1\n"
    "b2;2025-03-01T11:00:00;Bo;1800;PT;north;n1;;0;1;0;;uuid:b2;2\n"
    "c3;2025-03-01T12:00:00;Cy;1985;XX;south;s1;;0;1;0;;uuid:c3;3\n"
)


def test_it_parses_kobo_csv_with_group_paths(rich: Definition) -> None:
    result = parse_csv(rich, CSV)
    assert [s.external_id for s in result.submissions] == ["a1"]
    assert result.submissions[0].answers["modes"] == ["temporary"]
    assert {(e.row, e.field) for e in result.errors} == {(3, "birth_year"), (4, "country")}
    assert result.ignored_columns == []


def test_it_reads_one_column_per_choice_when_the_list_column_is_empty(rich: Definition) -> None:
    text = CSV.replace(";Bo;1800;", ";Bo;1990;")
    result = parse_csv(rich, text)
    second = next(s for s in result.submissions if s.external_id == "b2")
    assert second.answers["modes"] == ["virtual"]


def test_it_reads_odk_central_csv_with_dash_paths(rich: Definition) -> None:
    text = (
        "SubmissionDate,identity-first_name,identity-birth_year,region,KEY,unknown-col\n"
        "2025-03-01T10:00:00.000Z,Ana,1990,south,uuid:k1,zzz\n"
    )
    result = parse_csv(rich, text)
    [submission] = result.submissions
    assert (submission.external_id, submission.answers["first_name"]) == ("k1", "Ana")
    assert result.ignored_columns == ["unknown-col"]


def test_it_gives_the_same_ids_on_reimport_so_imports_are_idempotent(rich: Definition) -> None:
    first = [s.external_id for s in parse_csv(rich, CSV).submissions]
    again = [
        item.external_id
        for item in iter_csv(rich, CSV.encode())
        if isinstance(item, ParsedSubmission)
    ]
    json_ids = [
        s.external_id
        for s in parse_kobo_json(rich, [{"meta/instanceID": "uuid:a1"}], validate=False).submissions
    ]
    assert first == again == ["a1"] and json_ids == ["a1"]


def test_it_parses_xlsx_exports_with_repeat_sheets(rich: Definition) -> None:
    parsed = parse_kobo_json(rich, KOBO).submissions[0]
    data = export_xlsx([("3", parsed.answers, {"_uuid": parsed.external_id})], {"3": rich})
    result = parse_xlsx(rich, data)
    assert result.errors == []
    assert result.submissions[0].answers == parsed.answers


def test_it_refuses_a_hostile_xlsx_export(rich: Definition) -> None:
    result = parse_xlsx(rich, b"not a workbook")
    assert result.submissions == [] and "not an Excel workbook" in result.errors[0].reason
