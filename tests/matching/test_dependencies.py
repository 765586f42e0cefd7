"""matching/ stays a pure library; the CLI module only glues matching, typer and rich."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_ALLOWED = {"matching", "numpy", "scipy", "sklearn", "rapidfuzz"}
CLI_ALLOWED = {"matching", "typer", "rich"}


def _third_party(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "__future__"}


def test_it_imports_only_the_stdlib_and_numeric_libraries() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_third_party(p) - LIBRARY_ALLOWED)
        for p in sorted((ROOT / "matching").rglob("*.py"))
        if _third_party(p) - LIBRARY_ALLOWED
    }
    assert offenders == {}


def test_it_keeps_the_cli_module_thin() -> None:
    assert _third_party(ROOT / "diaspora" / "match_cli.py") <= CLI_ALLOWED
