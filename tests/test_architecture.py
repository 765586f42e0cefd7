"""The one dependency rule: web -> diaspora -> {surveys, matching}."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "surveys": {"diaspora", "web", "matching", "sqlmodel", "sqlalchemy", "fastapi"},
    "matching": {"diaspora", "web", "surveys", "sqlmodel", "sqlalchemy", "fastapi", "psycopg"},
    "diaspora": {"web"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_it_keeps_the_dependency_direction(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_it_finds_a_violation_when_there_is_one(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from diaspora.db import make_engine\nimport web.app\n")
    assert _imports(sample) & FORBIDDEN["matching"] == {"diaspora", "web"}
