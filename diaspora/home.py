"""What each role's home page shows: counts and the next things to do."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from diaspora.accounts.models import Role, User
from diaspora.members.models import MemberProfile


def _count(session: Session, stmt: Any) -> int:
    return int(session.exec(select(func.count()).select_from(stmt.subquery())).one())


def summary(*, session: Session, actor: User) -> dict[str, Any]:
    """Counts for the actor's home page, scoped to what the actor may see."""
    from diaspora.assignments.models import Assignment
    from diaspora.placements.models import PlacementRequest
    from diaspora.responses.models import Response

    out: dict[str, Any] = {}
    if actor.role == Role.member:
        profile = session.exec(
            select(MemberProfile).where(MemberProfile.user_id == actor.id)
        ).first()
        out["profile"] = profile
        if profile is not None:
            out["assignments"] = _count(
                session, select(Assignment).where(Assignment.member_id == profile.id)
            )
            out["draft"] = session.exec(
                select(Response).where(Response.member_id == profile.id, Response.status == "draft")
            ).first()
            out["submitted"] = _count(
                session,
                select(Response).where(
                    Response.member_id == profile.id, Response.status == "submitted"
                ),
            )
    elif actor.role == Role.institution:
        out["requests"] = _count(
            session,
            select(PlacementRequest).where(PlacementRequest.institution_id == actor.institution_id),
        )
        out["open_requests"] = _count(
            session,
            select(PlacementRequest).where(
                PlacementRequest.institution_id == actor.institution_id,
                PlacementRequest.status == "approved",
            ),
        )
        out["assignments"] = _count(
            session, select(Assignment).where(Assignment.institution_id == actor.institution_id)
        )
    else:
        out["members"] = _count(
            session, select(MemberProfile).where(col(MemberProfile.erased_at).is_(None))
        )
        out["requests_to_review"] = _count(
            session, select(PlacementRequest).where(PlacementRequest.status == "submitted")
        )
        out["responses_to_review"] = _count(
            session,
            select(Response).where(
                Response.status == "submitted", Response.review_state == "received"
            ),
        )
        out["assignments_active"] = _count(
            session,
            select(Assignment).where(
                col(Assignment.status).in_(["approved", "accepted", "in_progress"])
            ),
        )  # type: ignore[attr-defined]
    return out
