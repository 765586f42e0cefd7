"""Member profiles. Identity (names, contact) lives apart so erasure can blank it alone."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from diaspora.common import json_field, utcnow

MODES = ("temporary", "permanent", "virtual")
CONTRIBUTIONS = ("investment", "mentoring", "knowledge_transfer", "philanthropy")
# Record keys of the cell-key method (see diaspora/analytics/privacy.py): 0-255, drawn once.
RECORD_KEY_RANGE = 256


def new_record_key() -> int:
    """A member's fixed random record key; every writer of new profiles draws one."""
    return secrets.randbelow(RECORD_KEY_RANGE)


class MemberProfile(SQLModel, table=True):
    """What a member can do and will do; referred to everywhere by id or pseudonym."""

    __tablename__ = "member_profile"
    __table_args__ = (
        Index("ix_member_profile_mapping_residence", "consent_mapping", "residence_country"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", unique=True)
    pseudonym: str = Field(max_length=12, unique=True, index=True)
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    residence_country: str = Field(default="", max_length=2, index=True)
    residence_city: str = Field(default="", max_length=100)
    origin_country: str = Field(default="", max_length=2, index=True)
    nationality: str = Field(default="", max_length=2)
    gender: str = Field(default="", max_length=20)
    # Kept after erasure, rounded to the decade, so age bands still add up.
    birth_year: int | None = None
    education_level: int | None = Field(default=None, description="ISCED 2011 level 0-8")
    education_field: str = Field(default="", max_length=120)
    occupation_title: str = Field(default="", max_length=200)
    occupation_code: str = Field(default="", max_length=200, description="ESCO URI or ISCO code")
    isco_major: str = Field(default="", max_length=1, index=True)
    sector: str = Field(default="", max_length=60, index=True)
    sectors: list[str] = json_field()
    years_experience: int = 0
    skills: list[str] = json_field()
    skill_ids: list[str] = json_field()
    languages: list[dict[str, str]] = json_field()
    modes: list[str] = json_field()
    # Flags mirror `modes`/`contributions` so aggregates are plain indexed GROUP BYs.
    mode_temporary: bool = False
    mode_permanent: bool = False
    mode_virtual: bool = False
    preferred_duration: str = Field(default="", max_length=40)
    available_from: date | None = None
    available_to: date | None = None
    contributions: list[str] = json_field()
    contrib_investment: bool = False
    contrib_mentoring: bool = False
    contrib_knowledge_transfer: bool = False
    contrib_philanthropy: bool = False
    professional_associations: str = ""
    priorities: str = ""
    heard_about: str = Field(default="", max_length=60)
    # Maintained by the consent service from the consent history (the source of truth),
    # so dashboards and matching can filter without a join per member.
    consent_mapping: bool = Field(default=False, index=True)
    consent_matching: bool = False
    survey_version_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow)
    erased_at: datetime | None = None
    version: int = 1
    # Fixed at creation, never shown: the noise of every published count derives from
    # the keys of the members counted (cell-key method, diaspora/analytics/privacy.py).
    record_key: int = Field(default_factory=new_record_key)


class MemberIdentity(SQLModel, table=True):
    """Names and contact details: the columns erasure blanks."""

    __tablename__ = "member_identity"
    member_id: int = Field(foreign_key="member_profile.id", primary_key=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    birth_date: date | None = None


class MemberSkill(SQLModel, table=True):
    """One skill of a member, as written and as normalised, for grouped counts."""

    __tablename__ = "member_skill"
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member_profile.id", index=True)
    label: str = Field(max_length=200, index=True)
    concept_id: str = Field(default="", max_length=200, index=True)


class MemberLanguage(SQLModel, table=True):
    __tablename__ = "member_language"
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member_profile.id", index=True)
    code: str = Field(max_length=3, index=True)
    level: str = Field(default="", max_length=10)
