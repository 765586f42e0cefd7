"""Profile and consent extraction through the bind::diaspora column."""

from __future__ import annotations

import pytest

from surveys.bindings import CONSENT_PURPOSES, PROFILE_FIELDS, extract_consents, extract_profile
from surveys.definition import Definition
from surveys.validation import prepare_answers
from surveys.xlsform import import_xlsform
from tests.surveys.forms import RICH, SURVEY_XLSX


@pytest.fixture(scope="module")
def survey() -> Definition:
    return import_xlsform(SURVEY_XLSX)


def answers() -> dict[str, object]:
    return {
        "consent_mapping": "yes",
        "consent_matching": "yes",
        "consent_contact": "no",
        "consent_share": "yes",
        "consent_research": "no",
        "first_name": "Ama",
        "last_name": "Mensah",
        "email": "ama@example.org",
        "phone": "+233 20 000 0000",
        "residence_country": "GB",
        "residence_city": "Leeds",
        "origin_country": "GH",
        "nationality": "GH",
        "gender": "female",
        "birth_year": 1985,
        "education_level": "7",
        "education_field": "health_welfare",
        "occupation": "Nurse",
        "sector": "health",
        "years_experience": 12,
        "skills": ["surgical nursing", "triage"],
        "professional_associations": "Ghana Nurses UK\nRCN",
        "languages": [
            {"language_code": "en", "language_level": "native"},
            {"language_code": "fr", "language_level": "B2"},
        ],
        "willing": "yes",
        "modes": ["temporary", "virtual"],
        "preferred_duration": "months_1_3",
        "available_from": "2025-06-01",
        "available_to": "2025-12-31",
        "contributions": ["mentoring", "knowledge_transfer"],
        "priorities": ["health", "education"],
        "heard_about": "embassy",
    }


def test_it_extracts_every_bound_profile_field(survey: Definition) -> None:
    profile = extract_profile(survey, prepare_answers(survey, answers()))
    assert profile == {
        "first_name": "Ama",
        "last_name": "Mensah",
        "email": "ama@example.org",
        "phone": "+233 20 000 0000",
        "residence_country": "GB",
        "residence_city": "Leeds",
        "origin_country": "GH",
        "nationality": "GH",
        "gender": "female",
        "birth_year": 1985,
        "education_level": "7",
        "education_field": "health_welfare",
        "occupation_title": "Nurse",
        "sector": "health",
        "sectors": ["health"],
        "years_experience": 12,
        "skills": ["surgical nursing", "triage"],
        "professional_associations": ["Ghana Nurses UK", "RCN"],
        "languages": [{"code": "en", "level": "native"}, {"code": "fr", "level": "B2"}],
        "modes": ["temporary", "virtual"],
        "preferred_duration": "months_1_3",
        "available_from": "2025-06-01",
        "available_to": "2025-12-31",
        "contributions": ["mentoring", "knowledge_transfer"],
        "priorities": ["health", "education"],
        "heard_about": "embassy",
    }
    assert set(profile) <= PROFILE_FIELDS


def test_it_extracts_consents_per_purpose(survey: Definition) -> None:
    assert extract_consents(survey, answers()) == {
        "mapping": True,
        "matching": True,
        "contact": False,
        "share_with_institution": True,
        "research": False,
    }
    assert set(extract_consents(survey, answers())) == set(CONSENT_PURPOSES)


def test_it_leaves_out_unanswered_fields() -> None:
    definition = import_xlsform(RICH, filename="rich.xlsx")
    assert extract_profile(definition, {"first_name": "Ana", "skills": "a; b"}) == {
        "first_name": "Ana",
        "skills": ["a", "b"],
    }
    assert extract_consents(definition, {}) == {}
