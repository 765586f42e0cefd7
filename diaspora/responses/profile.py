"""From a submitted response to the member's profile and consents (the `bind::diaspora` column).

The engine's `extract_profile` speaks the survey's vocabulary; the profile has its own
(`diaspora.vocab`).  The few differences are bridged here, and the profile's own
validation is run *before* anything is stored, so a respondent sees a problem next to
the question that caused it instead of losing the submission.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, SQLModel

from diaspora.accounts.models import User
from diaspora.analytics.summary import note_members
from diaspora.consent.models import Channel, Consent
from diaspora.consent.service import set_consents
from diaspora.db import RowWriter
from diaspora.errors import ValidationFailed
from diaspora.members import service as members
from diaspora.members.models import (
    CONTRIBUTIONS,
    MemberIdentity,
    MemberLanguage,
    MemberProfile,
    MemberSkill,
    new_record_key,
)
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


def _located(
    definition: Definition, errors: Mapping[str, str], language: str | None
) -> dict[str, str]:
    """Profile-field errors keyed by the path of the question that gave the value."""
    paths = _paths_by_target(definition)
    labels = {ref.question.name: ref.question.label for ref in definition.fields()}
    labels.update({group.name: group.label for group, _ in definition.repeats()})
    out: dict[str, str] = {}
    for target, message in errors.items():
        path = paths.get(target, target)
        label = definition.text(labels.get(path, {}), language) or path
        out[path] = f"{label}: {message}"
    return out


def profile_errors(
    definition: Definition, answers: Mapping[str, Any], *, language: str | None = None
) -> dict[str, str]:
    """Answers the profile would refuse, keyed by the path of the question that gave them."""
    _, errors = members.clean_fields(profile_data(definition, answers))
    return _located(definition, errors, language) if errors else {}


def apply(
    *,
    session: Session,
    actor: User | None,
    definition: Definition,
    answers: Mapping[str, Any],
    member_id: int,
    version_id: int,
    source: str,
    channel: Channel,
) -> None:
    """Update the profile and consents from a submission (the caller commits).

    `channel` says who stated the consent answers: the member in the app (a choice
    of theirs), or an import, API client or staff correction (which never give back a
    purpose the member withdrew; see `consent.set_consents`)."""
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
            channel=channel,
            notice_id=notice_for_version(session, version_id),
            commit=False,
        )
    profile = session.get(MemberProfile, member_id)
    if profile is not None:
        profile.survey_version_id = version_id
        session.add(profile)


def notice_for_version(session: Session, version_id: int) -> int | None:
    """The privacy notice a respondent of this survey version is shown now (that of the
    survey's programme, else the platform's)."""
    from diaspora.notices import service as notices
    from diaspora.responses.models import Survey, SurveyVersion

    version = session.get(SurveyVersion, version_id)
    survey = session.get(Survey, version.survey_id) if version else None
    found = notices.current(session=session, programme_id=survey.programme_id if survey else None)
    return found.id if found else None


@cache
def row_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """Column defaults of a table model, for Core inserts.

    Building SQLModel objects costs ~0.25 ms each (pydantic inspects every default
    factory), which a burst of submissions feels; Core inserts with these defaults do
    not.  Time stamps are always given by the caller.
    """
    row: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        row[name] = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
    return row


def table(*, model: type[SQLModel]) -> Table:
    """The Core table of a model: inserting plain rows through it skips the ORM's work."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def audit_row(
    actor: User | None, action: str, entity: str, entity_id: Any, details: dict[str, Any], at: Any
) -> dict[str, Any]:
    """An audit event as a row (same content as `audit.service.record`)."""
    return {
        "at": at,
        "actor_id": actor.id if actor else None,
        "actor_role": str(actor.role) if actor else "system",
        "action": action,
        "entity": entity,
        "entity_id": "" if entity_id is None else str(entity_id),
        "details": details,
    }


@dataclass(slots=True)
class NewMember:
    """A new member's rows, checked and ready to insert (its id is not known yet)."""

    profile: dict[str, Any]
    identity: dict[str, Any]
    consents: list[str]  # purposes given
    fields: list[str]  # profile fields the submission set, for the audit trail


