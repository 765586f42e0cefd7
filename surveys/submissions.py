"""Parse KoboToolbox / ODK submissions (REST JSON, CSV and XLSX exports) into answers.

Every row becomes either a `ParsedSubmission` (external id, typed answers keyed by
question name, submission time) or one or more `RowError`s; good rows are kept when
others fail.  External ids are stable across formats (`uuid:` prefix removed, edits
keep `meta/rootUuid`), so re-importing the same data is idempotent for the app.

Headers may carry group paths (`group/question` from Kobo, `group-question` from ODK
Central) or bare names; select_multiple answers are space-separated, or given as one
0/1 column per choice (`question/choice`).  In XLSX exports each repeat has its own
sheet linked by `_index` / `_parent_index` / `_parent_table_name`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from surveys._safety import Limits, UnsafeFile, check_xlsx, sniff
from surveys.definition import OTHER_SUFFIX, Definition, Question
from surveys.validation import CoercionError, coerce_value, validate_all
from surveys.validation import _coercion_message as coercion_message
from surveys.validation import _plan as validation_plan

__all__ = [
    "ParseResult",
    "ParsedSubmission",
    "RowError",
    "iter_csv",
    "parse_csv",
    "parse_kobo_json",
    "parse_xlsx",
]

# Kobo and ODK columns that describe the submission, not an answer.
_ID_KEYS = (
    "meta/rootUuid",
    "meta-rootUuid",
    "_uuid",
    "meta/instanceID",
    "meta-instanceID",
    "KEY",
    "instanceID",
)
_TIME_KEYS = ("_submission_time", "SubmissionDate", "submission_time")
_META_PREFIXES = ("_", "meta/", "meta-", "formhub/", "formhub-")
_META_KEYS = frozenset(
    {
        "KEY",
        "SubmissionDate",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
        "instanceID",
        "__version__",
        "PARENT_KEY",
    }
)
_FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"}) - {""}
_TRUE_CELLS = frozenset({"1", "1.0", "true", "True", "TRUE"})
EXPORT_LIMITS = Limits(
    max_bytes=200 * 1024 * 1024,
    max_uncompressed=2 * 1024**3,
    max_ratio=200,
    max_rows=1_100_000,
    max_members=2000,
)


@dataclass(frozen=True, slots=True)
class ParsedSubmission:
    """A submission ready to store: `answers` are typed and keyed by question name."""

    external_id: str
    answers: dict[str, Any]
    submitted_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was not imported; `row` is the 1-based line/row (header is row 1)."""

    row: int
    field: str | None
    reason: str


@dataclass(slots=True)
class ParseResult:
    """Good submissions, per-row errors, and notes on columns that were ignored."""

    submissions: list[ParsedSubmission] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- header resolution


@dataclass(slots=True)
class _Target:
    name: str
    question: Question | None  # None for a repeat
    other_of: Question | None = None


class _Resolver:
    """Maps export headers to question names, per repeat scope (cached per header)."""

    def __init__(self, definition: Definition) -> None:
        self.keys: dict[tuple[str, ...], dict[str, _Target]] = {(): {}}
        for fld in definition.fields():
            scope = fld.repeats
            paths = _paths(fld.groups, fld.question.name)
            target = _Target(fld.question.name, fld.question)
            self._add(scope, paths, target)
            if fld.question.or_other:
                other = fld.question.name + OTHER_SUFFIX
                self._add(scope, _paths(fld.groups, other), _Target(other, None, fld.question))
        for group, parents in definition.repeats():
            groups = self._repeat_groups(definition, group.name)
            self._add(parents, _paths(groups, group.name), _Target(group.name, None))
            self.keys.setdefault((*parents, group.name), {})
        self.cache: dict[tuple[tuple[str, ...], str], _Target | None] = {}

    def _repeat_groups(self, definition: Definition, name: str) -> tuple[str, ...]:
        for fld in definition.fields():
            if name in fld.groups:
                return fld.groups[: fld.groups.index(name)]
        return ()

    def _add(self, scope: tuple[str, ...], paths: Iterable[str], target: _Target) -> None:
        keys = self.keys.setdefault(scope, {})
        for path in paths:
            keys.setdefault(path, target)

    def resolve(self, scope: tuple[str, ...], header: str) -> _Target | None:
        """The question (or repeat) a header names in `scope`, or None."""
        cache_key = (scope, header)
        if cache_key not in self.cache:
            self.cache[cache_key] = self._resolve(scope, header)
        return self.cache[cache_key]

    def _resolve(self, scope: tuple[str, ...], header: str) -> _Target | None:
        keys = self.keys.get(scope, {})
        if header in keys:
            return keys[header]
        for separator in ("/", "-"):
            parts = header.split(separator)
            for start in range(1, len(parts)):
                suffix = separator.join(parts[start:])
                if suffix in keys:
                    return keys[suffix]
        return None


