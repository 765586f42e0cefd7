"""Factories for survey tests: the built-in survey, valid answers, drafts and submissions."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from diaspora.accounts.models import User
from diaspora.responses import respond, service
from diaspora.responses.models import Response, SurveyVersion

SLUG = service.BUILTIN_SLUG


def builtin(session: Session) -> SurveyVersion:
    """The built-in diaspora mapping survey, imported and published."""
    return service.import_builtin(session=session)


def answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid set of answers to the built-in survey (JSON shapes)."""
    data: dict[str, Any] = {
        "consent_mapping": "yes",
        "consent_matching": "yes",
        "consent_contact": "yes",
        "consent_share": "no",
        "consent_research": "yes",
        "first_name": "Ama",
        "last_name": "Mensah",
        "email": "ama@example.org",
        "phone": "+31 20 555 0101",
        "residence_country": "NL",
        "residence_city": "Amsterdam",
        "origin_country": "GH",
        "nationality": "GH",
        "gender": "female",
        "birth_year": 1985,
        "education_level": "6",
        "education_field": "health_welfare",
        "occupation": "nurse",
        "sector": "health",
        "years_experience": 12,
        "skills": ["nursing care", "infection control"],
        "languages": [
            {"language_code": "en", "language_level": "C2"},
            {"language_code": "tw", "language_level": "native"},
        ],
        "willing": "yes",
        "modes": ["temporary", "virtual"],
        "preferred_duration": "months_1_3",
        "available_from": "2027-01-01",
        "available_to": "2027-06-30",
        "contributions": ["mentoring"],
        "priorities": ["health", "education"],
        "heard_about": "embassy",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def submitted(session: Session, user: User, **overrides: Any) -> Response:
    """A submitted response of `user` (a member) to the built-in survey."""
    stored, _ = respond.submit_answers(
        session=session, actor=user, slug=SLUG, answers=answers(**overrides)
    )
    response = session.get(Response, stored.id)
    assert response is not None
    return response


def draft(session: Session, user: User) -> Response:
    """`user`'s draft of the built-in survey."""
    return respond.start(session=session, actor=user)
