"""Exports never hand a spreadsheet a formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from diaspora.tabular import safe_cell, to_csv, to_xlsx


def test_it_neutralises_cells_that_start_like_formulas() -> None:
    for dangerous in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("plain text") == "plain text"
    assert safe_cell(-5) == -5 and safe_cell(3.5) == 3.5


def test_it_writes_csv_and_xlsx_with_the_same_safe_values() -> None:
    rows = [['=HYPERLINK("http://x")', 3], ["ok", None]]
    text = to_csv(["name", "count"], rows).decode("utf-8-sig")
    assert text.splitlines()[1].startswith("\"'=HYPERLINK")
    book = load_workbook(io.BytesIO(to_xlsx({"people/by:country": (["name", "count"], rows)})))
    sheet = book.worksheets[0]
    assert sheet.title == "people_by_country"
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")' and sheet["B2"].value == 3
