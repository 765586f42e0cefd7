"""Exports across versions: every column, __version__, formula neutralisation, labels."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from surveys.exports import export_csv, export_json, export_xlsx, safe_cell
from surveys.xlsform import import_xlsform
from tests.surveys.forms import RICH, xlsform

V1 = import_xlsform(
    xlsform(
        [
            ["type", "name", "label::English (en)", "label::French (fr)"],
            ["text", "name", "Name", "Nom"],
            ["text", "dropped", "Old question", "Ancienne question"],
        ]
    ),
    filename="v1.xlsx",
)
V2 = import_xlsform(
    xlsform(
        [
            ["type", "name", "label::English (en)", "label::French (fr)"],
            ["text", "name", "Full name", "Nom complet"],
            ["integer", "age", "Age", "Âge"],
        ]
    ),
    filename="v2.xlsx",
)
ROWS = [
    ("1", {"name": '=HYPERLINK("http://evil")', "dropped": "kept"}, {"id": 1}),
    ("2", {"name": "@SUM(A1)", "age": 40}, {"id": 2}),
    ("2", {"name": "-2+3", "age": 7}, {"id": 3}),
]


def test_it_neutralises_formula_cells() -> None:
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(prefix + "1") == "'" + prefix + "1"
    assert safe_cell("plain") == "plain"
    assert safe_cell(-3) == -3


def test_it_exports_csv_with_every_column_and_the_version() -> None:
    text = export_csv(ROWS, {"1": V1, "2": V2}).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "__version__", "name", "dropped", "age"]
    assert rows[1] == ["1", "1", '\'=HYPERLINK("http://evil")', "kept", ""]
    assert rows[2] == ["2", "2", "'@SUM(A1)", "", "40"]
    assert rows[3][2] == "'-2+3"


def test_it_uses_labels_in_the_chosen_language_from_the_newest_version() -> None:
    text = export_csv(ROWS, {"1": V1, "2": V2}, headers="labels", language="fr").decode("utf-8-sig")
    assert text.splitlines()[0] == "id,__version__,Nom complet,Ancienne question,Âge"


def test_it_exports_xlsx_with_a_sheet_per_repeat_and_no_live_formulas() -> None:
    rich = import_xlsform(RICH, filename="rich.xlsx")
    answers = {
        "first_name": "=1+1",
        "children": [{"child_name": "A"}, {"child_name": "+B"}],
        "modes": ["temporary", "other"],
        "modes_other": "x",
    }
    workbook = load_workbook(io.BytesIO(export_xlsx([("3", answers, {"id": 9})], {"3": rich})))
    assert workbook.sheetnames == ["responses", "children"]
    main = [[c.value for c in row] for row in workbook["responses"].iter_rows()]
    assert main[0][:3] == ["id", "__version__", "first_name"]
    assert main[1][2] == "'=1+1"
    assert main[1][main[0].index("modes")] == "temporary other"
    assert main[1][main[0].index("modes_other")] == "x"
    children = [[c.value for c in row] for row in workbook["children"].iter_rows()]
    assert children[0][:2] == ["child_name", "child_age"]
    assert [row[0] for row in children[1:]] == ["A", "'+B"]
    assert all(
        cell.data_type != "f" for sheet in workbook for row in sheet.iter_rows() for cell in row
    )


def test_it_exports_json_with_versions_and_nested_repeats() -> None:
    records = json.loads(export_json([("2", {"name": "=x", "children": [{"a": 1}]}, {"id": 5})]))
    assert records == [{"__version__": "2", "id": 5, "name": "=x", "children": [{"a": 1}]}]


def test_it_fills_every_column_in_json_when_given_the_versions() -> None:
    records = json.loads(export_json(ROWS[:1], {"1": V1, "2": V2}))
    assert records[0]["age"] is None and records[0]["dropped"] == "kept"
