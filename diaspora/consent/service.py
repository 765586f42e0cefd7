"""Giving and withdrawing consent; "active consent for purpose X" is the only question asked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import Actor, record
from diaspora.common import utcnow
from diaspora.consent.models import EXPLICIT_CHANNELS, Channel, Consent, Purpose
from diaspora.errors import NotFound, ValidationFailed
from diaspora.members.models import MemberProfile

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


def ever_withdrawn(*, session: Session, member_id: int) -> set[str]:
    """Purposes the member withdrew at some time (whatever their state now)."""
    rows = session.exec(
        select(Consent.purpose).where(
            Consent.member_id == member_id, col(Consent.withdrawn_at).is_not(None)
        )
    ).all()
    return set(rows)


def state(*, session: Session, member_id: int, every: bool = False) -> dict[str, bool]:
    """Purpose -> held now, for the purposes the member ever answered (all with `every`)."""
    active = active_purposes(session=session, member_id=member_id)
    known = set(session.exec(select(Consent.purpose).where(Consent.member_id == member_id)).all())
    return {p: p in active for p in PURPOSES if every or p in known}


def resolve_notice(session: Session, member_id: int, notice_id: int | None) -> int | None:
    """The notice a consent points at: the one given (it must exist), else the current one
    of the member's programme."""
    from diaspora.notices import service as notices
    from diaspora.notices.models import PrivacyNotice

    if notice_id is not None:
        if session.get(PrivacyNotice, notice_id) is None:
            raise ValidationFailed({"notice_id": "no such privacy notice"})
        return notice_id
    profile = session.get(MemberProfile, member_id)
    found = notices.current(session=session, programme_id=profile.programme_id if profile else None)
    return found.id if found else None


def set_consents(
    *,
    session: Session,
    actor: Actor | None,
    member_id: int,
    choices: dict[str, bool],
    channel: str = Channel.profile,
    notice_id: int | None = None,
    commit: bool = True,
    align: bool = True,
) -> set[str]:
    """Give or withdraw consent per purpose; unchanged purposes write nothing.

    Every change is audited with its `channel`.  A purpose the member withdrew comes
    back only through a channel where the member states the choice themself
    (`EXPLICIT_CHANNELS`); an import, an API submission or a staff correction that says
    "yes" leaves it withdrawn (audited as `consent.keep_withdrawn`).  The member's open
    survey drafts follow the new state (`align`), so a draft never carries an answer
    older than the member's latest choice.
    """
    unknown = [p for p in choices if p not in PURPOSES]
    if unknown:
        raise ValidationFailed(
            {
                f"consent.{p}": f"unknown purpose; expected one of {', '.join(PURPOSES)}"
                for p in unknown
            }
        )
    explicit = channel in EXPLICIT_CHANNELS
    withdrawn_before = set() if explicit else ever_withdrawn(session=session, member_id=member_id)
    notice: int | None = None
    if any(choices.values()):
        notice = resolve_notice(session, member_id, notice_id)
    now = utcnow()
    changed: dict[str, bool] = {}
    for purpose, given in choices.items():
        row = _active_row(session, member_id, purpose)
        if given and row is None:
            if purpose in withdrawn_before:
                record(
                    session=session,
                    actor=actor,
                    action="consent.keep_withdrawn",
                    entity="member",
                    entity_id=member_id,
                    details={"purpose": purpose, "channel": str(channel)},
                )
                continue
            session.add(
                Consent(
                    member_id=member_id,
                    purpose=purpose,
                    notice_id=notice,
                    given_at=now,
                    source=str(channel)[:20],
                )
            )
            changed[purpose] = True
            record(
                session=session,
                actor=actor,
                action="consent.give",
                entity="member",
                entity_id=member_id,
                details={"purpose": purpose, "notice": notice, "channel": str(channel)},
            )
        elif not given and row is not None:
            row.withdrawn_at = now
            session.add(row)
            changed[purpose] = False
            record(
                session=session,
                actor=actor,
                action="consent.withdraw",
                entity="member",
                entity_id=member_id,
                details={"purpose": purpose, "channel": str(channel)},
            )
    session.flush()
    _sync_flags(session, member_id)
    active = active_purposes(session=session, member_id=member_id)
    # On the consent form the member states every purpose: that is their latest word on
    # each, changed or not.  Elsewhere only what changed moves the drafts.
    stated = choices if channel in (Channel.profile, Channel.api) else changed
    if stated and align:
        from diaspora.responses.consents import align_drafts

        align_drafts(session=session, member_id=member_id, state={p: p in active for p in stated})
    if commit:
        session.commit()
    return active


def withdraw_for_member(
    *, session: Session, actor: User, member_id: int, purposes: Sequence[str]
) -> set[str]:
    """Staff record withdrawals a member asked for outside the app (telephone, letter),
    for members without an account above all.  Staff can only withdraw: giving consent
    is the member's own act."""
    require(actor, "member.read")
    if session.get(MemberProfile, member_id) is None:
        raise NotFound("No such member.")
    chosen = list(dict.fromkeys(purposes))
    if not chosen:
        raise ValidationFailed({"purpose": "choose at least one purpose to withdraw"})
    return set_consents(
        session=session,
        actor=actor,
        member_id=member_id,
        choices=dict.fromkeys(chosen, False),
        channel=Channel.staff,
    )
