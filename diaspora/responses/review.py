"""Staff work on responses: lists with filters, reading (audited), review states,
corrections (audited with the names of the fields that changed) and exports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, func, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.consent.models import Channel
from diaspora.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from diaspora.members.models import MemberProfile
from diaspora.responses import attachments
from diaspora.responses import form as pageform
from diaspora.responses import profile as bridge
from diaspora.responses.definitions import load_definition
from diaspora.responses.models import (
    Response,
    ResponseStatus,
    ReviewState,
    Source,
    Survey,
    SurveyVersion,
)
from diaspora.responses.service import versions_by_label
from surveys import (
    Definition,
    coerce_answers,
    export_csv,
    export_json,
    export_xlsx,
    prepare_answers,
    validate_all,
)

Format = Literal["csv", "xlsx", "json"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
STATES = tuple(state.value for state in ReviewState)
STATUSES = tuple(status.value for status in ResponseStatus)
SOURCES = tuple(source.value for source in Source)


@dataclass(frozen=True, slots=True)
class Row:
    """A response in a list: the response, its member's pseudonym and its version number."""

    response: Response
    pseudonym: str
    version: int


def _survey(session: Session, slug: str) -> Survey:
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def _check_filters(
    status: str | None, source: str | None, review_state: str | None
) -> dict[str, str]:
    errors = {}
    if status and status not in STATUSES:
        errors["status"] = f"expected one of {', '.join(STATUSES)}"
    if source and source not in SOURCES:
        errors["source"] = f"expected one of {', '.join(SOURCES)}"
    if review_state and review_state not in STATES:
        errors["review_state"] = f"expected one of {', '.join(STATES)}"
    return errors


def _filtered(
    survey_id: int,
    version: int | None,
    status: str | None,
    source: str | None,
    review_state: str | None,
) -> Any:
    stmt = (
        select(Response, MemberProfile.pseudonym, SurveyVersion.number)
        .join(SurveyVersion, col(SurveyVersion.id) == col(Response.version_id))
        .join(MemberProfile, col(MemberProfile.id) == col(Response.member_id), isouter=True)
        .where(Response.survey_id == survey_id)
    )
    if version is not None:
        stmt = stmt.where(SurveyVersion.number == version)
    if status:
        stmt = stmt.where(Response.status == status)
    if source:
        stmt = stmt.where(Response.source == source)
    if review_state:
        stmt = stmt.where(Response.review_state == review_state)
    return stmt


def list_responses(
    *,
    session: Session,
    actor: User,
    slug: str,
    version: int | None = None,
    status: str | None = None,
    source: str | None = None,
    review_state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Row], int]:
    """A page of responses (newest first) and the total matching the filters."""
    require(actor, "response.review")
    errors = _check_filters(status, source, review_state)
    if errors:
        raise ValidationFailed(errors)
    survey = _survey(session, slug)
    stmt = _filtered(survey.id or 0, version, status, source, review_state)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(Response.updated_at).desc(), col(Response.id).desc())
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), 500))
    ).all()
    return [Row(r, pseudonym or "", number) for r, pseudonym, number in rows], int(total)


def view(
    *, session: Session, actor: User, slug: str, response_id: int
) -> tuple[Response, Definition]:
    """Read one response and its definition; the read is audited (identified data)."""
    require(actor, "response.review")
    survey = _survey(session, slug)
    response = session.get(Response, response_id)
    if response is None or response.survey_id != survey.id:
        raise NotFound("No such response.")
    record(
        session=session,
        actor=actor,
        action="response.view",
        entity="response",
        entity_id=response_id,
    )
    session.commit()
    return response, load_definition(session, response.version_id)


def pseudonym_of(session: Session, member_id: int | None) -> str:
    """The member's pseudonym, for pages that do not need their identity."""
    profile = session.get(MemberProfile, member_id) if member_id else None
    return profile.pseudonym if profile else ""


def _for_update(session: Session, actor: User, slug: str, response_id: int) -> Response:
    require(actor, "response.review")
    survey = _survey(session, slug)
    response = session.get(Response, response_id)
    if response is None or response.survey_id != survey.id:
        raise NotFound("No such response.")
    return response


