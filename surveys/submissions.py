"""Parse KoboToolbox / ODK submissions (REST JSON, CSV, XLSX and ODK Central zip exports).

Every row becomes either a `ParsedSubmission` (external id, typed answers keyed by
question name, submission time) or one or more `RowError`s; good rows are kept when
others fail.  External ids are stable across formats (`uuid:` prefix removed, edits
keep `meta/rootUuid`), so re-importing the same data is idempotent for the app.

Headers may carry group paths (`group/question` from Kobo, `group-question` from ODK
Central) or bare names; select_multiple answers are space-separated, or given as one
0/1 column per choice (`question/choice`); ODK Central's split geopoint columns
(`point-Latitude`, `-Longitude`, `-Altitude`, `-Accuracy`) are joined again.  In XLSX
exports each repeat has its own sheet linked by `_index` / `_parent_index` /
`_parent_table_name`; ODK Central's `.csv.zip` has one CSV per repeat linked by
`PARENT_KEY` / `KEY` (`parse_odk_zip`).

Kobo exports made with "Labels" instead of "XML values and headers" import too: a
header that is no question name or path but equals (ignoring case and spacing) the
label of exactly one question in any language of the form — alone, or after its group
labels joined by "/" — names that question; a select cell that is no choice name but a
choice label (any language) becomes that choice (select_multiple labels joined by
spaces are matched greedily, longest label first; `Question label/Choice label` 0/1
columns work too).  Each header is resolved once per column, never per cell.  A header
that matches the labels of several questions is not guessed: it gives one
`RowError(row=1, field=<header>)` (row 1 is the header row) and its values are left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any

from surveys._safety import Budget, Limits, UnsafeFile, check_xlsx, open_member, open_zip, sniff
from surveys.definition import (
    OTHER_SUFFIX,
    SELECT_TYPES,
    Definition,
    Group,
    Question,
)
from surveys.validation import CoercionError, coerce_value, validate_all
from surveys.validation import _coercion_message as coercion_message
from surveys.validation import _plan as validation_plan

__all__ = [
    "EXPORT_LIMITS",
    "export_limits",
    "ParseResult",
    "ParsedSubmission",
    "RowError",
    "iter_csv",
    "parse_csv",
    "parse_kobo_json",
    "parse_odk_zip",
    "parse_xlsx",
    "sniff_delimiter",
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
# ODK Central splits a geopoint into four columns: <path>-Latitude ... <path>-Accuracy.
_GEO_PARTS = {"Latitude": 0, "Longitude": 1, "Altitude": 2, "Accuracy": 3}
_GEO_TYPES = frozenset({"geopoint", "start-geopoint", "background-geopoint"})
# pyxform's label for the text question it adds to `select_* x or_other`.
_SPECIFY_OTHER = "Specify other."
EXPORT_LIMITS = Limits(
    max_bytes=200 * 1024 * 1024,
    max_uncompressed=2 * 1024**3,
    max_ratio=100,
    max_rows=1_100_000,
    max_members=2000,
)
# What an export may unpack to, per byte uploaded.  Real Kobo XLSX and ODK .csv.zip
# exports inflate 5-15 times; a 10 MB upload may so cost at most ~240 MB of XML to
# read (seconds, on a worker thread), not the 2 GB a flat budget would allow.
UNPACK_FACTOR = 24
UNPACK_FLOOR = 64 * 1024 * 1024


def export_limits(size: int, limits: Limits = EXPORT_LIMITS) -> Limits:
    """`limits` with the unpacked budget scaled to an upload of `size` bytes."""
    budget = min(limits.max_uncompressed, max(UNPACK_FLOOR, UNPACK_FACTOR * size))
    return replace(limits, max_uncompressed=budget)


@dataclass(frozen=True, slots=True)
class ParsedSubmission:
    """A submission ready to store: `answers` are typed and keyed by question name."""

    external_id: str
    answers: dict[str, Any]
    submitted_at: dt.datetime | None
    row: int = field(default=0, compare=False)  # where it was read (as RowError.row)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was not imported; `row` is the 1-based line/row (header is row 1).

    Row 0 means the whole file was refused; row 1 is a problem with a column header.
    """

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
    # Choice names of a select_one / select_multiple question (label values map to them).
    names: frozenset[str] | None = None
    multiple: bool = False


