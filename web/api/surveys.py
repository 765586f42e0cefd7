"""Surveys over the API: definitions, complete submissions, and a KoboToolbox REST Service
endpoint.  Each POST is one short transaction, answered only after it is committed."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from diaspora.accounts import service as accounts
from diaspora.db import new_session
from diaspora.errors import NotFound, Unauthorized
from diaspora.responses import imports, respond, service
from diaspora.responses.models import Response as SurveyResponse
from web.deps import CurrentUser, Int64, SessionDep

router = APIRouter(tags=["surveys"])
# Submissions are CPU-bound under one GIL: a few threads working at once finish sooner
# (and more fairly, so the tail latency stays low) than forty taking turns.
SUBMISSION_THREADS = 4
_limiters: dict[int, anyio.CapacityLimiter] = {}


def _submission_limiter() -> anyio.CapacityLimiter:
    """One limiter per event loop (each test client runs its own loop)."""
    loop = id(asyncio.get_running_loop())
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(SUBMISSION_THREADS)
    return limiter


class VersionPublic(BaseModel):
    number: int
    status: str
    published_at: datetime | None


class SurveyPublic(BaseModel):
    slug: str
    title: str
    current_version: int | None
    languages: list[str]
    versions: list[VersionPublic] = []


class SurveyDefinition(BaseModel):
    slug: str
    title: str
    version: int
    status: str
    definition: dict[str, Any]


class AnswersIn(BaseModel):
    answers: dict[str, Any]
    external_id: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=10)


class ResponsePublic(BaseModel):
    id: int
    survey_id: int
    version_id: int
    status: str
    source: str
    external_id: str | None
    review_state: str
    submitted_at: datetime | None
    answers: dict[str, Any]


def _accepted(response: SurveyResponse | respond.Stored, created: bool) -> JSONResponse:
    return JSONResponse(
        {"id": response.id, "status": response.status, "created": created},
        status_code=201 if created else 200,
    )


@router.get("/surveys", response_model=list[SurveyPublic])
def list_surveys(session: SessionDep, user: CurrentUser) -> list[SurveyPublic]:
    out = []
    for summary in service.get_all(session=session, actor=user):
        current = summary.current
        languages = list(service.definition(current).settings.languages) if current else []
        out.append(
            SurveyPublic(
                slug=summary.survey.slug,
                title=summary.survey.title,
                current_version=current.number if current else None,
                languages=languages,
                versions=[
                    VersionPublic(number=v.number, status=v.status, published_at=v.published_at)
                    for v in summary.versions
                ],
            )
        )
    return out


@router.get("/surveys/{slug}", response_model=SurveyDefinition)
def get_survey(
    slug: str, session: SessionDep, user: CurrentUser, version: Int64 | None = None
) -> SurveyDefinition:
    """The definition of the published version (staff may ask for any `version`)."""
    survey = service.get_survey(session=session, actor=user, slug=slug)
    if version is not None:
        found = service.get_version(session=session, actor=user, slug=slug, number=version)
    else:
        current = service.current_version_or_none(session, survey.id)
        if current is None:
            raise NotFound("This survey has no published version.")
        found = current
    return SurveyDefinition(
        slug=survey.slug,
        title=survey.title,
        version=found.number,
        status=found.status,
        definition=found.definition,
    )


async def _in_thread(request: Request, work: Any) -> JSONResponse:
    """Run a submission in one worker thread with its own session, a few at a time; a
    bearer token is checked there too (the app's middleware leaves it for this)."""

    def run() -> JSONResponse:
        with new_session(request.app.state.engine) as session:
            user = getattr(request.state, "user", None)
            bearer = getattr(request.state, "bearer", None)
            if user is None and bearer:
                user = accounts.resolve_token(session=session, token=bearer)
                if user is None:
                    raise Unauthorized("The access token is invalid or revoked.")
                request.state.user, request.state.auth_via = user, "token"
            if user is None:
                raise Unauthorized("Please sign in.")
            response, created = work(session, user)
            return _accepted(response, created)

    return await anyio.to_thread.run_sync(run, limiter=_submission_limiter())


@router.post("/surveys/{slug}/responses", status_code=201)
async def submit_response(slug: str, body: AnswersIn, request: Request) -> JSONResponse:
    """A complete submission: a member's own, or staff's on behalf of someone (source "api").

    The whole submission runs in one worker thread (one hop from the event loop instead
    of three), committed before the answer is sent: this endpoint takes bursts of posts.
    """
    return await _in_thread(
        request,
        lambda session, user: respond.submit_answers(
            session=session,
            actor=user,
            slug=slug,
            answers=body.answers,
            external_id=body.external_id,
            language=body.language,
        ),
    )


@router.post("/surveys/{slug}/kobo", status_code=201)
async def kobo_submission(
    slug: str, request: Request, payload: dict[str, Any] = Body(...)
) -> JSONResponse:
    """KoboToolbox REST Service target (staff token): one submission as JSON; a repeated
    post of the same instance answers 200 with the stored id."""
    return await _in_thread(
        request,
        lambda session, user: imports.receive_kobo(
            session=session, actor=user, slug=slug, payload=payload
        ),
    )


@router.get("/responses/{response_id}", response_model=ResponsePublic)
def get_response(response_id: Int64, session: SessionDep, user: CurrentUser) -> ResponsePublic:
    response = respond.get(session=session, actor=user, response_id=response_id)
    return ResponsePublic(
        id=response.id or 0,
        survey_id=response.survey_id,
        version_id=response.version_id,
        status=response.status,
        source=response.source,
        external_id=response.external_id,
        review_state=response.review_state,
        submitted_at=response.submitted_at,
        answers=response.answers or {},
    )
