"""JSONL reading with line-numbered errors, rankings writing, rank_files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from matching import Match, Taxonomy
from matching.io import LineError, rank_files, read_members, read_requests, write_rankings

GOOD = {
    "id": "m1",
    "occupation": "civil engineer",
    "skills": ["structural analysis"],
    "languages": ["en"],
    "modes": ["temporary"],
    "years_experience": 4,
}


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_it_reports_bad_lines_with_their_numbers_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "members.jsonl",
        [
            GOOD,
            "",
            {**GOOD, "id": "m2", "languages": ["english"]},
            "{not json",
            {**GOOD, "id": "m1"},
            {**GOOD, "id": "m3"},
        ],
    )
    errors: list[LineError] = []
    members = read_members(path, on_error=errors.append)
    assert [m.id for m in members] == ["m1", "m3"]
    assert [e.line for e in errors] == [3, 4, 5]
    assert str(errors[0]).endswith(
        "line 3: field \"languages\": expected a list of ISO 639-1 codes (unknown code 'english')"
    )
    assert "invalid JSON" in errors[1].message
    assert "duplicate id 'm1' (first on line 1)" in errors[2].message


def test_it_reads_requests(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"id": "r1", "title": "civil engineer", "mode": "temporary"},
            {"id": "r2", "title": "", "skills_essential": []},
        ],
    )
    errors: list[LineError] = []
    assert [r.id for r in read_requests(path, on_error=errors.append)] == ["r1"]
    assert "needs a title or at least one skill" in errors[0].message


def test_it_writes_rankings_best_first() -> None:
    out = io.StringIO()
    write_rankings(out, [("r1", [Match("m2", 0.9), Match("m1", 0.5)]), ("r2", [])])
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines == [
        {
            "request_id": "r1",
            "ranking": [{"member_id": "m2", "score": 0.9}, {"member_id": "m1", "score": 0.5}],
        },
        {"request_id": "r2", "ranking": []},
    ]


def test_it_ranks_files_end_to_end(tmp_path: Path, taxonomy: Taxonomy) -> None:
    members = write_jsonl(
        tmp_path / "m.jsonl",
        [GOOD, {**GOOD, "id": "m2", "occupation": "midwife", "skills": ["deliver babies"]}, "oops"],
    )
    requests = write_jsonl(
        tmp_path / "r.jsonl",
        [{"id": "r1", "title": "civil engineer", "mode": "temporary", "languages": ["en"]}],
    )
    out = tmp_path / "rankings.jsonl"
    seen: list[tuple[str, int, int]] = []
    summary = rank_files(
        members,
        requests,
        out,
        top=5,
        taxonomy=taxonomy,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert (summary.members, summary.requests, len(summary.errors)) == (2, 1, 1)
    assert json.loads(out.read_text())["ranking"][0]["member_id"] == "m1"
    assert {s for s, _, _ in seen} == {"reading members", "indexing", "ranking"}


def test_it_refuses_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        rank_files(tmp_path / "nope.jsonl", tmp_path / "r.jsonl", tmp_path / "o.jsonl")
