"""Accounts: registration, users, login sessions, API tokens, password resets."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, func, select

from diaspora.accounts import passwords
from diaspora.accounts.models import (
    AccessToken,
    EmailVerification,
    LoginAttempt,
    PasswordReset,
    RateEvent,
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
from diaspora.outbox.service import SECRET, enqueue

# C0/C1 control characters and the bidirectional overrides/isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
WRONG_CREDENTIALS = "Wrong email or password."
RESET_HOURS = 2
VERIFY_DAYS = 7
# Checked at every API call, written at most this often (a write per call would serialise
# SQLite readers and cost PostgreSQL a row version per request).
TOKEN_TOUCH_SECONDS = 60
LOGIN_HISTORY_DAYS = 90


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


def get_all(*, session: Session, actor: User, audit: bool = False) -> Sequence[User]:
    """Every account; `audit=True` when the list is shown to a person (emails are
    identified data: the read is recorded, without them)."""
    require(actor, "user.create_limited")
    users = session.exec(select(User).order_by(col(User.id))).all()
    if audit:
        record(
            session=session,
            actor=actor,
            action="user.list",
            entity="user",
            details={"count": len(users)},
        )
        session.commit()
    return users


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
    verified: bool = True,
    commit: bool = True,
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
        # An operator or staff member vouches for the address of an account they create.
        email_verified_at=utcnow() if verified else None,
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
    if commit:
        session.commit()
    return user


REGISTERED = (
    "If this address has no account yet, we created one and sent a link to confirm the "
    "address. Check your mail, then sign in."
)


def address_bucket(address: str) -> str:
    """The client address as the delays and rate limits count it.

    An IPv6 address counts as its /64 network: one end site is routinely given a whole
    /64 (2**64 addresses), so counting single IPv6 addresses would give an attacker on one
    connection as many fresh tries as they like. IPv4-mapped IPv6 counts as the IPv4."""
    text = address.strip()[:64]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return text


def rate_key(value: str) -> str:
    """What a rate bucket stores for an address or an email (erasure deletes by it)."""
    return token_hash("rate:" + value)


def over_limit(session: Session, bucket: str, key: str, limit: int, minutes: int = 60) -> bool:
    """Count an action in a rate bucket shared by every app process; True when over."""
    since = utcnow() - timedelta(minutes=minutes)
    hashed = rate_key(key)
    n = int(
        session.exec(
            select(func.count())
            .select_from(RateEvent)
            .where(RateEvent.bucket == bucket, RateEvent.key_hash == hashed, RateEvent.at >= since)
        ).one()
    )
    if n >= limit:
        return True
    session.add(RateEvent(bucket=bucket, key_hash=hashed))
    # Events older than every window are worthless: keep the table small (indexed on `at`).
    session.execute(delete(RateEvent).where(col(RateEvent.at) < utcnow() - timedelta(days=1)))
    return False


def register_member(
    *,
    session: Session,
    email: str,
    password: str,
    display_name: str = "",
    locale: str = "en",
    address: str = "",
    base_url: str = "",
    per_email_hour: int = 3,
    per_address_hour: int = 10,
) -> None:
    """Self-registration of a diaspora member; the same answer whether the email is known.

    A new address gets an unverified account and a verification link; a known one gets a
    note to its owner ("someone tried to register with your address"). Either way the
    caller only learns that mail may have been sent (`REGISTERED`).
    """
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = "expected an email address like name@example.org"
    if problem := passwords.password_problem(password):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    address = address_bucket(address)
    if address and over_limit(session, "register.address", address, per_address_hour):
        session.commit()
        raise RateLimited("Too many registrations from your network. Try again in an hour.")
    if over_limit(session, "register.email", email, per_email_hour):
        # Answered as if sent: a limit per email must not tell whether the email exists.
        passwords.hash_password(password)
        session.commit()
        return
    existing = get_by_email(session=session, email=email)
    if existing is not None:
        # Cost what creating an account costs, so timing does not tell either.
        passwords.hash_password(password)
        enqueue(
            session=session,
            to_address=existing.email,
            to_user_id=existing.id,
            kind="account.register_attempt",
            subject="Someone tried to register with your address",
            body=(
                "Someone tried to create a diaspora account with this email address, which "
                "already has one. If it was you, sign in, or ask for a new password at "
                f"{base_url.rstrip('/')}/forgot-password\n\n"
                "If it was not you, you need not do anything: no account was changed."
            ),
        )
        record(
            session=session,
            actor=None,
            action="user.register_attempt",
            entity="user",
            entity_id=existing.id,
        )
        session.commit()
        return
    user = create_user(
        session=session,
        actor=None,
        email=email,
        password=password,
        role=Role.member,
        display_name=display_name,
        locale=locale,
        verified=False,
        commit=False,
    )
    _queue_verification(session, user, base_url)
    session.commit()


def _queue_verification(session: Session, user: User, base_url: str) -> None:
    now = utcnow()
    for old in session.exec(
        select(EmailVerification).where(
            EmailVerification.user_id == user.id, col(EmailVerification.used_at).is_(None)
        )
    ):
        old.used_at = now
        session.add(old)
    row = EmailVerification(user_id=user.id or 0, expires_at=now + timedelta(days=VERIFY_DAYS))
    session.add(row)
    session.flush()
    enqueue(
        session=session,
        to_address=user.email,
        to_user_id=user.id,
        kind="account.verify_email",
        subject="Confirm your email address for diaspora",
        body=(
            "Someone created a diaspora account with this address. If it was you, confirm "
            f"the address within {VERIFY_DAYS} days:\n\n"
            f"{base_url.rstrip('/')}/verify-email?token={SECRET}\n\n"
            "If it was not you, ignore this message: the account stays unconfirmed."
        ),
        secret_kind="email_verification",
        secret_ref=row.id,
    )


def resend_verification(*, session: Session, actor: User, base_url: str) -> None:
    """A new verification link for the signed-in account (replaces the earlier ones)."""
    if actor.email_verified_at is not None:
        raise Conflict("Your email address is already confirmed.")
    if over_limit(session, "verify.resend", str(actor.id), 3):
        session.commit()
        raise RateLimited("We sent several links in the last hour. Check your mail first.")
    user = get(session=session, user_id=actor.id or 0)
    _queue_verification(session, user, base_url)
    record(
        session=session,
        actor=actor,
        action="email.verify_requested",
        entity="user",
        entity_id=actor.id,
    )
    session.commit()


def mint_verification_token(session: Session, ref_id: int) -> str | None:
    """Outbox minter: a fresh token for a still-open verification (hash stored)."""
    row = session.get(EmailVerification, ref_id, populate_existing=True)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    token = new_token()
    row.token_hash = token_hash(token)
    session.add(row)
    return token


def verify_email(*, session: Session, token: str) -> User:
    """Mark the address of the account a verification link belongs to as confirmed."""
    row = (
        session.exec(
            select(EmailVerification).where(EmailVerification.token_hash == token_hash(token))
        ).first()
        if token and len(token) <= 200
        else None
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ValidationFailed(
            {"token": "this confirmation link is invalid or has expired; sign in to get a new one"}
        )
    user = get(session=session, user_id=row.user_id)
    row.used_at = utcnow()
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(row)
    session.add(user)
    record(session=session, actor=user, action="email.verify", entity="user", entity_id=user.id)
    session.commit()
    return user


def _backoff(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures when the first `free` cost nothing."""
    if failures < free:
        return 0
    return int(min(cap, 2 ** min(failures - free, 20)))


