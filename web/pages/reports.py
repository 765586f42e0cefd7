"""The programme report page and its CSV/XLSX downloads (staff)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from diaspora import reports
from diaspora.institutions import service as institutions
from web.deps import SessionDep, StaffUser
from web.templating import render

router = APIRouter()


def _filename(code: str | None, ext: str) -> str:
    safe = "".join(c for c in (code or "all") if c.isalnum() or c in "-_") or "all"
    return f"programme-report-{safe}.{ext}"


@router.get("/reports")
def report_page(
    request: Request, session: SessionDep, user: StaffUser, programme: str = ""
) -> Response:
    report = reports.programme_report(session=session, actor=user, programme_code=programme or None)
    return render(
        request,
        "reports/programme.html",
        {
            "report": report,
            "summary": reports.summary_rows(report),
            "programmes": institutions.get_all_programmes(session=session),
            "programme": programme,
        },
    )


@router.get("/reports/programme.csv")
def report_csv(session: SessionDep, user: StaffUser, programme: str = "") -> Response:
    report = reports.programme_report(session=session, actor=user, programme_code=programme or None)
    return Response(
        reports.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(programme, "csv")}"'},
    )


@router.get("/reports/programme.xlsx")
def report_xlsx(session: SessionDep, user: StaffUser, programme: str = "") -> Response:
    report = reports.programme_report(session=session, actor=user, programme_code=programme or None)
    return Response(
        reports.report_xlsx(report),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(programme, "xlsx")}"'},
    )
