"""Kobo / ODK submissions into responses: file imports (CSV, XLSX) and the Kobo REST Service.

Imports are idempotent: a response is identified by its source and the instance id
the engine reads (`_uuid`, `meta/instanceID`, `KEY`, without `uuid:`), unique in the
database, so importing the same export twice adds nothing.  Good rows are kept when
others fail; every refused row is reported with its row, field and reason.  Each
submission creates a member profile without an account from the form's bindings (an
email typed into a form is never trusted to attach data to an existing account).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.errors import NotFound, ValidationFailed
from diaspora.responses.definitions import load_definition
from diaspora.responses.models import Response, Source, Survey, SurveyVersion
from diaspora.responses.respond import (
    MAX_EXTERNAL_ID,
    Incoming,
    Stored,
    VersionRef,
    existing,
    published_version,
    serialised_writes,
    store_new_members,
    store_submission,
)
from surveys import Definition, ParsedSubmission, RowError, parse_kobo_json, parse_xlsx
from surveys.submissions import iter_csv

Progress = Callable[[int, int], None]
# Rows stored per transaction: a few multi-row statements each (see store_new_members).
BATCH = 1000
SOURCES = {Source.kobo.value, Source.odk.value, Source.csv.value}
_KOBO_HEADERS = {"_uuid", "_submission_time", "_id", "_index"}
_ODK_HEADERS = {"KEY", "SubmissionDate", "meta-instanceID", "SubmitterID"}


@dataclass(frozen=True, slots=True)
class Problem:
    """A refused row: where (row number, or the submission id) and why."""

    row: int | None
    field: str | None
    reason: str
    external_id: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else f"submission {self.external_id}"
        return f"{where}{f', {self.field}' if self.field else ''}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    source: str
    version: int
    added: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({(p.row, p.external_id) for p in self.problems})


def detect_source(headers: Iterable[str]) -> str:
    """kobo, odk or csv, from the columns of an export."""
    names = {h.strip() for h in headers}
    if names & _KOBO_HEADERS:
        return Source.kobo
    if names & _ODK_HEADERS:
        return Source.odk
    return Source.csv


def _csv_headers(data: bytes) -> list[str]:
    first = data[:65536].decode("utf-8-sig", errors="replace").splitlines()[:1]
    if not first:
        return []
    separator = ";" if first[0].count(";") > first[0].count(",") else ","
    return next(csv.reader(first, delimiter=separator), [])


def _xlsx_headers(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        row = next(sheet.iter_rows(max_row=1, values_only=True), ())
        return [str(cell) for cell in row if cell is not None]
    finally:
        workbook.close()


def _resolve_version(
    session: Session, slug: str, number: int | None
) -> tuple[VersionRef, Definition]:
    if number is None:
        ref = published_version(session, slug)
    else:
        row = session.exec(
            select(SurveyVersion.id, SurveyVersion.survey_id, SurveyVersion.created_at)
            .join(Survey, col(Survey.id) == col(SurveyVersion.survey_id))
            .where(Survey.slug == slug, SurveyVersion.number == number)
        ).first()
        if row is None:
            raise NotFound(f"Survey {slug!r} has no version {number}.")
        ref = VersionRef(row[1], row[0] or 0, number, slug, row[2])
    return ref, load_definition(session, ref.version_id, ref.created_at)


def import_file(
    *,
    session: Session,
    actor: User | None,
    slug: str,
    data: bytes,
    filename: str,
    source: str | None = None,
    version: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a Kobo/ODK CSV or XLSX export into the survey's published version (or `version`)."""
    if actor is not None:
        require(actor, "response.review")
    if source is not None and source not in SOURCES:
        raise ValidationFailed({"source": f"expected one of {', '.join(sorted(SOURCES))}"})
    ref, definition = _resolve_version(session, slug, version)
    is_xlsx = filename.lower().endswith((".xlsx", ".xlsm", ".xls")) or data[:4] == b"PK\x03\x04"
    ignored: list[str] = []
    if is_xlsx:
        result = parse_xlsx(definition, data, filename=filename)
        refused = [e for e in result.errors if e.row == 0]
        if refused:
            raise ValidationFailed({"file": refused[0].reason})
        if source is None:
            source = detect_source(_xlsx_headers(data))
        items: Iterable[ParsedSubmission | RowError] = [*result.submissions, *result.errors]
        ignored = result.ignored_columns
        total = len(result.submissions) + len({e.row for e in result.errors})
    else:
        if b"\x00" in data[:8192]:
            raise ValidationFailed({"file": f"{filename}: not a text (CSV) file"})
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed({"file": f"{filename}: a CSV export must be UTF-8"}) from None
        if source is None:
            source = detect_source(_csv_headers(data))
        items = iter_csv(definition, data, ignored_columns=ignored)
        total = max(data.count(b"\n") - 1, 0)
    report = ImportReport(source=source, version=ref.number)
    _store_all(session, actor, ref, definition, items, report, total, progress)
    report.ignored_columns = ignored
    record(
        session=session,
        actor=actor,
        action="responses.import",
        entity="survey",
        entity_id=ref.survey_id,
        details={
            "version": ref.number,
            "source": source,
            "added": report.added,
            "duplicates": report.duplicates,
            "bad_rows": report.bad_rows,
        },
    )
    session.commit()
    return report


