"""CSV and XLSX writers for every export, safe against spreadsheet formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

from surveys.exports import safe_cell as _safe_text

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would evaluate; lists and dicts are joined first."""
    if isinstance(value, (list, tuple, set)):
        return safe_cell(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return safe_cell(", ".join(f"{k}: {v}" for k, v in value.items()))
    return _safe_text(value)


def to_csv(headers: Row, rows: Iterable[Row]) -> bytes:
    """UTF-8 CSV with a BOM so spreadsheet programs detect the encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_plain(safe_cell(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return "" if value is None else value


def to_xlsx(sheets: dict[str, tuple[Row, Iterable[Row]]]) -> bytes:
    """One worksheet per entry: {sheet name: (headers, rows)}."""
    workbook = Workbook(write_only=True)
    for name, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(title=_sheet_title(name))
        sheet.append([safe_cell(h) for h in headers])
        for row in rows:
            sheet.append([_xlsx_value(safe_cell(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    return value


def _sheet_title(name: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name).strip() or "Sheet"
    return cleaned[:31]