def _wait_left(session: Session, *, since: Any, free: int, cap: int, **where: str) -> int:
    """Seconds left before the next try is allowed for the failures matching `where`."""
    stmt = select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.at >= since, col(LoginAttempt.success).is_(False)
    )
    for name, value in where.items():
        stmt = stmt.where(getattr(LoginAttempt, name) == value)
    count, last = session.exec(stmt).one()
    wait = _backoff(int(count or 0), free, cap)
    if not wait or last is None:
        return 0
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return max(0, int((last + timedelta(seconds=wait) - utcnow()).total_seconds()) + 1)


def login_delay(
    *,
    session: Session,
    email: str,
    address: str,
    max_failures: int = 5,
    address_max_failures: int = 20,
    account_max_failures: int = 50,
    window_minutes: int = 15,
    max_delay_seconds: int = 900,
) -> int:
    """How long this address must wait before trying this account again (0: now).

    Keyed on the account *and* the address, so failures from elsewhere never delay the
    owner; and on the address alone, so one address guessing many accounts slows itself
    only. A success for the pair clears its failures. Against guesses spread over many
    addresses, an account with `account_max_failures` recent failures delays addresses
    that never signed in to it successfully; the owner's usual addresses are not slowed.
    """
    now = utcnow()
    since = now - timedelta(minutes=window_minutes)
    last_ok = session.exec(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email,
            LoginAttempt.address == address,
            col(LoginAttempt.success).is_(True),
        )
    ).one()
    if last_ok is not None:
        if last_ok.tzinfo is None:
            last_ok = last_ok.replace(tzinfo=UTC)
        since = max(since, last_ok)
    pair = _wait_left(
        session,
        since=since,
        free=max_failures,
        cap=max_delay_seconds,
        email=email,
        address=address,
    )
    if not address:
        return pair
    anywhere = _wait_left(
        session,
        since=now - timedelta(minutes=window_minutes),
        free=address_max_failures,
        cap=max_delay_seconds,
        address=address,
    )
    account = 0
    if last_ok is None:  # this address never signed in to this account
        account = _wait_left(
            session,
            since=now - timedelta(minutes=window_minutes),
            free=account_max_failures,
            cap=max_delay_seconds,
            email=email,
        )
    return max(pair, anywhere, account)


