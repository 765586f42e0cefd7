"""Retention: how long each kind of record is kept, and the purge that enforces it.

Periods are stored in the database (defaults below until an admin changes them) and
printed in each published privacy notice.  `plan` lists what is due and why without
touching anything (the dry run); `purge` removes exactly that: inactive members through
`members.erase` (the same erasure a member asks for), the rest by deleting rows, and
writes one audit event per record plus a summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, or_, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.models import AuditEvent
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.errors import ValidationFailed
from diaspora.retention.models import RetentionSetting


@dataclass(frozen=True, slots=True)
class Kind:
    key: str
    label: str
    default: int  # days
    minimum: int  # days; below this a purge would remove what is still in use
    explanation: str


MAX_DAYS = 36_500  # a hundred years
KINDS: tuple[Kind, ...] = (
    Kind(
        "inactive_members",
        "Inactive members",
        1825,
        180,
        "Members who have not signed in, answered or been updated for this long are erased "
        "(members with an open assignment are kept).",
    ),
    Kind(
        "drafts",
        "Unfinished survey drafts",
        180,
        7,
        "Drafts not touched for this long are deleted with their files.",
    ),
    Kind(
        "sent_mail",
        "Sent mail",
        90,
        1,
        "Messages sent (or logged, or failed) this long ago are deleted from the outbox.",
    ),
    Kind(
        "sessions",
        "Sessions, sign-in attempts, used links and tokens",
        30,
        1,
        "Sessions that ended, sign-in attempts, reset and confirmation links used or expired, "
        "and access tokens revoked or expired, this long ago are deleted.",
    ),
    Kind(
        "audit_personal",
        "Personal data in audit details",
        365,
        30,
        "Audit events keep who did what; after this long, details that could identify a "
        "person (addresses, emails, search terms) are removed from them.",
    ),
)
BY_KEY = {kind.key: kind for kind in KINDS}
OPEN_ASSIGNMENTS = ("proposed", "approved", "accepted", "in_progress")
# Audit detail keys that may hold personal data (the rest are ids, counts and states).
PERSONAL_KEYS = frozenset(
    {"email", "address", "ip", "user_agent", "name", "display_name", "phone", "filters", "q"}
)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
REDACTED = "[removed]"


def periods(*, session: Session) -> dict[str, int]:
    """Days per kind of record: stored values, defaults for the rest."""
    stored = {row.kind: row.days for row in session.exec(select(RetentionSetting))}
    return {kind.key: stored.get(kind.key, kind.default) for kind in KINDS}


def clean(data: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Validate a form of periods (one field per kind, whole days)."""
    out: dict[str, int] = {}
    errors: dict[str, str] = {}
    for kind in KINDS:
        raw = str(data.get(kind.key, "")).strip()
        if not raw:
            errors[kind.key] = "required: a number of days"
            continue
        if not raw.isdigit() or len(raw) > 6:
            errors[kind.key] = (
                f"expected a whole number of days between {kind.minimum} and {MAX_DAYS}"
            )
            continue
        days = int(raw)
        if not kind.minimum <= days <= MAX_DAYS:
            errors[kind.key] = f"expected between {kind.minimum} and {MAX_DAYS} days"
            continue
        out[kind.key] = days
    unknown = sorted(set(data) - set(BY_KEY))
    for key in unknown:
        errors[key] = "not a kind of record with a retention period"
    return out, errors


def update(*, session: Session, actor: User, data: Mapping[str, Any]) -> dict[str, int]:
    """Store the periods (admins); all or nothing, audited with old and new values."""
    require(actor, "retention.manage")
    values, errors = clean(data)
    if errors:
        raise ValidationFailed(errors, "Some periods are not valid; nothing was changed.")
    before = periods(session=session)
    now = utcnow()
    changes = {}
    for key, days in values.items():
        row = session.get(RetentionSetting, key)
        if row is None:
            row = RetentionSetting(kind=key, days=days)
        if row.days != days or before[key] != days or row.updated_by is None:
            changes[key] = {"from": before[key], "to": days}
        row.days, row.updated_at, row.updated_by = days, now, actor.id
        session.add(row)
    record(
        session=session,
        actor=actor,
        action="retention.update",
        entity="retention",
        entity_id="settings",
        details={"changes": {k: v for k, v in changes.items() if v["from"] != v["to"]}},
    )
    session.commit()
    return periods(session=session)


# --------------------------------------------------------------------------- the purge