def _paths(groups: tuple[str, ...], name: str) -> list[str]:
    paths = [name]
    for start in range(len(groups)):
        chain = (*groups[start:], name)
        paths += ["/".join(chain), "-".join(chain)]
    if groups and name.startswith(groups[-1] + "_"):
        # Loops are imported as groups with children renamed <choice>_<name>.
        original = name[len(groups[-1]) + 1 :]
        paths += ["/".join((*groups, original)), "-".join((*groups, original))]
    return paths


# --------------------------------------------------------------------------- row building


class _Builder:
    """Turns one flat record (header -> cell) into answers, collecting errors."""

    def __init__(self, definition: Definition, *, validate: bool, language: str | None) -> None:
        self.definition = definition
        self.resolver = _Resolver(definition)
        self.validate = validate
        self.language = language
        self.plan = validation_plan(definition)
        self.ignored: dict[str, None] = {}
        self.seen_ids: dict[str, int] = {}

    def answers(
        self,
        record: Mapping[str, Any],
        scope: tuple[str, ...],
        row: int,
        errors: list[RowError],
        prefix: str = "",
    ) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        binary: dict[str, list[str]] = {}
        for header, raw in record.items():
            if raw is None or raw == "" or _is_meta(header):
                continue
            if isinstance(raw, str) and raw[:1] == "'" and raw[1:2] in _FORMULA_STARTS:
                raw = raw[1:]  # undo safe_cell from our own exports
            target = self.resolver.resolve(scope, header)
            if target is None:
                if not self._binary_choice(scope, header, raw, binary):
                    self.ignored.setdefault(header, None)
                continue
            if target.question is None and target.other_of is None:
                answers[target.name] = self._repeat(target.name, scope, raw, row, errors, prefix)
                continue
            self._answer(target, raw, answers, row, errors, prefix)
        for name, chosen in binary.items():
            answers.setdefault(name, chosen)
        return answers

    def _answer(
        self,
        target: _Target,
        raw: Any,
        answers: dict[str, Any],
        row: int,
        errors: list[RowError],
        prefix: str,
    ) -> None:
        question = target.question or Question(name=target.name, type="text")
        try:
            value = coerce_value(question, raw)
        except CoercionError as error:
            shown = target.question or target.other_of
            assert shown is not None
            errors.append(
                RowError(
                    row,
                    prefix + target.name,
                    coercion_message(self.plan, shown, error, self.language),
                )
            )
            return
        if value is not None:
            answers[target.name] = value

    def _repeat(
        self,
        name: str,
        scope: tuple[str, ...],
        raw: Any,
        row: int,
        errors: list[RowError],
        prefix: str,
    ) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            errors.append(RowError(row, prefix + name, "expected a list of repeat entries"))
            return []
        inner = (*scope, name)
        return [
            self.answers(item, inner, row, errors, f"{prefix}{name}[{index}].")
            for index, item in enumerate(raw)
            if isinstance(item, Mapping)
        ]

    def _binary_choice(
        self, scope: tuple[str, ...], header: str, raw: Any, binary: dict[str, list[str]]
    ) -> bool:
        for separator in ("/", "-"):
            head, sep, choice = header.rpartition(separator)
            if not sep:
                continue
            target = self.resolver.resolve(scope, head)
            if (
                target is not None
                and target.question is not None
                and target.question.type == "select_multiple"
            ):
                if str(raw).strip() in _TRUE_CELLS:
                    binary.setdefault(target.name, []).append(choice)
                return True
        return False

    def submission(self, record: Mapping[str, Any], row: int) -> ParsedSubmission | list[RowError]:
        """Parse and check one record: a submission, or the reasons it was refused."""
        errors: list[RowError] = []
        external_id = _external_id(record)
        if not external_id:
            return [RowError(row, None, "no submission id (meta/instanceID, _uuid or KEY)")]
        if external_id in self.seen_ids:
            first = self.seen_ids[external_id]
            return [
                RowError(
                    row, None, f"duplicate submission id {external_id} (first seen in row {first})"
                )
            ]
        self.seen_ids[external_id] = row
        answers = self.answers(record, (), row, errors)
        submitted_at = _timestamp(record, row, errors)
        if not errors and self.validate:
            for path, reason in validate_all(
                self.definition, answers, language=self.language
            ).items():
                errors.append(RowError(row, path, reason))
        if errors:
            return errors
        return ParsedSubmission(external_id, answers, submitted_at)