def authenticate(
    *,
    session: Session,
    email: str,
    password: str,
    address: str = "",
    max_failures: int = 5,
    address_max_failures: int = 20,
    account_max_failures: int = 50,
    window_minutes: int = 15,
    max_delay_seconds: int = 900,
) -> User:
    """Check credentials; repeated failures delay this address (never lock the account)."""
    email = normalise_email(email)[:320]
    address = address_bucket(address)
    wait = login_delay(
        session=session,
        email=email,
        address=address,
        max_failures=max_failures,
        address_max_failures=address_max_failures,
        account_max_failures=account_max_failures,
        window_minutes=window_minutes,
        max_delay_seconds=max_delay_seconds,
    )
    if wait:
        raise RateLimited(
            f"Too many failed sign-in attempts from your network. Try again in {wait} seconds."
        )
    user = get_by_email(session=session, email=email)
    if user is None or not user.password_hash:
        passwords.dummy_verify(password)  # an unknown email costs what a known one does
        ok = False
    else:
        ok = passwords.verify_password(password, user.password_hash) and user.is_active
    session.add(LoginAttempt(email=email, address=address, success=ok))
    # Sign-in history holds emails and addresses: keep only what the delays need (a
    # success from an address counts as "known" for LOGIN_HISTORY_DAYS).
    session.execute(
        delete(LoginAttempt).where(
            col(LoginAttempt.at) < utcnow() - timedelta(days=LOGIN_HISTORY_DAYS)
        )
    )
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


def _revoke_all(session: Session, user_id: int, *, keep_session: str | None = None) -> None:
    """End every session (but the one whose token is `keep_session`), API token and open
    reset link of an account."""
    now = utcnow()
    keep = token_hash(keep_session) if keep_session else None
    for row in session.exec(
        select(UserSession).where(
            UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None)
        )
    ):
        if row.token_hash != keep:
            row.revoked_at = now
            session.add(row)
    for tok in session.exec(
        select(AccessToken).where(
            AccessToken.user_id == user_id, col(AccessToken.revoked_at).is_(None)
        )
    ):
        tok.revoked_at = now
        session.add(tok)
    _close_resets(session, user_id, now)


def _close_resets(session: Session, user_id: int, now: Any) -> None:
    for reset in session.exec(
        select(PasswordReset).where(
            PasswordReset.user_id == user_id, col(PasswordReset.used_at).is_(None)
        )
    ):
        reset.used_at = now
        session.add(reset)


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


