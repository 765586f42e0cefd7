"""`diaspora match rank` (tested on match_app directly)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diaspora.match_cli import match_app

runner = CliRunner()
MEMBERS = [
    {
        "id": "m1",
        "occupation": "software developer",
        "skills": ["Python (computer programming)"],
        "languages": ["en"],
        "modes": ["virtual"],
        "years_experience": 3,
    },
    {
        "id": "m2",
        "occupation": "accountant",
        "skills": ["accounting"],
        "languages": ["en"],
        "modes": ["virtual"],
        "years_experience": 8,
    },
    {
        "id": "m3",
        "occupation": "web developer",
        "skills": ["JavaScript"],
        "languages": ["fr"],
        "modes": ["virtual"],
        "years_experience": 3,
    },
]
REQUESTS = [
    {
        "id": "r1",
        "title": "software developer",
        "skills_essential": ["Python (computer programming)"],
        "languages": ["en"],
        "mode": "virtual",
        "min_years_experience": 1,
    },
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    members = tmp_path / "members.jsonl"
    members.write_text("".join(json.dumps(m) + "\n" for m in MEMBERS))
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(r) + "\n" for r in REQUESTS))
    return members, requests, tmp_path / "rankings.jsonl"


def invoke(*args: str | Path, env: dict[str, str] | None = None):
    return runner.invoke(
        match_app, ["rank", *map(str, args)], env=env or {"DIASPORA_ESCO_PATH": ""}
    )


def test_it_writes_rankings(files: tuple[Path, Path, Path]) -> None:
    members, requests, out = files
    result = invoke("--members", members, "--requests", requests, "--top", "2", "--out", out)
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["request_id"] == "r1"
    assert [r["member_id"] for r in lines[0]["ranking"]][0] == "m1"
    assert "m3" not in [r["member_id"] for r in lines[0]["ranking"]]  # no English
    assert "ranked 1 requests against 3 members" in result.stderr


def test_it_reports_bad_lines_on_stderr_and_goes_on(files: tuple[Path, Path, Path]) -> None:
    members, requests, out = files
    with members.open("a") as fh:
        fh.write('{"id": "m9", "languages": ["english"]}\nnot json\n')
    result = invoke("--members", members, "--requests", requests, "--out", out)
    assert result.exit_code == 0
    assert 'line 4: field "languages": expected a list of ISO 639-1 codes' in result.stderr
    assert "line 5: invalid JSON" in result.stderr
    assert "(2 bad lines skipped)" in result.stderr
    assert out.exists()


@pytest.mark.parametrize("missing", ["--members", "--requests"])
def test_it_fails_with_one_line_for_a_missing_file(
    files: tuple[Path, Path, Path], missing: str
) -> None:
    members, requests, out = files
    paths = {"--members": members, "--requests": requests}
    paths[missing] = members.parent / "nope.jsonl"
    result = invoke(
        "--members", paths["--members"], "--requests", paths["--requests"], "--out", out
    )
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: ") and "nope.jsonl" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists()


def test_it_fails_cleanly_for_a_bad_esco_path(files: tuple[Path, Path, Path]) -> None:
    members, requests, out = files
    result = invoke(
        "--members",
        members,
        "--requests",
        requests,
        "--out",
        out,
        "--esco",
        members.parent / "nope",
    )
    assert result.exit_code == 2
    assert "cannot read ESCO" in result.stderr and "Traceback" not in result.stderr
