"""XLSForm import (xlsx/xls -> Definition) and export (Definition -> xlsx).

Reading uses pyxform's own sheet reader (`get_xlsform`) after `_safety` has vetted the
container; the rows are then mapped to a Definition here, with every unsupported
feature refused by sheet, row, column and name.  Finally pyxform's full conversion
runs on the same rows, so anything pyxform rejects is rejected too.

Platform types (`country`, `language`, `skill`, `occupation`) are written as `text`
plus a `diaspora_type` column, so the form stays valid for pyxform, Kobo and ODK;
the shorthand `country` etc. in the type column is accepted on import as well.
"""

from __future__ import annotations

import copy
import io
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from pyxform import aliases
from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import DefinitionData, get_xlsform

from surveys import bindings
from surveys._safety import Limits, UnsafeFile, check_xlsx, sniff
from surveys.definition import (
    PLATFORM_TYPES,
    Choice,
    ChoiceList,
    Definition,
    Group,
    Question,
    Settings,
    Translations,
    language_header,
    normalise_language,
)
from surveys.expressions import ExpressionError, function_names, references
from surveys.expressions import parse as parse_expression

__all__ = ["Limits", "Problem", "XLSFormError", "export_xlsform", "import_xlsform"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a form is refused, located in the workbook."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"sheet '{self.sheet}'"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class XLSFormError(ValueError):
    """The workbook cannot be imported; `problems` lists every reason found."""

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("workbook", None, None, problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# --------------------------------------------------------------------------- vocabulary

_SIMPLE_TYPES = {
    "text": "text",
    "string": "text",
    "q_string": "text",
    "add_text_prompt": "text",
    "integer": "integer",
    "int": "integer",
    "q_int": "integer",
    "add_integer_prompt": "integer",
    "decimal": "decimal",
    "q_decimal": "decimal",
    "add_decimal_prompt": "decimal",
    "date": "date",
    "q_date": "date",
    "add_date_prompt": "date",
    "time": "time",
    "datetime": "datetime",
    "date_time": "datetime",
    "q_datetime": "datetime",
    "add_datetime_prompt": "datetime",
    "note": "note",
    "q_note": "note",
    "add_note_prompt": "note",
    "calculate": "calculate",
    "q_calculate": "calculate",
    "add_calculate_prompt": "calculate",
    "start": "start",
    "start_time": "start",
    "get_start_time": "start",
    "end": "end",
    "end_time": "end",
    "get_end_time": "end",
    "today": "today",
    "get_today": "today",
    "phone_number": "phone number",
    **{name: name for name in PLATFORM_TYPES},
}


def _same(names: Sequence[str], target: str | None = None) -> dict[str, str]:
    return {name: target or name for name in names}


_SIMPLE_TYPES.update(
    {
        **_same(
            ["geopoint", "gps", "location", "q_geopoint", "q_location", "add_location_prompt"],
            "geopoint",
        ),
        **_same(["geotrace", "q_geotrace"], "geotrace"),
        **_same(["geoshape", "q_geoshape"], "geoshape"),
        **_same(["barcode", "q_barcode", "add_barcode_prompt"], "barcode"),
        **_same(
            ["image", "photo", "q_picture", "q_image", "add_image_prompt", "add_photo_prompt"],
            "image",
        ),
        **_same(["audio", "q_audio", "add_audio_prompt"], "audio"),
        **_same(["video", "q_video", "add_video_prompt"], "video"),
        **_same(["file", "add_file_prompt"], "file"),
        "background-audio": "background-audio",
        **_same(
            ["acknowledge", "trigger", "q_acknowledge", "add_acknowledge_prompt"], "acknowledge"
        ),
        "range": "range",
        "hidden": "hidden",
        **_same(["deviceid", "imei", "device_id", "get_device_id"], "deviceid"),
        **_same(["simserial", "sim_id", "get_sim_id"], "simserial"),
        **_same(["subscriberid", "subscriber_id", "get_subscriber_id"], "subscriberid"),
        **_same(["phonenumber", "get_phone_number"], "phonenumber"),
        **_same(
            [
                "username",
                "email",
                "audit",
                "start-geopoint",
                "background-geopoint",
                "uri:deviceid",
                "uri:simserial",
                "uri:subscriberid",
                "uri:phonenumber",
                "uri:username",
                "uri:email",
            ]
        ),
    }
)
_UNSUPPORTED_TYPES = {
    "osm": "OpenStreetMap questions are not supported",
    **dict.fromkeys(["xml-external", "csv-external"], "external data instances are not supported"),
    **dict.fromkeys(
        [
            "number_of_days_in_last_month",
            "number_of_days_in_last_six_months",
            "number_of_days_in_last_year",
            "percentage",
        ],
        "legacy preset questions are not supported",
    ),
}
_SELECT_PREFIXES = sorted(aliases.select, key=len, reverse=True)
_SELECT_KINDS = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "rank": "rank",
}
_PHONE_CONSTRAINT = "regex(., '^\\d*$')"

# survey sheet: canonical key -> is it translatable?
_SURVEY_KEYS = {
    "type": False,
    "name": False,
    "label": True,
    "hint": True,
    "constraint_message": True,
    "required_message": True,
    "required": False,
    "relevant": False,
    "constraint": False,
    "calculation": False,
    "choice_filter": False,
    "default": False,
    "read_only": False,
    "appearance": False,
    "parameters": False,
    "repeat_count": False,
    "diaspora_type": False,
    "_bind_diaspora": False,
}
_SURVEY_ALIASES = {
    "caption": "label",
    "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "requiredmsg": "required_message",
    "jr:requiredmsg": "required_message",
    "relevance": "relevant",
    "calculate": "calculation",
    "readonly": "read_only",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "command": "type",
}
_BIND_KEYS = {
    "relevant": "relevant",
    "constraint": "constraint",
    "required": "required",
    "readonly": "read_only",
    "calculate": "calculation",
    "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
    "diaspora": "_bind_diaspora",
}
# Media columns: `image`, `image::English (en)`, `media::audio::French (fr)`.
_MEDIA_KINDS = ("image", "big-image", "audio", "video")
# Display-only columns: kept verbatim in `attributes` (keyed by the header) for the round
# trip; the web form ignores them.  Custom `bind::`, `body::`, `instance::`, `control::`
# columns are kept the same way.
_ATTRIBUTE_COLUMNS = {
    "autoplay",
    "rows",
    "guidance_hint",
    "noapperrorstring",
    "no_app_error_string",
    "buttontext",
    "compact_tag",
}
_CUSTOM_ATTRIBUTE = re.compile(r"^(bind|body|instance|control)::?(.+)$", re.IGNORECASE)
_UNSUPPORTED_COLUMNS = {
    "save_to": "entities (save_to)",
    "trigger": "triggers",
    "label_image": "media",
}
_UNSUPPORTED_SETTINGS: dict[str, str] = {}
_UNSUPPORTED_SHEETS = {
    "external_choices": "external choices",
    "entities": "entities",
    "osm": "OpenStreetMap questions",
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "required", "repeat_count")
_LABEL_REF = re.compile(r"\$\{([^}]*)\}")
_YES = {key.lower() for key, value in aliases.yes_no.items() if value}
_NO = {key.lower() for key, value in aliases.yes_no.items() if not value}


# --------------------------------------------------------------------------- import


def import_xlsform(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    limits: Limits | None = None,
) -> Definition:
    """Read an .xlsx/.xls XLSForm into a Definition or raise XLSFormError naming every problem."""
    limits = limits or Limits()
    data, filename = _read_source(source, filename)
    try:
        kind = sniff(data, filename, limits)
        if kind == "xlsx":
            check_xlsx(data, filename, limits)
    except UnsafeFile as error:
        raise XLSFormError(str(error)) from error
    workbook = _read_workbook(data, kind, filename)
    definition = _Importer(workbook, Path(filename).stem).run()
    _run_pyxform(workbook)
    return definition


def _read_source(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        return bytes(source), filename or "upload.xlsx"
    path = Path(source)
    if path.stat().st_size > 200 * 1024 * 1024:
        raise XLSFormError(f"{path.name}: file is far too large")
    return path.read_bytes(), filename or path.name


def _read_workbook(data: bytes, kind: str, filename: str) -> DefinitionData:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions (data validation, conditional formats) it drops.
            warnings.simplefilter("ignore")
            return get_xlsform(io.BytesIO(data), file_type=f".{kind}")
    except (PyXFormError, ValueError, KeyError, OSError) as error:
        raise XLSFormError(f"{filename}: cannot read the workbook: {error}") from error


@dataclass(slots=True)
class _Row:
    number: int
    values: dict[str, str]
    translations: dict[str, Translations]
    attributes: dict[str, str] = field(default_factory=dict)
    media: dict[str, Translations] = field(default_factory=dict)


@dataclass(slots=True)
class _Container:
    kind: str  # "root", "group", "repeat", "loop"
    row: _Row | None
    name: str
    children: list[Question | Group] = field(default_factory=list)
    list_name: str = ""


class _Importer:
    """Turns pyxform's sheet rows into a Definition, collecting every problem."""

    def __init__(self, workbook: DefinitionData, fallback_id: str) -> None:
        self.workbook = workbook
        self.fallback_id = fallback_id
        self.problems: list[Problem] = []
        self.settings_row = dict((workbook.settings or [{}])[0] or {})
        self.default_language = self._default_language()
        self.languages: dict[str, None] = {}
        self.choices: dict[str, list[Choice]] = {}

    def run(self) -> Definition:
        """Build the definition or raise XLSFormError."""
        self._check_sheets()
        if not self.workbook.survey:
            self.problem("survey", None, None, "the survey sheet is missing or empty")
            raise XLSFormError(self.problems)
        self._read_choices()
        children = self._read_survey()
        settings = self._settings()
        definition = Definition(
            settings=settings,
            children=tuple(children),
            choices=tuple(ChoiceList(name=n, choices=tuple(c)) for n, c in self.choices.items()),
        )
        if not self.problems:
            _Checker(definition, self.rows_by_name, self.problems).run()
        if self.problems:
            raise XLSFormError(self.problems)
        return definition

    def problem(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        """Record a problem; import goes on so the author sees them all at once."""
        self.problems.append(Problem(sheet, row, column, message))

    # ---------------------------------------------------------------- sheets and columns

    def _check_sheets(self) -> None:
        for sheet, feature in _UNSUPPORTED_SHEETS.items():
            if getattr(self.workbook, sheet, None):
                self.problem(sheet, None, None, f"{feature} are not supported")

    def _default_language(self) -> str | None:
        raw = str(self.settings_row.get("default_language") or "").strip()
        return normalise_language(raw) if raw and raw != "default" else None

    def _language(self, raw: str | None) -> str:
        if raw is None:
            return self.default_language or self._first_tagged_language() or "en"
        code = normalise_language(raw)
        self.languages.setdefault(code, None)
        return code

    def _first_tagged_language(self) -> str | None:
        for sheet in (self.workbook.survey_header, self.workbook.choices_header):
            for header in (sheet or [{}])[0]:
                split = _split_header(header, "::" in "".join((sheet or [{}])[0]))
                if split[1] in ("label", "hint") and split[2]:
                    return normalise_language(split[2])
        return None

    def _rows(self, sheet: str, keys: Mapping[str, bool], extra_ok: bool) -> list[_Row]:
        rows: list[_Row] = []
        data = getattr(self.workbook, sheet) or []
        header = (getattr(self.workbook, f"{sheet}_header") or [{}])[0]
        double = any("::" in key for key in header)
        columns = {key: _split_header(key, double) for key in header}
        for status, canonical, language in columns.values():
            if (status == "known" and keys.get(canonical) or status == "media") and language:
                self._language(language)
        for index, raw in enumerate(data):
            number = index + 2  # row 1 holds the headers
            values: dict[str, str] = {}
            translations: dict[str, Translations] = {}
            attributes: dict[str, str] = {}
            media: dict[str, Translations] = {}
            for key, value in raw.items():
                text = str(value).strip()
                if not text:
                    continue
                status, canonical, language = columns.get(key) or _split_header(key, double)
                if status == "unsupported":
                    self.problem(sheet, number, key, f"unsupported feature: {canonical}")
                elif status == "media":
                    media.setdefault(canonical, {})[self._language(language)] = text
                elif status == "attribute" and extra_ok:
                    values[key] = text
                elif status == "attribute":
                    attributes[canonical] = text
                elif canonical in keys and keys[canonical]:
                    translations.setdefault(canonical, {})[self._language(language)] = text
                elif canonical in keys and language is None:
                    values[canonical] = text
                elif status == "extra" and extra_ok:
                    values[key] = text
            if values or translations or attributes or media:
                rows.append(_Row(number, values, translations, attributes, media))
        return rows

    # ---------------------------------------------------------------- choices

    def _read_choices(self) -> None:
        allow_duplicates = _yes(self.settings_row.get("allow_choice_duplicates", ""))
        choice_keys = {"list_name": False, "name": False, "label": True}
        seen: dict[tuple[str, str], int] = {}
        for row in self._rows("choices", choice_keys, extra_ok=True):
            list_name = row.values.pop("list_name", "")
            name = row.values.pop("name", "")
            if not list_name or not name:
                missing = "list_name" if not list_name else "name"
                self.problem("choices", row.number, missing, f"a choice needs a {missing}")
                continue
            key = (list_name, name)
            if key in seen and not allow_duplicates:
                self.problem(
                    "choices",
                    row.number,
                    "name",
                    f"choice '{name}' appears twice in list '{list_name}' (also row {seen[key]})",
                )
            seen.setdefault(key, row.number)
            choice = Choice(
                name=name,
                label=row.translations.get("label", {}),
                extra=row.values,
                media=row.media,
            )
            self.choices.setdefault(list_name, []).append(choice)

    # ---------------------------------------------------------------- survey

    def _read_survey(self) -> list[Question | Group]:
        root = _Container("root", None, "")
        stack = [root]
        self.rows_by_name: dict[str, int] = {}
        for row in self._rows("survey", _SURVEY_KEYS, extra_ok=False):
            type_text = " ".join(row.values.get("type", "").split())
            if not type_text:
                if row.values.get("name") or row.translations:
                    self.problem("survey", row.number, "type", "the row has no type")
                continue
            self._survey_row(row, type_text, stack)
        for open_container in stack[1:]:
            assert open_container.row is not None
            self.problem(
                "survey",
                open_container.row.number,
                "type",
                f"begin {open_container.kind} '{open_container.name}' is never ended",
            )
        return root.children

    def _survey_row(self, row: _Row, type_text: str, stack: list[_Container]) -> None:
        lowered = type_text.lower().replace(" ", "_")
        begin = re.match(
            r"^begin_(group|repeat|lgroup|looped_group|loop)(?:_over_(\S+))?$", lowered
        )
        if begin:
            self._begin(row, begin.group(1), type_text, stack)
        elif re.match(r"^end_(group|repeat|lgroup|looped_group|loop)$", lowered):
            self._end(row, lowered[4:], stack)
        else:
            question = self._question(row, type_text)
            if question is not None:
                stack[-1].children.append(question)

    def _begin(self, row: _Row, kind: str, type_text: str, stack: list[_Container]) -> None:
        name = row.values.get("name", "")
        if not _NAME.match(name):
            self.problem("survey", row.number, "name", f"'{name}' is not a valid name")
        kind = {"lgroup": "repeat", "looped_group": "repeat"}.get(kind, kind)
        container = _Container(kind, row, name)
        self.rows_by_name.setdefault(name, row.number)
        if kind == "loop":
            match = re.search(r"over\s+(\S+)$", type_text)
            container.list_name = match.group(1) if match else ""
            if container.list_name not in self.choices:
                self.problem(
                    "survey", row.number, "type", f"loop over unknown list '{container.list_name}'"
                )
        self._check_columns(row, "group" if kind == "loop" else kind)
        stack.append(container)

    def _end(self, row: _Row, kind: str, stack: list[_Container]) -> None:
        kind = {"lgroup": "repeat", "looped_group": "repeat"}.get(kind, kind)
        if len(stack) == 1:
            self.problem("survey", row.number, "type", f"end {kind} without a matching begin")
            return
        container = stack.pop()
        if container.kind != kind:
            assert container.row is not None
            self.problem(
                "survey",
                row.number,
                "type",
                f"end {kind} closes begin {container.kind} '{container.name}' "
                f"(row {container.row.number})",
            )
        for node in self._close(container):
            stack[-1].children.append(node)

    def _close(self, container: _Container) -> list[Question | Group]:
        row = container.row
        assert row is not None
        values = row.values
        if container.kind == "loop":
            return [self._expand_loop(container)]
        return [
            Group(
                kind="repeat" if container.kind == "repeat" else "group",
                name=container.name,
                label=row.translations.get("label", {}),
                hint=row.translations.get("hint", {}),
                relevant=values.get("relevant", ""),
                appearance=values.get("appearance", ""),
                repeat_count=values.get("repeat_count", "") if container.kind == "repeat" else "",
                children=tuple(container.children),
                media=row.media,
                attributes=row.attributes,
            )
        ]

    def _expand_loop(self, container: _Container) -> Group:
        """A loop is a group per choice; children are renamed `<choice>_<name>`."""
        row = container.row
        assert row is not None
        groups = []
        for choice in self.choices.get(container.list_name, []):
            children = tuple(_loop_child(child, choice) for child in container.children)
            groups.append(Group(name=choice.name, label=choice.label, children=children))
        return Group(
            name=container.name,
            label=row.translations.get("label", {}),
            relevant=row.values.get("relevant", ""),
            appearance=row.values.get("appearance", ""),
            children=tuple(groups),
            media=row.media,
            attributes=row.attributes,
        )

    def _check_columns(self, row: _Row, kind: str) -> None:
        if kind != "repeat" and row.values.get("repeat_count"):
            self.problem(
                "survey", row.number, "repeat_count", "repeat_count only applies to begin repeat"
            )
        for key in ("constraint", "calculation", "choice_filter", "default", "required"):
            if kind in ("group", "repeat") and row.values.get(key):
                self.problem("survey", row.number, key, f"{key} does not apply to a {kind}")

    def _question(self, row: _Row, type_text: str) -> Question | None:
        name = row.values.get("name", "")
        if not name:
            self.problem("survey", row.number, "name", f"a {type_text} question needs a name")
            return None
        if not _NAME.match(name):
            self.problem(
                "survey",
                row.number,
                "name",
                f"'{name}' is not a valid name (letters, digits, _ . -)",
            )
        self.rows_by_name.setdefault(name, row.number)
        parsed = self._type(row, type_text)
        if parsed is None:
            return None
        qtype, list_name, or_other = parsed
        values = row.values
        qtype, values = self._platform_type(row, qtype, values)
        if qtype == "phone number":
            qtype = "text"
            values = {"constraint": _PHONE_CONSTRAINT, **values}
        self._check_question_columns(row, qtype)
        return Question(
            name=name,
            type=qtype,
            list_name=list_name,
            or_other=or_other,
            label=row.translations.get("label", {}),
            hint=row.translations.get("hint", {}),
            constraint_message=row.translations.get("constraint_message", {}),
            required_message=row.translations.get("required_message", {}),
            required=self._required(row),
            relevant=values.get("relevant", ""),
            constraint=values.get("constraint", ""),
            calculation=values.get("calculation", ""),
            choice_filter=values.get("choice_filter", ""),
            default=values.get("default", ""),
            read_only=self._read_only(row),
            appearance=values.get("appearance", ""),
            parameters=self._parameters(row),
            bind=values.get("_bind_diaspora") or None,
            media=row.media,
            attributes=row.attributes,
        )

    def _type(self, row: _Row, type_text: str) -> tuple[str, str | None, bool] | None:
        lowered = type_text.lower()
        for prefix in _SELECT_PREFIXES:
            if lowered.startswith(prefix + " ") or lowered == prefix:
                return self._select_type(row, prefix, type_text[len(prefix) :].split())
        key = lowered.replace(" ", "_")
        if key in _SIMPLE_TYPES:
            return _SIMPLE_TYPES[key], None, False
        reason = _UNSUPPORTED_TYPES.get(key) or _UNSUPPORTED_TYPES.get(lowered)
        if reason:
            self.problem(
                "survey", row.number, "type", f"type '{type_text}' is not supported: {reason}"
            )
        else:
            self.problem("survey", row.number, "type", f"unknown question type '{type_text}'")
        return None

    def _select_type(
        self, row: _Row, prefix: str, rest: list[str]
    ) -> tuple[str, str | None, bool] | None:
        kind = _SELECT_KINDS.get(aliases.select[prefix])
        if kind is None or "file" in prefix or "external" in prefix:
            self.problem("survey", row.number, "type", f"'{prefix}' questions are not supported")
            return None
        if not rest:
            self.problem("survey", row.number, "type", f"{prefix} needs a choice list name")
            return None
        list_name, tail = rest[0], " ".join(rest[1:]).lower()
        if tail not in ("", "or_other", "or other", "or specify other"):
            self.problem(
                "survey", row.number, "type", f"cannot understand '{tail}' after the list name"
            )
        if list_name not in self.choices:
            self.problem(
                "survey",
                row.number,
                "type",
                f"choice list '{list_name}' is not on the choices sheet",
            )
        return kind, list_name, bool(tail)

    def _platform_type(
        self, row: _Row, qtype: str, values: dict[str, str]
    ) -> tuple[str, dict[str, str]]:
        declared = values.get("diaspora_type", "").strip().lower()
        if not declared:
            return qtype, values
        if declared not in PLATFORM_TYPES:
            allowed = ", ".join(sorted(PLATFORM_TYPES))
            self.problem(
                "survey", row.number, "diaspora_type", f"'{declared}' is not one of {allowed}"
            )
        elif qtype not in ("text", declared):
            self.problem(
                "survey", row.number, "diaspora_type", f"{declared} questions must have type text"
            )
        else:
            qtype = declared
        return qtype, values

    def _check_question_columns(self, row: _Row, qtype: str) -> None:
        values = row.values
        if qtype == "calculate" and not values.get("calculation"):
            self.problem("survey", row.number, "calculation", "a calculate row needs a calculation")
        if values.get("repeat_count"):
            self.problem(
                "survey", row.number, "repeat_count", "repeat_count only applies to begin repeat"
            )
        if values.get("choice_filter") and qtype not in ("select_one", "select_multiple"):
            self.problem(
                "survey", row.number, "choice_filter", "choice_filter only applies to selects"
            )
        appearance = values.get("appearance", "")
        if "search(" in appearance:
            self.problem(
                "survey", row.number, "appearance", "search() appearances read external files"
            )
        target = values.get("_bind_diaspora")
        if target and not bindings.is_binding_target(target):
            self.problem(
                "survey",
                row.number,
                "bind::diaspora",
                f"'{target}' is not a profile field or consent purpose",
            )

    def _required(self, row: _Row) -> str:
        raw = row.values.get("required", "")
        if raw.lower() in _YES:
            return "true()"
        if raw.lower() in _NO:
            return ""
        return raw

    def _read_only(self, row: _Row) -> bool:
        raw = row.values.get("read_only", "")
        if raw and raw.lower() not in _YES | _NO:
            self.problem("survey", row.number, "read_only", "read_only must be yes or no")
        return raw.lower() in _YES

    def _parameters(self, row: _Row) -> dict[str, str]:
        raw = row.values.get("parameters", "")
        result: dict[str, str] = {}
        for item in re.split(r"[\s;,]+", raw.strip()):
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep or not key:
                self.problem("survey", row.number, "parameters", f"'{item}' is not key=value")
                continue
            result[key.strip().lower()] = value.strip()
        return result

    # ---------------------------------------------------------------- settings

    def _settings(self) -> Settings:
        row = self.settings_row
        extra: dict[str, str] = {}
        for key, value in row.items():
            canonical = _snake(key)
            if canonical in _UNSUPPORTED_SETTINGS:
                self.problem("settings", 2, key, _UNSUPPORTED_SETTINGS[canonical])
            elif canonical not in _KNOWN_SETTINGS:
                extra[canonical] = str(value)
        default = self.default_language or self._first_tagged_language() or "en"
        languages = [default, *(code for code in self.languages if code != default)]
        return Settings(
            form_id=str(
                row.get("form_id")
                or row.get("set_form_id")
                or row.get("id_string")
                or self.fallback_id
            ),
            version=str(row.get("version") or ""),
            title=str(row.get("form_title") or row.get("set_form_title") or row.get("title") or ""),
            default_language=default,
            languages=tuple(languages),
            extra=extra,
        )


_KNOWN_SETTINGS = {
    "form_id",
    "set_form_id",
    "id_string",
    "version",
    "form_title",
    "set_form_title",
    "title",
    "default_language",
}


def _loop_child(node: Question | Group, choice: Choice) -> Question | Group:
    def fill(translations: Translations) -> Translations:
        return {
            lang: text.replace(
                "%(label)s",
                choice.label.get(lang) or next(iter(choice.label.values()), choice.name),
            )
            for lang, text in translations.items()
        }

    if isinstance(node, Question):
        return node.model_copy(
            update={"name": f"{choice.name}_{node.name}", "label": fill(node.label)}
        )
    return node.model_copy(
        update={
            "name": f"{choice.name}_{node.name}",
            "label": fill(node.label),
            "children": tuple(_loop_child(child, choice) for child in node.children),
        }
    )


def _snake(text: str) -> str:
    return "_".join(text.split()).lower()


def _yes(value: Any) -> bool:
    return str(value).strip().lower() in _YES


def _split_header(header: str, double_colon: bool) -> tuple[str, str, str | None]:
    """Classify a column header: (status, canonical key, language or None).

    status is "known", "unsupported" (canonical is then the feature name) or "extra".
    """
    custom = _CUSTOM_ATTRIBUTE.match(header.strip())
    if custom:
        first, inner = custom.group(1).lower(), custom.group(2).strip().lower()
        if first == "bind" and inner in _BIND_KEYS:
            return "known", _BIND_KEYS[inner], None
        if first == "control" and inner == "appearance":
            return "known", "appearance", None
        if first == "control" and inner == "jr:count":
            return "known", "repeat_count", None
        return "attribute", header.strip(), None
    if double_colon or "::" in header:
        tokens = [token.strip() for token in header.split("::")]
    else:
        tokens = [token.strip() for token in header.split(":")]
        if "jr" in tokens[1:-1]:
            at = tokens.index("jr")
            tokens = [*tokens[:at], f"jr:{tokens[at + 1]}", *tokens[at + 2 :]]
    first = _snake(tokens[0])
    rest = tokens[1:]
    if first == "media" and rest and rest[0].lower() in _MEDIA_KINDS:
        return "media", rest[0].lower(), "::".join(rest[1:]) or None
    if first in _MEDIA_KINDS:
        return "media", first, "::".join(rest) or None
    if first in _ATTRIBUTE_COLUMNS:
        return "attribute", header.strip(), None
    first = _SURVEY_ALIASES.get(first, first)
    if first in ("list_name", "label", "name", "hint", "constraint_message", "required_message"):
        language = "::".join(rest) if rest else None
        return "known", first, language
    if first in _UNSUPPORTED_COLUMNS:
        return "unsupported", _UNSUPPORTED_COLUMNS[first], None
    if first in _SURVEY_KEYS and not rest:
        return "known", first, None
    return "extra", header, None


class _Checker:
    """Whole-form checks once the tree is built: names, references, expressions."""

    def __init__(
        self, definition: Definition, rows: dict[str, int], problems: list[Problem]
    ) -> None:
        self.definition = definition
        self.problems = problems
        self.rows = rows
        self.names: dict[str, str] = {}

    def run(self) -> None:
        """Check names are unique per repeat scope and every expression parses and resolves."""
        self._scan(self.definition.children, ())
        for fld in self.definition.fields():
            question = fld.question
            for column in ("relevant", "constraint", "calculation", "required", "default"):
                self._expression(question.name, column, getattr(question, column))
            if question.choice_filter:
                self._expression(
                    question.name, "choice_filter", question.choice_filter, columns=True
                )
            for text in (*question.label.values(), *question.hint.values()):
                for ref in _LABEL_REF.findall(text):
                    if ref.strip() not in self.names:
                        self._problem(question.name, "label", f"refers to unknown field ${{{ref}}}")
        for group in _groups(self.definition.children):
            self._expression(group.name, "relevant", group.relevant)
            self._expression(group.name, "repeat_count", group.repeat_count)

    def _scan(self, nodes: Sequence[Question | Group], scope: tuple[str, ...]) -> None:
        for node in nodes:
            if node.name in self.names and isinstance(node, Question):
                self._problem(node.name, "name", f"name '{node.name}' is used twice")
            self.names.setdefault(node.name, "/".join(scope))
            if isinstance(node, Group):
                inner = (*scope, node.name) if node.kind == "repeat" else scope
                self._scan(node.children, inner)

    def _expression(self, name: str, column: str, source: str, *, columns: bool = False) -> None:
        if not source or (column == "required" and source == "true()"):
            return
        if column == "default" and "${" not in source and "(" not in source:
            return  # a literal default value, not an expression
        try:
            parse_expression(source, columns=columns)
            unknown = sorted(
                ref for ref in references(source, columns=columns) if ref not in self.names
            )
            function_names(source, columns=columns)
        except ExpressionError as error:
            self._problem(name, column, f"cannot use expression {source!r}: {error}")
            return
        for ref in unknown:
            self._problem(name, column, f"refers to unknown field ${{{ref}}}")

    def _problem(self, name: str, column: str, message: str) -> None:
        self.problems.append(Problem("survey", self.rows.get(name), column, f"'{name}': {message}"))


def _groups(nodes: Sequence[Question | Group]) -> list[Group]:
    found: list[Group] = []
    for node in nodes:
        if isinstance(node, Group):
            found.append(node)
            found.extend(_groups(node.children))
    return found


def _run_pyxform(workbook: DefinitionData) -> None:
    """Let pyxform convert the same rows, so what pyxform rejects is rejected here too."""
    survey = [_pyxform_row(row) for row in workbook.survey or []]
    data = replace(
        workbook,
        survey=survey,
        choices=copy.deepcopy(workbook.choices),
        settings=copy.deepcopy(workbook.settings),
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            json_form = workbook_to_json(
                workbook_dict=data,
                form_name=None,
                fallback_form_name="data",
                default_language=None,
                warnings=[],
            )
            create_survey_element_from_dict(json_form).to_xml(validate=False, warnings=[])
    except PyXFormError as error:
        raise XLSFormError(f"pyxform refused the form: {error}") from error
    except Exception as error:  # pyxform raises bare errors on some malformed rows
        raise XLSFormError(
            f"pyxform could not convert the form: {type(error).__name__}: {error}"
        ) from error


def _pyxform_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite platform shorthand types to `text` so pyxform accepts them."""
    out = dict(row)
    for key, value in row.items():
        if _snake(str(key)) == "type" and str(value).strip().lower() in PLATFORM_TYPES:
            out[key] = "text"
    return out


# --------------------------------------------------------------------------- export

_EXPORT_TYPES = {"datetime": "dateTime"}


def export_xlsform(definition: Definition) -> bytes:
    """Write a definition as an .xlsx XLSForm that imports back to an equal definition."""
    languages = _export_languages(definition)
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    headers = _survey_headers(languages) + _extra_headers(definition)
    survey.append([header for header, _ in headers])
    for row in _survey_rows(definition.children):
        survey.append([_cell(row, key, languages) for _, key in headers])
    _write_choices(workbook, definition, languages)
    _write_settings(workbook, definition)
    for sheet in workbook.worksheets:
        _no_formulas(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _no_formulas(sheet: Any) -> None:
    """Keep text such as "=x" a string: openpyxl would otherwise store it as a formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _export_languages(definition: Definition) -> list[str]:
    found = dict.fromkeys(definition.settings.languages)
    for fld in definition.fields():
        question = fld.question
        for translations in (
            question.label,
            question.hint,
            question.constraint_message,
            question.required_message,
        ):
            found.update(dict.fromkeys(translations))
        for files in question.media.values():
            found.update(dict.fromkeys(files))
    for group in _groups(definition.children):
        found.update(dict.fromkeys((*group.label, *group.hint)))
        for files in group.media.values():
            found.update(dict.fromkeys(files))
    for choice_list in definition.choices:
        for choice in choice_list.choices:
            found.update(dict.fromkeys(choice.label))
            for files in choice.media.values():
                found.update(dict.fromkeys(files))
    return list(found)


def _media_header(kind: str, code: str) -> str:
    return f"media::{kind}::{language_header(code)}"


def _media_cells(media: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    return {
        _media_header(kind, code): name
        for kind, files in media.items()
        for code, name in files.items()
    }


def _extra_headers(definition: Definition) -> list[tuple[str, str]]:
    """Media columns then custom/display-only attribute columns, in order of first use."""
    media: dict[str, None] = {}
    attributes: dict[str, None] = {}
    nodes: list[Question | Group] = [f.question for f in definition.fields()]
    nodes += _groups(definition.children)
    for node in nodes:
        media.update(dict.fromkeys(_media_cells(node.media)))
        attributes.update(dict.fromkeys(node.attributes))
    return [(header, header) for header in (*media, *attributes)]


_TRANSLATED = ("label", "hint", "required_message", "constraint_message")


def _survey_headers(languages: list[str]) -> list[tuple[str, str]]:
    headers = [("type", "type"), ("name", "name")]
    for key in _TRANSLATED:
        headers += [(f"{key}::{language_header(code)}", f"{key}::{code}") for code in languages]
    for key in (
        "required",
        "relevant",
        "constraint",
        "calculation",
        "choice_filter",
        "default",
        "read_only",
        "appearance",
        "parameters",
        "repeat_count",
        "diaspora_type",
    ):
        headers.append((key, key))
    headers.append(("bind::diaspora", "bind"))
    return headers


def _survey_rows(nodes: Sequence[Question | Group]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for node in nodes:
        if isinstance(node, Question):
            rows.append(_question_row(node))
            continue
        rows.append(
            {
                "type": f"begin {node.kind}",
                "name": node.name,
                "label": node.label,
                "hint": node.hint,
                "relevant": node.relevant,
                "appearance": node.appearance,
                "repeat_count": node.repeat_count,
                **_media_cells(node.media),
                **node.attributes,
            }
        )
        rows.extend(_survey_rows(node.children))
        rows.append({"type": f"end {node.kind}"})
    return rows


def _question_row(question: Question) -> dict[str, Any]:
    qtype = _EXPORT_TYPES.get(question.type, question.type)
    platform = ""
    if question.type in PLATFORM_TYPES:
        qtype, platform = "text", question.type
    elif question.list_name is not None:
        qtype = f"{question.type} {question.list_name}" + (" or_other" if question.or_other else "")
    return {
        "type": qtype,
        "name": question.name,
        "label": question.label,
        "hint": question.hint,
        "required_message": question.required_message,
        "constraint_message": question.constraint_message,
        "required": "yes" if question.required == "true()" else question.required,
        "relevant": question.relevant,
        "constraint": question.constraint,
        "calculation": question.calculation,
        "choice_filter": question.choice_filter,
        "default": question.default,
        "read_only": "yes" if question.read_only else "",
        "appearance": question.appearance,
        "parameters": " ".join(f"{k}={v}" for k, v in question.parameters.items()),
        "diaspora_type": platform,
        "bind": question.bind or "",
        **_media_cells(question.media),
        **question.attributes,
    }


def _cell(row: Mapping[str, Any], key: str, languages: list[str]) -> str | None:
    if key in row:
        value = row[key]
    elif "::" in key:
        base, code = key.split("::", 1)
        value = (row.get(base) or {}).get(code, "")
    else:
        value = row.get(key, "")
    return value or None


def _write_choices(workbook: Workbook, definition: Definition, languages: list[str]) -> None:
    sheet = workbook.create_sheet("choices")
    extra = list(dict.fromkeys(k for cl in definition.choices for c in cl.choices for k in c.extra))
    media = list(
        dict.fromkeys(
            k for cl in definition.choices for c in cl.choices for k in _media_cells(c.media)
        )
    )
    sheet.append(
        [
            "list_name",
            "name",
            *(f"label::{language_header(code)}" for code in languages),
            *media,
            *extra,
        ]
    )
    for choice_list in definition.choices:
        for choice in choice_list.choices:
            labels = [choice.label.get(code) or None for code in languages]
            files = _media_cells(choice.media)
            sheet.append(
                [
                    choice_list.name,
                    choice.name,
                    *labels,
                    *(files.get(k) for k in media),
                    *(choice.extra.get(k) for k in extra),
                ]
            )


def _write_settings(workbook: Workbook, definition: Definition) -> None:
    settings = definition.settings
    sheet = workbook.create_sheet("settings")
    values = {
        "form_title": settings.title,
        "form_id": settings.form_id,
        "version": settings.version,
        "default_language": language_header(settings.default_language),
        **settings.extra,
    }
    sheet.append(list(values))
    sheet.append([value or None for value in values.values()])
