"""`diaspora survey ...` commands: XLSForms in, Kobo/ODK submissions in, responses out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from diaspora.config import get_settings
from diaspora.db import make_engine, metadata, session_scope
from diaspora.errors import DomainError, ValidationFailed

survey_app = typer.Typer(
    help="Surveys: XLSForm import/export, Kobo/ODK submissions, response exports.",
    no_args_is_help=True,
)
err = Console(stderr=True, soft_wrap=True, highlight=False)
# A form or an export bigger than this is refused before it is read.
MAX_FORM_BYTES = 20 * 1024 * 1024
MAX_EXPORT_BYTES = 500 * 1024 * 1024


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _problems(exc: ValidationFailed) -> None:
    err.print(f"[red]error:[/red] {escape(exc.message)}")
    for key, message in exc.errors.items():
        where = "" if key.startswith("problems[") else f"{key}: "
        err.print(f"  - {escape(where + message)}")
    raise typer.Exit(1)


def _read(path: Path, limit: int) -> bytes:
    if not path.is_file():
        _fail(f"{path} is not a file", 2)
    if path.stat().st_size > limit:
        _fail(f"{path} is larger than {limit // (1024 * 1024)} MB")
    return path.read_bytes()


def _engine():  # type: ignore[no-untyped-def]
    metadata()  # register every table before the first flush
    return make_engine(get_settings().resolved_database_url)


@survey_app.command("import")
def import_form(
    file: Path = typer.Argument(..., help="An XLSForm (.xlsx or .xls)."),
    slug: str | None = typer.Option(None, "--slug", help="Survey slug (default: the form_id)."),
    publish: bool = typer.Option(False, "--publish", help="Publish the imported version."),
) -> None:
    """Import an XLSForm as a new survey, or as a new version of the survey with that slug."""
    from diaspora.responses import service

    data = _read(file, MAX_FORM_BYTES)
    with session_scope(_engine()) as session:
        try:
            version = service.import_form(
                session=session,
                actor=None,
                data=data,
                filename=file.name,
                slug=slug,
                publish_it=publish,
            )
        except ValidationFailed as exc:
            _problems(exc)
            return
        except DomainError as exc:
            _fail(exc.message)
            return
        survey = session.get(service.Survey, version.survey_id)
        found = survey.slug if survey else slug or ""
    err.print(f"version {version.number} of {escape(found)}: {version.status}")
    typer.echo(found)


@survey_app.command("import-submissions")
def import_submissions(
    file: Path = typer.Argument(
        ..., help="A Kobo or ODK export (.csv, .xlsx, or ODK Central .csv.zip)."
    ),
    survey: str = typer.Option(..., "--survey", help="Slug of the survey the data answers."),
    version: int | None = typer.Option(
        None, "--version", help="Version number (default: the published one)."
    ),
    source: str | None = typer.Option(
        None, "--source", help="kobo | odk | csv (default: detected from the columns)."
    ),
) -> None:
    """Import submissions; rows already imported are skipped, bad rows are listed."""
    from diaspora.responses.imports import import_file

    data = _read(file, MAX_EXPORT_BYTES)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with session_scope(_engine()) as session, Progress(*columns, console=err) as bar:
        task = bar.add_task("importing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        try:
            report = import_file(
                session=session,
                actor=None,
                slug=survey,
                data=data,
                filename=file.name,
                source=source,
                version=version,
                progress=progress,
                parallel=True,
            )
        except ValidationFailed as exc:
            _problems(exc)
            return
        except DomainError as exc:
            _fail(exc.message)
            return
        if report.added:
            # Bring the dashboard's counts up to date now (~0.2 ms a member), not at the
            # first dashboard view after a large import.
            from diaspora.analytics.summary import refresh

            bar.add_task("updating dashboard counts", total=None)
            refresh(session)
    typer.echo(f"source: {report.source}, survey version {report.version}")
    typer.echo(f"added: {report.added}")
    typer.echo(f"already present: {report.duplicates}")
    typer.echo(f"bad rows: {report.bad_rows}")
    for problem in report.problems:
        typer.echo(f"  {problem}")
    if report.ignored_columns:
        typer.echo(f"ignored columns: {', '.join(report.ignored_columns)}")


@survey_app.command("export")
def export(
    slug: str = typer.Argument(..., help="Survey slug."),
    fmt: str = typer.Option("csv", "--format", help="csv | xlsx | json"),
    out: Path = typer.Option(..., "--out", help="File to write."),
    version: int | None = typer.Option(None, "--version", help="Only this version."),
    status: str = typer.Option("submitted", "--status", help="submitted | draft | all"),
) -> None:
    """Export responses across versions (every column ever asked, plus __version__)."""
    from diaspora.responses import review

    with session_scope(_engine()) as session:
        try:
            _name, _media, data = review.export(
                session=session,
                actor=None,
                slug=slug,
                fmt=fmt,
                version=version,
                status=None if status == "all" else status,
            )
        except ValidationFailed as exc:
            _problems(exc)
            return
        except DomainError as exc:
            _fail(exc.message)
            return
    out.write_bytes(data)
    err.print(f"wrote {len(data)} bytes to {escape(str(out))}")
    typer.echo(str(out))


@survey_app.command("list")
def list_surveys() -> None:
    """Surveys and their versions."""
    from sqlmodel import col, select

    from diaspora.responses.models import Survey, SurveyVersion

    with session_scope(_engine()) as session:
        surveys = session.exec(select(Survey).order_by(col(Survey.id))).all()
        for survey in surveys:
            versions = session.exec(
                select(SurveyVersion.number, SurveyVersion.status)
                .where(SurveyVersion.survey_id == survey.id)
                .order_by(col(SurveyVersion.number))
            ).all()
            listed = ", ".join(f"v{number} {status}" for number, status in versions)
            typer.echo(f"{survey.slug}\t{survey.title}\t{listed}")


@survey_app.command("publish")
def publish(
    slug: str,
    number: int | None = typer.Argument(None, help="Version number (default: the newest draft)."),
) -> None:
    """Publish a draft version (the published one is retired)."""
    from sqlmodel import col, select

    from diaspora.responses import service
    from diaspora.responses.models import Survey, SurveyVersion

    with session_scope(_engine()) as session:
        if number is None:
            number = session.exec(
                select(SurveyVersion.number)
                .join(Survey, col(Survey.id) == col(SurveyVersion.survey_id))
                .where(Survey.slug == slug, SurveyVersion.status == "draft")
                .order_by(col(SurveyVersion.number).desc())
            ).first()
            if number is None:
                _fail(f"{slug} has no draft version to publish")
                return
        try:
            service.publish(session=session, actor=None, slug=slug, number=number)
        except DomainError as exc:
            _fail(exc.message)
    typer.echo(f"{slug} v{number} published")
