"""Accounts: registration, users, login sessions, API tokens, password resets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import Session, col, func, select

from diaspora.accounts import passwords
from diaspora.accounts.models import (
    AccessToken,
    LoginAttempt,
    PasswordReset,
    Role,
    User,
    UserSession,
)
from diaspora.accounts.permissions import can, require
from diaspora.audit.service import record
from diaspora.common import new_token, token_hash, utcnow
from diaspora.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from diaspora.outbox.service import enqueue

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
WRONG_CREDENTIALS = "Wrong email or password."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_new_account(session: Session, email: str, password: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = "expected an email address like name@example.org"
    elif session.exec(select(User).where(User.email == email)).first():
        errors["email"] = "an account with this email already exists"
    if password is not None and (problem := passwords.password_problem(password)):
        errors["password"] = problem
    return errors


def get(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def get_all(*, session: Session, actor: User) -> Sequence[User]:
    require(actor, "user.create_limited")
    return session.exec(select(User).order_by(col(User.id))).all()


def create_user(
    *,
    session: Session,
    actor: User | None,
    email: str,
    password: str | None,
    role: str,
    institution_id: int | None = None,
    display_name: str = "",
    locale: str = "en",
) -> User:
    """Create an account. `actor=None` is the command line (trusted operator)."""
    from diaspora.institutions.models import Institution

    email = normalise_email(email)
    if actor is not None:
        require(actor, "user.create_limited")
        if role in (Role.staff, Role.admin) and not can(actor, "user.manage"):
            raise Forbidden("Only an admin can create staff or admin accounts.")
    errors = _check_new_account(session, email, password)
    if role not in {r.value for r in Role}:
        errors["role"] = "expected one of member, institution, staff, admin"
    if role == Role.institution:
        if institution_id is None:
            errors["institution_id"] = "an institution user must belong to an institution"
        elif session.get(Institution, institution_id) is None:
            errors["institution_id"] = f"no institution with id {institution_id}"
    elif institution_id is not None:
        errors["institution_id"] = "only institution users belong to an institution"
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        password_hash=passwords.hash_password(password) if password else "",
        role=role,
        institution_id=institution_id,
        display_name=display_name.strip()[:200],
        locale=locale,
    )
    session.add(user)
    session.flush()
    if role == Role.member:
        from diaspora.members.service import create_profile_for

        create_profile_for(session=session, user=user)
    record(
        session=session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        details={"role": role},
    )
    session.commit()
    return user


def register_member(
    *, session: Session, email: str, password: str, display_name: str = "", locale: str = "en"
) -> User:
    """Self-registration of a diaspora member."""
    return create_user(
        session=session,
        actor=None,
        email=email,
        password=password,
        role=Role.member,
        display_name=display_name,
        locale=locale,
    )


def _recent_failures(
    session: Session, *, window_minutes: int, email: str | None = None, address: str | None = None
) -> int:
    since = utcnow() - timedelta(minutes=window_minutes)
    stmt = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, col(LoginAttempt.success).is_(False))
    )
    if email is not None:
        stmt = stmt.where(LoginAttempt.email == email)
    if address is not None:
        stmt = stmt.where(LoginAttempt.address == address)
    return int(session.exec(stmt).one())


def authenticate(
    *,
    session: Session,
    email: str,
    password: str,
    address: str = "",
    max_failures: int = 5,
    window_minutes: int = 15,
) -> User:
    """Check credentials, rate-limited per account and per address."""
    email = normalise_email(email)
    if _recent_failures(session, window_minutes=window_minutes, email=email) >= max_failures or (
        address
        and _recent_failures(session, window_minutes=window_minutes, address=address)
        >= max_failures * 4
    ):
        raise RateLimited(
            f"Too many failed sign-in attempts. Try again in {window_minutes} minutes."
        )
    user = get_by_email(session=session, email=email)
    ok = (
        user is not None
        and user.is_active
        and passwords.verify_password(password, user.password_hash)
    )
    session.add(LoginAttempt(email=email, address=address[:64], success=ok))
    if not ok or user is None:
        session.commit()
        raise Unauthorized(WRONG_CREDENTIALS)
    user.last_login_at = utcnow()
    session.add(user)
    session.commit()
    return user


def start_session(
    *, session: Session, user: User, hours: int = 12, address: str = "", user_agent: str = ""
) -> str:
    """Open a server-side session; returns the opaque token for the cookie (new at every login)."""
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id or 0,
            expires_at=utcnow() + timedelta(hours=hours),
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )
    record(session=session, actor=user, action="session.start", entity="user", entity_id=user.id)
    session.commit()
    return token


def resolve_session(*, session: Session, token: str) -> User | None:
    """The active user behind a session cookie, or None when expired, revoked or disabled."""
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    # Touch at most once a minute: a write per request would serialise SQLite readers.
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return user


def end_session(*, session: Session, token: str) -> None:
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        user = session.get(User, row.user_id)
        record(
            session=session, actor=user, action="session.end", entity="user", entity_id=row.user_id
        )
        session.commit()


def _revoke_all(session: Session, user_id: int) -> None:
    now = utcnow()
    for row in session.exec(
        select(UserSession).where(
            UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None)
        )
    ):
        row.revoked_at = now
        session.add(row)
    for tok in session.exec(
        select(AccessToken).where(
            AccessToken.user_id == user_id, col(AccessToken.revoked_at).is_(None)
        )
    ):
        tok.revoked_at = now
        session.add(tok)


def set_active(*, session: Session, actor: User | None, user_id: int, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions and tokens at once."""
    if actor is not None:
        require(actor, "user.manage")
    user = get(session=session, user_id=user_id)
    if actor is not None and actor.id == user.id and not active:
        raise Conflict("You cannot disable your own account.")
    user.is_active = active
    session.add(user)
    if not active:
        _revoke_all(session, user_id)
    record(
        session=session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        entity="user",
        entity_id=user_id,
    )
    session.commit()
    return user


