"""Member and Request parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from matching import InvalidRecord, Member, Request

MEMBER = {
    "id": "m1",
    "occupation": "Nurse",
    "skills": ["wound care", " patient care "],
    "languages": ["en", "FR"],
    "modes": ["virtual", "temporary"],
    "years_experience": 7,
    "education": "master",
    "country_of_residence": "de",
}


def test_it_parses_a_member_and_ignores_extra_fields() -> None:
    m = Member.from_dict({**MEMBER, "favourite_colour": "blue"})
    assert m.id == "m1"
    assert m.skills == ("wound care", "patient care")
    assert m.languages == ("en", "fr")
    assert m.modes == ("temporary", "virtual")
    assert m.years_experience == 7
    assert m.country_of_residence == "DE"
    assert m.available_from is None


def test_it_allows_missing_optional_fields() -> None:
    m = Member.from_dict({"id": "m2"})
    assert (m.occupation, m.skills, m.languages, m.modes, m.years_experience) == ("", (), (), (), 0)


def test_it_parses_optional_dates_and_codes() -> None:
    m = Member.from_dict(
        {
            **MEMBER,
            "available_from": "2025-01-01",
            "available_to": "2025-06-30",
            "sectors": ["health"],
            "occupation_code": "2221",
            "skill_ids": ["s:care"],
        }
    )
    assert m.available_from == dt.date(2025, 1, 1)
    assert m.available_to == dt.date(2025, 6, 30)
    assert m.sectors == ("health",)
    assert m.skill_ids == ("s:care",)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"languages": ["english"]}, "languages", "ISO 639-1"),
        ({"languages": ["xx"]}, "languages", "ISO 639-1"),
        ({"languages": "en"}, "languages", "list"),
        ({"modes": ["sometimes"]}, "modes", "temporary"),
        ({"modes": "virtual"}, "modes", "list"),
        ({"years_experience": 2.5}, "years_experience", "whole number"),
        ({"years_experience": "3"}, "years_experience", "whole number"),
        ({"years_experience": True}, "years_experience", "whole number"),
        ({"years_experience": -1}, "years_experience", "0 to 80"),
        ({"skills": "nursing"}, "skills", "list of strings"),
        ({"skills": ["ok", 3]}, "skills", "list of strings"),
        ({"available_from": "next week"}, "available_from", "ISO date"),
        ({"available_from": "2025-05-01", "available_to": "2025-01-01"}, "available_to", "before"),
        ({"country_of_residence": "Germany"}, "country_of_residence", "alpha-2"),
        ({"id": ""}, "id", "empty"),
    ],
)
def test_it_rejects_bad_member_values_naming_the_field(
    change: dict, field: str, words: str
) -> None:
    with pytest.raises(InvalidRecord) as info:
        Member.from_dict({**MEMBER, **change})
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(f'field "{field}": ')


def test_it_requires_an_id() -> None:
    with pytest.raises(InvalidRecord, match='field "id": missing'):
        Member.from_dict({"occupation": "nurse"})


REQUEST = {
    "id": "r1",
    "title": "Nurse trainer",
    "description": "Train nurses at the district hospital",
    "skills_essential": ["wound care"],
    "skills_desirable": [],
    "languages": ["en"],
    "mode": "temporary",
    "min_years_experience": 3,
}


def test_it_parses_a_request_with_an_end_date_under_either_name() -> None:
    r = Request.from_dict({**REQUEST, "start_from": "2025-03-01", "end": "2025-04-01", "extra": 1})
    assert r.mode == "temporary"
    assert r.start_to == dt.date(2025, 4, 1)
    r2 = Request.from_dict({**REQUEST, "start_to": "2025-05-01"})
    assert r2.start_to == dt.date(2025, 5, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mode": "hybrid"}, "mode"),
        ({"languages": ["eng"]}, "languages"),
        ({"min_years_experience": 1.5}, "min_years_experience"),
        ({"start_from": "2025-05-01", "end": "2025-01-01"}, "end"),
    ],
)
def test_it_rejects_bad_request_values(change: dict, field: str) -> None:
    with pytest.raises(InvalidRecord) as info:
        Request.from_dict({**REQUEST, **change})
    assert info.value.field == field


def test_it_rejects_a_request_without_title_or_skills() -> None:
    with pytest.raises(InvalidRecord, match="needs a title or at least one skill"):
        Request.from_dict({**REQUEST, "title": " ", "skills_essential": [], "skills_desirable": []})


def test_it_accepts_a_request_with_only_a_title_or_only_skills() -> None:
    assert Request.from_dict({"id": "a", "title": "nurse"}).title == "nurse"
    assert Request.from_dict({"id": "b", "skills_desirable": ["python"]}).skills_desirable == (
        "python",
    )


def test_it_rejects_non_objects() -> None:
    with pytest.raises(InvalidRecord, match="JSON object"):
        Member.from_dict(["m1"])  # type: ignore[arg-type]