def _is_meta(header: str) -> bool:
    return header in _META_KEYS or header.startswith(_META_PREFIXES)


def _external_id(record: Mapping[str, Any]) -> str:
    for key in _ID_KEYS:
        value = record.get(key)
        if value:
            text = str(value).strip()
            return text[5:] if text.startswith("uuid:") else text
    return ""


def _timestamp(record: Mapping[str, Any], row: int, errors: list[RowError]) -> dt.datetime | None:
    for key in _TIME_KEYS:
        value = record.get(key)
        if not value:
            continue
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                errors.append(RowError(row, key, f"cannot read submission time {value!r}"))
                return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _collect(builder: _Builder, records: Iterable[tuple[int, Mapping[str, Any]]]) -> ParseResult:
    result = ParseResult()
    for row, record in records:
        outcome = builder.submission(record, row)
        if isinstance(outcome, ParsedSubmission):
            result.submissions.append(outcome)
        else:
            result.errors.extend(outcome)
    result.ignored_columns = list(builder.ignored)
    return result


# --------------------------------------------------------------------------- JSON


def parse_kobo_json(
    definition: Definition,
    submissions: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    *,
    validate: bool = True,
    language: str | None = None,
) -> ParseResult:
    """Parse one Kobo REST-service submission dict, or a list of them (rows count from 1)."""
    items = [submissions] if isinstance(submissions, Mapping) else list(submissions)
    builder = _Builder(definition, validate=validate, language=language)
    return _collect(builder, ((index + 1, item) for index, item in enumerate(items)))


# --------------------------------------------------------------------------- CSV


def iter_csv(
    definition: Definition,
    source: bytes | str | IO[str],
    *,
    validate: bool = True,
    language: str | None = None,
    delimiter: str | None = None,
    ignored_columns: list[str] | None = None,
) -> Iterator[ParsedSubmission | RowError]:
    """Stream a Kobo/ODK CSV export: one ParsedSubmission or RowError(s) per data row.

    Headers that match no question are appended to `ignored_columns` when given.
    """
    stream = _text_stream(source)
    first = stream.readline()
    if not first:
        return
    sep = delimiter or _sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=sep))
    reader = csv.reader(stream, delimiter=sep)
    builder = _Builder(definition, validate=validate, language=language)
    for line, cells in enumerate(reader, start=2):
        if not any(cells):
            continue
        if len(cells) > len(header):
            yield RowError(line, None, f"{len(cells)} cells but only {len(header)} headers")
            continue
        outcome = builder.submission(dict(zip(header, cells, strict=False)), line)
        if isinstance(outcome, ParsedSubmission):
            yield outcome
        else:
            yield from outcome
    if ignored_columns is not None:
        ignored_columns.extend(builder.ignored)


