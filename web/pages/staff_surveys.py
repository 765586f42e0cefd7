"""Staff pages for surveys: XLSForm upload, versions, publishing, responses, review,
corrections, Kobo/ODK imports and exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from diaspora.errors import DomainError, ValidationFailed
from diaspora.responses import attachments, service
from diaspora.responses import form as pageform
from diaspora.responses import review as reviewing
from diaspora.responses.imports import SOURCES, import_file
from surveys import Definition, coerce_answers, prepare_answers
from web.deps import Int64, SessionDep, SettingsDep, StaffUser
from web.pages.survey import file_context, file_links, posted_values, upload_limits, with_files
from web.pages.survey_text import texts
from web.templating import render

router = APIRouter(prefix="/staff/surveys")

# XLSForm conversion and imports parse megabytes of XML/CSV and write thousands of rows:
# they run on a worker thread (run_in_threadpool), so the event loop keeps answering every
# other request meanwhile (bench/import_concurrency.py measures it).  A thread rather than
# a process: the work is one transaction on the request's own session (an in-memory test
# database included); forking from a threaded server is unsafe (see the note on parallel
# imports in diaspora.responses.imports), and a spawned process would re-import the app
# and need the upload, the definition and the actor pickled to it.  The thread shares the
# GIL with the event loop, which still gets it every few milliseconds.

PER_PAGE = 50
_CONTROL = {"csrf_token", "action", "version", "expected_version"}


async def _upload(request: Request, field: str = "file") -> tuple[FormData, bytes, str]:
    form = await request.form()
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed({field: "choose a file to upload"})
    data = await upload.read()
    if not data:
        raise ValidationFailed({field: "the file is empty"})
    return form, data, upload.filename


def _language(request: Request, definition: Definition) -> str:
    locale = getattr(request.state, "locale", "en")
    return (
        locale if locale in definition.settings.languages else definition.settings.default_language
    )


# --------------------------------------------------------------------------- surveys and versions


def _list(request: Request, session: SessionDep, user: StaffUser, **extra: Any) -> Response:
    summaries = service.get_all(session=session, actor=user)
    ctx = {"summaries": summaries, "errors": {}, "values": {}, **extra}
    return render(
        request,
        "staff_surveys/list.html",
        ctx,
        status_code=422 if ctx["errors"] else 200,
    )


@router.get("")
def surveys(request: Request, session: SessionDep, user: StaffUser) -> Response:
    return _list(request, session, user)


@router.post("")
async def create(request: Request, session: SessionDep, user: StaffUser) -> Response:
    try:
        form, data, filename = await _upload(request)
        version = await run_in_threadpool(
            service.create_from_xlsform,
            session=session,
            actor=user,
            data=data,
            filename=filename,
            slug=str(form.get("slug") or "") or None,
        )
    except ValidationFailed as exc:
        session.rollback()
        return _list(request, session, user, errors=exc.errors, message=exc.message)
    survey = session.get(service.Survey, version.survey_id)
    return RedirectResponse(f"/staff/surveys/{survey.slug if survey else ''}?created=1", 303)


def _detail(
    request: Request, session: SessionDep, user: StaffUser, slug: str, **extra: Any
) -> Response:
    survey = service.get_survey(session=session, actor=user, slug=slug)
    versions = service.get_versions(session=session, actor=user, slug=slug)
    ctx = {
        "survey": survey,
        "versions": versions,
        "questions": service.summaries(versions),
        "states": reviewing.counts_by_state(session=session, actor=user, slug=slug),
        "errors": {},
        "notice": request.query_params.get("done", ""),
        **extra,
    }
    return render(
        request, "staff_surveys/detail.html", ctx, status_code=422 if ctx["errors"] else 200
    )


@router.get("/{slug}")
def detail(slug: str, request: Request, session: SessionDep, user: StaffUser) -> Response:
    return _detail(request, session, user, slug)


@router.post("/{slug}/versions")
async def upload_version(
    slug: str, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    service.get_survey(session=session, actor=user, slug=slug)
    try:
        _form, data, filename = await _upload(request)
        version = await run_in_threadpool(
            service.add_version,
            session=session,
            actor=user,
            slug=slug,
            data=data,
            filename=filename,
        )
    except ValidationFailed as exc:
        session.rollback()
        return _detail(request, session, user, slug, errors=exc.errors, message=exc.message)
    return RedirectResponse(f"/staff/surveys/{slug}?done=uploaded-v{version.number}", 303)


@router.get("/{slug}/versions/{number}")
def version_page(
    slug: str, number: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    version = service.get_version(session=session, actor=user, slug=slug, number=number)
    definition = service.definition(version)
    language = _language(request, definition)
    return render(
        request,
        "staff_surveys/version.html",
        {
            "survey": service.get_survey(session=session, actor=user, slug=slug),
            "version": version,
            "definition": definition,
            "fields": [
                (ref, definition.text(ref.question.label, language)) for ref in definition.fields()
            ],
        },
    )


@router.post("/{slug}/versions/{number}/publish")
def publish(slug: str, number: Int64, session: SessionDep, user: StaffUser) -> Response:
    service.publish(session=session, actor=user, slug=slug, number=number)
    return RedirectResponse(f"/staff/surveys/{slug}?done=published-v{number}", 303)


@router.post("/{slug}/versions/{number}/retire")
def retire(slug: str, number: Int64, session: SessionDep, user: StaffUser) -> Response:
    service.retire(session=session, actor=user, slug=slug, number=number)
    return RedirectResponse(f"/staff/surveys/{slug}?done=retired-v{number}", 303)


@router.get("/{slug}/versions/{number}/xlsform")
def download_form(slug: str, number: Int64, session: SessionDep, user: StaffUser) -> Response:
    filename, data = service.export_form(session=session, actor=user, slug=slug, number=number)
    return Response(
        data,
        media_type=reviewing.MEDIA_TYPES["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- responses


def _filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    version = params.get("version", "")
    return {
        "version": int(version) if version.isdigit() else None,
        "status": params.get("status") or None,
        "source": params.get("source") or None,
        "review_state": params.get("review_state") or None,
    }


@router.get("/{slug}/responses")
def responses(slug: str, request: Request, session: SessionDep, user: StaffUser) -> Response:
    survey = service.get_survey(session=session, actor=user, slug=slug)
    filters = _filters(request)
    page_text = request.query_params.get("page", "1")
    page_number = max(int(page_text), 1) if page_text.isdigit() else 1
    rows, total = reviewing.list_responses(
        session=session,
        actor=user,
        slug=slug,
        limit=PER_PAGE,
        offset=(page_number - 1) * PER_PAGE,
        **filters,
    )
    versions = service.get_versions(session=session, actor=user, slug=slug)
    query = {k: v for k, v in filters.items() if v is not None}
    pages_total = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render(
        request,
        "staff_surveys/responses.html",
        {
            "survey": survey,
            "rows": rows,
            "total": total,
            "filters": filters,
            "versions": [v.number for v in versions],
            "statuses": reviewing.STATUSES,
            "sources": reviewing.SOURCES,
            "states": reviewing.STATES,
            "page": page_number,
            "pages": pages_total,
            "query": urlencode(query),
            "prev_url": f"?{urlencode({**query, 'page': page_number - 1})}"
            if page_number > 1
            else None,
            "next_url": f"?{urlencode({**query, 'page': page_number + 1})}"
            if page_number < pages_total
            else None,
        },
    )


def _response_page(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    slug: str,
    response_id: Int64,
    **extra: Any,
) -> Response:
    response, definition = reviewing.view(
        session=session, actor=user, slug=slug, response_id=response_id
    )
    language = _language(request, definition)
    ctx = {
        "survey": service.get_survey(session=session, actor=user, slug=slug),
        "response": response,
        "pseudonym": reviewing.pseudonym_of(session, response.member_id),
        "review": pageform.review(definition, response.answers or {}, language=language),
        "files": file_links(session, response),
        "states": reviewing.STATES,
        "errors": {},
        "values": {},
        "notice": request.query_params.get("done", ""),
        **extra,
    }
    return render(
        request,
        "staff_surveys/response.html",
        ctx,
        status_code=422 if ctx["errors"] else 200,
    )


@router.get("/{slug}/responses/{response_id}")
def response_detail(
    slug: str, response_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    return _response_page(request, session, user, slug, response_id)


@router.post("/{slug}/responses/{response_id}/review")
async def set_review(
    slug: str, response_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    form = await request.form()
    values = {"state": str(form.get("state") or ""), "comment": str(form.get("comment") or "")}
    try:
        reviewing.set_review(
            session=session,
            actor=user,
            slug=slug,
            response_id=response_id,
            state=values["state"],
            comment=values["comment"],
        )
    except (ValidationFailed, DomainError) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"state": exc.message}
        return _response_page(
            request, session, user, slug, response_id, errors=errors, values=values
        )
    return RedirectResponse(
        f"/staff/surveys/{slug}/responses/{response_id}?done=reviewed", status_code=303
    )


def _edit_page(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    slug: str,
    response_id: Int64,
    *,
    raw: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    rows: dict[str, int] | None = None,
    answers: dict[str, Any] | None = None,
) -> Response:
    response, definition = reviewing.view(
        session=session, actor=user, slug=slug, response_id=response_id
    )
    language = _language(request, definition)
    current = answers if answers is not None else response.answers or {}
    views = [
        pageform.build_page(
            definition, current, index, language=language, raw=raw, errors=errors, rows=rows
        )
        for index in pageform.visible_pages(definition, current)
    ]
    placed = {k for view in views for k in view.errors if k not in view.unplaced_errors}
    return render(
        request,
        "staff_surveys/edit.html",
        {
            "survey": service.get_survey(session=session, actor=user, slug=slug),
            "response": response,
            "views": views,
            "errors": errors or {},
            "unplaced": {k: v for k, v in (errors or {}).items() if k not in placed},
            "t": texts(language),
            "suggestions": {},
            "skill_boxes": 5,
            "html_id": pageform.html_id,
            "uploads": True,
            "file_limit": attachments.size_text(request.app.state.settings.max_attachment_bytes),
            **file_context(session, response),
        },
        status_code=422 if errors else 200,
    )


@router.get("/{slug}/responses/{response_id}/edit")
def edit_form(
    slug: str, response_id: Int64, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    return _edit_page(request, session, user, slug, response_id)


@router.post("/{slug}/responses/{response_id}/edit")
async def edit(
    slug: str,
    response_id: Int64,
    request: Request,
    session: SessionDep,
    user: StaffUser,
    settings: SettingsDep,
) -> Response:
    form = await request.form()
    action = str(form.get("action") or "save")
    values = posted_values(form, _CONTROL)
    expected = str(form.get("expected_version") or "")
    if action.startswith(("add:", "remove:")):
        path = action.split(":", 1)[1]
        rows: dict[str, int] = {}
        if action.startswith("add:"):
            rows[path] = pageform.instance_count(values, path) + 1
        else:
            path, _, position = path.rpartition(":")
            if position.isdigit():
                values = pageform.remove_instance(values, path, int(position))
            rows[path] = max(pageform.instance_count(values, path), 1)
        return _edit_page(request, session, user, slug, response_id, raw=values, rows=rows)
    response, definition = reviewing.view(
        session=session, actor=user, slug=slug, response_id=response_id
    )
    try:
        _response, changed = reviewing.correct(
            session=session,
            actor=user,
            slug=slug,
            response_id=response_id,
            form=await with_files(form, dict(values), settings.max_attachment_bytes),
            expected_version=int(expected) if expected.isdigit() else None,
            language=_language(request, definition),
            limits=upload_limits(settings),
        )
    except ValidationFailed as exc:
        session.rollback()
        typed, _errors = _typed(definition, values)
        return _edit_page(
            request, session, user, slug, response_id, raw=values, errors=exc.errors, answers=typed
        )
    return RedirectResponse(
        f"/staff/surveys/{slug}/responses/{response_id}?done=corrected-{len(changed)}",
        status_code=303,
    )


def _typed(definition: Definition, values: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The posted answers, typed where possible, for re-showing a refused correction."""
    typed, errors = coerce_answers(definition, values)
    return prepare_answers(definition, typed), errors


