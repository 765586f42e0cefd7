"""From a submitted response to the member's profile and consents (the `bind::diaspora` column).

The engine's `extract_profile` speaks the survey's vocabulary; the profile has its own
(`diaspora.vocab`).  The few differences are bridged here, and the profile's own
validation is run *before* anything is stored, so a respondent sees a problem next to
the question that caused it instead of losing the submission.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from diaspora.accounts.models import User
from diaspora.consent.service import set_consents
from diaspora.members import service as members
from diaspora.members.models import MemberProfile
from diaspora.vocab import SECTORS
from surveys import Definition, extract_consents, extract_profile

GENDERS = {"prefer_not": "prefer_not_to_say", "f": "female", "m": "male"}
SECTOR_ALIASES = {
    "energy_environment": "energy",
    "law_justice": "legal",
    "civil_society": "social_services",
    "public_sector": "public_administration",
}
# Profile fields that are one text although a survey may ask them as several choices.
JOINED_TEXT = ("priorities", "professional_associations")


def _sector(value: Any) -> str:
    text = str(value or "").strip()
    text = SECTOR_ALIASES.get(text, text)
    return text if not text or text in SECTORS else "other"


def profile_data(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Profile fields from the answers, in the profile's vocabulary."""
    data = extract_profile(definition, answers)
    if "gender" in data:
        data["gender"] = GENDERS.get(str(data["gender"]), data["gender"])
    if "sector" in data:
        data["sector"] = _sector(data["sector"])
    if "sectors" in data:
        data["sectors"] = list(dict.fromkeys(_sector(s) for s in data["sectors"] if s))
    for key in JOINED_TEXT:
        if isinstance(data.get(key), list):
            data[key] = ", ".join(str(item) for item in data[key])
    return data


def _paths_by_target(definition: Definition) -> dict[str, str]:
    paths: dict[str, str] = {}
    for ref in definition.fields():
        target = ref.question.bind
        if not target:
            continue
        if ref.repeats and target.startswith("languages."):
            paths.setdefault("languages", ref.repeats[0])
        elif not ref.repeats:
            paths.setdefault(target, ref.question.name)
    if "sector" in paths:
        paths.setdefault("sectors", paths["sector"])
    return paths


def profile_errors(
    definition: Definition, answers: Mapping[str, Any], *, language: str | None = None
) -> dict[str, str]:
    """Answers the profile would refuse, keyed by the path of the question that gave them."""
    _, errors = members.clean_fields(profile_data(definition, answers))
    if not errors:
        return {}
    paths = _paths_by_target(definition)
    labels = {ref.question.name: ref.question.label for ref in definition.fields()}
    labels.update({group.name: group.label for group, _ in definition.repeats()})
    out: dict[str, str] = {}
    for target, message in errors.items():
        path = paths.get(target, target)
        label = definition.text(labels.get(path, {}), language) or path
        out[path] = f"{label}: {message}"
    return out


def apply(
    *,
    session: Session,
    actor: User | None,
    definition: Definition,
    answers: Mapping[str, Any],
    member_id: int,
    version_id: int,
    source: str,
) -> None:
    """Update the profile and consents from a submission (the caller commits)."""
    data = profile_data(definition, answers)
    if data:
        members.update_profile(
            session=session,
            actor=actor,
            member_id=member_id,
            data=data,
            source=source,
            commit=False,
        )
    consents = extract_consents(definition, answers)
    if consents:
        set_consents(
            session=session,
            actor=actor,
            member_id=member_id,
            choices=consents,
            source=source,
            commit=False,
        )
    profile = session.get(MemberProfile, member_id)
    if profile is not None:
        profile.survey_version_id = version_id
        session.add(profile)
