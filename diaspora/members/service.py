"""Member profiles: creation, the member's own edits, staff reads, export and erasure."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, delete, func, select

from diaspora.accounts.models import Role, User
from diaspora.accounts.permissions import is_staff, require
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.errors import Conflict, Forbidden, NotFound, ValidationFailed
from diaspora.members.models import (
    CONTRIBUTIONS,
    MemberIdentity,
    MemberLanguage,
    MemberProfile,
    MemberSkill,
)
from diaspora.vocab import CEFR_LEVELS, GENDERS, MODES, SECTORS, is_country, is_language

# Crockford base32 without look-alike characters; 32**6 ≈ 1e9 pseudonyms.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

IDENTITY_FIELDS = ("first_name", "last_name", "email", "phone")
SCALAR_FIELDS = (
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
    "professional_associations",
    "priorities",
    "heard_about",
)
LIST_FIELDS = ("sectors", "skills", "languages", "modes", "contributions")


def new_pseudonym(session: Session) -> str:
    return new_pseudonyms(session, 1)[0]


def new_pseudonyms(session: Session, count: int) -> list[str]:
    """`count` distinct unused pseudonyms, checked against the database in one query per
    round (32^6 ≈ 10^9 names: a collision is rare, an import of 100,000 needs no more
    than a round or two)."""
    chosen: list[str] = []
    while len(chosen) < count:
        wanted = count - len(chosen)
        # One call to the system's random source for the lot; 256 is a multiple of the
        # alphabet's 32 letters, so `byte % 32` picks each letter with equal chance.
        noise = secrets.token_bytes(6 * wanted)
        candidates = {
            "DM-" + "".join(_ALPHABET[b % len(_ALPHABET)] for b in noise[i : i + 6])
            for i in range(0, len(noise), 6)
        } - set(chosen)
        taken: set[str] = set()
        pool = list(candidates)
        for start in range(0, len(pool), 1000):
            taken.update(
                session.exec(
                    select(MemberProfile.pseudonym).where(
                        col(MemberProfile.pseudonym).in_(pool[start : start + 1000])
                    )
                )
            )
        chosen.extend(name for name in pool if name not in taken)
    return chosen


def create_profile_for(
    *, session: Session, user: User | None, commit: bool = False
) -> MemberProfile:
    """An empty profile (and identity row) for a new member account or imported response."""
    profile = MemberProfile(user_id=user.id if user else None, pseudonym=new_pseudonym(session))
    session.add(profile)
    session.flush()
    session.add(MemberIdentity(member_id=profile.id or 0, email=user.email if user else ""))
    record(
        session=session, actor=user, action="member.create", entity="member", entity_id=profile.id
    )
    if commit:
        session.commit()
    return profile


def get_own(*, session: Session, actor: User) -> MemberProfile:
    require(actor, "profile.own")
    profile = session.exec(select(MemberProfile).where(MemberProfile.user_id == actor.id)).first()
    if profile is None:
        raise NotFound("You have no member profile.")
    return profile


def get(*, session: Session, actor: User, member_id: int) -> MemberProfile:
    """A profile by id: the member themself, or staff. Others get NotFound."""
    profile = session.get(MemberProfile, member_id)
    if profile is None:
        raise NotFound("No such member.")
    if profile.user_id is not None and profile.user_id == actor.id:
        return profile
    if is_staff(actor):
        return profile
    raise NotFound("No such member.")


def view(*, session: Session, actor: User, member_id: int) -> MemberProfile:
    """Read a profile for display; a read by anyone but the member is audited."""
    profile = get(session=session, actor=actor, member_id=member_id)
    if profile.user_id != actor.id:
        record(
            session=session, actor=actor, action="member.view", entity="member", entity_id=member_id
        )
        session.commit()
    return profile


def identity(
    *, session: Session, actor: User, member_id: int, purpose: str = "view"
) -> MemberIdentity:
    """Identified data; every read by someone other than the member is audited."""
    profile = get(session=session, actor=actor, member_id=member_id)
    row = session.get(MemberIdentity, member_id) or MemberIdentity(member_id=member_id)
    if profile.user_id != actor.id:
        record(
            session=session,
            actor=actor,
            action="member.identity_view",
            entity="member",
            entity_id=member_id,
            details={"purpose": purpose},
        )
        session.commit()
    return row


def get_all(
    *,
    session: Session,
    actor: User,
    country: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[MemberProfile], int]:
    require(actor, "member.read")
    stmt = select(MemberProfile).where(col(MemberProfile.erased_at).is_(None))
    if country:
        stmt = stmt.where(MemberProfile.residence_country == country.upper())
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            func.lower(MemberProfile.occupation_title).like(like)
            | func.lower(MemberProfile.pseudonym).like(like)
        )
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(MemberProfile.id)).offset(offset).limit(limit)).all()
    return rows, int(total)


def _as_date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "expected a date as YYYY-MM-DD"
        return None


def _as_int(value: Any, field: str, errors: dict[str, str], lo: int, hi: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[field] = "expected a whole number"
        return None
    if not lo <= number <= hi:
        errors[field] = f"expected a number between {lo} and {hi}"
        return None
    return number


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return list(value)


def clean_fields(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate profile fields; returns (clean values, field errors). Unknown keys are ignored."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    this_year = date.today().year
    for key in ("residence_country", "origin_country", "nationality"):
        if key in data:
            code = str(data[key] or "").strip().upper()
            if code and not is_country(code):
                errors[key] = "expected an ISO 3166 two-letter country code such as GH or NL"
            else:
                out[key] = code
    for key in (
        "residence_city",
        "education_field",
        "occupation_title",
        "occupation_code",
        "preferred_duration",
        "professional_associations",
        "priorities",
        "heard_about",
    ):
        if key in data:
            out[key] = str(data[key] or "").strip()[:2000]
    if "gender" in data:
        gender = str(data["gender"] or "").strip()
        if gender and gender not in GENDERS:
            errors["gender"] = f"expected one of {', '.join(GENDERS)}"
        else:
            out["gender"] = gender
    if "birth_year" in data:
        out["birth_year"] = _as_int(data["birth_year"], "birth_year", errors, 1900, this_year - 14)
    if "education_level" in data:
        out["education_level"] = _as_int(data["education_level"], "education_level", errors, 0, 8)
    if "years_experience" in data:
        out["years_experience"] = (
            _as_int(data["years_experience"], "years_experience", errors, 0, 70) or 0
        )
    if "sector" in data:
        sector = str(data["sector"] or "").strip()
        if sector and sector not in SECTORS:
            errors["sector"] = "expected one of " + ", ".join(SECTORS)
        else:
            out["sector"] = sector
    if "sectors" in data:
        sectors = _as_list(data["sectors"])
        if bad := [s for s in sectors if s not in SECTORS]:
            errors["sectors"] = f"unknown sector {bad[0]!r}; expected any of " + ", ".join(SECTORS)
        else:
            out["sectors"] = sectors
    if "skills" in data:
        skills = [str(s).strip()[:200] for s in _as_list(data["skills"]) if str(s).strip()]
        out["skills"] = list(dict.fromkeys(skills))[:50]
    if "modes" in data:
        modes = _as_list(data["modes"])
        if bad := [m for m in modes if m not in MODES]:
            errors["modes"] = (
                f"unknown mode {bad[0]!r}; expected any of temporary, permanent, virtual"
            )
        else:
            out["modes"] = [m for m in MODES if m in modes]
    if "contributions" in data:
        contribs = _as_list(data["contributions"])
        if bad := [c for c in contribs if c not in CONTRIBUTIONS]:
            errors["contributions"] = (
                f"unknown contribution {bad[0]!r}; expected any of " + ", ".join(CONTRIBUTIONS)
            )
        else:
            out["contributions"] = [c for c in CONTRIBUTIONS if c in contribs]
    if "languages" in data:
        langs: list[dict[str, str]] = []
        for item in _as_list(data["languages"]):
            if isinstance(item, str):
                code, _, level = item.partition(":")
                item = {"code": code, "level": level}
            if not isinstance(item, dict):
                errors["languages"] = 'expected language codes such as "en" or "fr:B2"'
                break
            code = str(item.get("code", "")).strip().lower()
            level = str(item.get("level", "") or "").strip()
            if not is_language(code):
                errors["languages"] = (
                    f"unknown language code {code!r}; expected ISO 639-1 such as en, fr"
                )
                break
            if level and level not in CEFR_LEVELS:
                errors["languages"] = (
                    f"unknown level {level!r} for {code}; expected A1-C2 or native"
                )
                break
            langs.append({"code": code, "level": level})
        else:
            out["languages"] = langs
    for key in ("available_from", "available_to"):
        if key in data:
            out[key] = _as_date(data[key], key, errors)
    start, end = out.get("available_from"), out.get("available_to")
    if start and end and end < start:
        errors["available_to"] = "must be on or after the availability start date"
    for key in IDENTITY_FIELDS:
        if key in data:
            out[key] = str(data[key] or "").strip()[:320]
    return out, errors


def _apply(session: Session, profile: MemberProfile, values: dict[str, Any]) -> None:
    ident = session.get(MemberIdentity, profile.id) or MemberIdentity(member_id=profile.id or 0)
    for key, value in values.items():
        if key in IDENTITY_FIELDS:
            setattr(ident, key, value)
        elif hasattr(profile, key):
            setattr(profile, key, value)
    profile.mode_temporary = "temporary" in profile.modes
    profile.mode_permanent = "permanent" in profile.modes
    profile.mode_virtual = "virtual" in profile.modes
    for contribution in CONTRIBUTIONS:
        setattr(profile, f"contrib_{contribution}", contribution in profile.contributions)
    if profile.sector and profile.sector not in profile.sectors:
        profile.sectors = [profile.sector, *profile.sectors]
    if "occupation_code" in values:
        code = profile.occupation_code
        # An ISCO code (or ESCO occupation's ISCO group) starts with its major group digit.
        profile.isco_major = code[0] if code[:1].isdigit() else profile.isco_major
    profile.updated_at = profile.last_activity_at = utcnow()
    session.add(ident)
    session.add(profile)
    if "skills" in values:
        session.exec(delete(MemberSkill).where(col(MemberSkill.member_id) == profile.id))  # type: ignore[call-overload]
        for label in profile.skills:
            session.add(MemberSkill(member_id=profile.id or 0, label=label.lower()[:200]))
    if "languages" in values:
        session.exec(delete(MemberLanguage).where(col(MemberLanguage.member_id) == profile.id))  # type: ignore[call-overload]
        for lang in profile.languages:
            session.add(
                MemberLanguage(
                    member_id=profile.id or 0, code=lang["code"], level=lang.get("level", "")
                )
            )


def update_profile(
    *,
    session: Session,
    actor: User | None,
    member_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
    source: str = "web",
    commit: bool = True,
) -> MemberProfile:
    """Validate and apply profile fields (member edits, survey bindings, staff corrections)."""
    profile = session.get(MemberProfile, member_id)
    if profile is None or (
        actor is not None and actor.role == Role.member and profile.user_id != actor.id
    ):
        raise NotFound("No such member.")
    if actor is not None and actor.role == Role.institution:
        raise NotFound("No such member.")
    if profile.erased_at is not None:
        raise Conflict("This profile has been erased.")
    if expected_version is not None and expected_version != profile.version:
        raise Conflict("This profile was changed by someone else; reload it and try again.")
    values, errors = clean_fields(data)
    if errors:
        raise ValidationFailed(errors)
    _apply(session, profile, values)
    profile.version += 1
    record(
        session=session,
        actor=actor,
        action="member.update",
        entity="member",
        entity_id=member_id,
        details={"fields": sorted(values), "source": source},
    )
    if commit:
        session.commit()
    return profile


def export_data(*, session: Session, actor: User, member_id: int) -> dict[str, Any]:
    """Everything we hold about a member (their right of access), audited.  Uploaded
    files are described here; `export_archive` adds their bytes."""
    from diaspora.assignments.models import Assignment
    from diaspora.consent.models import Consent
    from diaspora.responses import attachments
    from diaspora.responses.models import Response

    profile = get(session=session, actor=actor, member_id=member_id)
    ident = session.get(MemberIdentity, member_id)
    data = {
        "profile": profile.model_dump(mode="json"),
        "identity": ident.model_dump(mode="json") if ident else {},
        "consents": [
            {**c.model_dump(mode="json"), "notice": _notice_ref(session, c.notice_id)}
            for c in session.exec(select(Consent).where(Consent.member_id == member_id))
        ],
        "responses": [
            r.model_dump(mode="json", exclude={"resume_token_hash"})
            for r in session.exec(select(Response).where(Response.member_id == member_id))
        ],
        "assignments": [
            a.model_dump(mode="json")
            for a in session.exec(select(Assignment).where(Assignment.member_id == member_id))
        ],
        "files": [
            {
                **f.model_dump(mode="json", exclude={"data"}),
                "in_archive": attachments.archive_path(f),
            }
            for f in attachments.of_member(session=session, member_id=member_id)
        ],
    }
    record(
        session=session, actor=actor, action="member.export", entity="member", entity_id=member_id
    )
    session.commit()
    return data


def _notice_ref(session: Session, notice_id: int | None) -> dict[str, Any] | None:
    """Which privacy notice a consent was given under: programme, version, where to read it."""
    from diaspora.notices.models import PrivacyNotice

    notice = session.get(PrivacyNotice, notice_id) if notice_id else None
    if notice is None:
        return None
    return {
        "programme_id": notice.programme_id,
        "version": notice.version,
        "published_at": notice.published_at.isoformat(),
        "url": f"/privacy/notices/{notice.id}",
    }


def export_archive(*, session: Session, actor: User, member_id: int) -> bytes:
    """The data export as a zip: `my-data.json` and every file the member uploaded."""
    import io
    import json
    import zipfile

    from diaspora.responses import attachments

    data = export_data(session=session, actor=actor, member_id=member_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for attachment in attachments.of_member(
            session=session, member_id=member_id, with_data=True
        ):
            archive.writestr(attachments.archive_path(attachment), attachment.data)
    return buffer.getvalue()


def erase(
    *, session: Session, actor: User | None, member_id: int, reason: str = "request"
) -> MemberProfile:
    """Erase identity and free text, keep coarse attributes and assignment facts.

    The one way a member is erased: by themself, by an admin, or by the retention
    purge (`actor` None, the system, with `reason="retention"`).  Beyond the profile it
    removes every row that names them (see `members.erasure`), so nothing identifying
    is left in mail, sign-in records, answers or audit details.
    """
    from diaspora.accounts.models import User as UserModel
    from diaspora.consent.models import Channel
    from diaspora.consent.service import set_consents
    from diaspora.members import erasure
    from diaspora.responses.attachments import delete_for_member

    if actor is None:
        profile = session.get(MemberProfile, member_id)
        if profile is None:
            raise NotFound("No such member.")
    else:
        profile = get(session=session, actor=actor, member_id=member_id)
        if profile.user_id != actor.id and actor.role != Role.admin:
            raise Forbidden("Only the member or an admin can erase a profile.")
    if profile.erased_at is not None:
        return profile
    who = erasure.collect(session, member_id)
    ident = session.get(MemberIdentity, member_id)
    if ident is not None:
        ident.first_name = ident.last_name = ident.email = ident.phone = ""
        ident.birth_date = None
        session.add(ident)
    profile.residence_city = profile.occupation_title = profile.education_field = ""
    profile.professional_associations = profile.priorities = profile.heard_about = ""
    profile.preferred_duration = ""
    profile.skills = []
    profile.birth_year = (profile.birth_year // 10) * 10 if profile.birth_year else None
    profile.erased_at = utcnow()
    session.exec(delete(MemberSkill).where(col(MemberSkill.member_id) == member_id))  # type: ignore[call-overload]
    delete_for_member(session=session, member_id=member_id)  # uploaded files go with the answers
    set_consents(
        session=session,
        actor=actor,
        member_id=member_id,
        choices={
            "matching": False,
            "contact": False,
            "share_with_institution": False,
            "research": False,
        },
        channel=Channel.retention if reason == "retention" else Channel.erasure,
        commit=False,
    )
    if profile.user_id is not None:
        user = session.get(UserModel, profile.user_id)
        if user is not None:
            user.email = f"erased-{profile.id}@invalid.example"
            user.display_name = ""
            user.password_hash = ""
            user.is_active = False
            session.add(user)
    erasure.remove_traces(session, who)
    session.add(profile)
    swept = erasure.sweep(session, who)
    record(
        session=session,
        actor=actor,
        action="member.erase",
        entity="member",
        entity_id=member_id,
        details={"reason": reason, "mentions_removed": swept},
    )
    session.commit()
    return profile
