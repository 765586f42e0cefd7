"""Answer validation: types, choices, required, constraints, relevance, repeats, coercion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from surveys.definition import Definition, all_columns, pages
from surveys.validation import coerce_answers, prepare_answers, validate_all, validate_page
from surveys.xlsform import import_xlsform
from tests.surveys.forms import RICH, xlsform


@pytest.fixture(scope="module")
def rich() -> Definition:
    return import_xlsform(RICH, filename="rich.xlsx")


def good() -> dict[str, Any]:
    return {
        "first_name": "Ana",
        "birth_year": 1990,
        "country": "PT",
        "region": "north",
        "city": "n1",
        "modes": ["temporary"],
        "n_children": 1,
        "children": [{"child_name": "Rui", "child_age": 4}],
        "skills": ["nursing", "triage"],
    }


def test_it_accepts_a_complete_submission(rich: Definition) -> None:
    assert validate_all(rich, good()) == {}


def test_it_reports_required_answers_in_the_respondents_language(rich: Definition) -> None:
    answers = good()
    del answers["first_name"]
    assert validate_all(rich, answers, language="en") == {
        "first_name": "First name: an answer is required."
    }
    assert validate_all(rich, answers, language="fr") == {
        "first_name": "Prénom : une réponse est obligatoire."
    }
    assert "الإجابة مطلوبة" in validate_all(rich, answers, language="ar")["first_name"]


def test_it_uses_the_forms_constraint_message_per_language(rich: Definition) -> None:
    answers = good() | {"birth_year": 1800}
    assert (
        validate_all(rich, answers, language="en")["birth_year"]
        == "Birth year: Between 1920 and 2010"
    )
    assert (
        validate_all(rich, answers, language="fr")["birth_year"]
        == "Année de naissance: Entre 1920 et 2010"
    )


@pytest.mark.parametrize(
    ("field", "value", "english", "spanish"),
    [
        (
            "birth_year",
            "nineteen",
            "expected a whole number, got “nineteen”",
            "se esperaba un número entero",
        ),
        (
            "country",
            "Atlantis",
            "expected a country (ISO 3166 two-letter code)",
            "se esperaba un país",
        ),
        ("region", "east", "“east” is not one of the choices offered", "no es una de las opciones"),
        (
            "modes",
            ["temporary", "forever"],
            "“forever” is not one of the choices",
            "«forever» no es una",
        ),
    ],
)
def test_it_checks_types_and_choices(
    rich: Definition, field: str, value: Any, english: str, spanish: str
) -> None:
    answers = good() | {field: value}
    assert english in validate_all(rich, answers, language="en")[field]
    assert spanish in validate_all(rich, answers, language="es")[field]


def test_it_filters_choices_with_choice_filter(rich: Definition) -> None:
    errors = validate_all(rich, good() | {"city": "s1"})
    assert errors == {"city": "City: “s1” is not one of the choices offered."}


def test_it_accepts_other_for_or_other_selects(rich: Definition) -> None:
    assert validate_all(rich, good() | {"modes": ["other"], "modes_other": "Investing"}) == {}


def test_it_validates_repeats_and_honours_repeat_count(rich: Definition) -> None:
    answers = good() | {
        "n_children": 2,
        "children": [
            {"child_name": "Rui", "child_age": 60},
            {"child_age": 3},
            {"child_name": "Extra"},
        ],
    }
    errors = validate_all(rich, answers)
    assert errors["children"] == "Child: expected at most 2 entries, got 3."
    assert errors["children[0].child_age"] == "Child age: Younger than you"
    assert errors["children[1].child_name"] == "Child name: an answer is required."


def test_it_pads_missing_repeat_entries_up_to_repeat_count(rich: Definition) -> None:
    answers = good() | {"n_children": 2}
    assert validate_all(rich, answers) == {
        "children[1].child_name": "Child name: an answer is required."
    }


def test_it_rejects_answers_that_do_not_apply_only_when_submitting(rich: Definition) -> None:
    answers = good() | {"n_children": 0}
    assert "does not apply" in validate_all(rich, answers)["children"]
    page = next(p.index for p in pages(rich) if p.name == "children")
    assert validate_page(rich, answers, page) == {}
    assert "children" not in prepare_answers(rich, answers)


def test_it_reports_unknown_fields_on_submit(rich: Definition) -> None:
    assert validate_all(rich, good() | {"shoe_size": 44}) == {
        "shoe_size": "shoe_size: not a question of this survey."
    }


def test_it_validates_only_the_page_asked(rich: Definition) -> None:
    answers = good() | {"birth_year": "x", "region": "nowhere"}
    identity = validate_page(rich, answers, 0)
    assert list(identity) == ["birth_year"]
    with pytest.raises(IndexError):
        validate_page(rich, answers, 99)


def test_it_computes_calculations_server_side(rich: Definition) -> None:
    answers = good() | {"n_children": 2, "children": [{"child_name": "A"}, {"child_name": "B"}]}
    prepared = prepare_answers(rich, answers)
    assert prepared["n_listed"] == "2"
    assert [child["child_pos"] for child in prepared["children"]] == ["1", "2"]


def test_it_coerces_html_form_strings(rich: Definition) -> None:
    form = {
        "first_name": " Ana ",
        "birth_year": "1990",
        "country": "portugal",
        "modes": ["temporary", "virtual"],
        "children[1].child_name": "B",
        "children[0].child_name": "A",
        "children[0].child_age": "4",
        "skills": "nursing\ntriage; nursing",
        "n_children": "",
    }
    answers, errors = coerce_answers(rich, form)
    assert errors == {}
    assert answers == {
        "first_name": "Ana",
        "birth_year": 1990,
        "country": "PT",
        "modes": ["temporary", "virtual"],
        "children": [{"child_name": "A", "child_age": 4}, {"child_name": "B"}],
        "skills": ["nursing", "triage"],
    }


def test_it_reports_strings_that_cannot_be_coerced(rich: Definition) -> None:
    _answers, errors = coerce_answers(
        rich, {"birth_year": "1990.5", "children[0].child_age": "old"}, language="pt"
    )
    assert errors["birth_year"] == "Birth year: esperava-se um número inteiro, recebido “1990.5”."
    assert "children[0].child_age" in errors


def test_it_treats_empty_numeric_comparisons_as_false() -> None:
    definition = import_xlsform(
        xlsform(
            [
                ["type", "name", "label", "relevant"],
                ["integer", "age", "Age", ""],
                ["text", "job", "Job", "${age} >= 18"],
                ["text", "school", "School", "${age} < 18"],
            ]
        ),
        filename="empty.xlsx",
    )
    assert validate_all(definition, {"job": "x"})["job"].endswith("leave it empty.")
    assert validate_all(definition, {"school": "x"})["school"].endswith("leave it empty.")
    assert validate_all(definition, {"age": 20, "job": "x"}) == {}


def test_shared_conditions_follow_calculations_and_each_repeat_instance() -> None:
    """A condition that depends only on answers is computed once per submission, after
    calculations; inside a repeat the same text is evaluated for each instance."""
    definition = import_xlsform(
        xlsform(
            [
                ["type", "name", "label", "relevant", "calculation"],
                ["select_one yn", "a", "A", "", ""],
                ["calculate", "c", "", "", "if(${a} = 'yes', '1', '0')"],
                ["begin group", "g", "G", "${c} = '1'", ""],
                ["text", "inside", "Inside", "${c} = '1'", ""],
                ["end group", "", "", "", ""],
                ["text", "outside", "Outside", "${c} = '1'", ""],
                ["begin repeat", "r", "R", "", ""],
                ["text", "kind", "Kind", "", ""],
                ["text", "detail", "Detail", "${kind} = 'x'", ""],
                ["end repeat", "", "", "", ""],
            ],
            choices=[["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        ),
        filename="shared.xlsx",
    )
    assert validate_all(definition, {"a": "yes", "inside": "i", "outside": "o"}) == {}
    errors = validate_all(definition, {"a": "no", "inside": "i", "outside": "o"})
    assert set(errors) == {"inside", "outside"}
    instances = [{"kind": "x", "detail": "kept"}, {"kind": "y", "detail": "stray"}]
    assert set(validate_all(definition, {"a": "no", "r": instances})) == {"r[1].detail"}
    kept = prepare_answers(definition, {"a": "no", "outside": "o", "r": instances})
    assert "outside" not in kept
    assert [i.get("detail") for i in kept["r"]] == ["kept", None]


def test_it_checks_dates_and_compares_them() -> None:
    definition = import_xlsform(
        xlsform(
            [
                ["type", "name", "label", "constraint"],
                ["date", "start", "Start", ""],
                ["date", "stop", "Stop", ". >= ${start}"],
                ["date", "future", "Future", ". >= today()"],
            ]
        ),
        filename="dates.xlsx",
    )
    today = dt.date(2025, 3, 1)
    assert (
        validate_all(definition, {"start": "2025-01-01", "stop": "2025-02-01"}, today=today) == {}
    )
    errors = validate_all(
        definition,
        {"start": "2025-01-01", "stop": "2024-12-31", "future": "2025-02-28"},
        today=today,
    )
    assert set(errors) == {"stop", "future"}
    assert "expected a date" in validate_all(definition, {"start": "01/02/2025"})["start"]


def test_it_lists_every_column_across_versions() -> None:
    old = import_xlsform(
        xlsform([["type", "name", "label"], ["text", "a", "A"], ["text", "gone", "Gone"]]),
        filename="v1.xlsx",
    )
    new = import_xlsform(
        xlsform([["type", "name", "label"], ["text", "a", "A"], ["integer", "b", "B"]]),
        filename="v2.xlsx",
    )
    assert all_columns([old, new]) == ["a", "gone", "b"]
