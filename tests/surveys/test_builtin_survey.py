"""The built-in Diaspora mapping survey and the engine's independence."""

from __future__ import annotations

import ast
from pathlib import Path

from surveys.bindings import CONSENT_PURPOSES, PROFILE_FIELDS
from surveys.definition import pages
from surveys.xlsform import export_xlsform, import_xlsform
from tests.surveys.forms import SURVEY_XLSX

ROOT = Path(__file__).resolve().parents[2]


def test_it_imports_the_builtin_survey_with_eight_pages_and_five_languages() -> None:
    definition = import_xlsform(SURVEY_XLSX)
    assert definition.settings.form_id == "diaspora_mapping"
    assert definition.settings.languages == ("en", "fr", "es", "pt", "ar")
    assert len(pages(definition)) == 8
    for field in definition.fields():
        if field.question.label:
            assert set(field.question.label) == {"en", "fr", "es", "pt", "ar"}, field.question.name
    assert import_xlsform(export_xlsform(definition), filename="again.xlsx") == definition


def test_it_binds_the_builtin_survey_to_profile_fields_and_consents() -> None:
    definition = import_xlsform(SURVEY_XLSX)
    binds = {field.question.bind for field in definition.fields() if field.question.bind}
    expected = PROFILE_FIELDS - {"occupation_code", "sectors", "languages"}
    assert expected <= binds
    assert {f"consent:{purpose}" for purpose in CONSENT_PURPOSES} <= binds
    assert {"languages.code", "languages.level"} <= binds


def test_it_regenerates_the_same_survey(tmp_path: Path, monkeypatch: object) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_survey", ROOT / "sample_data" / "survey" / "make_survey.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "survey.xlsx"
    module.build().save(out)
    assert import_xlsform(out) == import_xlsform(SURVEY_XLSX)


def test_it_never_imports_the_app_or_the_web_layer() -> None:
    for path in (ROOT / "surveys").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(name.split(".")[0] in ("diaspora", "web") for name in names), path.name