def set_review(
    *,
    session: Session,
    actor: User,
    slug: str,
    response_id: int,
    state: str,
    comment: str = "",
) -> Response:
    """Mark a submitted response received, approved, rejected (a reason is required) or
    as having issues."""
    response = _for_update(session, actor, slug, response_id)
    comment = (comment or "").strip()[:2000]
    if state not in STATES:
        raise ValidationFailed({"state": f"expected one of {', '.join(STATES)}"})
    if state == ReviewState.rejected and not comment:
        raise ValidationFailed({"comment": "say why the response is rejected"})
    if response.status != ResponseStatus.submitted:
        raise InvalidTransition("Only submitted responses are reviewed; this one is a draft.")
    previous = response.review_state
    response.review_state = state
    response.review_comment = comment
    response.updated_at = utcnow()
    response.version += 1
    session.add(response)
    record(
        session=session,
        actor=actor,
        action="response.review",
        entity="response",
        entity_id=response_id,
        details={"from": previous, "to": state, "commented": bool(comment)},
    )
    session.commit()
    return response


def _asked_names(definition: Definition) -> set[str]:
    names: set[str] = set()
    for ref in definition.fields():
        if ref.repeats:
            names.add(ref.repeats[0])
        elif ref.question.is_asked:
            names.add(ref.question.name)
            if ref.question.or_other:
                names.add(ref.question.name + "_other")
    return names


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def correct(
    *,
    session: Session,
    actor: User,
    slug: str,
    response_id: int,
    form: Mapping[str, Any],
    expected_version: int | None = None,
    language: str | None = None,
    limits: attachments.Limits | None = None,
) -> tuple[Response, list[str]]:
    """Replace a submitted response's answers after re-validating them; returns the
    response and the names of the questions that changed (recorded in the audit trail).

    `form` holds every asked answer (HTML-form keys or nested JSON); metadata and
    calculations are kept or recomputed.  A profile without an account of its own
    (imported or submitted on someone's behalf) is updated from the corrected answers.
    Files (`attachments.Upload` values) are stored as the response's, within `limits`;
    files the corrected answers no longer name are deleted.  Nothing is kept when an
    answer or a file is refused.
    """
    response = _for_update(session, actor, slug, response_id)
    if response.status != ResponseStatus.submitted:
        raise InvalidTransition("Drafts are corrected by their respondent.")
    if expected_version is not None and expected_version != response.version:
        raise Conflict("Someone changed this response meanwhile; reload it and try again.")
    definition = load_definition(session, response.version_id)
    asked = _asked_names(definition)
    file_errors: dict[str, str] = {}
    # A new file may take the name of the one it replaces: a change all the same.
    uploaded = {p.split("[", 1)[0] for p, v in form.items() if isinstance(v, attachments.Upload)}
    if uploaded:
        form, file_errors = attachments.accept(
            session=session,
            actor=actor,
            response=response,
            definition=definition,
            form=form,
            limits=limits or attachments.Limits(),
            language=language,
            staff=True,
        )
    typed, errors = coerce_answers(definition, form, language=language)
    errors = {**errors, **file_errors}
    typed = pageform.drop_blank_instances(typed, {g.name for g, p in definition.repeats() if not p})
    merged = {k: v for k, v in (response.answers or {}).items() if k not in asked}
    merged.update({k: v for k, v in typed.items() if k in asked})
    answers = prepare_answers(definition, merged)
    errors = {**validate_all(definition, answers, language=language), **errors}
    profile = session.get(MemberProfile, response.member_id) if response.member_id else None
    reapply = profile is not None and profile.user_id is None and profile.erased_at is None
    if not errors and reapply:
        errors = bridge.profile_errors(definition, answers, language=language)
    if errors:
        session.rollback()  # files stored above go too
        raise ValidationFailed(errors, "Some answers are invalid; nothing was changed.")
    changed = sorted(set(_changed(response.answers or {}, answers)) | uploaded)
    if not changed:
        return response, []
    if reapply and profile is not None and _is_latest(session, response):
        bridge.apply(
            session=session,
            actor=actor,
            definition=definition,
            answers=answers,
            member_id=profile.id or 0,
            version_id=response.version_id,
            source="survey-correction",
            channel=Channel.correction,
        )
    response.answers = answers
    response.updated_at = utcnow()
    response.version += 1
    session.add(response)
    attachments.reconcile(
        session=session, actor=actor, response=response, definition=definition, staff=True
    )
    record(
        session=session,
        actor=actor,
        action="response.correct",
        entity="response",
        entity_id=response_id,
        details={"fields": changed},
    )
    session.commit()
    return response, changed


