"""Access rules for the survey pages, the staff survey pages and the survey API.

A member's response is alice's record: bob and institution users get 404, staff read it
(audited).  Every staff page is staff only.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from diaspora.responses.models import ResponseAttachment
from tests.survey_factories import SLUG, builtin, draft, submitted
from tests.web.access import (
    Rule,
    add,
    alices_record,
    members_only,
    outcomes,
    public,
    signed_in,
    staff_only,
)


def with_survey(w: Any, s: Session) -> None:
    builtin(s)


def with_drafts(w: Any, s: Session) -> None:
    builtin(s)
    w.alice_draft = draft(s, w.alice)
    w.bob_draft = draft(s, w.bob)


def with_response(w: Any, s: Session) -> None:
    builtin(s)
    w.response = submitted(s, w.alice)


def with_file(w: Any, s: Session) -> None:
    """alice's submitted response with an uploaded picture."""
    with_response(w, s)
    w.file = ResponseAttachment(
        response_id=w.response.id,
        question="photo",
        filename="photo.png",
        content_type="image/png",
        size=8,
        sha256="0" * 64,
        data=b"\x89PNG\r\n\x1a\n",
    )
    s.add(w.file)
    s.commit()


def answering() -> dict[str, str]:
    """Members answer for themselves, staff on someone's behalf; institutions may not."""
    return outcomes("deny", anonymous="login", alice="ok", bob="ok", sam="ok", ada="ok")


def no_token() -> dict[str, str]:
    """A resume link without a valid token: members get 404, other roles may not resume."""
    return outcomes("deny", anonymous="login", alice="hide", bob="hide")


slug = {"slug": SLUG}
response_params = lambda w: {"slug": SLUG, "response_id": w.response.id}  # noqa: E731

add(
    # respondent pages
    Rule("GET", "/survey", public(), setup=with_survey),
    Rule("POST", "/survey/start", members_only(), setup=with_survey),
    Rule("GET", "/survey/continue", members_only(), setup=with_drafts),
    Rule(
        "GET",
        "/survey/page/{index}",
        members_only(),
        params=lambda w: {"index": 1},
        setup=with_drafts,
    ),
    Rule(
        "POST",
        "/survey/page/{index}",
        members_only(),
        params=lambda w: {"index": 0},
        form=lambda w: {"consent_mapping": "yes", "action": "next"},
        setup=with_drafts,
    ),
    Rule(
        "POST",
        "/survey/page/{index}/upload",
        members_only(),
        params=lambda w: {"index": 0},
        form=lambda w: {"consent_mapping": "yes", "action": "next"},
        setup=with_drafts,
    ),
    Rule(
        "POST",
        "/survey/page/{index}/refresh",
        members_only(),
        params=lambda w: {"index": 0},
        form=lambda w: {"consent_mapping": "no"},
        setup=with_drafts,
    ),
    Rule("GET", "/survey/review", members_only(), setup=with_drafts),
    Rule("POST", "/survey/submit", members_only(), setup=with_drafts),
    Rule("POST", "/survey/resume-link", members_only(), setup=with_drafts),
    Rule("GET", "/survey/resume", no_token(), setup=with_drafts),
    Rule(
        "GET",
        "/survey/responses/{response_id}",
        alices_record(),
        params=lambda w: {"response_id": w.response.id},
        setup=with_response,
    ),
    Rule(
        "GET",
        "/survey/responses/{response_id}/files/{attachment_id}",
        alices_record(),
        params=lambda w: {"response_id": w.response.id, "attachment_id": w.file.id},
        setup=with_file,
    ),
    Rule("GET", "/survey/skills", signed_in()),
    # staff pages
    Rule("GET", "/staff/surveys", staff_only(), setup=with_survey),
    Rule("POST", "/staff/surveys", staff_only(), form=lambda w: {"slug": "x"}),
    Rule("GET", "/staff/surveys/{slug}", staff_only(), params=lambda w: slug, setup=with_survey),
    Rule(
        "POST",
        "/staff/surveys/{slug}/versions",
        staff_only(),
        params=lambda w: slug,
        form=lambda w: {},
        setup=with_survey,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/versions/{number}",
        staff_only(),
        params=lambda w: {**slug, "number": 1},
        setup=with_survey,
    ),
    Rule(
        "POST",
        "/staff/surveys/{slug}/versions/{number}/publish",
        staff_only(),
        params=lambda w: {**slug, "number": 1},
        setup=with_survey,
    ),
    Rule(
        "POST",
        "/staff/surveys/{slug}/versions/{number}/retire",
        staff_only(),
        params=lambda w: {**slug, "number": 1},
        setup=with_survey,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/versions/{number}/xlsform",
        staff_only(),
        params=lambda w: {**slug, "number": 1},
        setup=with_survey,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/responses",
        staff_only(),
        params=lambda w: slug,
        setup=with_response,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/responses/{response_id}",
        staff_only(),
        params=response_params,
        setup=with_response,
    ),
    Rule(
        "POST",
        "/staff/surveys/{slug}/responses/{response_id}/review",
        staff_only(),
        params=response_params,
        form=lambda w: {"state": "approved"},
        setup=with_response,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/responses/{response_id}/edit",
        staff_only(),
        params=response_params,
        setup=with_response,
    ),
    Rule(
        "POST",
        "/staff/surveys/{slug}/responses/{response_id}/edit",
        staff_only(),
        params=response_params,
        form=lambda w: {"birth_year": "abc"},
        setup=with_response,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/import",
        staff_only(),
        params=lambda w: slug,
        setup=with_survey,
    ),
    Rule(
        "POST",
        "/staff/surveys/{slug}/import",
        staff_only(),
        params=lambda w: slug,
        form=lambda w: {},
        setup=with_survey,
    ),
    Rule(
        "GET",
        "/staff/surveys/{slug}/export",
        staff_only(),
        params=lambda w: slug,
        setup=with_response,
    ),
    # API
    Rule("GET", "/api/v1/surveys", signed_in(), setup=with_survey),
    Rule("GET", "/api/v1/surveys/{slug}", signed_in(), params=lambda w: slug, setup=with_survey),
    Rule(
        "POST",
        "/api/v1/surveys/{slug}/responses",
        answering(),
        params=lambda w: slug,
        body=lambda w: {"answers": {"birth_year": "abc"}},
        setup=with_survey,
    ),
    Rule(
        "POST",
        "/api/v1/surveys/{slug}/kobo",
        staff_only(),
        params=lambda w: slug,
        body=lambda w: {"_uuid": "x", "about/birth_year": "abc"},
        setup=with_survey,
    ),
    Rule(
        "GET",
        "/api/v1/responses/{response_id}",
        alices_record(),
        params=lambda w: {"response_id": w.response.id},
        setup=with_response,
    ),
)
