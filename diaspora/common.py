"""Small helpers shared by every domain."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field


def utcnow() -> datetime:
    """Aware UTC now (SQLModel's datetime columns store and return aware UTC values)."""
    return datetime.now(UTC)


def new_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe token."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """What we store instead of a bearer secret, so a database leak does not leak sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def json_field(default_factory: Any = list, **kwargs: Any) -> Any:
    """A JSON column (lists and dicts) that works on SQLite and PostgreSQL."""
    return Field(default_factory=default_factory, sa_type=JSON, **kwargs)