def issue_token(*, session: Session, user: User, name: str = "cli") -> str:
    """Create a personal access token; the plain value is shown once."""
    token = "dpat_" + new_token()
    session.add(AccessToken(token_hash=token_hash(token), user_id=user.id or 0, name=name[:100]))
    record(session=session, actor=user, action="token.issue", entity="user", entity_id=user.id)
    session.commit()
    return token


def resolve_token(*, session: Session, token: str) -> User | None:
    """The active user of an unrevoked API token (one query: every API call runs it)."""
    return session.exec(
        select(User)
        .join(AccessToken, col(AccessToken.user_id) == col(User.id))
        .where(
            AccessToken.token_hash == token_hash(token),
            col(AccessToken.revoked_at).is_(None),
            col(User.is_active).is_(True),
        )
    ).first()


def request_password_reset(*, session: Session, email: str, base_url: str) -> None:
    """Send a reset link if the account exists; answers the same either way (no enumeration)."""
    user = get_by_email(session=session, email=email)
    if user is None or not user.is_active:
        return
    token = new_token()
    session.add(
        PasswordReset(
            token_hash=token_hash(token),
            user_id=user.id or 0,
            expires_at=utcnow() + timedelta(hours=2),
        )
    )
    enqueue(
        session=session,
        to_address=user.email,
        to_user_id=user.id,
        kind="password_reset",
        subject="Reset your diaspora password",
        body=(
            "Someone asked to reset the password of your account. If it was you, open this "
            f"link within 2 hours:\n\n{base_url.rstrip('/')}/reset-password?token={token}\n\n"
            "If it was not you, ignore this message."
        ),
    )
    record(
        session=session,
        actor=None,
        action="password.reset_requested",
        entity="user",
        entity_id=user.id,
    )
    session.commit()


def reset_password(*, session: Session, token: str, new_password: str) -> User:
    row = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ValidationFailed(
            {"token": "this reset link is invalid or has expired; ask for a new one"}
        )
    if problem := passwords.password_problem(new_password):
        raise ValidationFailed({"password": problem})
    user = get(session=session, user_id=row.user_id)
    user.password_hash = passwords.hash_password(new_password)
    row.used_at = utcnow()
    session.add(user)
    session.add(row)
    _revoke_all(session, row.user_id)
    record(session=session, actor=user, action="password.reset", entity="user", entity_id=user.id)
    session.commit()
    return user


def set_password(*, session: Session, user: User, new_password: str) -> User:
    if problem := passwords.password_problem(new_password):
        raise ValidationFailed({"password": problem})
    user.password_hash = passwords.hash_password(new_password)
    session.add(user)
    record(session=session, actor=user, action="password.change", entity="user", entity_id=user.id)
    session.commit()
    return user
