"""`diaspora match ...`: rank members against placement requests from JSONL files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from matching import Taxonomy
from matching.esco import EscoError, load_esco
from matching.io import LineError, rank_files

match_app = typer.Typer(help="Match diaspora members to placement requests.", no_args_is_help=True)

PROGRESS_MIN_BYTES = 2_000_000  # below this a run takes a moment; a bar would only flicker
MAX_SHOWN_ERRORS = 50


@match_app.callback()
def _match() -> None:
    """Match diaspora members to placement requests."""


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"error: {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


# Where an ESCO download usually sits next to a checkout (the shared material of a mission's
# deployment); looked for only when neither --esco nor DIASPORA_ESCO_PATH names one.
CONVENTIONAL_ESCO = (
    Path("../shared/esco/v1.1.1"),
    Path(__file__).resolve().parents[2] / "shared/esco/v1.1.1",
)


def _taxonomy(console: Console, esco: Path | None) -> Taxonomy:
    if esco is None:
        esco = next((p for p in CONVENTIONAL_ESCO if p.exists()), None)
    if esco is None:
        console.print(
            "warning: ranking with the small built-in taxonomy; pass --esco PATH (or set "
            "DIASPORA_ESCO_PATH) to the ESCO CSV download for much better matches",
            highlight=False,
        )
        return Taxonomy.builtin()
    try:
        return load_esco(esco)
    except (EscoError, OSError) as exc:
        raise _fail(console, f"cannot read ESCO from {esco}: {exc}") from None


@match_app.command("rank")
def rank(
    members: Path = typer.Option(..., "--members", help="members.jsonl"),
    requests: Path = typer.Option(..., "--requests", help="requests.jsonl"),
    out: Path = typer.Option(..., "--out", help="where to write rankings.jsonl"),
    top: int = typer.Option(10, "--top", min=1, help="members per request"),
    esco: Path | None = typer.Option(
        None,
        "--esco",
        envvar="DIASPORA_ESCO_PATH",
        help="ESCO CSV download (folder or zip); default: ../shared/esco/v1.1.1 when present, else the built-in taxonomy",
    ),
) -> None:
    """Rank members for every request and write rankings.jsonl (best first)."""
    err = Console(stderr=True)
    for label, path in (("members", members), ("requests", requests)):
        if not path.is_file():
            raise _fail(err, f"{label} file not found: {path}")
    if not out.parent.is_dir():
        raise _fail(err, f"output folder not found: {out.parent}")
    started = time.perf_counter()
    taxonomy = _taxonomy(err, esco)
    errors: list[LineError] = []

    def report(error: LineError) -> None:
        errors.append(error)
        if len(errors) <= MAX_SHOWN_ERRORS:
            err.print(escape(str(error)), highlight=False, soft_wrap=True)

    large = os.path.getsize(members) + os.path.getsize(requests) >= PROGRESS_MIN_BYTES
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not large,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done)

        try:
            summary = rank_files(
                members,
                requests,
                out,
                top=top,
                taxonomy=taxonomy,
                on_error=report,
                progress=progress,
            )
        except OSError as exc:
            raise _fail(err, str(exc)) from None
    if len(errors) > MAX_SHOWN_ERRORS:
        err.print(f"... and {len(errors) - MAX_SHOWN_ERRORS} more bad lines", highlight=False)
    err.print(
        f"ranked {summary.requests} requests against {summary.members} members"
        f" in {time.perf_counter() - started:.1f} s -> {escape(str(out))}"
        + (f" ({len(errors)} bad lines skipped)" if errors else ""),
        highlight=False,
        soft_wrap=True,
    )
