"""Programmes (MIDA, TRQN, MIDWEB, GUYD...) and the institutions that host members."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from diaspora.common import json_field, utcnow


class InstitutionKind(StrEnum):
    ministry = "ministry"
    hospital = "hospital"
    university = "university"
    ngo = "ngo"
    private = "private"
    agency = "agency"


class Programme(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    description: str = ""
    countries_of_origin: list[str] = json_field()
    donor: str = Field(default="", max_length=200)
    allowed_modes: list[str] = json_field(
        default_factory=lambda: ["temporary", "permanent", "virtual"]
    )
    starts_on: date | None = None
    ends_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Institution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(default=InstitutionKind.ministry, max_length=20)
    country: str = Field(max_length=2, index=True)
    city: str = Field(default="", max_length=100)
    sector: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
