"""Surveys, their immutable published versions, and responses pinned to a version."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from diaspora.common import json_field, utcnow


class VersionStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class ResponseStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


class ReviewState(StrEnum):
    received = "received"
    approved = "approved"
    rejected = "rejected"
    has_issues = "has_issues"


class Source(StrEnum):
    web = "web"
    kobo = "kobo"
    odk = "odk"
    csv = "csv"
    api = "api"


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    title: str = Field(max_length=200)
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")


class SurveyVersion(SQLModel, table=True):
    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    number: int = 1
    status: str = Field(default=VersionStatus.draft, max_length=20)
    definition: dict[str, Any] = json_field(default_factory=dict)
    source_filename: str = Field(default="", max_length=200)
    source_file: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class Response(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    version_id: int = Field(foreign_key="survey_version.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member_profile.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    answers: dict[str, Any] = json_field(default_factory=dict)
    status: str = Field(default=ResponseStatus.draft, max_length=20, index=True)
    source: str = Field(default=Source.web, max_length=10)
    external_id: str | None = Field(default=None, max_length=100)
    review_state: str = Field(default=ReviewState.received, max_length=20)
    review_comment: str = ""
    current_page: int = 0
    resume_token_hash: str | None = Field(default=None, max_length=64, index=True)
    resume_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None, index=True)
    version: int = 1


class ResponseAttachment(SQLModel, table=True):
    """A file a respondent uploaded for a media question; the answer holds its file name.

    Deleting the response deletes its files (the database cascades), so a discarded or
    restarted draft leaves nothing behind.
    """

    __tablename__ = "response_attachment"
    __table_args__ = (UniqueConstraint("response_id", "filename"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", ondelete="CASCADE")
    question: str = Field(max_length=300)  # the field path it answered, e.g. "rep[0].photo"
    filename: str = Field(max_length=120)  # sanitised, unique within the response
    content_type: str = Field(max_length=100)  # sniffed from the bytes, never the browser's
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    data: bytes = Field(sa_type=LargeBinary)
