"""The dashboard's aggregates as JSON, and its tables as CSV/XLSX, under /api/v1/analytics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from diaspora.analytics import service as analytics
from web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Every table of the dashboard for the filters given as query parameters."""
    view = analytics.dashboard(session=session, actor=user, params=request.query_params)
    return view.as_dict()


@router.get("/export/{table}.{fmt}")
def export_table(
    table: str, fmt: str, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """One table as CSV or XLSX (`all.xlsx`: every table, one sheet each); audited."""
    exported = analytics.export(
        session=session, actor=user, params=request.query_params, table=table, fmt=fmt
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )
