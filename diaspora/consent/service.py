"""Giving and withdrawing consent; "active consent for purpose X" is the only question asked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from diaspora.audit.service import Actor, record
from diaspora.common import utcnow
from diaspora.consent.models import Consent, Purpose
from diaspora.errors import ValidationFailed
from diaspora.members.models import MemberProfile

NOTICE_VERSION = "2026-1"
PURPOSES = tuple(p.value for p in Purpose)


def _active_row(session: Session, member_id: int, purpose: str) -> Consent | None:
    return session.exec(
        select(Consent).where(
            Consent.member_id == member_id,
            Consent.purpose == purpose,
            col(Consent.withdrawn_at).is_(None),
        )
    ).first()


def has_active_consent(*, session: Session, member_id: int, purpose: str) -> bool:
    return _active_row(session, member_id, purpose) is not None


def active_purposes(*, session: Session, member_id: int) -> set[str]:
    rows = session.exec(
        select(Consent.purpose).where(
            Consent.member_id == member_id, col(Consent.withdrawn_at).is_(None)
        )
    ).all()
    return set(rows)


def history(*, session: Session, member_id: int) -> Sequence[Consent]:
    return session.exec(
        select(Consent)
        .where(Consent.member_id == member_id)
        .order_by(col(Consent.given_at), col(Consent.id))
    ).all()


def _sync_flags(session: Session, member_id: int) -> None:
    profile = session.get(MemberProfile, member_id)
    if profile is None:
        return
    active = active_purposes(session=session, member_id=member_id)
    profile.consent_mapping = Purpose.mapping in active
    profile.consent_matching = Purpose.matching in active
    session.add(profile)


def set_consents(
    *,
    session: Session,
    actor: Actor | None,
    member_id: int,
    choices: dict[str, bool],
    source: str = "web",
    notice_version: str = NOTICE_VERSION,
    commit: bool = True,
) -> set[str]:
    """Give or withdraw consent per purpose; unchanged purposes write nothing."""
    unknown = [p for p in choices if p not in PURPOSES]
    if unknown:
        raise ValidationFailed(
            {
                f"consent.{p}": f"unknown purpose; expected one of {', '.join(PURPOSES)}"
                for p in unknown
            }
        )
    now = utcnow()
    for purpose, given in choices.items():
        row = _active_row(session, member_id, purpose)
        if given and row is None:
            session.add(
                Consent(
                    member_id=member_id,
                    purpose=purpose,
                    notice_version=notice_version,
                    given_at=now,
                    source=source,
                )
            )
            record(
                session=session,
                actor=actor,
                action="consent.give",
                entity="member",
                entity_id=member_id,
                details={"purpose": purpose, "notice": notice_version},
            )
        elif not given and row is not None:
            row.withdrawn_at = now
            session.add(row)
            record(
                session=session,
                actor=actor,
                action="consent.withdraw",
                entity="member",
                entity_id=member_id,
                details={"purpose": purpose},
            )
    session.flush()
    _sync_flags(session, member_id)
    if commit:
        session.commit()
    return active_purposes(session=session, member_id=member_id)
