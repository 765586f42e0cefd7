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
import multiprocessing
import os
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.audit.service import record
from diaspora.errors import NotFound, ValidationFailed
from diaspora.responses.definitions import load_definition
from diaspora.responses.models import Response, Source, Survey, SurveyVersion
from diaspora.responses.profile import NewMember
from diaspora.responses.respond import (
    MAX_EXTERNAL_ID,
    Incoming,
    Stored,
    VersionRef,
    existing,
    new_members,
    published_version,
    serialised_writes,
    store_new_members,
    store_submission,
)
from surveys import (
    Definition,
    ParsedSubmission,
    RowError,
    parse_kobo_json,
    parse_odk_zip,
    parse_xlsx,
)
from surveys.submissions import iter_csv, sniff_delimiter

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
    separator = sniff_delimiter(first[0])
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


def _is_workbook(data: bytes) -> bool:
    """Whether a zip is an Excel workbook (else: ODK Central's zip of CSV files)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.startswith("xl/") for n in archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return True  # let the workbook reader explain what is wrong with the file


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
    parallel: bool = False,
) -> ImportReport:
    """Import a Kobo/ODK export (CSV, XLSX, or ODK Central's .csv.zip with one CSV per
    repeat) into the survey's published version (or `version`).

    `parallel`: a large CSV may be imported by forked worker processes — only for a
    single-threaded caller (the CLI), never from a threaded web server."""
    if actor is not None:
        require(actor, "response.review")
    if source is not None and source not in SOURCES:
        raise ValidationFailed({"source": f"expected one of {', '.join(sorted(SOURCES))}"})
    ref, definition = _resolve_version(session, slug, version)
    name = filename.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    is_odk_zip = name.endswith(".zip") or (is_zip and not _is_workbook(data))
    is_xlsx = not is_odk_zip and (name.endswith((".xlsx", ".xlsm", ".xls")) or is_zip)
    ignored: list[str] = []
    if is_odk_zip or is_xlsx:
        if is_odk_zip:
            result = parse_odk_zip(definition, data, filename=filename)
        else:
            result = parse_xlsx(definition, data, filename=filename)
        refused = [e for e in result.errors if e.row == 0]
        if refused:
            raise ValidationFailed({"file": refused[0].reason})
        if source is None:
            source = Source.odk if is_odk_zip else detect_source(_xlsx_headers(data))
        items: Iterable[ParsedSubmission | RowError] = [
            *result.submissions,
            *result.errors,
        ]
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
        total = max(data.count(b"\n") - 1, 0)
        items = iter_csv(definition, data, ignored_columns=ignored)
    report = ImportReport(source=source, version=ref.number)
    workers = _workers(session, total) if parallel and not (is_odk_zip or is_xlsx) else 0
    if workers:
        _import_parallel(
            session, actor, ref, definition, data, report, ignored, workers, total, progress
        )
    else:
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


# --- importing large CSV exports in worker processes --------------------------------------
#
# Parsing, validating and preparing a row costs more CPU than storing it, and handing
# parsed rows back to one storing process costs as much again (pickling); so for a large
# export each worker process imports whole chunks: parse, check for duplicates, store,
# commit, with its own connection.  The unique (source, external id) index keeps that
# safe when two chunks (or two imports) hold the same submission.  Workers are forked,
# which is only safe in a single-threaded process: the CLI asks for it (`parallel`), a
# threaded web server does not.  ("spawn" would re-run the caller's main module, which
# scripts without a __main__ guard do not survive.)  A database in memory is not shared
# with other processes, so it is imported here too.

PARALLEL_FROM = 20_000  # data rows; smaller files are imported in this process
CHUNK = 2_000  # data rows per task
_WORKER: dict[str, Any] = {}


def _workers(session: Session, rows: int) -> int:
    """How many worker processes import an export of `rows` rows (0: this one does)."""
    url = session.get_bind().engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if rows < PARALLEL_FROM or in_memory:
        return 0
    return max(1, min(4, os.cpu_count() or 1))


def _start_worker(
    url: str, definition: dict[str, Any], ref: VersionRef, actor: User | None, source: str
) -> None:
    from diaspora.db import make_engine

    _WORKER.update(
        engine=make_engine(url),  # its own connections, never the parent's
        definition=Definition.from_dict(definition),
        ref=ref,
        actor=actor,
        source=source,
    )


def _import_chunk(
    text: str, delimiter: str, offset: int
) -> tuple[ImportReport, list[str], list[tuple[int, str]]]:
    """Import one chunk (the header line + data rows) in a worker; rows renumbered.
    Returns the report, the ignored columns and the (row, id) of every submission read."""
    from diaspora.db import session_scope

    definition: Definition = _WORKER["definition"]
    ref: VersionRef = _WORKER["ref"]
    ignored: list[str] = []
    read: list[tuple[int, str]] = []
    report = ImportReport(source=_WORKER["source"], version=ref.number)

    def items() -> Iterator[ParsedSubmission | RowError]:
        for item in iter_csv(definition, text, delimiter=delimiter, ignored_columns=ignored):
            if isinstance(item, RowError) and item.row > 1:
                item = RowError(item.row + offset, item.field, item.reason)
            elif isinstance(item, ParsedSubmission):
                read.append((item.row + offset, item.external_id))
            yield item

    with session_scope(_WORKER["engine"]) as session:
        _store_all(session, _WORKER["actor"], ref, definition, items(), report, 0, None)
    return report, ignored, read


def _chunks(data: bytes) -> Iterator[tuple[str, str, int, int]]:
    """(header + up to CHUNK records as CSV text, delimiter, records before it, records).

    Records are cut at line ends outside quotes.  A quote inside a quoted CSV field is
    doubled, so a line end lies inside a field exactly when an odd number of quotes
    precede it: counting them finds the records without parsing and re-writing them
    (which cost the parent process a second of a 100,000-row import)."""
    text = data.decode("utf-8-sig")
    size = len(text)
    pos = text.find("\n") + 1 or size
    header = text[:pos]
    delimiter = sniff_delimiter(header)
    start, done, records, quotes = pos, 0, 0, 0
    while pos < size:
        stop = text.find("\n", pos) + 1 or size
        quotes += text.count('"', pos, stop)
        pos = stop
        if quotes % 2 == 0:
            records += 1
            if records == CHUNK:
                yield header + text[start:pos], delimiter, done, records
                start, done, records = pos, done + records, 0
    if start < size:
        yield header + text[start:], delimiter, done, records + (quotes % 2)


def _import_parallel(
    session: Session,
    actor: User | None,
    ref: VersionRef,
    definition: Definition,
    data: bytes,
    report: ImportReport,
    ignored: list[str],
    workers: int,
    total: int,
    progress: Progress | None,
) -> None:
    """Import a CSV export chunk by chunk in worker processes; reports merged in file order."""
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    session.commit()  # hold no transaction open while the workers write
    seen_headers: set[tuple[int | None, str | None, str]] = set()
    first_row: dict[str, int] = {}
    done = 0
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(url, definition.to_dict(), ref, actor, report.source),
    ) as pool:
        pending: deque[tuple[int, Future[tuple[ImportReport, list[str], list[tuple[int, str]]]]]]
        pending = deque()

        def merge() -> None:
            nonlocal done
            rows, future = pending.popleft()
            part, columns, read = future.result()
            if not ignored:
                ignored.extend(columns)
            report.added += part.added
            report.duplicates += part.duplicates
            for problem in part.problems:
                if problem.row is not None and problem.row <= 1:
                    # A header problem is reported by every chunk: keep one.
                    key = (problem.row, problem.field, problem.reason)
                    if key in seen_headers:
                        continue
                    seen_headers.add(key)
                report.problems.append(problem)
            for row, external_id in read:
                # The same submission in two chunks: one was stored and the other counted
                # as already present; read in one process, the later row is a bad row.
                first = first_row.setdefault(external_id, row)
                if first != row:
                    report.duplicates -= 1
                    reason = f"duplicate submission id {external_id} (first seen in row {first})"
                    report.problems.append(Problem(row, None, reason))
            done += rows
            if progress is not None:
                progress(done, total)

        for text, delimiter, offset, rows in _chunks(data):
            pending.append((rows, pool.submit(_import_chunk, text, delimiter, offset)))
            if len(pending) > 2 * workers:
                merge()
        while pending:
            merge()
    report.problems.sort(key=lambda problem: problem.row or 0)


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
    postgres = session.connection().dialect.name == "postgresql"
    for batch in _batches(items, report):
        if postgres:
            # The tables grow from nothing during an import, so a plan psycopg prepared
            # early (after 5 runs) and PostgreSQL kept as generic scans them: the
            # duplicate check went from 1 ms to 1 s per batch by 40,000 rows.  A plan
            # made for each run sees the table's current size.
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        ids = [s.external_id for s in batch]
        known = set(
            session.exec(
                select(Response.external_id).where(
                    Response.source == report.source, col(Response.external_id).in_(ids)
                )
            )
        )
        if postgres:
            # Only for that query: the inserts' foreign-key checks are cached plans too
            # (~10 per submission), and planning each again made an import 40 % slower.
            session.execute(text("SET LOCAL plan_cache_mode = auto"))
        fresh = [s for s in batch if s.external_id not in known]
        report.duplicates += len(batch) - len(fresh)
        prepared = new_members(ref, definition, _incoming(fresh))  # outside the write lock
        try:
            with serialised_writes(session):
                _store_batch(session, actor, ref, definition, fresh, report, prepared)
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


def _incoming(batch: list[ParsedSubmission]) -> list[Incoming]:
    return [Incoming(s.answers, s.external_id[:MAX_EXTERNAL_ID], s.submitted_at) for s in batch]


def _store_batch(
    session: Session,
    actor: User | None,
    ref: VersionRef,
    definition: Definition,
    batch: list[ParsedSubmission],
    report: ImportReport,
    prepared: list[NewMember | ValidationFailed] | None = None,
) -> None:
    """Store a batch with a few multi-row statements; rows the profile refuses are reported."""
    outcomes = store_new_members(
        session=session,
        actor=actor,
        ref=ref,
        definition=definition,
        incoming=_incoming(batch),
        source=report.source,
        prepared=prepared,
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
