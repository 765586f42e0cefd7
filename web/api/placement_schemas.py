"""Shapes of the placement API: requests, shortlists, assignments, opportunities, reports.

Field types are kept loose where the service validates meaning (modes, codes, dates against
each other), so every refusal names its field the same way on pages and in the API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from web.deps import Int32, Int64


class RequestFields(BaseModel):
    programme_id: Int64 | None = None
    programme: str | None = Field(default=None, description="programme code, instead of its id")
    title: str = Field(default="", max_length=400)
    description: str = Field(default="", max_length=10000)
    sector: str = ""
    skills_essential: list[str] = []
    skills_desirable: list[str] = []
    languages: list[str] = Field(default=[], description="ISO 639-1 codes, all required")
    min_education: Int32 | None = Field(default=None, description="ISCED level 0-8")
    min_years_experience: Int32 = 0
    mode: str = "temporary"
    duration_weeks: Int32 | None = None
    start_from: date | None = None
    start_to: date | None = None
    location: str = ""
    positions: Int32 = 1


class RequestCreate(RequestFields):
    institution_id: Int64 | None = Field(default=None, description="staff only: the host")
    submit: bool = Field(default=False, description="submit for review right away")


class RequestUpdate(BaseModel):
    programme_id: Int64 | None = None
    programme: str | None = None
    title: str | None = Field(default=None, max_length=400)
    description: str | None = Field(default=None, max_length=10000)
    sector: str | None = None
    skills_essential: list[str] | None = None
    skills_desirable: list[str] | None = None
    languages: list[str] | None = None
    min_education: Int32 | None = None
    min_years_experience: Int32 | None = None
    mode: str | None = None
    duration_weeks: Int32 | None = None
    start_from: date | None = None
    start_to: date | None = None
    location: str | None = None
    positions: Int32 | None = None
    version: Int64 = Field(description="the version you read; a stale one is refused (409)")


class RequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    institution_id: int
    programme_id: int | None
    title: str
    description: str
    sector: str
    skills_essential: list[str]
    skills_desirable: list[str]
    languages: list[str]
    min_education: int | None
    min_years_experience: int
    mode: str
    duration_weeks: int | None
    start_from: date | None
    start_to: date | None
    location: str
    positions: int
    status: str
    status_reason: str
    created_at: datetime
    updated_at: datetime
    version: int
    allowed_transitions: list[str] = []


class TransitionIn(BaseModel):
    to: str
    reason: str = Field(default="", max_length=2000)
    version: Int64 = Field(description="the version you read; a stale one is refused (409)")


class ShortlistEntryPublic(BaseModel):
    """Pseudonymised: never a name or contact. Staff also get modes, languages, explanation."""

    id: int
    version: int
    status: str
    rank: int
    score: float
    pseudonym: str
    skills: list[str]
    residence_country: str
    # Staff: exact years; institutions: None, with `experience` as a band ("6-10").
    years_experience: int | None
    experience: str
    member_id: int | None = None
    modes: list[str] | None = None
    languages: list[str] | None = None
    explanation: dict[str, Any] | None = None
    allowed_transitions: list[str] | None = None


class EntryTransitionIn(BaseModel):
    to: str
    version: Int64


class AssignmentDetails(BaseModel):
    mode: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    host_supervisor: str | None = Field(default=None, max_length=400)
    allowance: str | None = Field(default=None, max_length=200)
    travel_details: str | None = Field(default=None, max_length=10000)
    virtual_hours: Int32 | None = None
    outcome_activities: str | None = Field(default=None, max_length=10000)
    people_trained: Int32 | None = None
    deliverables: str | None = Field(default=None, max_length=10000)


class AssignmentCreate(AssignmentDetails):
    entry_id: Int64 = Field(description="the shortlist entry of the member to propose")


class AssignmentUpdate(AssignmentDetails):
    version: Int64


class AssignmentTransitionIn(AssignmentDetails):
    to: str
    reason: str = Field(default="", max_length=2000)
    version: Int64


class EvaluationIn(BaseModel):
    party: str = Field(description="host or member")
    rating: Int32 = Field(description="1 (poor) to 5 (excellent)")
    text: str = Field(default="", max_length=10000)
    report: str | None = Field(default=None, max_length=20000, description="member's report")
    version: Int64


class MemberIdentityPublic(BaseModel):
    first_name: str
    last_name: str
    email: str
    phone: str


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    request_id: int
    institution_id: int
    programme_id: int | None
    mode: str
    status: str
    status_reason: str
    start_date: date | None
    end_date: date | None
    host_supervisor: str
    allowance: str
    travel_details: str
    virtual_hours: int | None
    outcome_activities: str
    people_trained: int | None
    deliverables: str
    member_report: str
    host_rating: int | None
    host_evaluation: str
    member_rating: int | None
    member_evaluation: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int
    pseudonym: str = ""
    member: MemberIdentityPublic | None = Field(
        default=None, description="only once released to the viewer (each read audited)"
    )
    allowed_transitions: list[str] = []


class OpportunityPublic(BaseModel):
    request_id: int
    title: str
    description: str
    institution: str
    programme: str
    sector: str
    mode: str
    duration_weeks: int | None
    start_from: date | None
    start_to: date | None
    location: str
    languages: list[str]
    skills_essential: list[str]
    skills_desirable: list[str]
    score: float
    explanation: dict[str, Any]
    answer: str


class AnswerIn(BaseModel):
    answer: str = Field(description="interested or declined")


class ReportTable(BaseModel):
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


class ReportPublic(BaseModel):
    programme: str | None
    members_placed: int
    members_placed_by_mode: dict[str, int]
    assignments: int
    completed: int
    people_trained: int
    host_rating_avg: float | None
    member_rating_avg: float | None
    host_ratings: int
    member_ratings: int
    tables: list[ReportTable]
