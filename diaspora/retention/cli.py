"""`diaspora retention ...`: show the periods and purge what is older."""

from __future__ import annotations

import typer
from rich.console import Console

from diaspora.config import get_settings
from diaspora.db import make_engine, session_scope

retention_app = typer.Typer(help="Retention periods and the purge.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


@retention_app.command("show")
def show_command() -> None:
    """Print the retention period of each kind of record."""
    from diaspora.retention.service import BY_KEY, periods

    engine = make_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        for key, days in periods(session=session).items():
            typer.echo(f"{key}\t{days} days\t{BY_KEY[key].label}")


@retention_app.command("purge")
def purge_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go and why."),
    apply: bool = typer.Option(False, "--apply", help="Erase and delete it (audited)."),
) -> None:
    """List (--dry-run) or remove (--apply) the records older than their retention period.

    Members are erased through the same service a member's own request uses."""
    from diaspora.retention.service import plan, purge, summary

    if dry_run == apply:
        err.print("[red]error:[/red] give exactly one of --dry-run or --apply")
        raise typer.Exit(2)
    engine = make_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        due = purge(session=session, actor=None) if apply else plan(session=session, actor=None)
        for item in due:
            typer.echo(f"{item.kind}\t{item.entity} {item.entity_id}\t{item.reason}")
        counts = ", ".join(f"{k}: {n}" for k, n in summary(due).items())
        verb = "removed" if apply else "would remove"
        typer.echo(f"{verb} {len(due)} records ({counts})")
