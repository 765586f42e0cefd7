"""Publishing and reading privacy notices.

A notice is per programme (or the platform's own, `programme_id` None, shown when a
programme has none).  Publishing never edits a row: it inserts the next version, so
`Consent.notice_id` always points at the exact words a member was shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.consent.models import Purpose
from diaspora.errors import NotFound, ValidationFailed
from diaspora.institutions.models import Programme
from diaspora.notices.models import LegalBasis, PrivacyNotice

# field -> (required, longest text accepted)
TEXT_LIMITS: dict[str, tuple[bool, int]] = {
    "controller": (True, 300),
    "contact": (True, 500),
    "dpo": (False, 500),
    "legal_basis_note": (False, 2000),
    "recipients": (True, 4000),
    "retention_note": (False, 2000),
    "rights": (True, 4000),
}
PURPOSE_LIMIT = 2000
PURPOSES = tuple(p.value for p in Purpose)

DEFAULT_PURPOSES = {
    "mapping": "To record where members of the diaspora live and what they can do, so the "
    "programme can plan its work and publish figures in aggregate.",
    "matching": "To compare your profile with the placement requests of institutions in your "
    "country of origin and suggest opportunities to you.",
    "contact": "To contact you by email or telephone about opportunities and the programme.",
    "share_with_institution": "To give your name and contact details to an institution once "
    "you have accepted an assignment with it.",
    "research": "To use your answers, without your name, in research and reports.",
}
DEFAULT_RIGHTS = (
    "You may see, correct and download your data at any time from your profile (My profile, "
    "then Download all my data). You may withdraw any consent on the same page; withdrawing "
    "does not affect what was done before. You may ask us to erase your data (My profile, "
    "then Erase my data). You may object to a use of your data or complain to the contact "
    "above or to your data-protection authority."
)
DEFAULT_RECIPIENTS = (
    "Programme staff. Institutions that post placement requests see a pseudonym, never your "
    "name, until you accept an assignment and agree to share your details with that "
    "institution. Aggregate figures (never about fewer than five people) are shown to "
    "partner institutions."
)


def current(*, session: Session, programme_id: int | None) -> PrivacyNotice | None:
    """The newest version for a programme, else the platform's own newest version."""
    for owner in dict.fromkeys((programme_id, None)):
        found = session.exec(
            select(PrivacyNotice)
            .where(
                col(PrivacyNotice.programme_id).is_(None)
                if owner is None
                else PrivacyNotice.programme_id == owner
            )
            .order_by(col(PrivacyNotice.version).desc())
        ).first()
        if found is not None:
            return found
    return None


def get(*, session: Session, notice_id: int) -> PrivacyNotice:
    notice = session.get(PrivacyNotice, notice_id)
    if notice is None:
        raise NotFound("No such privacy notice.")
    return notice


def versions(*, session: Session, programme_id: int | None) -> Sequence[PrivacyNotice]:
    """Every published version of one programme's notice, newest first."""
    owner = (
        col(PrivacyNotice.programme_id).is_(None)
        if programme_id is None
        else PrivacyNotice.programme_id == programme_id
    )
    return session.exec(
        select(PrivacyNotice).where(owner).order_by(col(PrivacyNotice.version).desc())
    ).all()


def all_current(*, session: Session) -> list[tuple[Programme | None, PrivacyNotice | None]]:
    """(programme, its current notice) for the platform and every programme."""
    out: list[tuple[Programme | None, PrivacyNotice | None]] = [
        (None, current(session=session, programme_id=None))
    ]
    for programme in session.exec(select(Programme).order_by(col(Programme.code))):
        own = versions(session=session, programme_id=programme.id)
        out.append((programme, own[0] if own else None))
    return out


def defaults(*, session: Session, programme_id: int | None) -> dict[str, Any]:
    """Form values to start from: the current version, else sensible defaults."""
    from diaspora.retention.service import periods

    found = current(session=session, programme_id=programme_id)
    if found is not None:
        values: dict[str, Any] = found.model_dump(include={*TEXT_LIMITS, "legal_basis", "purposes"})
        return values
    programme = session.get(Programme, programme_id) if programme_id else None
    return {
        "controller": programme.name if programme else "",
        "contact": "",
        "dpo": "",
        "purposes": dict(DEFAULT_PURPOSES),
        "legal_basis": LegalBasis.consent.value,
        "legal_basis_note": "",
        "recipients": DEFAULT_RECIPIENTS,
        "retention_note": "",
        "rights": DEFAULT_RIGHTS,
        "retention": periods(session=session),
    }


def clean(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a notice form (flat fields, purposes as `purpose.<name>`)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, (required, limit) in TEXT_LIMITS.items():
        value = str(data.get(name) or "").strip()
        if required and not value:
            errors[name] = "required"
        elif len(value) > limit:
            errors[name] = f"at most {limit} characters (this has {len(value)})"
        out[name] = value
    basis = str(data.get("legal_basis") or "").strip()
    if basis not in {b.value for b in LegalBasis}:
        errors["legal_basis"] = "choose a legal basis: consent or public task"
    out["legal_basis"] = basis
    purposes: dict[str, str] = {}
    given = data.get("purposes")
    for purpose in PURPOSES:
        key = f"purpose.{purpose}"
        raw = given.get(purpose) if isinstance(given, Mapping) else data.get(key)
        value = str(raw or "").strip()
        if not value:
            errors[key] = "required: say what this purpose is used for"
        elif len(value) > PURPOSE_LIMIT:
            errors[key] = f"at most {PURPOSE_LIMIT} characters (this has {len(value)})"
        purposes[purpose] = value
    out["purposes"] = purposes
    for name, value in out.items():
        text = " ".join(value.values()) if isinstance(value, dict) else value
        if "\x00" in text:
            errors[name] = "contains a NUL character"
    return out, errors


def publish(
    *, session: Session, actor: User, programme_id: int | None, data: Mapping[str, Any]
) -> PrivacyNotice:
    """Publish the next version of a programme's notice (admins); nothing is stored when
    a field is refused."""
    from diaspora.retention.service import periods

    require(actor, "privacy.manage")
    if programme_id is not None and session.get(Programme, programme_id) is None:
        raise ValidationFailed({"programme_id": "no such programme"})
    values, errors = clean(data)
    if errors:
        raise ValidationFailed(errors, "Some fields need attention; nothing was published.")
    owner = (
        col(PrivacyNotice.programme_id).is_(None)
        if programme_id is None
        else PrivacyNotice.programme_id == programme_id
    )
    latest = session.exec(select(func.max(PrivacyNotice.version)).where(owner)).one()
    notice = PrivacyNotice(
        programme_id=programme_id,
        version=int(latest or 0) + 1,
        retention=periods(session=session),
        published_by=actor.id,
        **values,
    )
    session.add(notice)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="notice.publish",
        entity="privacy_notice",
        entity_id=notice.id,
        details={"programme_id": programme_id, "version": notice.version},
    )
    session.commit()
    return notice
