"""Admin-set retention periods, one row per kind of record."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from diaspora.common import utcnow


class RetentionSetting(SQLModel, table=True):
    __tablename__ = "retention_setting"
    kind: str = Field(primary_key=True, max_length=40)
    days: int
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
