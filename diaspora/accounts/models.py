"""Users, server-side sessions, API tokens, login attempts and password resets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from diaspora.common import utcnow


class Role(StrEnum):
    member = "member"
    institution = "institution"
    staff = "staff"
    admin = "admin"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(default="", max_length=255)
    role: str = Field(default=Role.member, max_length=20, index=True)
    institution_id: int | None = Field(default=None, foreign_key="institution.id", index=True)
    display_name: str = Field(default="", max_length=200)
    locale: str = Field(default="en", max_length=10)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # Set when the owner of the address opened a verification (or reset) link, or when an
    # operator created the account. A self-registered account without it can sign in and
    # answer the survey, but is not treated as the owner of its address.
    email_verified_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A login. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_seen_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class AccessToken(SQLModel, table=True):
    """A personal access token for API clients (`Authorization: Bearer ...`)."""

    __tablename__ = "access_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """One failed or successful login, for per-account and per-address rate limits."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    address: str = Field(default="", max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    success: bool = False


class PasswordReset(SQLModel, table=True):
    """A reset link. The token is minted when the message is delivered (see outbox), so
    `token_hash` stays empty until then; only its hash is ever stored."""

    __tablename__ = "password_reset"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class EmailVerification(SQLModel, table=True):
    """A link proving that the account's owner reads its address (minted at delivery)."""

    __tablename__ = "email_verification"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class RateEvent(SQLModel, table=True):
    """One counted action (register, forgot-password) for rate limits shared by every app
    process. The key (an address or an email) is stored hashed: it is only compared."""

    __tablename__ = "rate_event"
    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40, index=True)
    key_hash: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
