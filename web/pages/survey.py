"""The respondent's survey: one page per group, skip logic, drafts, resume links, review.

Everything works with plain HTML forms; htmx only re-renders the questions when an
answer changes (so skip logic shows at once) and fetches skill suggestions.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from diaspora.config import Settings
from diaspora.errors import NotFound, ValidationFailed
from diaspora.responses import attachments, consents, respond
from diaspora.responses import form as pageform
from diaspora.responses.definitions import load_definition
from diaspora.responses.models import Response as SurveyResponse
from diaspora.responses.service import respondent_survey
from diaspora.taxonomy.service import suggest
from surveys import Definition, pages, prepare_answers
from web.deps import CurrentUser, Int64, MemberUser, OptionalUser, SessionDep, SettingsDep
from web.i18n import LOCALES
from web.pages.survey_text import texts
from web.security import CSRF_FIELD
from web.templating import render

router = APIRouter(prefix="/survey")

RTL = {"ar", "fa", "he", "ur", "ps", "dv", "yi", "ckb", "sd", "ug"}
SURVEY_LANG_COOKIE = "diaspora_survey_lang"
SKILL_BOXES = 5
_CONTROL_FIELDS = {CSRF_FIELD, "action", "version"}
# A file question posts its current file name under its path (a hidden input), a new
# file under path + FILE_SUFFIX and the "remove" box under path + REMOVE_SUFFIX.
FILE_SUFFIX = ".__file__"
REMOVE_SUFFIX = ".__remove__"


# --------------------------------------------------------------------------- helpers


def _language(request: Request, definition: Definition) -> str:
    """The survey's language: ?slang=, else the interface locale, else the form's default."""
    languages = definition.settings.languages
    chosen = request.query_params.get("slang")
    if chosen in languages:
        request.state.survey_lang = chosen
        return chosen
    if request.query_params.get("lang") is None:
        remembered = request.cookies.get(SURVEY_LANG_COOKIE)
        if remembered in languages:
            return remembered
    locale = getattr(request.state, "locale", "en")
    if locale in languages:
        return locale
    return definition.settings.default_language


def _remember_language(request: Request, response: Response) -> Response:
    chosen = getattr(request.state, "survey_lang", None)
    if chosen:
        response.set_cookie(SURVEY_LANG_COOKIE, chosen, samesite="lax", path="/survey")
    elif request.query_params.get("lang"):
        response.delete_cookie(SURVEY_LANG_COOKIE, path="/survey")
    return response


def _context(request: Request, definition: Definition, **extra: Any) -> dict[str, Any]:
    language = _language(request, definition)
    return {
        "t": texts(language),
        "slang": language,
        "sdir": "rtl" if language in RTL else "ltr",
        "survey_languages": [
            (code, LOCALES.get(code) or code) for code in definition.settings.languages
        ],
        "ui_locales": LOCALES,
        "definition": definition,
        "html_id": pageform.html_id,
        **extra,
    }


def posted_values(form: FormData, control: Collection[str] = _CONTROL_FIELDS) -> dict[str, Any]:
    """Posted answers keyed by field path; a field posted several times is a list.  File
    parts are left to `with_files`."""
    values: dict[str, Any] = {}
    for key in form:
        if key in control or key.endswith((FILE_SUFFIX, REMOVE_SUFFIX)):
            continue
        items = [str(v) for v in form.getlist(key) if not isinstance(v, UploadFile)]
        values[key] = items[0] if len(items) == 1 else items
    return values


async def with_files(form: FormData, values: dict[str, Any], limit: int) -> dict[str, Any]:
    """The posted answers with each chosen file as an `Upload` at its question's path, and
    a blank answer where "remove this file" is ticked (a new file wins over removing)."""
    for key in form:
        if key.endswith(REMOVE_SUFFIX):
            values[key[: -len(REMOVE_SUFFIX)]] = ""
    for key in form:
        part = form.get(key)
        if not key.endswith(FILE_SUFFIX) or not isinstance(part, UploadFile) or not part.filename:
            continue
        path = key[: -len(FILE_SUFFIX)]
        # Read no more than can be accepted: the size is known without the rest.
        data = await part.read(limit + 1)
        size = max(part.size or 0, len(data))
        replaces = form.get(path)
        values[path] = attachments.Upload(
            part.filename, data, size, replaces if isinstance(replaces, str) else ""
        )
    return values


def upload_limits(settings: Settings) -> attachments.Limits:
    return attachments.Limits(
        per_file=settings.max_attachment_bytes,
        per_response=settings.max_response_attachment_bytes,
    )


def _typed_only(definition: Definition, values: dict[str, Any]) -> dict[str, Any]:
    """What was typed, to show again; file questions show what is stored instead."""
    names = pageform.upload_names(definition)
    return {k: v for k, v in values.items() if not pageform.is_upload(k, names)}


def file_links(session: Any, response: SurveyResponse) -> dict[str, dict[str, str]]:
    """File name → link and size, for the response's uploaded files."""
    return {
        name: {
            "url": f"/survey/responses/{response.id}/files/{info.id}",
            "size": attachments.size_text(info.size),
            "type": info.content_type,
        }
        for name, info in attachments.describe(session=session, response=response).items()
    }


