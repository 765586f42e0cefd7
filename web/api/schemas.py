"""Pydantic shapes of the JSON API (tables are never returned directly)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


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
    institution_id: int | None = None
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
