"""Kobo/ODK submissions: JSON, CSV, XLSX and ODK Central zip parsing, labels, bad rows, ids."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from surveys._safety import Limits
from surveys.definition import Definition
from surveys.exports import export_xlsx
from surveys.submissions import (
    ParsedSubmission,
    ParseResult,
    RowError,
    iter_csv,
    parse_csv,
    parse_kobo_json,
    parse_odk_zip,
    parse_xlsx,
)
from surveys.xlsform import import_xlsform
from tests.surveys.forms import RICH, xlsform


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


# --------------------------------------------------------------------------- Kobo "Labels" exports

META_COLUMNS = (
    "_id;_uuid;_submission_time;_index;_validation_status;_submitted_by;__version__;_tags;_notes;"
    "_status"
)


def _meta(uuid: str, index: int) -> str:
    return f"{index};{uuid};2025-03-01T10:00:00;{index};;enumerator;vX;;;submitted_via_web"


# The same two rows as XML names/values and as English labels.
NAMES_CSV = (
    "identity/first_name;identity/birth_year;identity/country;region;city;modes;"
    f"modes/temporary;modes/virtual;n_children;skills;{META_COLUMNS}\n"
    f"Ana;1990;PT;north;n1;temporary virtual;1;1;0;nursing;{_meta('a1', 1)}\n"
    f"Bo;1985;GH;south;s1;;0;1;0;;{_meta('b2', 2)}\n"
)
LABELS_CSV = (
    "Identity/First name;Identity/Birth year;Country;Region;City;Modes;"
    f"Modes/Temporary;Modes/Virtual;Children;Skills;{META_COLUMNS}\n"
    f"Ana;1990;PT;North;Northtown;Temporary Virtual;1;1;0;nursing;{_meta('a1', 1)}\n"
    f"Bo;1985;GH;South;Southtown;;0;1;0;;{_meta('b2', 2)}\n"
)


def test_label_headers_and_label_values_give_the_same_submissions(rich: Definition) -> None:
    by_names = parse_csv(rich, NAMES_CSV)
    by_labels = parse_csv(rich, LABELS_CSV)
    assert by_names.errors == [] and by_labels.errors == []
    assert by_labels.ignored_columns == []
    assert by_labels.submissions == by_names.submissions
    first, second = by_labels.submissions
    assert first.answers["region"] == "north" and first.answers["city"] == "n1"
    assert first.answers["modes"] == ["temporary", "virtual"]
    # The list column is empty: the 0/1 column headed "Modes/Virtual" is used.
    assert second.answers["modes"] == ["virtual"]
    assert [s.external_id for s in by_labels.submissions] == ["a1", "b2"]


def test_labels_are_matched_ignoring_case_spacing_and_missing_group_labels(
    rich: Definition,
) -> None:
    text = (
        " first   NAME ;identity / BIRTH year;region;_uuid\n"
        "Ana;1990;  north  ;a1\n"
        "Bo;1991;NORTH;b2\n"
    )
    result = parse_csv(rich, text)
    assert result.errors == [] and result.ignored_columns == []
    assert [s.answers for s in result.submissions] == [
        {"first_name": "Ana", "birth_year": 1990, "region": "north"},
        {"first_name": "Bo", "birth_year": 1991, "region": "north"},
    ]


def test_french_label_headers_and_values_import(rich: Definition) -> None:
    text = (
        "_uuid;Identité/Prénom;Identité/Année de naissance;Identité/Pays;Région;Ville;"
        "Modalités;Modalités/Temporaire;Modalités/Virtuel;Enfants;Compétences\n"
        "f1;Zoé;1980;FR;Sud;Villesud;Virtuel Temporaire;1;1;0;soins\n"
        "f2;Léa;1982;SN;Nord;Villenord;;1;0;0;\n"
    )
    result = parse_csv(rich, text)
    assert result.errors == [] and result.ignored_columns == []
    first, second = result.submissions
    assert first.answers == {
        "first_name": "Zoé",
        "birth_year": 1980,
        "country": "FR",
        "region": "south",
        "city": "s1",
        "modes": ["virtual", "temporary"],
        "n_children": 0,
        "skills": ["soins"],
    }
    assert (second.answers["region"], second.answers["modes"]) == ("north", ["temporary"])


def test_an_unknown_label_value_is_reported_not_dropped(rich: Definition) -> None:
    text = "_uuid;Region;Modes\nu1;Nowhere;Temporary Weekly\n"
    result = parse_csv(rich, text)
    assert result.submissions == []
    fields = {e.field: e.reason for e in result.errors}
    assert "“Nowhere” is not one of the choices" in fields["region"]
    assert "modes" in fields


SHIFTS = import_xlsform(
    xlsform(
        [
            ["type", "name", "label::English (en)", "label::French (fr)"],
            ["select_multiple shift", "shifts", "Work patterns", "Horaires"],
            ["select_one shift", "main_shift", "Main pattern", "Horaire principal"],
        ],
        [
            ["list_name", "name", "label::English (en)", "label::French (fr)"],
            ["shift", "full", "Full time", "Temps plein"],
            ["shift", "full_remote", "Full time remote", "Temps plein à distance"],
            ["shift", "part", "Part time", "Temps partiel"],
            ["shift", "nights", "Day/night shifts", "Jour/nuit"],
        ],
        [["form_id", "default_language"], ["shifts", "English (en)"]],
    ),
    filename="shifts.xlsx",
)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Full time Part time", ["full", "part"]),
        ("Full time remote Part time", ["full_remote", "part"]),
        ("part time   FULL TIME", ["part", "full"]),
        ("Full time full_remote", ["full", "full_remote"]),
        ("Temps plein à distance Jour/nuit", ["full_remote", "nights"]),
        ("full part", ["full", "part"]),
    ],
)
def test_space_joined_choice_labels_are_matched_greedily(cell: str, expected: list[str]) -> None:
    result = parse_csv(SHIFTS, f"_uuid,Work patterns,Main pattern\nx1,{cell},Full time remote\n")
    assert result.errors == []
    assert result.submissions[0].answers == {"shifts": expected, "main_shift": "full_remote"}


def test_one_zero_one_column_per_choice_label_including_labels_with_slashes() -> None:
    text = (
        "_uuid,Work patterns/Full time,Work patterns/Full time remote,"
        "Work patterns/Day/night shifts,Horaires/Temps partiel\n"
        "x1,0,1,1,0\n"
        "x2,1,0,0,1\n"
    )
    result = parse_csv(SHIFTS, text)
    assert result.errors == [] and result.ignored_columns == []
    assert [s.answers for s in result.submissions] == [
        {"shifts": ["full_remote", "nights"]},
        {"shifts": ["full", "part"]},
    ]


def test_label_words_that_are_no_choice_fail_validation() -> None:
    result = parse_csv(SHIFTS, "_uuid,Work patterns\nx1,Full time Weekends\n")
    assert result.submissions == []
    [error] = result.errors
    assert (error.row, error.field) == (2, "shifts")


TWO_NAMES = import_xlsform(
    xlsform(
        [
            ["type", "name", "label::English (en)", "label::French (fr)"],
            ["begin group", "person", "Person", "Personne"],
            ["text", "person_name", "Name", "Nom"],
            ["end group"],
            ["begin group", "company", "Company", "Entreprise"],
            ["text", "company_name", "Name", "Raison sociale"],
            ["end group"],
            ["text", "city", "Town", "Ville"],
            ["text", "town", "City", "Ville"],
        ],
        None,
        [["form_id", "default_language"], ["two_names", "English (en)"]],
    ),
    filename="two_names.xlsx",
)


def test_an_ambiguous_label_is_a_problem_naming_the_column_not_a_guess() -> None:
    text = "_uuid,Name,Company/Name,Ville\nn1,Ana,Acme,Porto\nn2,Bo,Beta,Lyon\n"
    items = list(iter_csv(TWO_NAMES, text))
    problems = [item for item in items if isinstance(item, RowError)]
    assert len(problems) == 2  # once per column, not once per row
    by_column = {p.field: p for p in problems}
    assert set(by_column) == {"Name", "Ville"}
    assert all(p.row == 1 for p in problems)
    assert "person_name" in by_column["Name"].reason
    assert "company_name" in by_column["Name"].reason
    assert "city" in by_column["Ville"].reason and "town" in by_column["Ville"].reason
    submissions = [item for item in items if isinstance(item, ParsedSubmission)]
    # The group label path disambiguates; the ambiguous columns are not guessed.
    assert [s.answers for s in submissions] == [{"company_name": "Acme"}, {"company_name": "Beta"}]
    result = parse_csv(TWO_NAMES, text)
    assert {(e.row, e.field) for e in result.errors} == {(1, "Name"), (1, "Ville")}
    assert result.ignored_columns == []


def test_person_and_company_names_resolve_by_their_group_labels() -> None:
    text = "_uuid;Person/Name;Entreprise/Raison sociale;Town\nn1;Ana;Acme;Porto\n"
    result = parse_csv(TWO_NAMES, text)
    assert result.errors == []
    assert result.submissions[0].answers == {
        "person_name": "Ana",
        "company_name": "Acme",
        "city": "Porto",
    }


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    first = True
    for title, rows in sheets.items():
        if first:
            sheet = workbook.active
            assert sheet is not None
            sheet.title = title
            first = False
        else:
            sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("repeat_sheet", ["children", "Enfant"])
def test_a_kobo_xlsx_label_export_in_french_attaches_repeat_sheets(
    rich: Definition, repeat_sheet: str
) -> None:
    data = _workbook(
        {
            "Rich": [
                [
                    "Identité/Prénom",
                    "Identité/Année de naissance",
                    "Identité/Pays",
                    "Région",
                    "Ville",
                    "Modalités",
                    "Modalités/Temporaire",
                    "Modalités/Virtuel",
                    "Enfants",
                    "_id",
                    "_uuid",
                    "_submission_time",
                    "_validation_status",
                    "_index",
                ],
                [
                    "Ana",
                    1990,
                    "PT",
                    "Nord",
                    "Villenord",
                    "Temporaire",
                    1,
                    0,
                    2,
                    17,
                    "k1",
                    None,
                    "",
                    1,
                ],
                ["Bo", 1991, "GH", "Sud", "Villesud", "Virtuel", 0, 1, 1, 18, "k2", None, "", 2],
            ],
            repeat_sheet: [
                [
                    "Enfant/Nom de l’enfant",
                    "Enfant/Âge de l’enfant",
                    "_index",
                    "_parent_table_name",
                    "_parent_index",
                    "_submission__uuid",
                ],
                ["Rui", 4, 1, "Rich", 1, "k1"],
                ["Tom", 7, 2, "Rich", 2, "k2"],
                ["Eva", 2, 3, "Rich", 1, "k1"],
            ],
        }
    )
    result = parse_xlsx(rich, data)
    assert result.errors == [] and result.ignored_columns == []
    first, second = result.submissions
    assert first.answers["children"] == [
        {"child_name": "Rui", "child_age": 4},
        {"child_name": "Eva", "child_age": 2},
    ]
    assert second.answers["children"] == [{"child_name": "Tom", "child_age": 7}]
    assert (first.answers["region"], first.answers["city"]) == ("north", "n1")
    assert second.answers["modes"] == ["virtual"]


def test_our_own_label_export_reimports(rich: Definition) -> None:
    parsed = parse_kobo_json(rich, KOBO).submissions[0]
    answers = parsed.answers | {"modes": ["temporary", "other"], "modes_other": "Remote work"}
    for language in ("en", "fr"):
        data = export_xlsx(
            [("3", answers, {"_uuid": parsed.external_id})],
            {"3": rich},
            headers="labels",
            language=language,
        )
        result = parse_xlsx(rich, data)
        assert result.errors == [] and result.ignored_columns == []
        assert result.submissions[0].answers == answers


# --------------------------------------------------------------------------- ODK Central zip

HOUSEHOLD = import_xlsform(
    xlsform(
        [
            ["type", "name", "label::English (en)", "label::French (fr)"],
            ["text", "hh_name", "Household name", "Nom du ménage"],
            ["begin group", "hh", "Household", "Ménage"],
            ["integer", "size", "Size", "Taille"],
            ["select_multiple asset", "assets", "Assets", "Biens"],
            ["end group"],
            ["geopoint", "location", "Location", "Position"],
            ["begin repeat", "members", "Member", "Membre"],
            ["text", "member_name", "Name", "Nom"],
            ["integer", "age", "Age", "Âge"],
            ["begin repeat", "phones", "Phone", "Téléphone"],
            ["text", "number", "Number", "Numéro"],
            ["end repeat"],
            ["end repeat"],
        ],
        [
            ["list_name", "name", "label::English (en)", "label::French (fr)"],
            ["asset", "radio", "Radio", "Radio"],
            ["asset", "bike", "Bicycle", "Vélo"],
        ],
        [["form_id", "default_language"], ["household", "English (en)"]],
    ),
    filename="household.xlsx",
)
CENTRAL_META = (
    "meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,"
    "Status,ReviewState,DeviceID,Edits,FormVersion"
)
MAIN_CSV = (
    "SubmissionDate,hh_name,hh-size,hh-assets,hh-assets-radio,hh-assets-bike,"
    "location-Latitude,location-Longitude,location-Altitude,location-Accuracy,"
    f"{CENTRAL_META}\n"
    "2025-03-01T10:00:00.000Z,Silva,3,radio bike,1,1,38.7,-9.1,12,5,uuid:h1,uuid:h1,"
    "5,Enumerator,0,0,,approved,collect:abc,0,2025.1\n"
    "2025-03-02T11:30:00.000Z,Diallo,1,,0,1,14.7,-17.4,,,uuid:h2,uuid:h2,"
    "5,Enumerator,0,0,,,collect:abc,0,2025.1\n"
)
# Rows deliberately out of order: entries follow the [n] of their KEY.
MEMBERS_CSV = (
    "member_name,age,PARENT_KEY,KEY\n"
    "Rita,41,uuid:h1,uuid:h1/members[2]\n"
    "Ana,44,uuid:h1,uuid:h1/members[1]\n"
    "Awa,30,uuid:h2,uuid:h2/members[1]\n"
)
PHONES_CSV = (
    "number,PARENT_KEY,KEY\n"
    "+351 2,uuid:h1/members[1],uuid:h1/members[1]/phones[2]\n"
    "+351 1,uuid:h1/members[1],uuid:h1/members[1]/phones[1]\n"
    "+221 9,uuid:h2/members[1],uuid:h2/members[1]/phones[1]\n"
)
EXPECTED_HOUSEHOLDS = [
    {
        "hh_name": "Silva",
        "size": 3,
        "assets": ["radio", "bike"],
        "location": "38.7 -9.1 12 5",
        "members": [
            {
                "member_name": "Ana",
                "age": 44,
                "phones": [{"number": "+351 1"}, {"number": "+351 2"}],
            },
            {"member_name": "Rita", "age": 41},
        ],
    },
    {
        "hh_name": "Diallo",
        "size": 1,
        "assets": ["bike"],
        "location": "14.7 -17.4",
        "members": [{"member_name": "Awa", "age": 30, "phones": [{"number": "+221 9"}]}],
    },
]


def _zip(members: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


CENTRAL_ZIP = _zip(
    {
        "household.csv": "\ufeff" + MAIN_CSV,
        "household-members.csv": MEMBERS_CSV,
        "household-phones.csv": PHONES_CSV,
        "media/photo.jpg": b"\xff\xd8 not really a photo",
    }
)


def test_it_parses_an_odk_central_zip_with_nested_repeats() -> None:
    result = parse_odk_zip(HOUSEHOLD, CENTRAL_ZIP, filename="household.csv.zip")
    assert result.errors == [] and result.ignored_columns == []
    assert [s.answers for s in result.submissions] == EXPECTED_HOUSEHOLDS
    assert [s.external_id for s in result.submissions] == ["h1", "h2"]
    assert result.submissions[1].submitted_at == dt.datetime(2025, 3, 2, 11, 30, tzinfo=dt.UTC)


def test_the_zip_gives_what_the_flat_csv_and_json_give_so_reimports_are_idempotent() -> None:
    from_zip = parse_odk_zip(HOUSEHOLD, CENTRAL_ZIP).submissions
    flat = parse_csv(HOUSEHOLD, MAIN_CSV).submissions
    assert [s.external_id for s in from_zip] == [s.external_id for s in flat] == ["h1", "h2"]
    for zipped, plain in zip(from_zip, flat, strict=True):
        assert {k: v for k, v in zipped.answers.items() if k != "members"} == plain.answers
        assert zipped.submitted_at == plain.submitted_at
    nested = [
        {"meta/instanceID": f"uuid:{s.external_id}", **answers}
        for s, answers in zip(flat, EXPECTED_HOUSEHOLDS, strict=True)
    ]
    assert parse_kobo_json(HOUSEHOLD, nested).submissions == [
        ParsedSubmission(s.external_id, s.answers, None) for s in from_zip
    ]


def test_a_central_csv_with_several_repeat_files_of_one_name_and_no_key_index() -> None:
    # Entries without a [n] in KEY keep file order; "~1" names are repeat duplicates.
    members = "member_name,age,PARENT_KEY,KEY\nB,2,uuid:h1,x\nA,1,uuid:h1,y\n"
    data = _zip({"household.csv": MAIN_CSV, "household-members~1.csv": members})
    result = parse_odk_zip(HOUSEHOLD, data)
    assert result.errors == []
    assert [m["member_name"] for m in result.submissions[0].answers["members"]] == ["B", "A"]


def test_errors_in_repeat_rows_name_the_file_and_row() -> None:
    members = (
        MEMBERS_CSV.replace("Awa,30", "Awa,old") + "Ghost,9,uuid:nobody,uuid:nobody/members[1]\n"
    )
    data = _zip(
        {
            "household.csv": MAIN_CSV,
            "household-members.csv": members,
            "household-phones.csv": PHONES_CSV,
        }
    )
    result = parse_odk_zip(HOUSEHOLD, data)
    assert [s.external_id for s in result.submissions] == ["h1"]
    errors = {(e.row, e.field): e.reason for e in result.errors}
    bad_age = errors[(3, "members[0].age")]  # main row 3 (h2); the entry is members row 4
    assert bad_age.startswith("in household-members.csv row 4: ")
    assert "whole number" in bad_age
    ghost = errors[(5, None)]
    assert ghost.startswith("in household-members.csv row 5: ") and "uuid:nobody" in ghost


def test_the_main_table_is_the_csv_whose_name_prefixes_the_others() -> None:
    data = _zip(
        {
            "household-members.csv": MEMBERS_CSV,
            "household-notes.csv": "note\nhello\n",
            "household.csv": MAIN_CSV,
            "household-phones.csv": PHONES_CSV,
        }
    )
    result = parse_odk_zip(HOUSEHOLD, data)
    assert [s.answers for s in result.submissions] == EXPECTED_HOUSEHOLDS
    assert result.ignored_columns == ["household-notes.csv"]


def _refusal(result: ParseResult) -> str:
    assert result.submissions == []
    [error] = result.errors
    assert (error.row, error.field) == (0, None)
    return error.reason


def test_hostile_or_unusable_zips_are_refused_with_a_clear_message() -> None:
    traversal = _zip({"household.csv": MAIN_CSV, "../../etc/cron.d/evil.csv": "a\n1\n"})
    assert "path traversal" in _refusal(parse_odk_zip(HOUSEHOLD, traversal, filename="t.zip"))
    absolute = _zip({"/tmp/household.csv": MAIN_CSV})
    assert "path traversal" in _refusal(parse_odk_zip(HOUSEHOLD, absolute))

    no_csv = _zip({"readme.txt": "hello", "media/a.jpg": b"\xff"})
    assert "no CSV" in _refusal(parse_odk_zip(HOUSEHOLD, no_csv, filename="n.zip"))

    only_repeats = _zip({"household-members.csv": MEMBERS_CSV})
    assert "no main table" in _refusal(parse_odk_zip(HOUSEHOLD, only_repeats))

    bomb = _zip({"household.csv": MAIN_CSV + "\n" * (5 * 1024 * 1024)})
    reason = _refusal(parse_odk_zip(HOUSEHOLD, bomb, filename="bomb.zip"))
    assert "zip bomb" in reason and "household.csv" in reason

    latin1 = _zip({"household.csv": MAIN_CSV.replace("Silva", "Sílva").encode("latin-1")})
    reason = _refusal(parse_odk_zip(HOUSEHOLD, latin1, filename="l.zip"))
    assert "household.csv is not UTF-8" in reason

    assert "not a readable zip" in _refusal(parse_odk_zip(HOUSEHOLD, b"SubmissionDate,KEY\n"))

    stored = _zip({"household.csv": MAIN_CSV}, zipfile.ZIP_STORED)
    damaged = stored.replace(b"Diallo", b"Dia11o")  # the CRC no longer matches
    assert "cannot be unpacked" in _refusal(parse_odk_zip(HOUSEHOLD, damaged, filename="d.zip"))


def test_zip_limits_can_be_tightened() -> None:
    small = Limits(max_bytes=10_000, max_uncompressed=100, max_ratio=100, max_members=10)
    assert "unpacks to" in _refusal(parse_odk_zip(HOUSEHOLD, CENTRAL_ZIP, limits=small))
    few = Limits(max_bytes=10_000, max_uncompressed=10**6, max_members=2)
    assert "parts in the zip" in _refusal(parse_odk_zip(HOUSEHOLD, CENTRAL_ZIP, limits=few))
    rows = Limits(max_bytes=10_000, max_uncompressed=10**6, max_rows=4)
    assert "rows" in _refusal(parse_odk_zip(HOUSEHOLD, CENTRAL_ZIP, limits=rows))


def test_the_package_exports_parse_odk_zip() -> None:
    import surveys

    assert surveys.parse_odk_zip is parse_odk_zip
