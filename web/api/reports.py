"""The programme report over the API (staff)."""

from __future__ import annotations

from fastapi import APIRouter

from diaspora import reports
from web.api.placement_schemas import ReportPublic, ReportTable
from web.deps import SessionDep, StaffUser

router = APIRouter(tags=["reports"])


@router.get("/reports/programme", response_model=ReportPublic)
def programme_report(session: SessionDep, user: StaffUser, programme: str = "") -> ReportPublic:
    r = reports.programme_report(session=session, actor=user, programme_code=programme or None)
    return ReportPublic(
        programme=r.programme.code if r.programme else None,
        members_placed=r.members_placed,
        members_placed_by_mode=r.members_placed_by_mode,
        assignments=r.assignments,
        completed=r.completed,
        people_trained=r.people_trained,
        host_rating_avg=r.host_rating_avg,
        member_rating_avg=r.member_rating_avg,
        host_ratings=r.host_ratings,
        member_ratings=r.member_ratings,
        tables=[
            ReportTable(key=t.key, title=t.title, headers=t.headers, rows=t.rows) for t in r.tables
        ],
    )
