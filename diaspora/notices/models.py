"""Privacy notices: versioned per programme; a published version never changes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from diaspora.common import json_field, utcnow


class LegalBasis(StrEnum):
    consent = "consent"
    public_task = "public_task"


class PrivacyNotice(SQLModel, table=True):
    """One published version of a programme's notice (programme None: the platform's own).

    Rows are only ever inserted: editing a notice publishes the next version, so a
    consent that points at a version keeps pointing at the words the member read.
    """

    __tablename__ = "privacy_notice"
    __table_args__ = (UniqueConstraint("programme_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    version: int = 1
    controller: str = Field(max_length=300)
    contact: str = Field(max_length=500)
    dpo: str = Field(default="", max_length=500)
    purposes: dict[str, str] = json_field(default_factory=dict)
    legal_basis: str = Field(default=LegalBasis.consent, max_length=20)
    legal_basis_note: str = ""
    recipients: str = ""
    # The retention periods (days per kind of record) in force when it was published.
    retention: dict[str, int] = json_field(default_factory=dict)
    retention_note: str = ""
    rights: str = ""
    published_at: datetime = Field(default_factory=utcnow)
    published_by: int | None = Field(default=None, foreign_key="user.id")
