"""`diaspora taxonomy ...` commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from diaspora.config import get_settings
from diaspora.db import make_engine, session_scope
from diaspora.errors import ValidationFailed

taxonomy_app = typer.Typer(help="Skill and occupation taxonomy (ESCO).", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


@taxonomy_app.command("import-esco")
def import_esco_command(
    path: Path = typer.Argument(..., help="ESCO CSV download: a folder or a zip."),
) -> None:
    """Import the official ESCO classification (all languages present) into the database."""
    from diaspora.taxonomy.service import ESCO_NOTICE, import_esco

    if not path.exists():
        err.print(f"[red]error:[/red] {path} does not exist")
        raise typer.Exit(2)
    engine = make_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session, Progress(console=err, transient=True) as bar:
        task = bar.add_task("storing concepts", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            counts = import_esco(session=session, actor=None, path=path, progress=progress)
        except ValidationFailed as exc:
            err.print(f"[red]error:[/red] {exc.errors.get('path', exc.message)}")
            raise typer.Exit(1) from exc
    typer.echo(
        f"imported {counts['skills']} skills and {counts['occupations']} occupations from {path}"
    )
    typer.echo(ESCO_NOTICE)
