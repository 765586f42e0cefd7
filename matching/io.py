"""JSONL files: members and requests in, rankings out; bad lines are reported and skipped."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from matching.index import Match, MatchIndex
from matching.records import InvalidRecord, Member, Request
from matching.taxonomy import Taxonomy

T = TypeVar("T", Member, Request)
PathLike = str | os.PathLike[str]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class LineError:
    """A line of a JSONL file that could not be used."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}: line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class RankSummary:
    """What rank_files did."""

    members: int
    requests: int
    errors: tuple[LineError, ...]


def iter_records(
    path: PathLike,
    parse: Callable[[Any], T],
    *,
    on_error: Callable[[LineError], None] | None = None,
) -> Iterator[T]:
    """Parse each non-blank line; report bad lines (invalid JSON, bad field, duplicate id) and go on."""
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = parse(json.loads(line))
                if record.id in seen:
                    raise InvalidRecord(
                        "id", f"duplicate id {record.id!r} (first on line {seen[record.id]})"
                    )
            except json.JSONDecodeError as exc:
                message = f"invalid JSON ({exc.msg} at column {exc.colno})"
            except InvalidRecord as exc:
                message = str(exc)
            else:
                seen[record.id] = number
                yield record
                continue
            if on_error is not None:
                on_error(LineError(str(path), number, message))


def read_members(
    path: PathLike, *, on_error: Callable[[LineError], None] | None = None
) -> list[Member]:
    """Members from a members.jsonl file."""
    return list(iter_records(path, Member.from_dict, on_error=on_error))


def read_requests(
    path: PathLike, *, on_error: Callable[[LineError], None] | None = None
) -> list[Request]:
    """Requests from a requests.jsonl file."""
    return list(iter_records(path, Request.from_dict, on_error=on_error))


def ranking_line(request_id: str, matches: Iterable[Match]) -> str:
    """One rankings.jsonl line: the request and its members, best first."""
    ranking = [{"member_id": m.member_id, "score": m.score} for m in matches]
    return json.dumps({"request_id": request_id, "ranking": ranking}, ensure_ascii=False)


def write_rankings(out: PathLike | IO[str], rankings: Iterable[tuple[str, Iterable[Match]]]) -> int:
    """Write rankings.jsonl; returns the number of requests written."""
    if isinstance(out, str | os.PathLike):
        with open(out, "w", encoding="utf-8") as fh:
            return write_rankings(fh, rankings)
    count = 0
    for request_id, matches in rankings:
        out.write(ranking_line(request_id, matches) + "\n")
        count += 1
    return count


def _count_lines(path: PathLike) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def rank_files(
    members_path: PathLike,
    requests_path: PathLike,
    out_path: PathLike,
    *,
    top: int = 10,
    taxonomy: Taxonomy | None = None,
    on_error: Callable[[LineError], None] | None = None,
    progress: Progress | None = None,
) -> RankSummary:
    """Rank every request's members from JSONL files and write rankings.jsonl (what the CLI runs)."""
    for p in (members_path, requests_path):
        if not Path(p).is_file():
            raise FileNotFoundError(f"no such file: {p}")
    errors: list[LineError] = []

    def report(err: LineError) -> None:
        errors.append(err)
        if on_error is not None:
            on_error(err)

    def tick(stage: str, total: int) -> Callable[[int], None]:
        return (lambda done: progress(stage, done, total)) if progress else (lambda done: None)

    member_tick = tick("reading members", _count_lines(members_path) if progress else 0)
    members = []
    for i, m in enumerate(iter_records(members_path, Member.from_dict, on_error=report), start=1):
        members.append(m)
        if i % 10_000 == 0:
            member_tick(i)
    member_tick(len(members))
    index_tick = tick("indexing", len(members))
    index = MatchIndex(taxonomy=taxonomy)
    batch = index.batch_size
    for start in range(0, len(members), batch):
        index.extend(members[start : start + batch])
        index_tick(min(len(members), start + batch))
    requests = read_requests(requests_path, on_error=report)
    request_tick = tick("ranking", len(requests))
    with open(out_path, "w", encoding="utf-8") as fh:
        for i, r in enumerate(requests, start=1):
            fh.write(ranking_line(r.id, index.rank(r, limit=top, explain=False)) + "\n")
            request_tick(i)
    return RankSummary(len(members), len(requests), tuple(errors))