def _is_latest(session: Session, response: Response) -> bool:
    newest = session.exec(
        select(Response.id)
        .where(
            Response.member_id == response.member_id,
            Response.status == ResponseStatus.submitted,
        )
        .order_by(col(Response.submitted_at).desc(), col(Response.id).desc())
    ).first()
    return newest == response.id


def export(
    *,
    session: Session,
    actor: User | None,
    slug: str,
    fmt: str,
    version: int | None = None,
    status: str | None = ResponseStatus.submitted,
    source: str | None = None,
    review_state: str | None = None,
    headers: Literal["names", "labels"] = "names",
    language: str | None = None,
) -> tuple[str, str, bytes]:
    """Responses across every version as CSV, XLSX or JSON: (filename, media type, bytes).

    Every column ever asked is kept, with `__version__`; formulas are neutralised.  An
    export holds identified data, so it is audited (`responses.export`).  `actor` None is
    the command line.
    """
    if actor is not None:
        require(actor, "response.review")
    if fmt not in MEDIA_TYPES:
        raise ValidationFailed({"format": "expected csv, xlsx or json"})
    errors = _check_filters(status, source, review_state)
    if errors:
        raise ValidationFailed(errors)
    survey = _survey(session, slug)
    labels, definitions = versions_by_label(session, survey.id or 0)
    stmt = _filtered(survey.id or 0, version, status, source, review_state)
    rows = session.exec(stmt.order_by(col(Response.id))).all()
    records = [_export_row(r, pseudonym, labels) for r, pseudonym, _number in rows]
    if fmt == "csv":
        data = export_csv(records, definitions, headers=headers, language=language)
    elif fmt == "xlsx":
        data = export_xlsx(records, definitions, headers=headers, language=language)
    else:
        data = export_json(records, definitions)
    record(
        session=session,
        actor=actor,
        action="responses.export",
        entity="survey",
        entity_id=survey.id,
        details={
            "format": fmt,
            "count": len(records),
            "version": version,
            "status": status,
            "source": source,
            "review_state": review_state,
        },
    )
    session.commit()
    stamp = utcnow().strftime("%Y%m%d")
    return f"{slug}-responses-{stamp}.{fmt}", MEDIA_TYPES[fmt], data


def _export_row(
    response: Response, pseudonym: str | None, labels: Mapping[int, str]
) -> tuple[str, Mapping[str, Any], dict[str, Any]]:
    meta = {
        "_id": response.id,
        "_member": pseudonym or "",
        "_status": response.status,
        "_source": response.source,
        "_uuid": response.external_id or "",
        "_review_state": response.review_state,
        "_submission_time": response.submitted_at.isoformat() if response.submitted_at else "",
    }
    return labels.get(response.version_id, "?"), response.answers or {}, meta


def counts_by_state(*, session: Session, actor: User, slug: str) -> dict[str, int]:
    """Submitted responses per review state."""
    require(actor, "response.review")
    survey = _survey(session, slug)
    rows = session.exec(
        select(Response.review_state, func.count())
        .where(Response.survey_id == survey.id, Response.status == ResponseStatus.submitted)
        .group_by(col(Response.review_state))
    ).all()
    return {state: int(count) for state, count in rows}


def version_numbers(session: Session, versions: Sequence[SurveyVersion]) -> list[int]:
    """Version numbers, newest first (for filter lists)."""
    return sorted((v.number for v in versions), reverse=True)
