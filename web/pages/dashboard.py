"""The mapping dashboard pages: the interactive view, a printable report, table exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from diaspora.analytics import service as analytics
from diaspora.errors import ValidationFailed
from web.deps import CurrentUser, SessionDep
from web.templating import render

router = APIRouter(prefix="/dashboard")


def N_(message: str) -> str:  # noqa: N802 - the gettext marker pybabel extracts
    return message


# Titles, headings and labels the service gives in English; listed so pybabel extracts
# them and the templates can translate them with _().
MESSAGES = (
    N_("Where the diaspora lives"), N_("Who they are"), N_("What they will do"),
    N_("Supply and demand"), N_("Over time"), N_("Members by country of residence"),
    N_("Age"), N_("Gender"), N_("Education level (ISCED 2011)"), N_("Field of education"),
    N_("Occupation group (ISCO-08 major group)"), N_("Sector"), N_("Years of experience"),
    N_("Languages"), N_("Willingness to contribute, by mode"),
    N_("Preferred duration of an assignment"), N_("Other contributions"),
    N_("Requested skills: open requests and willing members"),
    N_("Requested sectors: open requests and willing members"),
    N_("Willing members with the requested skills, by country of residence"),
    N_("Willing members with the requested sectors, by country of residence"),
    N_("Submitted responses per week, by survey round"), N_("Survey rounds compared"),
    N_("Country of residence"), N_("Code"), N_("Note"), N_("Members"), N_("Per cent"),
    N_("Per cent of members"), N_("Age band"), N_("Level"), N_("Field"),
    N_("Occupation group"), N_("Experience"), N_("Language"), N_("Skill"), N_("Mode"),
    N_("Duration"), N_("Contribution"), N_("Open requests"), N_("Positions"),
    N_("Willing members"), N_("Gap"), N_("Week starting"), N_("Indicator"),
    N_("Change (percentage points)"), N_("Total"), N_("Not stated"),
    N_("Not drawn on the map"), N_("Female"), N_("Male"), N_("Other"),
    N_("Prefer not to say"), N_("Temporary (weeks to months)"), N_("Permanent return"),
    N_("Virtual (online)"), N_("Any mode"), N_("No mode given"), N_("Investment"),
    N_("Mentoring"), N_("Knowledge transfer"), N_("Philanthropy"),
    N_("A member can be counted in several rows."),
    N_("Other (fewer than 5 each)"), N_("Country of origin"), N_("Programme"),
    N_("Survey round"), N_("Fewer than 5 people match these filters; widen the filters."),
    N_("Entries listed by fewer than 5 members are not shown."), N_("Message"),
)  # fmt: skip


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _page(request: Request, session: SessionDep, user: CurrentUser, template: str) -> Response:
    params = _params(request)
    try:
        view = analytics.dashboard(session=session, actor=user, params=request.query_params)
    except ValidationFailed as exc:
        session.rollback()
        context: dict[str, Any] = {
            "view": None,
            "errors": exc.errors,
            "values": params,
            "options": analytics.form_options(session=session, actor=user),
        }
        return render(request, "dashboard/index.html", context, status_code=422)
    options = analytics.form_options(session=session, actor=user)
    return render(
        request, template, {"view": view, "errors": {}, "values": params, "options": options}
    )


@router.get("")
def dashboard_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _page(request, session, user, "dashboard/index.html")


@router.get("/report")
def report_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _page(request, session, user, "dashboard/report.html")


@router.get("/export/{table}.{fmt}")
def export_table(
    table: str, fmt: str, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    exported = analytics.export(
        session=session, actor=user, params=request.query_params, table=table, fmt=fmt
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )
