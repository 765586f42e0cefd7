"""Who hears about a placement event, through the outbox (same transaction as the change)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from diaspora.accounts.models import Role, User
from diaspora.members.models import MemberIdentity, MemberProfile
from diaspora.outbox.service import enqueue


def staff_users(session: Session) -> list[User]:
    """Programme officers; admins only when there is no staff account at all."""
    users = session.exec(
        select(User).where(User.role == Role.staff, col(User.is_active).is_(True))
    ).all()
    if not users:
        users = session.exec(
            select(User).where(User.role == Role.admin, col(User.is_active).is_(True))
        ).all()
    return list(users)


def institution_users(session: Session, institution_id: int) -> list[User]:
    return list(
        session.exec(
            select(User).where(
                User.role == Role.institution,
                User.institution_id == institution_id,
                col(User.is_active).is_(True),
            )
        ).all()
    )


def to_users(session: Session, users: Iterable[User], *, kind: str, subject: str, body: str) -> int:
    """One message per user; returns how many were queued."""
    n = 0
    for user in users:
        if user.email:
            enqueue(
                session=session,
                to_address=user.email,
                to_user_id=user.id,
                kind=kind,
                subject=subject,
                body=body,
            )
            n += 1
    return n


def to_member(
    session: Session,
    member_id: int,
    *,
    kind: str,
    subject: str,
    body: str,
    secret_kind: str = "",
    secret_ref: int | None = None,
) -> bool:
    """Message a member at their account email (or the contact email they gave).

    A self-registered account whose address is not confirmed gets no mail about
    opportunities: whoever registered it may not own the address."""
    profile = session.get(MemberProfile, member_id)
    if profile is None or profile.erased_at is not None:
        return False
    user = session.get(User, profile.user_id) if profile.user_id else None
    if user is not None and user.email_verified_at is None:
        return False
    if user is not None and user.is_active and user.email:
        address, user_id = user.email, user.id
    else:
        ident = session.get(MemberIdentity, member_id)
        if ident is None or not ident.email:
            return False
        address, user_id = ident.email, None
    enqueue(
        session=session,
        to_address=address,
        to_user_id=user_id,
        kind=kind,
        subject=subject,
        body=body,
        secret_kind=secret_kind,
        secret_ref=secret_ref,
    )
    return True


def link(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path