@dataclass(frozen=True, slots=True)
class Due:
    """One record the purge removes: what, which, and why (no personal data)."""

    kind: str
    entity: str
    entity_id: int
    reason: str


def _cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _inactive_members(session: Session, days: int, now: datetime) -> list[Due]:
    from diaspora.assignments.models import Assignment
    from diaspora.members.models import MemberProfile

    cutoff = _cutoff(days, now)
    open_ones = select(Assignment.member_id).where(col(Assignment.status).in_(OPEN_ASSIGNMENTS))
    rows = session.exec(
        select(MemberProfile, User.last_login_at)
        .join(User, col(User.id) == col(MemberProfile.user_id), isouter=True)
        .where(
            col(MemberProfile.erased_at).is_(None),
            col(MemberProfile.last_activity_at) < cutoff,
            col(MemberProfile.updated_at) < cutoff,
            col(MemberProfile.id).not_in(open_ones),
        )
        .order_by(col(MemberProfile.id))
    ).all()
    due = []
    for profile, last_login in rows:
        last = max(
            d
            for d in (
                _aware(profile.last_activity_at),
                _aware(profile.updated_at),
                _aware(last_login),
            )
            if d is not None
        )
        if last >= cutoff:
            continue
        due.append(
            Due(
                "inactive_members",
                "member",
                profile.id or 0,
                f"{profile.pseudonym}: no activity since {last.date().isoformat()} "
                f"(more than {days} days)",
            )
        )
    return due


def _drafts(session: Session, days: int, now: datetime) -> list[Due]:
    from diaspora.responses.models import Response, ResponseStatus

    rows = session.exec(
        select(Response.id, Response.updated_at)
        .where(
            Response.status == ResponseStatus.draft,
            col(Response.updated_at) < _cutoff(days, now),
        )
        .order_by(col(Response.id))
    ).all()
    return [
        Due(
            "drafts",
            "response",
            rid or 0,
            f"draft last saved {_aware(at).date().isoformat()} (more than {days} days)",  # type: ignore[union-attr]
        )
        for rid, at in rows
    ]


