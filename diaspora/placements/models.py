"""Placement requests posted by institutions, and shortlists built by matching."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from diaspora.common import json_field, utcnow


class RequestStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"  # shown to users as "open"
    filled = "filled"
    closed = "closed"
    rejected = "rejected"


class ShortlistStatus(StrEnum):
    suggested = "suggested"
    shortlisted = "shortlisted"
    contacted = "contacted"
    interested = "interested"
    declined = "declined"
    dismissed = "dismissed"


class PlacementRequest(SQLModel, table=True):
    __tablename__ = "placement_request"
    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    title: str = Field(max_length=200)
    description: str = ""
    sector: str = Field(default="", max_length=60, index=True)
    skills_essential: list[str] = json_field()
    skills_desirable: list[str] = json_field()
    languages: list[str] = json_field()
    min_education: int | None = None
    min_years_experience: int = 0
    mode: str = Field(default="temporary", max_length=20)
    duration_weeks: int | None = None
    start_from: date | None = None
    start_to: date | None = None
    location: str = Field(default="", max_length=200)
    positions: int = 1
    status: str = Field(default=RequestStatus.draft, max_length=20, index=True)
    status_reason: str = ""
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class ShortlistEntry(SQLModel, table=True):
    __tablename__ = "shortlist_entry"
    __table_args__ = (UniqueConstraint("request_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="placement_request.id", index=True)
    member_id: int = Field(foreign_key="member_profile.id", index=True)
    score: float = 0.0
    explanation: dict[str, Any] = json_field(default_factory=dict)
    rank: int = 0
    added_by: int | None = Field(default=None, foreign_key="user.id")
    status: str = Field(default=ShortlistStatus.suggested, max_length=20)
    contact_token_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1
