"""The normalised survey definition: what the app stores as JSON per survey version.

A definition is plain data (pydantic models, frozen) so it can be stored, compared and
diffed; it never holds parsed expressions or spreadsheet details.  Answers to a
definition are a dict keyed by question *name* (groups are presentational and do not
nest answers); a repeat's answer is a list of such dicts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field

# Types that hold an answer, as stored in `Question.type`.
INPUT_TYPES = frozenset({"text", "integer", "decimal", "date", "time", "datetime"})
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
# Platform types: answered with the platform's own widgets and reference data.
PLATFORM_TYPES = frozenset({"country", "language", "skill", "occupation"})
# Location answers: text "lat lon [alt acc]"; geotrace/geoshape join points with ";".
GEO_TYPES = frozenset({"geopoint", "geotrace", "geoshape"})
# File answers: the file name as text, as Kobo/ODK exports give them.  The web form
# uploads files as response attachments (diaspora.responses.attachments).
MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "background-audio"})
# Other device widgets kept for imported forms (the web draws range and rank with their
# own widgets, acknowledge as a check box, barcode as text).
DEVICE_TYPES = frozenset({"barcode", "acknowledge", "range", "rank"})
# Filled by the server where meaningful (start/end/today), never asked; device and
# account metadata (deviceid, username, ...) and background-audio (a recording a phone
# makes while the form is open: a web page has no such thing) are only accepted from
# imported submissions.
SERVER_META_TYPES = frozenset({"start", "end", "today"})
META_TYPES = SERVER_META_TYPES | frozenset(
    {
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-geopoint",
        "uri:deviceid",
        "uri:subscriberid",
        "uri:simserial",
        "uri:phonenumber",
        "uri:username",
        "uri:email",
        "hidden",
        "background-audio",
    }
)
DISPLAY_TYPES = frozenset({"note"})
QUESTION_TYPES = (
    INPUT_TYPES
    | SELECT_TYPES
    | PLATFORM_TYPES
    | GEO_TYPES
    | MEDIA_TYPES
    | DEVICE_TYPES
    | META_TYPES
    | DISPLAY_TYPES
    | {"calculate"}
)

OTHER_CHOICE = "other"
OTHER_SUFFIX = "_other"

Translations = dict[str, str]
# Media per kind ("image", "big-image", "audio", "video") then language: file name.
Media = dict[str, dict[str, str]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    """One option of a choice list; `extra` holds columns used by choice filters."""

    name: str
    label: Translations = Field(default_factory=dict)
    extra: dict[str, str] = Field(default_factory=dict)
    media: Media = Field(default_factory=dict)


class ChoiceList(_Frozen):
    """A named list of choices, in sheet order."""

    name: str
    choices: tuple[Choice, ...] = ()


class Question(_Frozen):
    """A question, note, calculation or metadata field."""

    kind: Literal["question"] = "question"
    name: str
    type: str
    list_name: str | None = None
    or_other: bool = False
    label: Translations = Field(default_factory=dict)
    hint: Translations = Field(default_factory=dict)
    constraint_message: Translations = Field(default_factory=dict)
    required_message: Translations = Field(default_factory=dict)
    # XPath expressions; "" means absent.  `required` is "true()" for a plain "yes".
    required: str = ""
    relevant: str = ""
    constraint: str = ""
    calculation: str = ""
    choice_filter: str = ""
    default: str = ""
    read_only: bool = False
    appearance: str = ""
    parameters: dict[str, str] = Field(default_factory=dict)
    # Member-profile field this answer feeds (see surveys.bindings).
    bind: str | None = None
    media: Media = Field(default_factory=dict)
    # Display-only and custom columns (bind::x, body::x, instance::x, rows, autoplay,
    # buttonText, ...) keyed by the full column header; kept for the XLSForm round trip.
    attributes: dict[str, str] = Field(default_factory=dict)

    @property
    def holds_answer(self) -> bool:
        """True when the question stores a value in the answers."""
        return self.type not in DISPLAY_TYPES

    @property
    def is_asked(self) -> bool:
        """True when a respondent sees an input for it."""
        return self.type not in DISPLAY_TYPES | META_TYPES | {"calculate"}


class Group(_Frozen):
    """A group (kind "group") or a repeat (kind "repeat") of questions."""

    kind: Literal["group", "repeat"] = "group"
    name: str
    label: Translations = Field(default_factory=dict)
    hint: Translations = Field(default_factory=dict)
    relevant: str = ""
    appearance: str = ""
    repeat_count: str = ""
    children: tuple[Node, ...] = ()
    media: Media = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)


Node = Annotated[Question | Group, Field(discriminator="kind")]
Group.model_rebuild()


class Settings(_Frozen):
    """Form-level settings; `languages` are ISO 639 codes, default first."""

    form_id: str
    version: str = ""
    title: str = ""
    default_language: str = "en"
    languages: tuple[str, ...] = ("en",)
    extra: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A question located in the tree: `repeats` are the enclosing repeat names."""

    question: Question
    groups: tuple[str, ...]
    repeats: tuple[str, ...]

    @property
    def column(self) -> str:
        """Column name in exports: repeat path then question name, slash separated."""
        return "/".join((*self.repeats, self.question.name))


