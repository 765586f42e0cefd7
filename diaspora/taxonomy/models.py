"""Skill and occupation concepts: a small built-in set, or the full ESCO classification."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from diaspora.common import json_field


class SkillConcept(SQLModel, table=True):
    __tablename__ = "skill_concept"
    id: str = Field(primary_key=True, max_length=200)
    kind: str = Field(default="skill", max_length=20, index=True)
    preferred_label: str = Field(max_length=300, index=True)
    labels: dict[str, Any] = json_field(default_factory=dict)
    isco_group: str = Field(default="", max_length=10, index=True)
    essential_skills: list[str] = json_field()
    optional_skills: list[str] = json_field()
    source: str = Field(default="builtin", max_length=20)