class _Resolver:
    """Maps export headers to question names, per repeat scope (cached per header)."""

    def __init__(self, definition: Definition) -> None:
        self.keys: dict[tuple[str, ...], dict[str, _Target]] = {(): {}}
        for fld in definition.fields():
            scope = fld.repeats
            question = fld.question
            paths = _paths(fld.groups, question.name)
            names = None
            if question.type in SELECT_TYPES and question.list_name is not None:
                try:
                    names = frozenset(c.name for c in definition.choices_for(question))
                except KeyError:
                    names = None
            target = _Target(
                question.name, question, names=names, multiple=question.type == "select_multiple"
            )
            self._add(scope, paths, target)
            if question.or_other:
                other = question.name + OTHER_SUFFIX
                self._add(scope, _paths(fld.groups, other), _Target(other, None, question))
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


def _norm(text: str) -> str:
    """Compare labels ignoring case and spacing."""
    return " ".join(text.split()).casefold()


def _label_key(text: str) -> str:
    """A label path ("Group / Question") normalised segment by segment."""
    return "/".join(part for part in (_norm(segment) for segment in text.split("/")) if part)


class _Labels:
    """Question labels per repeat scope, in every language, with and without group labels.

    Keys are normalised label paths (`_label_key`); values the names of the questions
    they label, so a key naming several questions is ambiguous.
    """

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.paths: dict[tuple[str, ...], dict[str, dict[str, None]]] = {}
        languages = dict.fromkeys(definition.settings.languages)
        for fld in definition.fields():
            languages.update(dict.fromkeys(fld.question.label))
        for question, groups, scope in _walk_labelled(definition.children, (), ()):
            if not question.holds_answer:
                continue
            for language in languages:
                chain = [definition.text(g.label, language) or g.name for g in groups]
                label = definition.text(question.label, language)
                if label:
                    self._add(scope, chain, label, question.name)
                if question.or_other:
                    other = question.name + OTHER_SUFFIX
                    self._add(scope, chain, _SPECIFY_OTHER, other)
                    if label:
                        self._add(scope, chain, f"{label} (other)", other)

    def _add(self, scope: tuple[str, ...], chain: list[str], label: str, name: str) -> None:
        groups = [part for text in chain for part in _label_key(text).split("/") if part]
        own = _label_key(label)
        keys = self.paths.setdefault(scope, {})
        for start in range(len(groups) + 1):
            key = "/".join([*groups[start:], own])
            keys.setdefault(key, {})[name] = None

    def exact(self, scope: tuple[str, ...], key: str) -> list[str]:
        """Names of the questions whose label (path) is exactly `key`."""
        return list(self.paths.get(scope, {}).get(key, ()))

    def suffix(self, scope: tuple[str, ...], key: str) -> list[str]:
        """Like `exact`, after dropping leading path segments the form does not know."""
        keys = self.paths.get(scope, {})
        parts = key.split("/")
        for start in range(1, len(parts)):
            names = keys.get("/".join(parts[start:]))
            if names:
                return list(names)
        return []


def _walk_labelled(
    nodes: Sequence[Question | Group], groups: tuple[Group, ...], scope: tuple[str, ...]
) -> Iterator[tuple[Question, tuple[Group, ...], tuple[str, ...]]]:
    for node in nodes:
        if isinstance(node, Question):
            yield node, groups, scope
        else:
            inner = (*scope, node.name) if node.kind == "repeat" else scope
            yield from _walk_labelled(node.children, (*groups, node), inner)


@dataclass(slots=True)
class _Choices:
    """How a select question's cells may name a choice besides its name."""

    by_label: dict[str, str | None]  # normalised label (or name) -> name; None if ambiguous
    longest: int  # most words in one label