class Definition(_Frozen):
    """A whole survey version."""

    settings: Settings
    children: tuple[Node, ...] = ()
    choices: tuple[ChoiceList, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Definition:
        """Build a definition from `to_dict()` output."""
        return cls.model_validate(dict(data))

    def fields(self) -> Iterator[FieldRef]:
        """Every question in form order, with its enclosing groups and repeats."""
        return iter(self._fields)

    @cached_property
    def _fields(self) -> tuple[FieldRef, ...]:
        # A definition is immutable, and imports walk it several times per row.
        return tuple(_walk(self.children, (), ()))

    def question(self, name: str) -> Question:
        """The question called `name` (names are unique per repeat scope)."""
        for field in self.fields():
            if field.question.name == name:
                return field.question
        raise KeyError(name)

    def repeats(self) -> Iterator[tuple[Group, tuple[str, ...]]]:
        """Every repeat with the names of the repeats around it."""
        return iter(self._repeats)

    @cached_property
    def _repeats(self) -> tuple[tuple[Group, tuple[str, ...]], ...]:
        return tuple(_walk_repeats(self.children, ()))

    def choice_list(self, list_name: str) -> ChoiceList:
        """The choice list called `list_name`."""
        for choice_list in self.choices:
            if choice_list.name == list_name:
                return choice_list
        raise KeyError(list_name)

    def choices_for(self, question: Question) -> tuple[Choice, ...]:
        """The choices of a select question, with the implicit "other" when or_other."""
        if question.list_name is None:
            return ()
        choices = self.choice_list(question.list_name).choices
        if question.or_other:
            choices = (*choices, Choice(name=OTHER_CHOICE, label=_OTHER_LABELS))
        return choices

    def text(self, translations: Mapping[str, str], language: str | None) -> str:
        """Pick a translation: the language asked, else the default, else any."""
        if language and translations.get(language):
            return translations[language]
        if translations.get(self.settings.default_language):
            return translations[self.settings.default_language]
        return next((text for text in translations.values() if text), "")


_OTHER_LABELS = {
    "en": "Other",
    "fr": "Autre",
    "es": "Otro",
    "pt": "Outro",
    "ar": "أخرى",
}


def _walk(
    nodes: Sequence[Question | Group], groups: tuple[str, ...], repeats: tuple[str, ...]
) -> Iterator[FieldRef]:
    for node in nodes:
        if isinstance(node, Question):
            yield FieldRef(node, groups, repeats)
        elif node.kind == "repeat":
            yield from _walk(node.children, (*groups, node.name), (*repeats, node.name))
        else:
            yield from _walk(node.children, (*groups, node.name), repeats)


def _walk_repeats(
    nodes: Sequence[Question | Group], repeats: tuple[str, ...]
) -> Iterator[tuple[Group, tuple[str, ...]]]:
    for node in nodes:
        if isinstance(node, Group):
            if node.kind == "repeat":
                yield node, repeats
                yield from _walk_repeats(node.children, (*repeats, node.name))
            else:
                yield from _walk_repeats(node.children, repeats)


@dataclass(frozen=True, slots=True)
class Page:
    """What one screen of the web form shows."""

    index: int
    name: str
    label: Translations
    nodes: tuple[Question | Group, ...]
    relevant: str = ""

    def questions(self) -> list[Question]:
        """Every question on the page, including those inside nested groups and repeats."""
        return [field.question for field in _walk(self.nodes, (), ())]


def pages(definition: Definition) -> list[Page]:
    """One page per top-level group or repeat; consecutive ungrouped questions share one."""
    result: list[Page] = []
    loose: list[Question] = []

    def flush() -> None:
        if loose:
            first = loose[0]
            result.append(Page(len(result), first.name, first.label, tuple(loose)))
            loose.clear()

    for node in definition.children:
        if isinstance(node, Question):
            loose.append(node)
            continue
        flush()
        if node.kind == "repeat":
            result.append(Page(len(result), node.name, node.label, (node,), ""))
        else:
            result.append(Page(len(result), node.name, node.label, node.children, node.relevant))
    flush()
    return result


def answer_columns(definition: Definition) -> list[str]:
    """Columns for one version: every answer-holding question and its "_other" companion."""
    columns: list[str] = []
    for field in definition.fields():
        if not field.question.holds_answer:
            continue
        columns.append(field.column)
        if field.question.or_other:
            columns.append(field.column + OTHER_SUFFIX)
    return columns


def all_columns(definitions: Sequence[Definition]) -> list[str]:
    """Every column ever asked across versions, in order of first appearance."""
    seen: dict[str, None] = {}
    for definition in definitions:
        for column in answer_columns(definition):
            seen.setdefault(column, None)
    return list(seen)


def normalise_language(name: str) -> str:
    """Turn an XLSForm language name ("French (fr)", "english") into an ISO 639 code."""
    text = name.strip()
    if text.endswith(")") and "(" in text:
        code = text[text.rindex("(") + 1 : -1].strip()
        if code:
            return code.lower()
    # A bare code first: lookup("en") would also match the language *named* "En" (enc).
    code = text.lower()
    if len(code) == 2 and pycountry.languages.get(alpha_2=code) is not None:
        return code
    if len(code) == 3 and (found := pycountry.languages.get(alpha_3=code)) is not None:
        return str(getattr(found, "alpha_2", None) or code)
    try:
        language = pycountry.languages.lookup(text)
    except LookupError:
        return text
    return str(getattr(language, "alpha_2", None) or language.alpha_3)


def language_header(code: str) -> str:
    """The XLSForm column suffix for a language code, e.g. "French (fr)"."""
    language = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if language is None and len(code) == 3:
        language = pycountry.languages.get(alpha_3=code)
    if language is None:
        return code if "(" not in code else code
    name = str(language.name).split(";")[0].split("(")[0].strip()
    return f"{name} ({code})"
