"""Surveys and their versions: XLSForm in and out, publish, retire, the current version.

A version is created from an XLSForm upload and keeps both the normalised definition
(JSON) and the uploaded file.  Publishing makes it immutable; any change to a form is
a new upload and so a new version number.  At most one version of a survey is
published at a time: publishing a new one retires the previous one (responses and
drafts stay pinned to the version they answered).

Respondents' drafts and submissions live in `respond.py`, staff review and exports in
`review.py`, submission imports in `imports.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, func, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import can, require
from diaspora.audit.service import record
from diaspora.common import utcnow
from diaspora.errors import InvalidTransition, NotFound, ValidationFailed
from diaspora.responses.definitions import definition_of
from diaspora.responses.models import (
    Response,
    ResponseStatus,
    Survey,
    SurveyVersion,
    VersionStatus,
)
from surveys import Definition, XLSFormError, export_xlsform, import_xlsform

log = logging.getLogger("diaspora.responses")

BUILTIN_SLUG = "diaspora_mapping"
BUILTIN_FORM = (
    Path(__file__).resolve().parents[2] / "sample_data" / "survey" / "diaspora_mapping.xlsx"
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
MAX_FILENAME = 200


@dataclass(frozen=True, slots=True)
class SurveySummary:
    """A survey with its versions and response counts, for lists."""

    survey: Survey
    versions: list[SurveyVersion]
    current: SurveyVersion | None
    submitted: int
    drafts: int


# --------------------------------------------------------------------------- reading


def get_survey(*, session: Session, actor: User | None, slug: str) -> Survey:
    """A survey by slug; people who cannot design surveys see it only while published."""
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is None:
        raise NotFound("No such survey.")
    if not can(actor, "survey.design") and current_version_or_none(session, survey.id) is None:
        raise NotFound("No such survey.")
    return survey


def current_version_or_none(session: Session, survey_id: int | None) -> SurveyVersion | None:
    """The published version of a survey, if there is one."""
    return session.exec(
        select(SurveyVersion)
        .where(
            SurveyVersion.survey_id == survey_id,
            SurveyVersion.status == VersionStatus.published,
        )
        .order_by(col(SurveyVersion.number).desc())
    ).first()


def current_version(*, session: Session, slug: str) -> tuple[Survey, SurveyVersion]:
    """The survey and its published version; NotFound when nothing is published."""
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    version = current_version_or_none(session, survey.id) if survey else None
    if survey is None or version is None:
        raise NotFound("No such survey, or it is not open for answers.")
    return survey, version


def respondent_survey(*, session: Session) -> tuple[Survey, SurveyVersion] | None:
    """The survey members are asked to fill: the built-in one, else the newest published."""
    try:
        return current_version(session=session, slug=BUILTIN_SLUG)
    except NotFound:
        pass
    version = session.exec(
        select(SurveyVersion)
        .where(SurveyVersion.status == VersionStatus.published)
        .order_by(col(SurveyVersion.published_at).desc())
    ).first()
    if version is None:
        return None
    survey = session.get(Survey, version.survey_id)
    return (survey, version) if survey else None


def get_versions(*, session: Session, actor: User, slug: str) -> list[SurveyVersion]:
    """Every version of a survey, newest first (staff)."""
    require(actor, "survey.design")
    survey = get_survey(session=session, actor=actor, slug=slug)
    return list(
        session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey.id)
            .order_by(col(SurveyVersion.number).desc())
        )
    )


def get_version(*, session: Session, actor: User, slug: str, number: int) -> SurveyVersion:
    """One version of a survey (staff)."""
    require(actor, "survey.design")
    survey = get_survey(session=session, actor=actor, slug=slug)
    version = session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id, SurveyVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound("No such version.")
    return version


def get_all(*, session: Session, actor: User | None) -> list[SurveySummary]:
    """Surveys with versions and counts; without `survey.design` only published ones."""
    design = can(actor, "survey.design")
    surveys = session.exec(select(Survey).order_by(col(Survey.id))).all()
    versions = session.exec(select(SurveyVersion).order_by(col(SurveyVersion.number).desc())).all()
    by_survey: dict[int, list[SurveyVersion]] = {}
    for version in versions:
        by_survey.setdefault(version.survey_id, []).append(version)
    counts: dict[tuple[int, str], int] = {}
    if design:
        for survey_id, status, count in session.exec(
            select(Response.survey_id, Response.status, func.count()).group_by(
                col(Response.survey_id), col(Response.status)
            )
        ):
            counts[(survey_id, status)] = int(count)
    out = []
    for survey in surveys:
        own = by_survey.get(survey.id or 0, [])
        current = next((v for v in own if v.status == VersionStatus.published), None)
        if not design and current is None:
            continue
        out.append(
            SurveySummary(
                survey=survey,
                versions=own if design else [current] if current else [],
                current=current,
                submitted=counts.get((survey.id or 0, ResponseStatus.submitted), 0),
                drafts=counts.get((survey.id or 0, ResponseStatus.draft), 0),
            )
        )
    return out


def definition(version: SurveyVersion) -> Definition:
    """The parsed definition of a version (cached)."""
    return definition_of(version)


# --------------------------------------------------------------------------- creating


def parse_form(data: bytes, filename: str) -> Definition:
    """An XLSForm upload as a definition; every problem becomes one field error."""
    name = Path(filename or "upload.xlsx").name[:MAX_FILENAME] or "upload.xlsx"
    try:
        return import_xlsform(data, filename=name)
    except XLSFormError as error:
        problems = [str(problem) for problem in error.problems] or [str(error)]
    except Exception as error:  # noqa: BLE001 - a hostile file must never become a 500
        log.warning("unreadable XLSForm %r: %s", name, error)
        problems = [f"{name}: the file cannot be read as an XLSForm ({type(error).__name__})"]
    raise ValidationFailed(
        {f"problems[{index}]": text for index, text in enumerate(problems)},
        f"The form was refused: {len(problems)} problem(s) found.",
    )


def _slug_for(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "_", text.strip().lower()).strip("_-")[:80]
    return slug or "survey"


def create_from_xlsform(
    *,
    session: Session,
    actor: User | None,
    data: bytes,
    filename: str,
    slug: str | None = None,
    programme_id: int | None = None,
) -> SurveyVersion:
    """A new survey whose version 1 (a draft) is the uploaded form."""
    if actor is not None:
        require(actor, "survey.design")
    form = parse_form(data, filename)
    version = _create_survey(session, actor, form, data, filename, slug, programme_id)
    session.commit()
    return version


def _create_survey(
    session: Session,
    actor: User | None,
    form: Definition,
    data: bytes,
    filename: str,
    slug: str | None,
    programme_id: int | None = None,
) -> SurveyVersion:
    slug = (slug or "").strip().lower() or _slug_for(form.settings.form_id)
    if not _SLUG.match(slug):
        raise ValidationFailed(
            {"slug": "use lower-case letters, digits, '-' and '_' (at most 80 characters)"}
        )
    if session.exec(select(Survey.id).where(Survey.slug == slug)).first() is not None:
        raise ValidationFailed(
            {"slug": f"a survey called {slug!r} exists; upload the form as its new version"}
        )
    survey = Survey(
        slug=slug,
        title=(form.settings.title or slug)[:200],
        programme_id=programme_id,
        created_by=actor.id if actor else None,
    )
    session.add(survey)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="survey.create",
        entity="survey",
        entity_id=survey.id,
        details={"slug": slug},
    )
    return _add_version(session, actor, survey, form, data, filename)


def add_version(
    *, session: Session, actor: User | None, slug: str, data: bytes, filename: str
) -> SurveyVersion:
    """A new draft version of an existing survey from an uploaded form.

    Uploading a form identical to the newest version creates nothing and returns it.
    """
    if actor is not None:
        require(actor, "survey.design")
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is None:
        raise NotFound("No such survey.")
    form = parse_form(data, filename)
    version = _new_version(session, actor, survey, form, data, filename)
    session.commit()
    return version


def _new_version(
    session: Session,
    actor: User | None,
    survey: Survey,
    form: Definition,
    data: bytes,
    filename: str,
) -> SurveyVersion:
    newest = session.exec(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id)
        .order_by(col(SurveyVersion.number).desc())
    ).first()
    if newest is not None and newest.definition == form.to_dict():
        return newest
    return _add_version(session, actor, survey, form, data, filename)


def _add_version(
    session: Session,
    actor: User | None,
    survey: Survey,
    form: Definition,
    data: bytes,
    filename: str,
) -> SurveyVersion:
    highest = session.exec(
        select(func.max(SurveyVersion.number)).where(SurveyVersion.survey_id == survey.id)
    ).one()
    version = SurveyVersion(
        survey_id=survey.id or 0,
        number=int(highest or 0) + 1,
        status=VersionStatus.draft,
        definition=form.to_dict(),
        source_filename=Path(filename or "form.xlsx").name[:MAX_FILENAME],
        source_file=data,
    )
    if form.settings.title and form.settings.title != survey.title:
        survey.title = form.settings.title[:200]
        session.add(survey)
    session.add(version)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="survey.version_create",
        entity="survey",
        entity_id=survey.id,
        details={"version": version.number, "questions": sum(1 for _ in form.fields())},
    )
    return version


def import_form(
    *,
    session: Session,
    actor: User | None,
    data: bytes,
    filename: str,
    slug: str | None = None,
    publish_it: bool = False,
) -> SurveyVersion:
    """Create the survey, or add a version to it when the slug exists; publish on request."""
    if actor is not None:
        require(actor, "survey.design")
    form = parse_form(data, filename)
    slug = (slug or "").strip().lower() or _slug_for(form.settings.form_id)
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is not None:
        version = _new_version(session, actor, survey, form, data, filename)
    else:
        version = _create_survey(session, actor, form, data, filename, slug)
    session.commit()
    if publish_it and version.status == VersionStatus.draft:
        version = publish(session=session, actor=actor, slug=slug, number=version.number)
    return version


def import_builtin(*, session: Session, actor: User | None = None) -> SurveyVersion:
    """Import and publish the built-in diaspora mapping survey (idempotent)."""
    return import_form(
        session=session,
        actor=actor,
        data=BUILTIN_FORM.read_bytes(),
        filename=BUILTIN_FORM.name,
        slug=BUILTIN_SLUG,
        publish_it=True,
    )


# --------------------------------------------------------------------------- lifecycle


def _version_for_update(
    session: Session, actor: User | None, slug: str, number: int
) -> tuple[Survey, SurveyVersion]:
    if actor is not None:
        require(actor, "survey.design")
    survey = session.exec(select(Survey).where(Survey.slug == slug)).first()
    if survey is None:
        raise NotFound("No such survey.")
    version = session.exec(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id, SurveyVersion.number == number)
        .with_for_update()
    ).first()
    if version is None:
        raise NotFound("No such version.")
    return survey, version


def publish(*, session: Session, actor: User | None, slug: str, number: int) -> SurveyVersion:
    """Open a draft version for answers; the previously published version is retired."""
    survey, version = _version_for_update(session, actor, slug, number)
    if version.status != VersionStatus.draft:
        raise InvalidTransition(
            f"Version {number} is {version.status}; only a draft version can be published."
        )
    now = utcnow()
    for previous in session.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id,
            SurveyVersion.status == VersionStatus.published,
        )
    ):
        previous.status = VersionStatus.retired
        session.add(previous)
        record(
            session=session,
            actor=actor,
            action="survey.retire",
            entity="survey",
            entity_id=survey.id,
            details={"version": previous.number, "superseded_by": number},
        )
    version.status = VersionStatus.published
    version.published_at = now
    session.add(version)
    record(
        session=session,
        actor=actor,
        action="survey.publish",
        entity="survey",
        entity_id=survey.id,
        details={"version": number},
    )
    session.commit()
    return version


def retire(*, session: Session, actor: User | None, slug: str, number: int) -> SurveyVersion:
    """Close a published version: no new responses start on it (drafts may still finish)."""
    survey, version = _version_for_update(session, actor, slug, number)
    if version.status != VersionStatus.published:
        raise InvalidTransition(
            f"Version {number} is {version.status}; only the published version can be retired."
        )
    version.status = VersionStatus.retired
    session.add(version)
    record(
        session=session,
        actor=actor,
        action="survey.retire",
        entity="survey",
        entity_id=survey.id,
        details={"version": number},
    )
    session.commit()
    return version


def export_form(*, session: Session, actor: User, slug: str, number: int) -> tuple[str, bytes]:
    """A version as an XLSForm (.xlsx) regenerated from its definition: (filename, bytes)."""
    version = get_version(session=session, actor=actor, slug=slug, number=number)
    data = export_xlsform(definition_of(version))
    return f"{slug}-v{number}.xlsx", data


def versions_by_label(
    session: Session, survey_id: int
) -> tuple[dict[int, str], dict[str, Definition]]:
    """Version id -> export label, and label -> definition for every version, oldest first."""
    versions = session.exec(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id)
        .order_by(col(SurveyVersion.number))
    ).all()
    labels = {v.id or 0: str(v.number) for v in versions}
    definitions = {str(v.number): definition_of(v) for v in versions}
    return labels, definitions


def summaries(versions: Sequence[SurveyVersion]) -> dict[int, int]:
    """Question counts per version id (for lists)."""
    return {
        v.id or 0: sum(1 for f in definition_of(v).fields() if f.question.is_asked)
        for v in versions
    }
