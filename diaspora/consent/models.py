"""Consent as a history: one row per purpose and notice version."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from diaspora.common import utcnow


class Purpose(StrEnum):
    mapping = "mapping"
    matching = "matching"
    contact = "contact"
    share_with_institution = "share_with_institution"
    research = "research"


class Consent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member_profile.id", index=True)
    purpose: str = Field(max_length=40, index=True)
    notice_version: str = Field(default="1", max_length=20)
    given_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    source: str = Field(default="web", max_length=20)
