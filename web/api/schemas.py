"""Pydantic shapes of the JSON API (tables are never returned directly)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from web.deps import Int32, Int64


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    role: str
    institution_id: int | None
    display_name: str
    locale: str
    is_active: bool
    # None: a self-registered account whose owner has not confirmed the address yet.
    email_verified_at: datetime | None = None


class UserCreate(BaseModel):
    email: str = Field(max_length=320)
    password: str | None = Field(default=None, max_length=256)
    role: str
    institution_id: Int64 | None = None
    display_name: str = Field(default="", max_length=200)


class RegisterIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    display_name: str = Field(default="", max_length=200)


class ProfilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    pseudonym: str
    residence_country: str
    residence_city: str
    origin_country: str
    nationality: str
    gender: str
    birth_year: int | None
    education_level: int | None
    education_field: str
    occupation_title: str
    occupation_code: str
    sector: str
    sectors: list[str]
    years_experience: int
    skills: list[str]
    languages: list[dict[str, str]]
    modes: list[str]
    preferred_duration: str
    available_from: date | None
    available_to: date | None
    contributions: list[str]
    professional_associations: str
    priorities: str
    updated_at: datetime
    version: int


class ConsentsIn(BaseModel):
    consents: dict[str, bool]


class LanguageIn(BaseModel):
    code: str = Field(max_length=10, description="ISO 639-1, such as en or fr")
    level: str | None = Field(default="", max_length=10, description="A1-C2 or native")


class ProfileUpdate(BaseModel):
    """The fields a member may change; those left out stay as they are.  Types are
    checked here, meanings (codes, ranges, dates against each other) by the service."""

    residence_country: str | None = Field(default=None, max_length=10)
    residence_city: str | None = Field(default=None, max_length=2000)
    origin_country: str | None = Field(default=None, max_length=10)
    nationality: str | None = Field(default=None, max_length=10)
    gender: str | None = Field(default=None, max_length=50)
    birth_year: Int32 | None = None
    education_level: Int32 | None = Field(default=None, description="ISCED level 0-8")
    education_field: str | None = Field(default=None, max_length=2000)
    occupation_title: str | None = Field(default=None, max_length=2000)
    occupation_code: str | None = Field(default=None, max_length=2000)
    sector: str | None = Field(default=None, max_length=100)
    sectors: list[str] | None = None
    years_experience: Int32 | None = None
    skills: list[str] | None = None
    languages: list[LanguageIn] | None = Field(
        default=None, description='objects, or "code:level" strings such as "fr:B2"'
    )
    modes: list[str] | None = None
    preferred_duration: str | None = Field(default=None, max_length=2000)
    available_from: date | None = None
    available_to: date | None = None
    contributions: list[str] | None = None
    professional_associations: str | None = Field(default=None, max_length=2000)
    priorities: str | None = Field(default=None, max_length=2000)
    heard_about: str | None = Field(default=None, max_length=2000)
    first_name: str | None = Field(default=None, max_length=320)
    last_name: str | None = Field(default=None, max_length=320)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=320)
    version: Int64 | None = Field(
        default=None, description="the version you read; a stale one is refused (409)"
    )

    @field_validator("languages", mode="before")
    @classmethod
    def _language_strings(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [
            dict(zip(("code", "level"), item.partition(":")[::2], strict=True))
            if isinstance(item, str)
            else item
            for item in value
        ]