def _sent_mail(session: Session, days: int, now: datetime) -> list[Due]:
    from diaspora.outbox.models import OutboxMessage

    rows = session.exec(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.sent_at)
        .where(
            col(OutboxMessage.status).in_(("sent", "logged", "failed", "cancelled")),
            col(OutboxMessage.sent_at) < _cutoff(days, now),
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    return [
        Due(
            "sent_mail",
            "outbox_message",
            mid or 0,
            f"{status} {_aware(at).date().isoformat()} (more than {days} days)",  # type: ignore[union-attr]
        )
        for mid, status, at in rows
    ]


def _spent_links(session: Session, cutoff: datetime, days: int) -> list[Due]:
    """Reset and confirmation links, and access tokens, that can no longer be used: they
    only say when someone asked for one, which is no longer needed."""
    from diaspora.accounts.models import AccessToken, EmailVerification, PasswordReset

    due: list[Due] = []
    for model, used, what in (
        (PasswordReset, PasswordReset.used_at, "reset link"),
        (EmailVerification, EmailVerification.used_at, "confirmation link"),
        (AccessToken, AccessToken.revoked_at, "access token"),
    ):
        ids = session.exec(
            select(model.id)  # type: ignore[call-overload]
            .where(or_(col(model.expires_at) < cutoff, col(used) < cutoff))
            .order_by(col(model.id))
        ).all()
        due += [
            Due("sessions", model.__tablename__, i or 0, f"{what} spent more than {days} days ago")
            for i in ids
        ]
    return due


def _sessions(session: Session, days: int, now: datetime) -> list[Due]:
    from diaspora.accounts.models import LoginAttempt, UserSession

    cutoff = _cutoff(days, now)
    ended = session.exec(
        select(UserSession.id)
        .where(
            or_(
                col(UserSession.expires_at) < cutoff,
                col(UserSession.revoked_at) < cutoff,
            )
        )
        .order_by(col(UserSession.id))
    ).all()
    attempts = session.exec(
        select(LoginAttempt.id).where(col(LoginAttempt.at) < cutoff).order_by(col(LoginAttempt.id))
    ).all()
    return (
        [
            Due("sessions", "user_session", sid or 0, f"ended more than {days} days ago")
            for sid in ended
        ]
        + [
            Due("sessions", "login_attempt", aid or 0, f"sign-in attempt more than {days} days ago")
            for aid in attempts
        ]
        + _spent_links(session, cutoff, days)
    )


def _personal(details: Any) -> bool:
    if isinstance(details, dict):
        return any(k in PERSONAL_KEYS or _personal(v) for k, v in details.items())
    if isinstance(details, list):
        return any(_personal(v) for v in details)
    return isinstance(details, str) and bool(_EMAIL.search(details))


def _redacted(details: Any) -> Any:
    if isinstance(details, dict):
        return {k: (REDACTED if k in PERSONAL_KEYS else _redacted(v)) for k, v in details.items()}
    if isinstance(details, list):
        return [_redacted(v) for v in details]
    if isinstance(details, str):
        return _EMAIL.sub(REDACTED, details)
    return details


def _audit_personal(session: Session, days: int, now: datetime) -> list[Due]:
    rows = session.exec(
        select(AuditEvent.id, AuditEvent.details)
        .where(col(AuditEvent.at) < _cutoff(days, now))
        .order_by(col(AuditEvent.id))
    ).all()
    return [
        Due("audit_personal", "audit_event", eid or 0, f"personal details older than {days} days")
        for eid, details in rows
        if not (isinstance(details, dict) and details.get("redacted")) and _personal(details)
    ]


PLANNERS = {
    "inactive_members": _inactive_members,
    "drafts": _drafts,
    "sent_mail": _sent_mail,
    "sessions": _sessions,
    "audit_personal": _audit_personal,
}


def plan(*, session: Session, actor: User | None, now: datetime | None = None) -> list[Due]:
    """What a purge would remove now, and why (the dry run; nothing changes)."""
    if actor is not None:
        require(actor, "retention.manage")
    now = now or utcnow()
    days = periods(session=session)
    due: list[Due] = []
    for kind in KINDS:
        due.extend(PLANNERS[kind.key](session, days[kind.key], now))
    return due


def summary(due: Sequence[Due]) -> dict[str, int]:
    counts = dict.fromkeys(BY_KEY, 0)
    for item in due:
        counts[item.kind] += 1
    return counts


def purge(*, session: Session, actor: User | None, now: datetime | None = None) -> list[Due]:
    """Remove what `plan` lists: members through the erasure service, the rest deleted;
    each audited (actor None: the scheduled system run)."""
    from diaspora.accounts.models import (
        AccessToken,
        EmailVerification,
        LoginAttempt,
        PasswordReset,
        UserSession,
    )
    from diaspora.members import service as members

    SPENT: dict[str, Any] = {
        m.__tablename__: m  # type: ignore[misc]
        for m in (AccessToken, EmailVerification, PasswordReset)
    }
    from diaspora.outbox.models import OutboxMessage
    from diaspora.responses.attachments import delete_for_response
    from diaspora.responses.models import Response

    due = plan(session=session, actor=actor, now=now)
    for item in due:
        if item.entity == "member":
            # Erased as the system: the admin who runs the purge is named in the summary.
            members.erase(session=session, actor=None, member_id=item.entity_id, reason="retention")
            continue
        if item.entity == "response":
            delete_for_response(session=session, response_id=item.entity_id)
            session.exec(delete(Response).where(col(Response.id) == item.entity_id))  # type: ignore[call-overload]
        elif item.entity == "outbox_message":
            session.exec(delete(OutboxMessage).where(col(OutboxMessage.id) == item.entity_id))  # type: ignore[call-overload]
        elif item.entity == "user_session":
            session.exec(delete(UserSession).where(col(UserSession.id) == item.entity_id))  # type: ignore[call-overload]
        elif item.entity == "login_attempt":
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.id) == item.entity_id))  # type: ignore[call-overload]
        elif item.entity in SPENT:
            model = SPENT[item.entity]
            session.exec(delete(model).where(col(model.id) == item.entity_id))  # type: ignore[call-overload, attr-defined]
        elif item.entity == "audit_event":
            event = session.get(AuditEvent, item.entity_id)
            if event is not None:
                event.details = {**_redacted(event.details), "redacted": True}
                session.add(event)
        record(
            session=session,
            actor=actor,
            action="retention.purge",
            entity=item.entity,
            entity_id=item.entity_id,
            details={"kind": item.kind},
        )
    record(
        session=session,
        actor=actor,
        action="retention.run",
        entity="retention",
        entity_id="purge",
        details={"removed": summary(due)},
    )
    session.commit()
    return due