# What a column holds, decided once per (scope, header).
_META, _IGNORED, _ANSWER, _REPEAT, _CHOICE, _GEO, _AMBIGUOUS = range(7)


@dataclass(slots=True)
class _Column:
    kind: int
    target: _Target | None = None
    choice: str = ""  # _CHOICE: the choice name of a 0/1 column
    part: int = 0  # _GEO: 0 latitude, 1 longitude, 2 altitude, 3 accuracy
    candidates: tuple[str, ...] = ()  # _AMBIGUOUS: the questions it could mean


_META_COLUMN = _Column(_META)
_IGNORED_COLUMN = _Column(_IGNORED)


# --------------------------------------------------------------------------- row building


def _nul_field(record: Mapping[str, Any]) -> str | None:
    """The first column (or repeat column) of a record with a NUL character in it."""
    for key, value in record.items():
        if isinstance(value, str):
            if "\x00" in value or "\x00" in key:
                return key
        elif isinstance(value, list):
            for entry in value:
                if isinstance(entry, Mapping) and (inner := _nul_field(entry)) is not None:
                    return f"{key}/{inner}"
    return None


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
        self.columns: dict[tuple[str, ...], dict[str, _Column]] = {}
        self.labels: _Labels | None = None
        self.choices: dict[str, _Choices] = {}
        # Header problems (ambiguous labels), reported once per column.
        self.problems: list[RowError] = []
        self.reported: set[tuple[tuple[str, ...], str]] = set()

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
        geo: dict[str, list[str]] | None = None
        columns = self.columns.get(scope)
        if columns is None:
            columns = self.columns[scope] = {}
        for header, raw in record.items():
            if raw is None or raw == "":
                continue
            column = columns.get(header)
            if column is None:
                column = columns[header] = self._column(scope, header)
            kind = column.kind
            if kind == _META:
                continue
            if isinstance(raw, str) and raw[:1] == "'" and raw[1:2] in _FORMULA_STARTS:
                raw = raw[1:]  # undo safe_cell from our own exports
            target = column.target
            if kind == _ANSWER:
                assert target is not None
                self._answer(target, raw, answers, row, errors, prefix)
            elif kind == _REPEAT:
                assert target is not None
                answers[target.name] = self._repeat(target.name, scope, raw, row, errors, prefix)
            elif kind == _CHOICE:
                assert target is not None
                if str(raw).strip() in _TRUE_CELLS:
                    binary.setdefault(target.name, []).append(column.choice)
            elif kind == _GEO:
                assert target is not None
                if geo is None:
                    geo = {}
                geo.setdefault(target.name, ["", "", "", ""])[column.part] = str(raw).strip()
            elif kind == _AMBIGUOUS:
                self._report_ambiguous(scope, header, column)
            else:
                self.ignored.setdefault(header, None)
        for name, chosen in binary.items():
            answers.setdefault(name, chosen)
        if geo:
            self._geopoints(scope, geo, answers, row, errors, prefix)
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
        if value is None:
            return
        names = target.names
        if names is not None and (
            not names.issuperset(value) if target.multiple else value not in names
        ):
            value = self._choice_labels(target, names, raw, value)
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

    def _geopoints(
        self,
        scope: tuple[str, ...],
        geo: dict[str, list[str]],
        answers: dict[str, Any],
        row: int,
        errors: list[RowError],
        prefix: str,
    ) -> None:
        keys = self.resolver.keys.get(scope, {})
        for name, parts in geo.items():
            if name in answers:
                continue  # the whole point was given in its own column too
            if parts[3] and not parts[2]:
                parts[2] = "0"
            text = " ".join(parts).strip()
            self._answer(keys[name], text, answers, row, errors, prefix)

    # ----------------------------------------------------------------- columns

    def _column(self, scope: tuple[str, ...], header: str) -> _Column:
        """Decide once what a column holds in `scope`: names first, then labels."""
        if _is_meta(header):
            return _META_COLUMN
        resolver = self.resolver
        target = resolver.resolve(scope, header)
        if target is not None:
            if target.question is None and target.other_of is None:
                return _Column(_REPEAT, target)
            return _Column(_ANSWER, target)
        for separator in ("/", "-"):
            head, sep, tail = header.rpartition(separator)
            if not sep:
                continue
            target = resolver.resolve(scope, head)
            if target is None or target.question is None:
                continue
            if target.question.type == "select_multiple":
                return _Column(_CHOICE, target, self._choice_name(target, tail) or tail)
            if target.question.type in _GEO_TYPES and tail in _GEO_PARTS:
                return _Column(_GEO, target, part=_GEO_PARTS[tail])
        return self._label_column(scope, header)

    def _label_column(self, scope: tuple[str, ...], header: str) -> _Column:
        if self.labels is None:
            self.labels = _Labels(self.definition)
        labels = self.labels
        key = _label_key(header)
        if not key:
            return _IGNORED_COLUMN
        names = labels.exact(scope, key)
        if not names:
            binary = self._label_choice_column(scope, key)
            if binary is not None:
                return binary
            names = labels.suffix(scope, key)
        if len(names) > 1:
            return _Column(_AMBIGUOUS, candidates=tuple(names))
        if names:
            target = self.resolver.keys.get(scope, {}).get(names[0])
            if target is not None:
                return _Column(_ANSWER, target)
        return _IGNORED_COLUMN

    def _label_choice_column(self, scope: tuple[str, ...], key: str) -> _Column | None:
        """A `Question label/Choice label` 0/1 column (labels may contain "/")."""
        assert self.labels is not None
        keys = self.resolver.keys.get(scope, {})
        parts = key.split("/")
        for split in range(len(parts) - 1, 0, -1):
            head = "/".join(parts[:split])
            names = self.labels.exact(scope, head) or self.labels.suffix(scope, head)
            if len(names) != 1:
                continue
            target = keys.get(names[0])
            if target is None or target.question is None or not target.multiple:
                continue
            choice = self._choice_name(target, "/".join(parts[split:]))
            if choice is not None:
                return _Column(_CHOICE, target, choice)
        return None

    def _report_ambiguous(self, scope: tuple[str, ...], header: str, column: _Column) -> None:
        if (scope, header) in self.reported:
            return
        self.reported.add((scope, header))
        where = f" (repeat {scope[-1]})" if scope else ""
        self.problems.append(
            RowError(
                1,
                header,
                f"column “{header}”{where} matches the labels of several questions "
                f"({', '.join(column.candidates)}); its values were not imported. Rename "
                "the column to one of these names, or export with XML values and headers.",
            )
        )

    # ----------------------------------------------------------------- choice labels

    def _choices(self, target: _Target) -> _Choices:
        assert target.question is not None
        key = target.name if target.question.list_name is None else target.question.list_name
        key += "+other" if target.question.or_other else ""
        cached = self.choices.get(key)
        if cached is None:
            by_label: dict[str, str | None] = {}
            longest = 1
            choices = self.definition.choices_for(target.question)
            for choice in choices:
                for text in choice.label.values():
                    label = _norm(text)
                    if not label:
                        continue
                    known = by_label.get(label, choice.name)
                    by_label[label] = choice.name if known == choice.name else None
                    longest = max(longest, label.count(" ") + 1)
            for choice in choices:  # a name in another case, when no label reads so
                by_label.setdefault(choice.name.casefold(), choice.name)
            cached = self.choices[key] = _Choices(by_label, longest)
        return cached

    def _choice_name(self, target: _Target, text: str) -> str | None:
        """The choice a name or label means (for 0/1 columns), or None."""
        names = target.names or frozenset()
        if text in names:
            return text
        return self._choices(target).by_label.get(_norm(text))

    def _choice_labels(self, target: _Target, names: frozenset[str], raw: Any, value: Any) -> Any:
        """Map choice labels in a select cell to choice names; keep `value` if they do not fit."""
        choices = self._choices(target)
        by_label = choices.by_label
        if not target.multiple:
            return by_label.get(_norm(value)) or value
        if isinstance(raw, list | tuple):
            mapped = [
                item if item in names else by_label.get(_norm(str(item)))
                for item in (str(part).strip() for part in raw)
                if item
            ]
            return value if None in mapped else list(dict.fromkeys(mapped))
        words = str(raw).split()
        chosen: list[str] = []
        start = 0
        while start < len(words):
            for stop in range(min(len(words), start + choices.longest), start, -1):
                found: str | None = None
                if stop == start + 1 and words[start] in names:
                    found = words[start]
                else:
                    found = by_label.get(" ".join(words[start:stop]).casefold())
                if found is not None:
                    chosen.append(found)
                    start = stop
                    break
            else:
                return value  # not all labels: validation reports the unknown choices
        return list(dict.fromkeys(chosen))

    # ----------------------------------------------------------------- records

    def submission(self, record: Mapping[str, Any], row: int) -> ParsedSubmission | list[RowError]:
        """Parse and check one record: a submission, or the reasons it was refused."""
        errors: list[RowError] = []
        nul = _nul_field(record)
        if nul is not None:
            # PostgreSQL cannot store NUL in text; no export holds one on purpose.
            return [RowError(row, nul, "contains a NUL character, which cannot be stored")]
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
        return ParsedSubmission(external_id, answers, submitted_at, row)

    def take_problems(self) -> list[RowError]:
        """Header problems found since the last call."""
        problems, self.problems = self.problems, []
        return problems


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
    result.errors[:0] = builder.take_problems()
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

    Headers may be names, paths or (Kobo "Labels" exports) question labels.  A header
    matching several questions' labels yields one RowError for row 1 when its first
    value is met.  Headers that match no question are appended to `ignored_columns`
    when given.
    """
    builder = _Builder(definition, validate=validate, language=language)
    try:
        header, rows = _csv_rows(_text_stream(source), delimiter)
        yield from _csv_items(builder, header, rows)
    except CsvRowUnreadable as error:
        yield RowError(error.line, None, str(error))
    if ignored_columns is not None:
        ignored_columns.extend(builder.ignored)


def _csv_items(
    builder: _Builder, header: list[str], rows: Iterator[tuple[int, list[str]]]
) -> Iterator[ParsedSubmission | RowError]:
    for line, cells in rows:
        if not any(cells):
            continue
        if len(cells) > len(header):
            yield RowError(line, None, f"{len(cells)} cells but only {len(header)} headers")
            continue
        outcome = builder.submission(dict(zip(header, cells, strict=False)), line)
        if builder.problems:
            yield from builder.take_problems()
        if isinstance(outcome, ParsedSubmission):
            yield outcome
        else:
            yield from outcome


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


def _csv_rows(
    stream: IO[str], delimiter: str | None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the numbered rows (the header is line 1) of a CSV stream."""
    first = stream.readline()
    if not first:
        return [], iter(())
    sep = delimiter or sniff_delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=sep), [])
    except csv.Error as error:
        raise CsvRowUnreadable(1, error) from error
    return header, _numbered(csv.reader(stream, delimiter=sep))