def file_context(session: Any, response: SurveyResponse) -> dict[str, Any]:
    return {"files": file_links(session, response), "accept": attachments.PICKER}


def _repeat_paths(definition: Definition, index: Int64) -> list[str]:
    return [
        node.name
        for node in pages(definition)[index].nodes
        if getattr(node, "kind", "") == "repeat"
    ]


def _compact(values: dict[str, Any], repeats: list[str]) -> dict[str, Any]:
    """Drop repeat rows left entirely blank, so row numbers match what is stored."""
    for path in repeats:
        for position in reversed(range(pageform.instance_count(values, path))):
            prefix = f"{path}[{position}]."
            row = {k: v for k, v in values.items() if k.startswith(prefix)}
            if all(k.endswith(".__row__") or pageform.is_blank(v) for k, v in row.items()):
                values = pageform.remove_instance(values, path, position)
    return values


def _page_url(response: SurveyResponse, definition: Definition) -> str:
    if response.current_page >= len(pages(definition)):
        return "/survey/review"
    return f"/survey/page/{response.current_page}"


def _draft(session: Any, user: Any) -> SurveyResponse | None:
    return respond.current_draft(session=session, actor=user)


def _suggestions(session: Any, view: pageform.PageView) -> dict[str, list[str]]:
    """Datalist options per skill/occupation field, from what is typed around it."""
    out: dict[str, list[str]] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, pageform.Field) and item.widget in ("skill", "occupation"):
                kind = "occupation" if item.widget == "occupation" else "skill"
                seeds = item.values if item.widget == "skill" else [item.value]
                found: list[str] = []
                for seed in seeds[:5]:
                    found += suggest(session=session, q=seed, kind=kind, limit=5)
                out[item.path] = list(dict.fromkeys(found))[:20]
            elif isinstance(item, pageform.Section):
                walk(item.items)
            elif isinstance(item, pageform.Repeat):
                for instance in item.instances:
                    walk(instance.items)

    walk(view.items)
    return out


def _render_page(
    request: Request,
    session: Any,
    draft: SurveyResponse,
    definition: Definition,
    index: Int64,
    answers: dict[str, Any],
    *,
    raw: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    rows: dict[str, int] | None = None,
    template: str = "survey/page.html",
    status_code: int = 200,
    saved: bool = False,
) -> Response:
    ctx = _context(request, definition)
    view = pageform.build_page(
        definition, answers, index, language=ctx["slang"], raw=raw, errors=errors, rows=rows
    )
    ctx.update(
        view=view,
        draft=draft,
        suggestions=_suggestions(session, view),
        skill_boxes=SKILL_BOXES,
        saved=saved,
        last_page=view.next is None,
        from_review=request.query_params.get("from") == "review",
        uploads=True,
        file_limit=attachments.size_text(request.app.state.settings.max_attachment_bytes),
        **file_context(session, draft),
    )
    if consents.asks_consent(definition, pageform.page_names(pages(definition)[index])):
        ctx["privacy_notice"] = consents.shown_notice(session, draft.version_id)
        ctx["asks_consent"] = True
    response = render(request, template, ctx, status_code=status_code)
    return _remember_language(request, response)


# --------------------------------------------------------------------------- landing