def token_field_errors(*, name: str, days: int | None) -> dict[str, str]:
    """What is wrong with a new token's name and lifetime (empty: nothing)."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 100:
        errors["name"] = "give the token a name of 1 to 100 characters"
    elif _CONTROL.search(name):
        # Names are printed in lists and in the operator's terminal (`diaspora users
        # tokens`): a line break, escape sequence or direction override there would let
        # the owner forge or hide lines ("revoked") in what an admin reads.
        errors["name"] = (
            "use letters, digits and punctuation only (no line breaks or control characters)"
        )
    if days is not None and not 1 <= days <= 3650:
        errors["days"] = "expected a number of days from 1 to 3650"
    return errors


def issue_token(*, session: Session, user: User, name: str = "cli", days: int | None = 90) -> str:
    """Create a personal access token; the plain value is shown once.

    It expires after `days` (None: never, for an operator who asks for it explicitly)."""
    if errors := token_field_errors(name=name, days=days):
        raise ValidationFailed(errors)
    name = name.strip()
    token = "dpat_" + new_token()
    row = AccessToken(
        token_hash=token_hash(token),
        user_id=user.id or 0,
        name=name,
        expires_at=utcnow() + timedelta(days=days) if days is not None else None,
    )
    session.add(row)
    session.flush()
    record(
        session=session,
        actor=user,
        action="token.issue",
        entity="user",
        entity_id=user.id,
        details={"token_id": row.id, "days": days},
    )
    session.commit()
    return token


def resolve_token(*, session: Session, token: str) -> User | None:
    """The active user of an unrevoked, unexpired API token (every API call runs it).

    One query for the check; `last_used_at` is written at most once a minute, by one
    conditional UPDATE, so the hot path stays a read."""
    now = utcnow()
    row = session.exec(
        select(User, AccessToken)
        .join(AccessToken, col(AccessToken.user_id) == col(User.id))
        .where(
            AccessToken.token_hash == token_hash(token),
            col(AccessToken.revoked_at).is_(None),
            col(User.is_active).is_(True),
        )
    ).first()
    if row is None:
        return None
    user, tok = row
    expires = _aware(tok.expires_at)
    if expires is not None and expires <= now:
        return None
    last = _aware(tok.last_used_at)
    if last is None or (now - last).total_seconds() > TOKEN_TOUCH_SECONDS:
        cutoff = now - timedelta(seconds=TOKEN_TOUCH_SECONDS)
        session.execute(
            update(AccessToken)
            .where(
                col(AccessToken.id) == tok.id,
                or_(
                    col(AccessToken.last_used_at).is_(None), col(AccessToken.last_used_at) < cutoff
                ),
            )
            .values(last_used_at=now)
        )
        session.commit()
        session.refresh(user)
    return user


def _aware(value: Any) -> Any:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def list_tokens(
    *, session: Session, actor: User | None, user_id: int | None = None
) -> Sequence[AccessToken]:
    """Tokens of one account (default: the actor's own), newest first; others' need admin."""
    target = user_id if user_id is not None else (actor.id if actor else None)
    if target is None:
        raise ValidationFailed({"user_id": "whose tokens?"})
    if actor is not None and target != actor.id:
        require(actor, "user.manage")
    return session.exec(
        select(AccessToken)
        .where(AccessToken.user_id == target)
        .order_by(col(AccessToken.id).desc())
    ).all()


def all_tokens(*, session: Session, actor: User) -> Sequence[AccessToken]:
    """Every account's unrevoked tokens, for admins (the read is audited)."""
    require(actor, "user.manage")
    tokens = session.exec(
        select(AccessToken)
        .where(col(AccessToken.revoked_at).is_(None))
        .order_by(col(AccessToken.id).desc())
    ).all()
    record(
        session=session,
        actor=actor,
        action="token.list",
        entity="user",
        details={"count": len(tokens)},
    )
    session.commit()
    return tokens


def revoke_token(*, session: Session, actor: User | None, token_id: int) -> AccessToken:
    """Revoke one token: its owner, an admin, or the command line (`actor=None`)."""
    tok = session.get(AccessToken, token_id)
    if tok is None:
        raise NotFound("No such token.")
    if actor is not None and tok.user_id != actor.id and not can(actor, "user.manage"):
        raise NotFound("No such token.")
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
        session.add(tok)
        record(
            session=session,
            actor=actor,
            action="token.revoke",
            entity="user",
            entity_id=tok.user_id,
            details={"token_id": tok.id},
        )
        session.commit()
    return tok


def request_password_reset(
    *,
    session: Session,
    email: str,
    base_url: str,
    address: str = "",
    per_email_hour: int = 3,
    per_address_hour: int = 20,
) -> None:
    """Send a reset link if the account exists; answers the same either way (no enumeration).

    A new link closes every earlier one of the account. Limited per address (RateLimited)
    and per email (silently: the answer must not depend on the email)."""
    email = normalise_email(email)[:320]
    address = address_bucket(address)
    if address and over_limit(session, "forgot.address", address, per_address_hour):
        session.commit()
        raise RateLimited("Too many reset requests from your network. Try again in an hour.")
    if over_limit(session, "forgot.email", email, per_email_hour):
        session.commit()
        return
    user = get_by_email(session=session, email=email)
    if user is None or not user.is_active:
        session.commit()
        return
    now = utcnow()
    _close_resets(session, user.id or 0, now)
    row = PasswordReset(user_id=user.id or 0, expires_at=now + timedelta(hours=RESET_HOURS))
    session.add(row)
    session.flush()
    enqueue(
        session=session,
        to_address=user.email,
        to_user_id=user.id,
        kind="password_reset",
        subject="Reset your diaspora password",
        body=(
            "Someone asked to reset the password of your account. If it was you, open this "
            f"link within {RESET_HOURS} hours:\n\n"
            f"{base_url.rstrip('/')}/reset-password?token={SECRET}\n\n"
            "If it was not you, ignore this message."
        ),
        secret_kind="password_reset",
        secret_ref=row.id,
    )
    record(
        session=session,
        actor=None,
        action="password.reset_requested",
        entity="user",
        entity_id=user.id,
    )
    session.commit()


def mint_reset_token(session: Session, ref_id: int) -> str | None:
    """Outbox minter: a fresh token for a reset still open (a newer one closes it)."""
    row = session.get(PasswordReset, ref_id, populate_existing=True)
    now = utcnow()
    if row is None or row.used_at is not None or _aware(row.expires_at) <= now:
        return None
    token = new_token()
    row.token_hash = token_hash(token)
    # The link's time runs from delivery: a queue that waited must not eat it.
    row.expires_at = now + timedelta(hours=RESET_HOURS)
    session.add(row)
    return token


def _open_reset(session: Session, token: str) -> PasswordReset | None:
    row = (
        session.exec(
            select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
        ).first()
        if token and len(token) <= 200
        else None
    )
    if row is None or row.used_at is not None or _aware(row.expires_at) <= utcnow():
        return None
    return row


def reset_link_is_open(*, session: Session, token: str) -> bool:
    """Whether a reset link can still be used (read only), so that the page can say at once
    that a used or expired link is dead instead of after the new password is typed."""
    return _open_reset(session, token) is not None


def reset_password(*, session: Session, token: str, new_password: str) -> User:
    """Set a new password from a reset link; closes every other link, session and token.

    Receiving the link proves the address, so an unconfirmed account becomes confirmed."""
    row = _open_reset(session, token)
    if row is None:
        raise ValidationFailed(
            {"token": "this reset link is invalid or has expired; ask for a new one"}
        )
    if problem := passwords.password_problem(new_password):
        raise ValidationFailed({"password": problem})
    user = get(session=session, user_id=row.user_id)
    user.password_hash = passwords.hash_password(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    _revoke_all(session, row.user_id)  # marks this and every other open reset used
    record(session=session, actor=user, action="password.reset", entity="user", entity_id=user.id)
    session.commit()
    return user


def set_password(
    *, session: Session, user: User, new_password: str, keep_session: str | None = None
) -> User:
    """Set a password; every other session, every API token and reset link is revoked."""
    if problem := passwords.password_problem(new_password):
        raise ValidationFailed({"password": problem})
    user.password_hash = passwords.hash_password(new_password)
    session.add(user)
    _revoke_all(session, user.id or 0, keep_session=keep_session)
    record(session=session, actor=user, action="password.change", entity="user", entity_id=user.id)
    session.commit()
    return user


def change_password(
    *,
    session: Session,
    actor: User,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
    address: str = "",
    max_failures: int = 5,
    address_max_failures: int = 20,
    account_max_failures: int = 50,
    window_minutes: int = 15,
    max_delay_seconds: int = 900,
) -> User:
    """Self-service change: the current password, then `set_password`."""
    user = confirm_password(
        session=session,
        actor=actor,
        password=current_password,
        address=address,
        max_failures=max_failures,
        address_max_failures=address_max_failures,
        account_max_failures=account_max_failures,
        window_minutes=window_minutes,
        max_delay_seconds=max_delay_seconds,
    )
    if new_password == current_password:
        raise ValidationFailed({"password": "must differ from the current password"})
    return set_password(
        session=session, user=user, new_password=new_password, keep_session=keep_session
    )


def confirm_password(
    *,
    session: Session,
    actor: User,
    password: str,
    address: str = "",
    max_failures: int = 5,
    address_max_failures: int = 20,
    account_max_failures: int = 50,
    window_minutes: int = 15,
    max_delay_seconds: int = 900,
) -> User:
    """The signed-in user again, once they have typed their current password.

    Asked before what a stolen session must not do alone (change the password, mint a
    token that outlives the session). A wrong password counts as a failed sign-in and the
    sign-in delays apply, or whoever holds a session cookie (a shared computer) could guess
    the password here without limit."""
    user = get(session=session, user_id=actor.id or 0)
    address = address_bucket(address)
    wait = login_delay(
        session=session,
        email=user.email,
        address=address,
        max_failures=max_failures,
        address_max_failures=address_max_failures,
        account_max_failures=account_max_failures,
        window_minutes=window_minutes,
        max_delay_seconds=max_delay_seconds,
    )
    if wait:
        raise RateLimited(
            f"Too many wrong passwords from your network. Try again in {wait} seconds."
        )
    if not passwords.verify_password(password, user.password_hash):
        session.add(LoginAttempt(email=user.email, address=address, success=False))
        session.commit()
        raise ValidationFailed({"current_password": "this is not your current password"})
    return user
