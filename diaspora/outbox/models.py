"""Outgoing messages; delivered by SMTP when configured, otherwise logged."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from diaspora.common import utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320)
    to_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    subject: str = Field(max_length=300)
    body: str = ""
    kind: str = Field(default="", max_length=60, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None
    status: str = Field(default="queued", max_length=20, index=True)
    error: str = ""
    # A message carrying a secret link: the body holds outbox.service.SECRET in place of the
    # token; delivery mints the token for the row named here and writes it only into the
    # message handed to SMTP (or the local mail sink). See outbox.service.MINTERS.
    secret_kind: str = Field(default="", max_length=40)
    secret_ref: int | None = None