# --------------------------------------------------------------------------- imports, exports


@router.get("/{slug}/import")
def import_form(slug: str, request: Request, session: SessionDep, user: StaffUser) -> Response:
    survey = service.get_survey(session=session, actor=user, slug=slug)
    versions = service.get_versions(session=session, actor=user, slug=slug)
    return render(
        request,
        "staff_surveys/import.html",
        {"survey": survey, "versions": versions, "sources": sorted(SOURCES), "errors": {}},
    )


@router.post("/{slug}/import")
async def import_submissions(
    slug: str, request: Request, session: SessionDep, user: StaffUser
) -> Response:
    survey = service.get_survey(session=session, actor=user, slug=slug)
    versions = service.get_versions(session=session, actor=user, slug=slug)
    ctx: dict[str, Any] = {"survey": survey, "versions": versions, "sources": sorted(SOURCES)}
    try:
        form, data, filename = await _upload(request)
        version = str(form.get("version") or "")
        report = await run_in_threadpool(
            import_file,
            session=session,
            actor=user,
            slug=slug,
            data=data,
            filename=filename,
            source=str(form.get("source") or "") or None,
            version=int(version) if version.isdigit() else None,
        )
    except ValidationFailed as exc:
        session.rollback()
        return render(
            request,
            "staff_surveys/import.html",
            {**ctx, "errors": exc.errors, "message": exc.message},
            status_code=422,
        )
    except DomainError as exc:
        session.rollback()
        return render(
            request,
            "staff_surveys/import.html",
            {**ctx, "errors": {"file": exc.message}, "message": exc.message},
            status_code=422,
        )
    return render(
        request,
        "staff_surveys/import.html",
        {**ctx, "errors": {}, "report": report, "filename": filename},
    )


@router.get("/{slug}/export")
def export(slug: str, request: Request, session: SessionDep, user: StaffUser) -> Response:
    params = request.query_params
    filters = _filters(request)
    if params.get("status") == "all":
        filters["status"] = None
    elif filters["status"] is None:
        filters["status"] = "submitted"
    definition_language = getattr(request.state, "locale", "en")
    filename, media_type, data = reviewing.export(
        session=session,
        actor=user,
        slug=slug,
        fmt=params.get("format", "csv"),
        headers="labels" if params.get("headers") == "labels" else "names",
        language=definition_language,
        **filters,
    )
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
