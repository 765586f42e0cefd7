"""Recording and reading the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlmodel import Session, col, select

from diaspora.audit.models import AuditEvent


class Actor(Protocol):
    id: int | None
    role: str


def record(
    *,
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's unit of work; the caller's commit makes it durable.

    Written in the same transaction as the change it describes, so a change never
    lands without its audit event and vice versa.
    """
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_role=str(actor.role) if actor else "system",
        action=action,
        entity=entity,
        entity_id="" if entity_id is None else str(entity_id),
        details=details or {},
    )
    session.add(event)
    return event


def history(*, session: Session, entity: str, entity_id: int | str) -> Sequence[AuditEvent]:
    """Every event about one record, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return session.exec(stmt).all()


def recent(
    *, session: Session, limit: int = 200, action: str | None = None
) -> Sequence[AuditEvent]:
    """The newest events, for the admin audit page."""
    stmt = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return session.exec(stmt).all()