class CsvRowUnreadable(csv.Error):
    """A data row the csv module cannot read (e.g. a cell over csv.field_size_limit)."""

    def __init__(self, line: int, error: csv.Error) -> None:
        limit = csv.field_size_limit()
        text = str(error)
        if "field limit" in text:
            text = f"a cell is longer than {limit:,} characters"
        super().__init__(f"row {line}: {text}; this row and the rows after it were not read")
        self.line = line


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Rows numbered from 2 (the header is row 1).  A row the csv module refuses ends the
    file with `CsvRowUnreadable`: after such an error the reader's idea of where a row
    starts is unreliable (a quoted cell may run on), so later rows are not guessed at."""
    line = 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvRowUnreadable(line, error) from error
        yield line, cells
        line += 1


def _text_stream(source: bytes | str | IO[str]) -> IO[str]:
    if isinstance(source, bytes):
        return io.StringIO(source.decode("utf-8-sig"), newline="")
    if isinstance(source, str):
        return io.StringIO(source.lstrip("\ufeff"), newline="")
    return source


def sniff_delimiter(first_line: str) -> str:
    """The separator of a CSV export from its header line."""
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
        limits = export_limits(len(source))
        if sniff(source, filename, limits) != "xlsx":
            raise UnsafeFile(f"{filename}: submissions must be an .xlsx export")
        check_xlsx(source, filename, limits)
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


def _sheet_key(title: str) -> str:
    # Excel titles: at most 31 characters, none of []:*?/\ (exporters drop or replace them).
    return _norm("".join(ch for ch in title if ch not in "[]:*?/\\")[:31])


def _repeat_sheets(definition: Definition) -> dict[str, str]:
    """Sheet title (normalised) -> repeat name: by name, or by label in any language."""
    by_name: dict[str, str] = {}
    by_label: dict[str, str | None] = {}
    for group, _parents in definition.repeats():
        by_name.setdefault(group.name[:31], group.name)
        for text in group.label.values():
            key = _sheet_key(text)
            if key:
                known = by_label.get(key, group.name)
                by_label[key] = group.name if known == group.name else None
    names = {_sheet_key(title): name for title, name in by_name.items()}
    for key, name in by_label.items():
        if name is not None:
            names.setdefault(key, name)
    return names


def _attach_repeats(
    definition: Definition, sheets: dict[str, list[dict[str, Any]]], main_name: str
) -> list[tuple[int, dict[str, Any]]]:
    """Nest repeat-sheet rows under their parent rows as lists keyed by repeat name."""
    repeat_names = _repeat_sheets(definition)
    titles = {title[:31]: title for title in sheets}
    by_index: dict[tuple[str, str], dict[str, Any]] = {}
    for sheet, rows in sheets.items():
        for row in rows:
            index = str(row.get("_index", ""))
            if index:
                by_index[(sheet, index)] = row
    for sheet, rows in sheets.items():
        name = repeat_names.get(_sheet_key(sheet))
        if sheet == main_name or name is None:
            continue
        for row in rows:
            parent_sheet = str(row.get("_parent_table_name") or main_name)[:31]
            parent_sheet = titles.get(parent_sheet, main_name)
            parent = by_index.get((parent_sheet, str(row.get("_parent_index", ""))))
            if parent is not None:
                parent.setdefault(name, []).append(row)
    return [(position + 2, row) for position, row in enumerate(sheets[main_name])]


# --------------------------------------------------------------------------- ODK Central zip

# Where a repeat row came from ("form-household.csv row 4"); "_" keys are never answers.
_SOURCE = "__source__"
_REPEAT_KEY = re.compile(r"([^/\[\]]+)\[(\d+)\]\s*$")
_ERROR_PATH = re.compile(r"([^\[\]]+)\[(\d+)\]\.")


@dataclass(slots=True)
class _Table:
    member: str
    stem: str
    header: list[str]


@dataclass(slots=True)
class _Entry:
    """A repeat CSV row waiting for its parent."""

    order: int  # the [n] of its KEY, else its position in the file
    position: int
    line: int
    repeat: str
    record: dict[str, Any]


def parse_odk_zip(
    definition: Definition,
    data: bytes,
    *,
    filename: str = "",
    validate: bool = True,
    language: str | None = None,
    limits: Limits = EXPORT_LIMITS,
) -> ParseResult:
    """Parse ODK Central's "Download (.csv.zip)" export: one CSV per form and per repeat.

    The main table is the CSV without `PARENT_KEY` (when several, the one whose name
    prefixes the others); each repeat CSV (`<form id>-<repeat>.csv`) links rows to
    their parent's `KEY` through `PARENT_KEY`, nested repeats to the enclosing repeat
    row.  Repeat entries keep the `[n]` order of their KEY (else file order).  The
    result is what `parse_csv` gives for the same data: same answers, same external
    ids, rows numbered as in the main CSV; errors inside a repeat entry start with
    "in <file> row <n>:".  Unused CSVs are listed in `ignored_columns`.

    A damaged or hostile zip (size, members, compression ratio, inflated bytes, path
    traversal, encryption), one without a usable CSV, or a CSV that is not UTF-8, is
    refused: the result holds only `RowError(0, None, reason)`.
    """
    name = filename or "export.zip"
    limits = export_limits(len(data), limits)
    try:
        with open_zip(data, name, limits) as archive:
            return _parse_odk_archive(definition, archive, name, limits, validate, language)
    except UnsafeFile as error:
        return ParseResult(errors=[RowError(0, None, str(error))])


def _parse_odk_archive(
    definition: Definition,
    archive: zipfile.ZipFile,
    name: str,
    limits: Limits,
    validate: bool,
    language: str | None,
) -> ParseResult:
    budget = Budget(limits.max_uncompressed)
    members = [
        info.filename
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(".csv")
        and "media" not in info.filename.replace("\\", "/").split("/")[:-1]
    ]
    if not members:
        raise UnsafeFile(
            f"{name}: the zip holds no CSV file; expected ODK Central's .csv.zip export"
        )
    tables = [_read_header(archive, member, name, budget) for member in members]
    main, unused = _main_table(tables, name)
    repeats = [table for table in tables if "PARENT_KEY" in table.header]
    result = ParseResult()
    counter = _RowCounter(limits.max_rows, name)
    children: dict[str, list[_Entry]] = {}
    for table in repeats:
        _read_repeat(archive, table, main.stem, name, budget, counter, children, result.errors)
    builder = _Builder(definition, validate=validate, language=language)
    for line, record in _table_records(archive, main, name, budget, counter, result.errors):
        _nest(record, children)
        outcome = builder.submission(record, line)
        if isinstance(outcome, ParsedSubmission):
            result.submissions.append(outcome)
        else:
            result.errors.extend(_locate(error, record) for error in outcome)
    repeat_keys = {
        str(entry.record.get("KEY", "")).strip() for rows in children.values() for entry in rows
    }
    for parent_key, orphans in children.items():
        why = (
            "its parent entry was not imported either"
            if parent_key in repeat_keys
            else "no submission has that KEY"
        )
        for entry in orphans:
            result.errors.append(
                RowError(
                    entry.line,
                    None,
                    f"in {entry.record[_SOURCE]}: PARENT_KEY {parent_key!r} matches no row "
                    f"imported ({why}); the repeat entry was left out",
                )
            )
    result.errors[:0] = builder.take_problems()
    result.ignored_columns = [*builder.ignored, *(table.member for table in unused)]
    return result


class _RowCounter:
    """Refuses an archive whose CSVs hold more rows, all files together, than allowed."""

    def __init__(self, limit: int, name: str) -> None:
        self.limit = limit
        self.left = limit
        self.name = name

    def count(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise UnsafeFile(f"{self.name}: more than {self.limit:,} rows in its CSV files")


def _text_member(archive: zipfile.ZipFile, member: str, name: str, budget: Budget) -> IO[str]:
    stream = open_member(archive, member, name, budget)
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def _csv_refusal(name: str, member: str, error: Exception) -> UnsafeFile:
    if isinstance(error, UnicodeDecodeError):
        return UnsafeFile(
            f"{name}: {member} is not UTF-8 text (byte {error.object[error.start : error.start + 1]!r} "
            f"at position {error.start}); export it again as UTF-8"
        )
    return UnsafeFile(f"{name}: {member} is not a readable CSV file ({error})")


def _read_header(archive: zipfile.ZipFile, member: str, name: str, budget: Budget) -> _Table:
    stem = member.replace("\\", "/").rsplit("/", 1)[-1][: -len(".csv")]
    try:
        with _text_member(archive, member, name, budget) as stream:
            header, _rows = _csv_rows(stream, None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise _csv_refusal(name, member, error) from error
    return _Table(member, stem, header)


def _main_table(tables: list[_Table], name: str) -> tuple[_Table, list[_Table]]:
    """The main CSV (no PARENT_KEY; the prefix of the others if several), and unused ones."""
    candidates = [table for table in tables if "PARENT_KEY" not in table.header]
    if not candidates:
        listed = ", ".join(table.member for table in tables)
        raise UnsafeFile(
            f"{name}: no main table: every CSV ({listed}) has a PARENT_KEY column, so "
            "the <form id>.csv file is missing"
        )
    if len(candidates) == 1:
        return candidates[0], []
    prefixes = [
        table
        for table in candidates
        if all(other is table or other.stem.startswith(table.stem) for other in tables)
    ]
    if len(prefixes) != 1:
        listed = ", ".join(table.member for table in candidates)
        raise UnsafeFile(
            f"{name}: cannot tell which CSV is the main table ({listed}); "
            "upload ODK Central's .csv.zip export as downloaded"
        )
    main = prefixes[0]
    return main, [table for table in candidates if table is not main]


def _table_records(
    archive: zipfile.ZipFile,
    table: _Table,
    name: str,
    budget: Budget,
    counter: _RowCounter,
    errors: list[RowError],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The non-empty rows of one CSV as header -> cell dicts, with their line numbers."""
    header_size = len(table.header)
    try:
        with _text_member(archive, table.member, name, budget) as stream:
            header, rows = _csv_rows(stream, None)
            for line, cells in rows:
                counter.count()
                if not any(cells):
                    continue
                if len(cells) > header_size:
                    errors.append(
                        RowError(
                            line,
                            None,
                            f"in {table.member} row {line}: {len(cells)} cells but only "
                            f"{header_size} headers",
                        )
                    )
                    continue
                yield line, dict(zip(header, cells, strict=False))
    except (UnicodeDecodeError, csv.Error) as error:
        raise _csv_refusal(name, table.member, error) from error