@router.get("")
def landing(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    found = respondent_survey(session=session)
    definition = load_definition(session, found[1].id or 0) if found else None
    ctx: dict[str, Any] = {
        "survey": found[0] if found else None,
        "version": found[1] if found else None,
    }
    if definition is not None:
        ctx.update(_context(request, definition))
    else:
        ctx.update(t=texts(getattr(request.state, "locale", "en")), slang="en", sdir="ltr")
    if user is not None and user.role == "member":
        ctx["draft"] = _draft(session, user)
        ctx["submitted"] = respond.last_submitted(session=session, actor=user)
    if found is not None:
        ctx["privacy_notice"] = consents.shown_notice(session, found[1].id or 0)
    ctx["sent"] = request.query_params.get("sent") == "1"
    ctx["saved"] = request.query_params.get("saved") == "1"
    return _remember_language(request, render(request, "survey/landing.html", ctx))


@router.post("/start")
async def start(request: Request, session: SessionDep, user: MemberUser) -> Response:
    form = await request.form()
    draft = respond.start(session=session, actor=user, restart=form.get("restart") == "1")
    definition = respond.definition_for(session=session, response=draft)
    return RedirectResponse(_page_url(draft, definition), status_code=303)


@router.get("/continue")
def continue_draft(session: SessionDep, user: MemberUser) -> Response:
    draft = _draft(session, user)
    if draft is None:
        return RedirectResponse("/survey", status_code=303)
    definition = respond.definition_for(session=session, response=draft)
    return RedirectResponse(_page_url(draft, definition), status_code=303)


# --------------------------------------------------------------------------- pages


@router.get("/page/{index}")
def page(index: Int64, request: Request, session: SessionDep, user: MemberUser) -> Response:
    draft = _draft(session, user)
    if draft is None:
        return RedirectResponse("/survey", status_code=303)
    definition = respond.definition_for(session=session, response=draft)
    if not 0 <= index < len(pages(definition)):
        raise NotFound("No such page.")
    answers = draft.answers or {}
    visible = pageform.visible_pages(definition, answers)
    if index not in visible:
        # Skip logic hides this page now: go to the next page that applies.
        following = min((i for i in visible if i > index), default=None)
        target = "/survey/review" if following is None else f"/survey/page/{following}"
        return RedirectResponse(target, status_code=303)
    return _render_page(request, session, draft, definition, index, answers)


# A page with a file question posts to ".../upload": the body limit for uploads applies
# there (web/app.py), so a file over the attachment limit gets a field error, not a 413.
@router.post("/page/{index}")
@router.post("/page/{index}/upload")
async def save(
    index: Int64,
    request: Request,
    session: SessionDep,
    user: MemberUser,
    settings: SettingsDep,
) -> Response:
    draft = _draft(session, user)
    if draft is None:
        return RedirectResponse("/survey", status_code=303)
    definition = respond.definition_for(session=session, response=draft)
    if not 0 <= index < len(pages(definition)):
        raise NotFound("No such page.")
    form = await request.form()
    action = str(form.get("action") or "next")
    values = await with_files(form, posted_values(form), settings.max_attachment_bytes)
    repeats = _repeat_paths(definition, index)
    rows: dict[str, int] = {}
    move: respond.Move = "next"
    if action.startswith("add:"):
        path = action[4:]
        rows[path] = pageform.instance_count(values, path) + 1
        move = "stay"
    elif action.startswith("remove:"):
        path, _, position = action[7:].rpartition(":")
        if position.isdigit():
            values = pageform.remove_instance(values, path, int(position))
        rows[path] = max(pageform.instance_count(values, path), 1)
        move = "stay"
    else:
        values = _compact(values, repeats)
        move = {"back": "back", "save": "stay", "review": "review"}.get(action, "next")  # type: ignore[assignment]
    ctx_language = _language(request, definition)
    result = respond.save_page(
        session=session,
        actor=user,
        response_id=draft.id or 0,
        page_index=index,
        form=values,
        move=move,
        language=ctx_language,
        limits=upload_limits(settings),
    )
    if result.errors or rows:
        return _render_page(
            request,
            session,
            result.response,
            definition,
            index,
            result.answers,
            raw=_typed_only(definition, values),
            errors=result.errors,
            rows=rows,
            status_code=422 if result.errors else 200,
        )
    if action == "save":
        return RedirectResponse("/survey?saved=1", status_code=303)
    target = "/survey/review" if result.target is None else f"/survey/page/{result.target}"
    return RedirectResponse(target, status_code=303)


@router.post("/page/{index}/refresh")
async def refresh(
    index: Int64, request: Request, session: SessionDep, user: MemberUser
) -> Response:
    """htmx: save what is typed; re-render the questions only when what they show changes
    (skip logic, a value that cannot be read), so typing elsewhere is never overwritten."""
    draft = _draft(session, user)
    if draft is None:
        raise NotFound("You have no survey in progress.")
    definition = respond.definition_for(session=session, response=draft)
    if not 0 <= index < len(pages(definition)):
        raise NotFound("No such page.")
    values = posted_values(await request.form())
    rows = {
        path: max(pageform.instance_count(values, path), 1)
        for path in _repeat_paths(definition, index)
    }
    language = _language(request, definition)
    raw = _typed_only(definition, values)
    before = pageform.build_page(
        definition, draft.answers or {}, index, language=language, raw=raw, rows=rows
    )
    result = respond.save_page(
        session=session,
        actor=user,
        response_id=draft.id or 0,
        page_index=index,
        form=values,
        move="stay",
        language=language,
        keep_page=True,
    )
    half = pageform.half_typed_locations(definition, values)
    errors = {path: message for path, message in result.errors.items() if path not in half}
    after = pageform.build_page(
        definition,
        result.answers,
        index,
        language=language,
        raw=raw,
        errors=errors,
        rows=rows,
    )
    if pageform.shape(before.items) == pageform.shape(after.items):
        return Response(status_code=204)
    return _render_page(
        request,
        session,
        result.response,
        definition,
        index,
        result.answers,
        raw=raw,
        errors=errors,
        rows=rows,
        template="survey/_questions.html",
    )


# --------------------------------------------------------------------------- review, submit


def _render_review(
    request: Request,
    session: Any,
    draft: SurveyResponse,
    definition: Definition,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = _context(request, definition)
    answers = prepare_answers(definition, draft.answers or {})
    if errors is None:
        errors = respond.submission_errors(definition, answers, language=ctx["slang"])
    error_pages = {path: pageform.page_of(definition, path) for path in errors}
    ctx.update(
        draft=draft,
        review=pageform.review(definition, answers, language=ctx["slang"], errors=errors),
        errors=errors,
        error_pages=error_pages,
        **file_context(session, draft),
    )
    return _remember_language(
        request, render(request, "survey/review.html", ctx, status_code=status_code)
    )


@router.get("/review")
def review(request: Request, session: SessionDep, user: MemberUser) -> Response:
    draft = _draft(session, user)
    if draft is None:
        return RedirectResponse("/survey", status_code=303)
    definition = respond.definition_for(session=session, response=draft)
    return _render_review(request, session, draft, definition)


@router.post("/submit")
def submit(request: Request, session: SessionDep, user: MemberUser) -> Response:
    draft = _draft(session, user)
    if draft is None:
        return RedirectResponse("/survey", status_code=303)
    definition = respond.definition_for(session=session, response=draft)
    try:
        done = respond.submit(
            session=session,
            actor=user,
            response_id=draft.id or 0,
            language=_language(request, definition),
        )
    except ValidationFailed as exc:
        session.rollback()
        return _render_review(request, session, draft, definition, exc.errors, 422)
    return RedirectResponse(f"/survey/responses/{done.id}?submitted=1", status_code=303)


# --------------------------------------------------------------------------- resume


@router.post("/resume-link")
def resume_link(session: SessionDep, user: MemberUser, settings: SettingsDep) -> Response:
    draft = _draft(session, user)
    if draft is None:
        return RedirectResponse("/survey", status_code=303)
    respond.send_resume_link(
        session=session, actor=user, response_id=draft.id or 0, base_url=settings.base_url
    )
    return RedirectResponse("/survey?sent=1", status_code=303)


@router.get("/resume")
def resume(token: str = "", *, session: SessionDep, user: MemberUser) -> Response:
    draft = respond.resume(session=session, actor=user, token=token)
    definition = respond.definition_for(session=session, response=draft)
    return RedirectResponse(_page_url(draft, definition), status_code=303)


# --------------------------------------------------------------------------- a submitted response


@router.get("/responses/{response_id}")
def show(response_id: Int64, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    response = respond.get(session=session, actor=user, response_id=response_id)
    definition = respond.definition_for(session=session, response=response)
    ctx = _context(request, definition)
    ctx.update(
        response=response,
        review=pageform.review(definition, response.answers or {}, language=ctx["slang"]),
        submitted=request.query_params.get("submitted") == "1",
        **file_context(session, response),
    )
    return _remember_language(request, render(request, "survey/show.html", ctx))


def _disposition(filename: str) -> str:
    """Always a download (never shown in the page), with the name in any script."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/responses/{response_id}/files/{attachment_id}")
def download(
    response_id: Int64, attachment_id: Int64, session: SessionDep, user: CurrentUser
) -> Response:
    """An uploaded file: for the response's member and staff who review responses (audited)."""
    found = attachments.get(
        session=session, actor=user, response_id=response_id, attachment_id=attachment_id
    )
    return Response(
        content=found.data,
        media_type=found.content_type,
        headers={
            "Content-Disposition": _disposition(found.filename),
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/skills")
def skills(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """htmx: <option>s for a skill input's datalist."""
    query = request.query_params.get("q")
    if query is None:
        query = next((v for k, v in request.query_params.items() if k != "kind"), "")
    kind = "occupation" if request.query_params.get("kind") == "occupation" else "skill"
    found = suggest(session=session, q=query[:100], kind=kind, limit=10)
    return render(request, "survey/_options.html", {"options": found})
