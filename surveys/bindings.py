"""Map answers to member-profile fields and consents through the `bind::diaspora` column.

A question's `bind` names the profile field its answer feeds (`residence_country`,
`skills`, ...) or, for consent questions, `consent:<purpose>`.  Values are converted
to the profile's shapes: ISO codes stay codes, select_multiple become lists, the
languages repeat becomes `[{"code", "level"}]`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from surveys.definition import Definition, Question

IDENTITY_FIELDS = frozenset({"first_name", "last_name", "email", "phone"})
SCALAR_FIELDS = frozenset(
    {
        "residence_country",
        "residence_city",
        "origin_country",
        "nationality",
        "gender",
        "birth_year",
        "education_level",
        "education_field",
        "occupation_title",
        "occupation_code",
        "sector",
        "years_experience",
        "preferred_duration",
        "available_from",
        "available_to",
        "heard_about",
    }
)
LIST_FIELDS = frozenset(
    {"sectors", "skills", "modes", "contributions", "professional_associations", "priorities"}
)
# Fields of the languages repeat: the repeat binds "languages", its children these.
LANGUAGE_PARTS = frozenset({"languages.code", "languages.level"})
PROFILE_FIELDS = IDENTITY_FIELDS | SCALAR_FIELDS | LIST_FIELDS | {"languages"}
CONSENT_PURPOSES = ("mapping", "matching", "contact", "share_with_institution", "research")
CONSENT_PREFIX = "consent:"
BINDING_TARGETS = (
    PROFILE_FIELDS | LANGUAGE_PARTS | {CONSENT_PREFIX + purpose for purpose in CONSENT_PURPOSES}
)

MODES = ("temporary", "permanent", "virtual")
CONTRIBUTIONS = ("investment", "mentoring", "knowledge_transfer", "philanthropy")
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
INTEGER_FIELDS = frozenset({"birth_year", "years_experience"})
_LINES = re.compile(r"[;\n\r]+")
_YES = frozenset({"yes", "true", "1", "y", "oui", "si", "sí", "sim"})


def is_binding_target(target: str) -> bool:
    """True when `target` is a valid `bind::diaspora` value."""
    return target in BINDING_TARGETS


def extract_profile(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Profile fields found in the answers, converted to the profile's shapes."""
    profile: dict[str, Any] = {}
    for field in definition.fields():
        question = field.question
        target = question.bind
        if not target or target.startswith(CONSENT_PREFIX) or field.repeats:
            continue
        value = answers.get(question.name)
        if _is_empty(value):
            continue
        profile[target] = _convert(target, question, value)
    languages = _languages(definition, answers)
    if languages is not None:
        profile["languages"] = languages
    if "sector" in profile and "sectors" not in profile:
        profile["sectors"] = [profile["sector"]]
    return profile


def extract_consents(definition: Definition, answers: Mapping[str, Any]) -> dict[str, bool]:
    """Consent purpose -> given, for every consent question that was answered."""
    consents: dict[str, bool] = {}
    for field in definition.fields():
        target = field.question.bind or ""
        if not target.startswith(CONSENT_PREFIX) or field.repeats:
            continue
        value = answers.get(field.question.name)
        if _is_empty(value):
            continue
        consents[target[len(CONSENT_PREFIX) :]] = _truthy(value)
    return consents


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _YES


def _convert(target: str, question: Question, value: Any) -> Any:
    if target in LIST_FIELDS or target == "languages":
        items = _items(question, value)
        if target == "languages":
            return [{"code": item, "level": ""} for item in items]
        return items
    if target in INTEGER_FIELDS:
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None
    if target in ("available_from", "available_to") and isinstance(value, dt.date):
        return value.isoformat()
    if question.type == "select_multiple" and isinstance(value, list):
        return " ".join(value)
    return value


def _items(question: Question, value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    # select_multiple answers are space-separated; free text holds one item per line.
    parts = str(value).split() if question.type == "select_multiple" else _LINES.split(str(value))
    return [part.strip() for part in parts if part.strip()]


def _languages(definition: Definition, answers: Mapping[str, Any]) -> list[dict[str, str]] | None:
    for group, parents in definition.repeats():
        if parents or not _binds_languages(group.children):
            continue
        code_name, level_name = _language_children(group.children)
        entries = []
        for instance in answers.get(group.name) or []:
            code = str(instance.get(code_name) or "").strip() if code_name else ""
            if code:
                level = str(instance.get(level_name) or "").strip() if level_name else ""
                entries.append({"code": code, "level": level})
        return entries
    return None


def _binds_languages(children: Any) -> bool:
    return any(getattr(child, "bind", None) in LANGUAGE_PARTS for child in children)


def _language_children(children: Any) -> tuple[str | None, str | None]:
    code = next((c.name for c in children if getattr(c, "bind", None) == "languages.code"), None)
    level = next((c.name for c in children if getattr(c, "bind", None) == "languages.level"), None)
    return code, level


def consent_answers(definition: Definition, state: Mapping[str, bool]) -> dict[str, Any]:
    """Answers to the consent questions that say `state` (purpose -> given), for pre-filling
    a form from the member's current consents.  A question whose choices cannot say the
    state maps to None (leave it unanswered, so the member chooses)."""
    answers: dict[str, Any] = {}
    for field in definition.fields():
        target = field.question.bind or ""
        if not target.startswith(CONSENT_PREFIX) or field.repeats:
            continue
        purpose = target[len(CONSENT_PREFIX) :]
        if purpose in state:
            answers[field.question.name] = _consent_value(
                definition, field.question, state[purpose]
            )
    return answers


def _consent_value(definition: Definition, question: Question, given: bool) -> Any:
    if question.list_name:
        for choice in definition.choices_for(question):
            if _truthy(choice.name) == given:
                return choice.name
        return None
    if question.type in ("select_one", "select_multiple", "acknowledge"):
        return None
    return "yes" if given else "no"