def new_member(
    definition: Definition,
    answers: Mapping[str, Any],
    *,
    version_id: int,
    now: datetime,
    language: str | None = None,
) -> NewMember:
    """The rows of a new member profile without an account from a submission's answers.

    Raises ValidationFailed (keyed by question path) when the profile refuses an answer.
    It holds what `members.create_profile_for` + `members.update_profile` +
    `consent.set_consents` would store for a profile that does not exist yet (a test
    compares both), without their per-field reads and per-object overhead.
    """
    values, errors = members.clean_fields(profile_data(definition, answers))
    if errors:
        raise ValidationFailed(_located(definition, errors, language), "Some answers are invalid.")
    consents = extract_consents(definition, answers)
    row = dict(row_defaults(MemberProfile))
    identity: dict[str, Any] = {"first_name": "", "last_name": "", "email": "", "phone": ""}
    for key, value in values.items():
        if key in members.IDENTITY_FIELDS:
            identity[key] = value
        elif key in row:
            row[key] = value
    # As members.service._apply does for an existing profile:
    modes, contributions = row["modes"], row["contributions"]
    row.update({f"mode_{mode}": mode in modes for mode in ("temporary", "permanent", "virtual")})
    row.update({f"contrib_{c}": c in contributions for c in CONTRIBUTIONS})
    if row["sector"] and row["sector"] not in row["sectors"]:
        row["sectors"] = [row["sector"], *row["sectors"]]
    code = row["occupation_code"]
    row["isco_major"] = code[0] if code[:1].isdigit() else ""
    given = [purpose for purpose, yes in consents.items() if yes]
    row.update(
        consent_mapping="mapping" in given,
        consent_matching="matching" in given,
        survey_version_id=version_id,
        version=2 if values else 1,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    return NewMember(row, identity, given, sorted(values))


def insert_members(
    *,
    session: Session,
    actor: User | None,
    new: Sequence[NewMember],
    source: str,
    now: datetime,
    audit: list[dict[str, Any]],
    writer: RowWriter | None = None,
    notice_id: int | None = None,
) -> list[int]:
    """Insert new members (profiles, identities, skills, languages, consents) with one
    multi-row statement per table whatever their number; returns their ids in order.

    Their audit events are appended to `audit` for the caller to insert; the caller
    commits.  One submission (API, Kobo REST) and an import of 100,000 rows use the same
    code: an import is bounded by these few round trips per batch, not per row.  With
    a `writer`, the rows are sent when the caller flushes it.
    """
    if not new:
        return []
    profiles = table(model=MemberProfile)
    pseudonyms = members.new_pseudonyms(session, len(new))
    rows = [
        {**member.profile, "pseudonym": name, "record_key": new_record_key()}
        for member, name in zip(new, pseudonyms, strict=True)
    ]
    out = writer or RowWriter(session)
    ids = out.insert(profiles, rows, return_ids=True)
    identities: list[dict[str, Any]] = []
    skills: list[dict[str, Any]] = []
    languages: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    channel = Channel.survey_api if source.endswith("api") else Channel.import_
    for member_id, member, row in zip(ids, new, rows, strict=True):
        identities.append({"member_id": member_id, "birth_date": None, **member.identity})
        skills.extend(
            {"member_id": member_id, "label": label.lower()[:200], "concept_id": ""}
            for label in row["skills"]
        )
        languages.extend(
            {"member_id": member_id, "code": lang["code"], "level": lang.get("level", "")}
            for lang in row["languages"]
        )
        consents.extend(
            {
                "member_id": member_id,
                "purpose": purpose,
                "notice_id": notice_id,
                "given_at": now,
                "withdrawn_at": None,
                "source": channel.value,
            }
            for purpose in member.consents
        )
        # One event per new member says what the member and consent services' several
        # events say (created, fields set, consents given under which notice): an
        # import of 100,000 rows writes 100,000 audit rows instead of ~700,000.
        details: dict[str, Any] = {
            "source": source,
            "fields": member.fields,
            "consents": member.consents,
        }
        if member.consents:
            details["notice"] = notice_id
            details["channel"] = channel.value
        audit.append(audit_row(actor, "member.create", "member", member_id, details, now))
    for model, batch in (
        (MemberIdentity, identities),
        (MemberSkill, skills),
        (MemberLanguage, languages),
        (Consent, consents),
    ):
        out.insert(table(model=model), batch)
    if writer is None:
        out.flush()
    note_members(session, ids)
    return ids
