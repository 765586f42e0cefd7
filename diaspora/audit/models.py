"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from diaspora.common import json_field, utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, when. `details` never holds personal data."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_role: str = Field(default="system", max_length=20)
    action: str = Field(max_length=60, index=True)
    entity: str = Field(max_length=40)
    entity_id: str = Field(default="", max_length=64)
    details: dict[str, Any] = json_field(default_factory=dict)