def _read_repeat(
    archive: zipfile.ZipFile,
    table: _Table,
    main_stem: str,
    name: str,
    budget: Budget,
    counter: _RowCounter,
    children: dict[str, list[_Entry]],
    errors: list[RowError],
) -> None:
    """Index a repeat CSV's rows by their PARENT_KEY."""
    stem = table.stem
    if stem.startswith(main_stem + "-"):
        stem = stem[len(main_stem) + 1 :]
    from_file = re.sub(r"~\d+$", "", stem)
    for position, (line, record) in enumerate(
        _table_records(archive, table, name, budget, counter, errors)
    ):
        record[_SOURCE] = f"{table.member} row {line}"
        match = _REPEAT_KEY.search(str(record.get("KEY", "")))
        repeat, order = (match[1], int(match[2])) if match else (from_file, position)
        parent = str(record.get("PARENT_KEY", "")).strip()
        children.setdefault(parent, []).append(_Entry(order, position, line, repeat, record))


def _nest(record: dict[str, Any], children: dict[str, list[_Entry]]) -> None:
    """Attach repeat rows under their parents, depth first (a loop, not recursion)."""
    pending = [record]
    while pending:
        parent = pending.pop()
        key = str(parent.get("KEY") or parent.get("meta-instanceID") or "").strip()
        entries = children.pop(key, None) if key else None
        if not entries:
            continue
        for entry in sorted(entries, key=lambda item: (item.order, item.position)):
            listed = parent.get(entry.repeat)
            if not isinstance(listed, list):
                listed = parent[entry.repeat] = []
            listed.append(entry.record)
            pending.append(entry.record)


def _locate(error: RowError, record: Mapping[str, Any]) -> RowError:
    """Name the repeat CSV and row an error in `outer[0].inner[1].question` comes from."""
    if not error.field:
        return error
    item: Any = record
    source = ""
    rest = error.field
    while True:
        match = _ERROR_PATH.match(rest)
        if match is None:
            break
        entries = item.get(match[1]) if isinstance(item, Mapping) else None
        index = int(match[2])
        if not isinstance(entries, list) or index >= len(entries):
            break
        item = entries[index]
        source = str(item.get(_SOURCE, "")) if isinstance(item, Mapping) else ""
        rest = rest[match.end() :]
    if not source:
        return error
    return RowError(error.row, error.field, f"in {source}: {error.reason}")