def _batches(
    items: Iterable[ParsedSubmission | RowError], report: ImportReport
) -> Iterator[list[ParsedSubmission]]:
    batch: list[ParsedSubmission] = []
    for item in items:
        if isinstance(item, RowError):
            report.problems.append(Problem(item.row, item.field, item.reason))
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _store_all(
    session: Session,
    actor: User | None,
    ref: VersionRef,
    definition: Definition,
    items: Iterable[ParsedSubmission | RowError],
    report: ImportReport,
    total: int,
    progress: Progress | None,
) -> None:
    done = 0
    for batch in _batches(items, report):
        ids = [s.external_id for s in batch]
        known = set(
            session.exec(
                select(Response.external_id).where(
                    Response.source == report.source, col(Response.external_id).in_(ids)
                )
            )
        )
        fresh = [s for s in batch if s.external_id not in known]
        report.duplicates += len(batch) - len(fresh)
        try:
            with serialised_writes(session):
                _store_batch(session, actor, ref, definition, fresh, report)
                session.commit()
        except IntegrityError:
            # Another import stored some of these meanwhile: redo the batch one by one.
            session.rollback()
            for submission in fresh:
                if existing(session, report.source, submission.external_id) is not None:
                    report.duplicates += 1
                    continue
                try:
                    _store_batch(session, actor, ref, definition, [submission], report)
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    report.duplicates += 1
        done += len(batch)
        if progress is not None:
            progress(done + len({p.row for p in report.problems}), total)


def _store_batch(
    session: Session,
    actor: User | None,
    ref: VersionRef,
    definition: Definition,
    batch: list[ParsedSubmission],
    report: ImportReport,
) -> None:
    """Store a batch with a few multi-row statements; rows the profile refuses are reported."""
    outcomes = store_new_members(
        session=session,
        actor=actor,
        ref=ref,
        definition=definition,
        incoming=[
            Incoming(s.answers, s.external_id[:MAX_EXTERNAL_ID], s.submitted_at) for s in batch
        ],
        source=report.source,
    )
    for submission, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, ValidationFailed):
            report.problems.extend(
                Problem(None, path, reason, submission.external_id)
                for path, reason in outcome.errors.items()
            )
        else:
            report.added += 1


def receive_kobo(
    *, session: Session, actor: User, slug: str, payload: Any
) -> tuple[Response | Stored, bool]:
    """One submission posted by a KoboToolbox REST Service: (response, created).

    A repeated post of the same instance answers with the stored response.
    """
    require(actor, "response.review")
    if not isinstance(payload, Mapping):
        raise ValidationFailed({"body": "expected one Kobo submission (a JSON object)"})
    ref = published_version(session, slug)
    definition = load_definition(session, ref.version_id, ref.created_at)
    result = parse_kobo_json(definition, payload)
    if result.errors:
        errors: dict[str, str] = {}
        for error in result.errors:
            errors.setdefault(error.field or "submission", error.reason)
        raise ValidationFailed(errors, "The submission does not match the survey.")
    submission = result.submissions[0]
    external_id = submission.external_id[:100]
    found = existing(session, Source.kobo, external_id)
    if found is not None:
        return found, False
    try:
        with serialised_writes(session):
            response = store_submission(
                session=session,
                actor=actor,
                ref=ref,
                definition=definition,
                answers=submission.answers,
                source=Source.kobo,
                external_id=external_id,
                submitted_at=submission.submitted_at,
            )
            session.commit()
    except IntegrityError:
        session.rollback()
        found = existing(session, Source.kobo, external_id)
        if found is None:
            raise
        return found, False
    return response, True