def parse_csv(
    definition: Definition,
    source: bytes | str | IO[str],
    *,
    validate: bool = True,
    language: str | None = None,
    delimiter: str | None = None,
) -> ParseResult:
    """Parse a whole CSV export into submissions and row errors."""
    result = ParseResult()
    items = iter_csv(
        definition,
        source,
        validate=validate,
        language=language,
        delimiter=delimiter,
        ignored_columns=result.ignored_columns,
    )
    for item in items:
        if isinstance(item, ParsedSubmission):
            result.submissions.append(item)
        else:
            result.errors.append(item)
    return result


def _text_stream(source: bytes | str | IO[str]) -> IO[str]:
    if isinstance(source, bytes):
        return io.StringIO(source.decode("utf-8-sig"), newline="")
    if isinstance(source, str):
        return io.StringIO(source.lstrip("\ufeff"), newline="")
    return source


def _sniff_delimiter(first_line: str) -> str:
    # Kobo exports use ";" by default, ODK Central ",".
    return ";" if first_line.count(";") > first_line.count(",") else ","


# --------------------------------------------------------------------------- XLSX


def parse_xlsx(
    definition: Definition,
    source: bytes,
    *,
    validate: bool = True,
    language: str | None = None,
    filename: str = "export.xlsx",
) -> ParseResult:
    """Parse a Kobo XLSX export: first sheet = submissions, other sheets = repeats."""
    try:
        if sniff(source, filename, EXPORT_LIMITS) != "xlsx":
            raise UnsafeFile(f"{filename}: submissions must be an .xlsx export")
        check_xlsx(source, filename, EXPORT_LIMITS)
    except UnsafeFile as error:
        return ParseResult(errors=[RowError(0, None, str(error))])
    sheets = _read_sheets(source)
    if not sheets:
        return ParseResult(errors=[RowError(0, None, f"{filename}: the workbook has no sheets")])
    main_name = next(iter(sheets))
    records = _attach_repeats(definition, sheets, main_name)
    builder = _Builder(definition, validate=validate, language=language)
    return _collect(builder, records)


def _read_sheets(source: bytes) -> dict[str, list[dict[str, Any]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(source), read_only=True, data_only=True)
    sheets: dict[str, list[dict[str, Any]]] = {}
    try:
        for worksheet in workbook.worksheets:
            rows = worksheet.iter_rows(values_only=True)
            header = [str(cell) if cell is not None else "" for cell in next(rows, ())]
            sheets[worksheet.title] = [
                {key: _cell_text(value) for key, value in zip(header, values, strict=False) if key}
                for values in rows
                if any(value not in (None, "") for value in values)
            ]
    finally:
        workbook.close()
    return sheets


def _cell_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return "" if value is None else str(value)


def _attach_repeats(
    definition: Definition, sheets: dict[str, list[dict[str, Any]]], main_name: str
) -> list[tuple[int, dict[str, Any]]]:
    """Nest repeat-sheet rows under their parent rows as lists keyed by repeat name."""
    repeat_names = {group.name: group.name for group, _ in definition.repeats()}
    repeat_names.update({name[:31]: name for name in list(repeat_names)})
    by_index: dict[tuple[str, str], dict[str, Any]] = {}
    for sheet, rows in sheets.items():
        for row in rows:
            index = str(row.get("_index", ""))
            if index:
                by_index[(sheet, index)] = row
    for sheet, rows in sheets.items():
        name = repeat_names.get(sheet)
        if sheet == main_name or name is None:
            continue
        for row in rows:
            parent_sheet = str(row.get("_parent_table_name") or main_name)
            parent = by_index.get((parent_sheet[:31], str(row.get("_parent_index", ""))))
            if parent is not None:
                parent.setdefault(name, []).append(row)
    return [(position + 2, row) for position, row in enumerate(sheets[main_name])]
