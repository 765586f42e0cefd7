"""Export responses across survey versions as CSV, XLSX or JSON.

Every column ever asked in any of the versions is kept (a question removed in a later
version still has its column, empty for newer responses) and `__version__` says which
version each response answered.  Text that a spreadsheet would run as a formula
(`= + - @`, tab, carriage return at the start) is neutralised with a leading `'`;
`safe_cell` is the helper for anyone else writing spreadsheets.

XLSX follows Kobo's layout (first sheet the responses, one sheet per repeat linked by
`_index` / `_parent_index` / `_parent_table_name`) so exports can be re-imported with
`surveys.submissions.parse_xlsx`.  CSV has one row per response; repeats are given as
JSON text in their column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook

from surveys.definition import OTHER_SUFFIX, Definition, Question

__all__ = ["Response", "export_csv", "export_json", "export_xlsx", "safe_cell"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
VERSION_COLUMN = "__version__"
MAIN_SHEET = "responses"
Headers = Literal["names", "labels"]


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would treat as a formula; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True, slots=True)
class Response:
    """One response to export: the version it answered, its answers and its metadata."""

    version: str
    answers: Mapping[str, Any]
    meta: Mapping[str, Any]


ResponseLike = Response | tuple[str, Mapping[str, Any], Mapping[str, Any]]


def _responses(rows: Iterable[ResponseLike]) -> list[Response]:
    return [row if isinstance(row, Response) else Response(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    question: Question | None  # None for a repeat column


class _Layout:
    """Columns per scope (main and each repeat) across all versions, newest label wins."""

    def __init__(self, definitions: Mapping[str, Definition]) -> None:
        self.definitions = definitions
        self.scopes: dict[tuple[str, ...], dict[str, _Column]] = {(): {}}
        for definition in definitions.values():
            self._add(definition)
        self.newest = list(definitions.values())[-1] if definitions else None

    def _add(self, definition: Definition) -> None:
        for fld in definition.fields():
            question = fld.question
            if not question.holds_answer:
                continue
            scope = self.scopes.setdefault(fld.repeats, {})
            for depth in range(len(fld.repeats)):
                parent = self.scopes.setdefault(fld.repeats[:depth], {})
                parent.setdefault(fld.repeats[depth], _Column(fld.repeats[depth], None))
            scope[question.name] = _Column(question.name, question)
            if question.or_other:
                other = question.name + OTHER_SUFFIX
                scope[other] = _Column(
                    other, Question(name=other, type="text", label=question.label)
                )

    def header(self, column: _Column, headers: Headers, language: str | None) -> str:
        """Column title: the name, or the label in `language` from the newest version."""
        if headers == "names" or self.newest is None:
            return column.name
        for definition in reversed(list(self.definitions.values())):
            for fld in definition.fields():
                if fld.question.name == column.name.removesuffix(OTHER_SUFFIX):
                    label = definition.text(fld.question.label, language)
                    if label:
                        return label + (" (other)" if column.name.endswith(OTHER_SUFFIX) else "")
            for group, _parents in definition.repeats():
                if group.name == column.name:
                    return definition.text(group.label, language) or column.name
        return column.name


def _cell(column: _Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        if column.question is None:
            return json.dumps(value, ensure_ascii=False, default=str)
        separator = " " if column.question.type in ("select_multiple", "rank") else "; "
        return separator.join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _meta_columns(responses: Sequence[Response]) -> list[str]:
    return list(dict.fromkeys(key for response in responses for key in response.meta))


def export_csv(
    rows: Iterable[ResponseLike],
    definitions: Mapping[str, Definition],
    *,
    headers: Headers = "names",
    language: str | None = None,
) -> bytes:
    """One CSV row per response (UTF-8 with BOM so spreadsheet programs detect it)."""
    responses = _responses(rows)
    layout = _Layout(definitions)
    columns = list(layout.scopes[()].values())
    meta = _meta_columns(responses)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [*meta, VERSION_COLUMN, *(layout.header(c, headers, language) for c in columns)]
    )
    for response in responses:
        cells = [*(response.meta.get(key) for key in meta), response.version]
        cells += [_cell(column, response.answers.get(column.name)) for column in columns]
        writer.writerow([_text(safe_cell(_cell_value(cell))) for cell in cells])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def export_json(
    rows: Iterable[ResponseLike], definitions: Mapping[str, Definition] | None = None
) -> bytes:
    """A JSON array of {__version__, meta..., answers...}; repeats stay nested lists.

    With `definitions`, every top-level column ever asked is present (null when unanswered).
    """
    columns = dict.fromkeys(_Layout(definitions).scopes[()]) if definitions else {}
    records = [
        {VERSION_COLUMN: response.version, **response.meta, **columns, **response.answers}
        for response in _responses(rows)
    ]
    return json.dumps(records, ensure_ascii=False, default=str, indent=1).encode("utf-8")


def export_xlsx(
    rows: Iterable[ResponseLike],
    definitions: Mapping[str, Definition],
    *,
    headers: Headers = "names",
    language: str | None = None,
) -> bytes:
    """A workbook: responses on the first sheet, one sheet per repeat (Kobo layout)."""
    responses = _responses(rows)
    layout = _Layout(definitions)
    workbook = Workbook(write_only=True)
    sheet_names = _sheet_names(layout)
    main = workbook.create_sheet(sheet_names[()])
    columns = [c for c in layout.scopes[()].values() if c.question is not None]
    meta = _meta_columns(responses)
    main.append(
        [*meta, VERSION_COLUMN, *(layout.header(c, headers, language) for c in columns), "_index"]
    )
    repeat_sheets = {
        scope: _RepeatSheet(
            workbook.create_sheet(sheet_names[scope]), scope, layout, headers, language
        )
        for scope in layout.scopes
        if scope
    }
    for index, response in enumerate(responses, start=1):
        cells = [*(response.meta.get(key) for key in meta), response.version]
        cells += [_cell(column, response.answers.get(column.name)) for column in columns]
        main.append([safe_cell(_cell_value(cell)) for cell in [*cells, index]])
        _write_repeats(
            repeat_sheets, (), response.answers, index, sheet_names[()], response.version
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_names(layout: _Layout) -> dict[tuple[str, ...], str]:
    names: dict[tuple[str, ...], str] = {(): MAIN_SHEET}
    used = {MAIN_SHEET}
    for scope in layout.scopes:
        if not scope:
            continue
        base = scope[-1][:31]
        name, counter = base, 2
        while name in used:
            suffix = f"_{counter}"
            name, counter = base[: 31 - len(suffix)] + suffix, counter + 1
        used.add(name)
        names[scope] = name
    return names


class _RepeatSheet:
    """A repeat's sheet: its columns plus Kobo's linking columns."""

    def __init__(
        self,
        sheet: Any,
        scope: tuple[str, ...],
        layout: _Layout,
        headers: Headers,
        language: str | None,
    ) -> None:
        self.sheet = sheet
        self.columns = [c for c in layout.scopes[scope].values() if c.question is not None]
        self.next_index = 1
        titles = [layout.header(c, headers, language) for c in self.columns]
        sheet.append([*titles, VERSION_COLUMN, "_index", "_parent_index", "_parent_table_name"])

    def write(
        self, instance: Mapping[str, Any], parent_index: int, parent_sheet: str, version: str
    ) -> int:
        """Append one repeat instance and return its _index."""
        index = self.next_index
        self.next_index += 1
        cells = [_cell(column, instance.get(column.name)) for column in self.columns]
        self.sheet.append(
            [
                safe_cell(_cell_value(c))
                for c in [*cells, version, index, parent_index, parent_sheet]
            ]
        )
        return index


def _write_repeats(
    sheets: Mapping[tuple[str, ...], _RepeatSheet],
    scope: tuple[str, ...],
    answers: Mapping[str, Any],
    parent_index: int,
    parent_sheet: str,
    version: str,
) -> None:
    for inner, sheet in sheets.items():
        if len(inner) != len(scope) + 1 or inner[: len(scope)] != scope:
            continue
        instances = answers.get(inner[-1])
        for instance in instances if isinstance(instances, list) else []:
            if isinstance(instance, Mapping):
                index = sheet.write(instance, parent_index, parent_sheet, version)
                _write_repeats(sheets, inner, instance, index, sheet.sheet.title, version)
