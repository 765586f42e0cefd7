"""Assignments: a member placed with an institution, followed to completion."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from diaspora.common import utcnow


class AssignmentStatus(StrEnum):
    proposed = "proposed"
    approved = "approved"
    accepted = "accepted"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"
    declined = "declined"


class Assignment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="placement_request.id", index=True)
    member_id: int = Field(foreign_key="member_profile.id", index=True)
    # Copied from the request so institution-scoped lists and reports need no join.
    institution_id: int = Field(foreign_key="institution.id", index=True)
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    mode: str = Field(default="temporary", max_length=20, index=True)
    status: str = Field(default=AssignmentStatus.proposed, max_length=20, index=True)
    status_reason: str = ""
    start_date: date | None = None
    end_date: date | None = None
    host_supervisor: str = Field(default="", max_length=200)
    allowance: str = Field(default="", max_length=100)
    travel_details: str = ""
    virtual_hours: int | None = None
    outcome_activities: str = ""
    people_trained: int | None = None
    deliverables: str = ""
    member_report: str = ""
    host_rating: int | None = None
    host_evaluation: str = ""
    member_rating: int | None = None
    member_evaluation: str = ""
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    version: int = 1
