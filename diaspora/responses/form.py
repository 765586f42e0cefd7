"""What one page of a survey shows a respondent: skip logic applied, texts in a language.

The engine (`surveys`) validates and prepares answers; this module decides what is
*shown*: which questions are relevant given the answers so far, which pages are left,
the labels, hints and choices in the respondent's language, and the values to put
back in the inputs (what was typed wins over what is stored, so nothing typed is
lost when a page comes back with errors).  Field paths are the engine's: `name`, or
`repeat[0].name` inside repeats; the web form uses them as input names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diaspora.vocab import is_language
from surveys import Definition, Group, Page, Question, pages
from surveys.definition import OTHER_CHOICE, OTHER_SUFFIX
from surveys.expressions import (
    Context,
    ExpressionError,
    NodeSet,
    Value,
    compile_,
    references,
    to_bool,
    to_number,
    to_string,
)
from surveys.messages import message
from surveys.platform import country_choices, country_name, language_choices, language_name
from surveys.validation import collect_values, range_parameters, xpath_value

_LABEL_REF = re.compile(r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}")
# More options than this are a drop-down instead of radio buttons.
RADIO_LIMIT = 12
_INPUT_WIDGETS = {
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "country": "country",
    "language": "language",
    "skill": "skill",
    "occupation": "occupation",
    # ODK/Kobo device types the web can still ask sensibly; the others fall back to text.
    "acknowledge": "acknowledge",
    "rank": "rank",
    "geopoint": "geopoint",
    "image": "media",
    "audio": "media",
    "video": "media",
    "file": "media",
}
# File questions the web form uploads (background-audio records on a device; not here).
UPLOAD_TYPES = frozenset({"image", "audio", "video", "file"})
# A range with one of these appearances is drawn as radio buttons when it has few steps.
SCALE_APPEARANCES = ("rating", "likert", "picker")
SCALE_LIMIT = 11
# A geopoint's inputs, in the order of its answer "lat lon alt acc".
GEO_PARTS = ("latitude", "longitude", "altitude", "accuracy")


class Evaluator:
    """Evaluates relevance, required, choice filters and labels against some answers."""

    def __init__(
        self,
        definition: Definition,
        answers: Mapping[str, Any],
        language: str | None,
        today: dt.date | None = None,
    ) -> None:
        self.definition = definition
        self.answers = answers
        self.language = language
        self.scope_of: dict[str, tuple[str, ...]] = {}
        self.repeat_names: set[str] = set()
        self.choices_of: dict[str, Question] = {}
        for ref in definition.fields():
            self.scope_of[ref.question.name] = ref.repeats
            if ref.question.or_other:
                self.scope_of[ref.question.name + OTHER_SUFFIX] = ref.repeats
            if ref.question.list_name:
                self.choices_of[ref.question.name] = ref.question
        for group, parents in definition.repeats():
            self.scope_of[group.name] = parents
            self.repeat_names.add(group.name)
        self.positions: list[tuple[str, Mapping[str, Any]]] = []
        self.context = Context(
            resolve=self.resolve,
            language=language,
            choice_label=self.choice_label,
            today=today or dt.date.today(),
        )

    def resolve(self, name: str) -> Value:
        """`${name}` seen from the current repeat instance."""
        scope = self.scope_of.get(name)
        if scope is None:
            return ""
        container: Mapping[str, Any] = self.answers
        for depth, repeat in enumerate(scope):
            if depth < len(self.positions) and self.positions[depth][0] == repeat:
                container = self.positions[depth][1]
                continue
            return NodeSet(collect_values(container, scope[depth:], name))
        value = container.get(name)
        if name in self.repeat_names:
            return NodeSet(("",) * len(value) if isinstance(value, list) else ())
        return xpath_value(value)

    def choice_label(self, name: str, value: str, language: str | None) -> str:
        question = self.choices_of.get(name)
        for choice in self.definition.choices_for(question) if question else ():
            if choice.name == value:
                return self.definition.text(choice.label, language)
        return ""

    def evaluate(self, source: str, current: Any = None) -> Value:
        self.context.current = xpath_value(current)
        return compile_(source)(self.context)

    def true(self, source: str, current: Any = None, *, default: bool = True) -> bool:
        """The expression as a boolean; absent (or failing at run time) gives `default`."""
        if not source:
            return default
        try:
            return to_bool(self.evaluate(source, current))
        except (ExpressionError, ValueError, TypeError, ArithmeticError):
            return default

    def count(self, source: str) -> int | None:
        if not source:
            return None
        try:
            number = to_number(self.evaluate(source))
        except (ExpressionError, ValueError, TypeError, ArithmeticError):
            return None
        return None if number != number else max(int(number), 0)

    def text(self, translations: Mapping[str, str]) -> str:
        """A label or hint in the language, with `${name}` references filled in."""
        text = self.definition.text(translations, self.language)
        if "${" not in text:
            return text
        return _LABEL_REF.sub(lambda m: to_string(self.resolve(m[1])), text)

    def required(self, question: Question, current: Any) -> bool:
        if question.required == "true()":
            return True
        return self.true(question.required, current, default=False)

    def enter(self, repeat: str, instance: Mapping[str, Any], index: int) -> None:
        self.positions.append((repeat, instance))
        self.context.position = index + 1

    def leave(self) -> None:
        self.positions.pop()


# --------------------------------------------------------------------------- page model


@dataclass(slots=True)
class Option:
    value: str
    label: str


@dataclass(slots=True)
class Field:
    """One input (or group of radio buttons / check boxes) on a page."""

    path: str
    name: str
    type: str
    widget: str
    label: str
    hint: str
    required: bool
    value: str = ""
    values: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    error: str = ""
    other_path: str = ""
    other_value: str = ""
    other_error: str = ""
    appearance: str = ""
    # Extra input attributes: min/max/step of a range.
    attrs: dict[str, str] = field(default_factory=dict)
    kind: str = "field"

    @property
    def id(self) -> str:
        """An HTML id derived from the path."""
        return html_id(self.path)


@dataclass(slots=True)
class Note:
    label: str
    hint: str = ""
    kind: str = "note"


@dataclass(slots=True)
class Section:
    label: str
    hint: str
    items: list[Any]
    kind: str = "group"


@dataclass(slots=True)
class Instance:
    index: int
    path: str
    items: list[Any]


@dataclass(slots=True)
class Repeat:
    path: str
    name: str
    label: str
    hint: str
    instances: list[Instance]
    fixed: bool
    error: str = ""
    kind: str = "repeat"

    @property
    def id(self) -> str:
        return html_id(self.path)


@dataclass(slots=True)
class PageView:
    """Everything a template needs to show one page."""

    index: int
    name: str
    title: str
    items: list[Any]
    number: int
    total: int
    previous: int | None
    next: int | None
    language: str
    errors: dict[str, str]
    unplaced_errors: dict[str, str]

    @property
    def percent(self) -> int:
        return round(100 * (self.number - 1) / self.total) if self.total else 0

    @property
    def uploads(self) -> bool:
        """True when the page asks for a file (its form must post multipart)."""
        return any(item.widget == "media" for item in fields_of(self.items))


def fields_of(items: Iterable[Any]) -> Iterator[Field]:
    """Every field of a page, inside groups and repeat instances too."""
    for item in items:
        if isinstance(item, Field):
            yield item
        elif isinstance(item, Section):
            yield from fields_of(item.items)
        elif isinstance(item, Repeat):
            for instance in item.instances:
                yield from fields_of(instance.items)


def html_id(path: str) -> str:
    """A valid, unique HTML id for a field path."""
    return "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


class _Builder:
    def __init__(
        self,
        definition: Definition,
        answers: Mapping[str, Any],
        language: str,
        raw: Mapping[str, Any] | None,
        errors: Mapping[str, str] | None,
        rows: Mapping[str, int] | None,
    ) -> None:
        self.definition = definition
        self.evaluator = Evaluator(definition, answers, language)
        self.language = language
        self.raw = raw or {}
        self.errors = errors or {}
        self.rows = rows or {}
        self.placed: set[str] = set()

    def items(
        self, nodes: Sequence[Question | Group], container: Mapping[str, Any], prefix: str
    ) -> list[Any]:
        ev = self.evaluator
        out: list[Any] = []
        for node in nodes:
            if isinstance(node, Question):
                if not node.is_asked and node.type != "note":
                    continue
                value = container.get(node.name)
                if not ev.true(node.relevant, value):
                    continue
                if node.type == "note":
                    out.append(Note(ev.text(node.label), ev.text(node.hint)))
                    continue
                out.append(self.field(node, prefix, value, container))
            elif not ev.true(node.relevant):
                continue
            elif node.kind == "group":
                children = self.items(node.children, container, prefix)
                if children:
                    out.append(Section(ev.text(node.label), ev.text(node.hint), children))
            else:
                out.append(self.repeat(node, container, prefix))
        return out

    def repeat(self, group: Group, container: Mapping[str, Any], prefix: str) -> Repeat:
        ev = self.evaluator
        path = prefix + group.name
        stored = container.get(group.name)
        instances = (
            [i for i in stored if isinstance(i, Mapping)] if isinstance(stored, list) else []
        )
        fixed_count = ev.count(group.repeat_count)
        shown = (
            fixed_count if fixed_count is not None else self.rows.get(path, max(len(instances), 1))
        )
        views = []
        for index in range(shown):
            instance = instances[index] if index < len(instances) else {}
            ev.enter(group.name, instance, index)
            try:
                items = self.items(group.children, instance, f"{path}[{index}].")
            finally:
                ev.leave()
            views.append(Instance(index, f"{path}[{index}]", items))
        self.placed.add(path)
        return Repeat(
            path=path,
            name=group.name,
            label=ev.text(group.label),
            hint=ev.text(group.hint),
            instances=views,
            fixed=fixed_count is not None,
            error=self.errors.get(path, ""),
        )

    def field(
        self, question: Question, prefix: str, value: Any, container: Mapping[str, Any]
    ) -> Field:
        ev = self.evaluator
        path = prefix + question.name
        self.placed.add(path)
        widget = self.widget(question)
        view = Field(
            path=path,
            name=question.name,
            type=question.type,
            widget=widget,
            label=ev.text(question.label) or question.name,
            hint=ev.text(question.hint),
            required=ev.required(question, value),
            error=self.errors.get(path, ""),
            appearance=question.appearance,
        )
        shown = self.raw.get(path, value)
        if widget in ("checkbox", "skill"):
            view.values = _as_list(shown, split_spaces=widget == "checkbox")
        else:
            view.value = _as_text(shown)
        if widget == "rank":
            view.values = _positions(shown)
        elif widget == "geopoint":
            view.values = (_positions(shown) + [""] * len(GEO_PARTS))[: len(GEO_PARTS)]
        elif widget in ("range", "scale"):
            view.attrs = range_attributes(question)
        view.options = (
            scale_options(question) if widget == "scale" else self.options(question, widget)
        )
        if question.or_other:
            other = path + OTHER_SUFFIX
            self.placed.add(other)
            view.other_path = other
            other_value = container.get(question.name + OTHER_SUFFIX)
            view.other_value = _as_text(self.raw.get(other, other_value))
            view.other_error = self.errors.get(other, "")
        return view

    def widget(self, question: Question) -> str:
        if question.type == "select_one":
            count = len(self.definition.choices_for(question))
            minimal = "minimal" in question.appearance
            return "select" if minimal or count > RADIO_LIMIT else "radio"
        if question.type == "select_multiple":
            return "checkbox"
        if question.type == "text" and "multiline" in question.appearance:
            return "textarea"
        if question.type == "range":
            scale = any(word in question.appearance for word in SCALE_APPEARANCES)
            return "scale" if scale and scale_options(question) else "range"
        return _INPUT_WIDGETS.get(question.type, "text")

    def options(self, question: Question, widget: str) -> list[Option]:
        if widget == "country":
            return [Option(code, name) for code, name in country_choices(self.language)]
        if widget == "language":
            pairs = language_choices(self.language)
            if question.bind == "languages.code":
                # The member profile keeps two-letter codes; offer only what it can store.
                pairs = tuple(pair for pair in pairs if is_language(pair[0]))
            return [Option(code, name) for code, name in pairs]
        if not question.list_name:
            return []
        choices = self.definition.choices_for(question)
        if question.choice_filter:
            choices = tuple(c for c in choices if self.keep_choice(question, c))
        return [
            Option(c.name, self.definition.text(c.label, self.language) or c.name) for c in choices
        ]

    def keep_choice(self, question: Question, choice: Any) -> bool:
        if choice.name == OTHER_CHOICE and question.or_other:
            return True
        ev = self.evaluator
        definition = self.definition

        def column(name: str) -> Value:
            if name == "name":
                return str(choice.name)
            if name == "label":
                return definition.text(choice.label, self.language)
            return str(choice.extra.get(name, ""))

        ev.context.column = column
        try:
            ev.context.current = ""
            return to_bool(compile_(question.choice_filter, columns=True)(ev.context))
        except (ExpressionError, ValueError, TypeError, ArithmeticError):
            return True
        finally:
            ev.context.column = None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value)


def _positions(value: Any) -> list[str]:
    """Several inputs' values in order, blanks kept (a posted list), or a stored answer split."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value]
    return str(value).split()


# --------------------------------------------------------------------------- range


def number_text(value: float) -> str:
    """A number as a form value: "3", "0.5", never "0.30000000000000004"."""
    value = round(value, 10) + 0.0  # + 0.0 turns -0.0 into 0.0
    if value.is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0")


def _steps(start: float, end: float, step: float) -> int | None:
    """How many values a range offers, or None when the step does not divide it."""
    if step <= 0:
        return None
    count = abs(end - start) / step
    if abs(count - round(count)) > 1e-9:
        return None
    return int(round(count)) + 1


def range_attributes(question: Question) -> dict[str, str]:
    """min, max and step for a number input that accepts exactly what the engine does."""
    numbers = range_parameters(question)
    if numbers is None:
        return {"step": "any"}
    start, end, step = numbers
    low, high = min(start, end), max(start, end)
    # A browser counts steps from min: right when min is the start, or when the step
    # divides the range (a descending range then has the same values).
    counted = step > 0 and (start <= end or _steps(start, end, step) is not None)
    return {
        "min": number_text(low),
        "max": number_text(high),
        "step": number_text(step) if counted else "any",
    }


def scale_options(question: Question) -> list[Option]:
    """Every value of a short range (at most SCALE_LIMIT), from its start to its end."""
    numbers = range_parameters(question)
    if numbers is None:
        return []
    start, end, step = numbers
    count = _steps(start, end, step)
    if count is None or count > SCALE_LIMIT:
        return []
    direction = 1 if end >= start else -1
    values = [number_text(start + direction * index * step) for index in range(count)]
    return [Option(value, value) for value in values]


# --------------------------------------------------------------------------- several inputs


def _last_name(path: str) -> str:
    """The question name at the end of a field path (`rep[0].name` → `name`)."""
    return path.rsplit("].", 1)[-1]


def combine_inputs(
    definition: Definition, form: Mapping[str, Any], *, language: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Join the inputs of questions drawn as several (posted as a list) into the text the
    engine reads: a rank's choices in order ("b a c"), a geopoint's "lat lon alt acc".

    A geopoint with a gap (a longitude without a latitude, an accuracy without an
    altitude) cannot be read in order: its path gets an error and leaves the form.
    """
    questions = {ref.question.name: ref.question for ref in definition.fields()}
    out = dict(form)
    errors: dict[str, str] = {}
    for path, raw in form.items():
        question = questions.get(_last_name(path))
        if question is None or not isinstance(raw, list | tuple):
            continue
        parts = [str(item).strip() for item in raw]
        if question.type == "rank":
            out[path] = " ".join(part for part in parts if part)
        elif question.type == "geopoint":
            while parts and not parts[-1]:
                parts.pop()
            if "" in parts:
                label = definition.text(question.label, language) or question.name
                shown = " ".join(part or "_" for part in parts)
                errors[path] = message("geopoint", language, field=label, value=shown)
                del out[path]
            else:
                out[path] = " ".join(parts)
    return out, errors


def media_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, str]:
    """Field path → file name of every answered file question, inside repeats too."""
    out: dict[str, str] = {}

    def walk(nodes: Iterable[Question | Group], container: Mapping[str, Any], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, Question):
                value = container.get(node.name)
                if node.type in UPLOAD_TYPES and value not in (None, ""):
                    out[prefix + node.name] = str(value)
            elif node.kind == "group":
                walk(node.children, container, prefix)
            else:
                instances = container.get(node.name)
                for index, instance in enumerate(instances if isinstance(instances, list) else []):
                    if isinstance(instance, Mapping):
                        walk(node.children, instance, f"{prefix}{node.name}[{index}].")

    walk(definition.children, answers, "")
    return out


def upload_names(definition: Definition) -> frozenset[str]:
    """Names of the questions answered with an uploaded file."""
    return frozenset(
        ref.question.name for ref in definition.fields() if ref.question.type in UPLOAD_TYPES
    )


def is_upload(path: str, names: frozenset[str]) -> bool:
    """True when the field at `path` is one of the file questions `names`."""
    return _last_name(path) in names


def half_typed_locations(definition: Definition, values: Mapping[str, Any]) -> set[str]:
    """Locations begun but without a latitude or longitude yet: while the respondent types
    (background saves) that is no error; it is one when the page is sent."""
    names = {ref.question.name for ref in definition.fields() if ref.question.type == "geopoint"}
    out = set()
    for path, value in values.items():
        if path.rsplit("].", 1)[-1] not in names or not isinstance(value, list):
            continue
        parts = [str(item).strip() for item in value]
        if any(parts) and not all(parts[:2]):
            out.add(path)
    return out


def _as_list(value: Any, *, split_spaces: bool) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value if str(item).strip()]
    text = str(value)
    parts = text.split() if split_spaces else re.split(r"[;\n\r]+", text)
    return [part.strip() for part in parts if part.strip()]


def build_page(
    definition: Definition,
    answers: Mapping[str, Any],
    page_index: int,
    *,
    language: str,
    raw: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    rows: Mapping[str, int] | None = None,
) -> PageView:
    """The page as the respondent sees it now; `raw` (typed values) win over `answers`."""
    page_list = pages(definition)
    page = page_list[page_index]
    builder = _Builder(definition, answers, language, raw, errors, rows)
    items = builder.items(page.nodes, answers, "")
    visible = visible_pages(definition, answers)
    # The count includes pages that depend on questions not answered yet, so a new
    # respondent sees "page 1 of 8", not "page 1 of 1".
    counted = set(visible) | _undecided_pages(definition, answers) | {page_index}
    number = sum(1 for index in counted if index <= page_index)
    total = len(counted)
    previous = max((i for i in visible if i < page_index), default=None)
    following = min((i for i in visible if i > page_index), default=None)
    evaluator = builder.evaluator
    return PageView(
        index=page_index,
        name=page.name,
        title=evaluator.text(page.label) or page.name.replace("_", " "),
        items=items,
        number=max(number, 1),
        total=max(total, 1),
        previous=previous,
        next=following,
        language=language,
        errors=dict(errors or {}),
        unplaced_errors={k: v for k, v in (errors or {}).items() if k not in builder.placed},
    )


def shape(items: Iterable[Any]) -> tuple[Any, ...]:
    """What a page shows, without the values: equal shapes need no re-render."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, Field):
            options = tuple(option.value for option in item.options)
            out.append(
                (
                    item.path,
                    item.widget,
                    item.label,
                    item.required,
                    options,
                    item.error,
                    item.other_error,
                )
            )
        elif isinstance(item, Note):
            out.append(("note", item.label))
        elif isinstance(item, Section):
            out.append(("group", item.label, shape(item.items)))
        elif isinstance(item, Repeat):
            instances = tuple(shape(instance.items) for instance in item.instances)
            out.append(("repeat", item.path, item.error, instances))
    return tuple(out)


def visible_pages(definition: Definition, answers: Mapping[str, Any]) -> list[int]:
    """Indexes of the pages that still have something to ask, given the answers."""
    evaluator = _Builder(definition, answers, definition.settings.default_language, {}, {}, {})
    result = []
    for page in pages(definition):
        if not evaluator.evaluator.true(page.relevant):
            continue
        if evaluator.items(page.nodes, answers, ""):
            result.append(page.index)
    return result


def _undecided_pages(definition: Definition, answers: Mapping[str, Any]) -> set[int]:
    """Pages hidden only because a question they depend on is not answered yet."""
    out = set()
    for page in pages(definition):
        sources = [page.relevant, *(node.relevant for node in page.nodes)]
        names: set[str] = set()
        for source in sources:
            if source:
                try:
                    names |= references(source)
                except ExpressionError:
                    continue
        if any(is_blank(answers.get(name)) for name in names):
            out.add(page.index)
    return out


def next_page(definition: Definition, answers: Mapping[str, Any], after: int) -> int | None:
    """The next page worth showing after `after`, or None when only the review is left."""
    return min((i for i in visible_pages(definition, answers) if i > after), default=None)


def previous_page(definition: Definition, answers: Mapping[str, Any], before: int) -> int | None:
    return max((i for i in visible_pages(definition, answers) if i < before), default=None)


def page_names(page: Page) -> set[str]:
    """Top-level answer keys a page owns (questions, their "_other" texts, repeats)."""
    names: set[str] = set()

    def walk(nodes: Iterable[Question | Group]) -> None:
        for node in nodes:
            if isinstance(node, Question):
                names.add(node.name)
                if node.or_other:
                    names.add(node.name + OTHER_SUFFIX)
            elif node.kind == "repeat":
                names.add(node.name)
            else:
                walk(node.children)

    walk(page.nodes)
    return names


def page_of(definition: Definition, path: str) -> int | None:
    """The page holding the field at `path` (`name`, `rep[0].name`, `name_other`)."""
    top = re.split(r"[\[.]", path, maxsplit=1)[0]
    for page in pages(definition):
        if top in page_names(page):
            return page.index
    return None


def top_name(path: str) -> str:
    """The top-level answer key of a field path."""
    return re.split(r"[\[.]", path, maxsplit=1)[0]


# --------------------------------------------------------------------------- repeats in forms


def instance_count(form: Mapping[str, Any], repeat_path: str) -> int:
    """How many instances of a repeat the posted form holds (from `path[i].` keys)."""
    prefix = repeat_path + "["
    highest = -1
    for key in form:
        if key.startswith(prefix):
            number = key[len(prefix) :].split("]", 1)[0]
            if number.isdigit():
                highest = max(highest, int(number))
    return highest + 1


def remove_instance(form: Mapping[str, Any], repeat_path: str, index: int) -> dict[str, Any]:
    """The form without instance `index` of the repeat, later instances renumbered."""
    prefix = repeat_path + "["
    out: dict[str, Any] = {}
    for key, value in form.items():
        if not key.startswith(prefix):
            out[key] = value
            continue
        number, _, rest = key[len(prefix) :].partition("]")
        if not number.isdigit():
            out[key] = value
            continue
        position = int(number)
        if position == index:
            continue
        if position > index:
            position -= 1
        out[f"{prefix}{position}]{rest}"] = value
    return out


def is_blank(value: Any) -> bool:
    """True for an answer, or repeat instance, that holds nothing."""
    if value is None or value == "" or value == []:
        return True
    if isinstance(value, Mapping):
        return all(is_blank(item) for item in value.values())
    if isinstance(value, list):
        return all(isinstance(item, Mapping) and is_blank(item) for item in value)
    return False


def drop_blank_instances(answers: dict[str, Any], repeats: set[str]) -> dict[str, Any]:
    """Remove repeat instances in which nothing was answered (an unused "add another" row)."""
    for name in repeats:
        value = answers.get(name)
        if isinstance(value, list):
            kept = [item for item in value if not (isinstance(item, Mapping) and is_blank(item))]
            if kept:
                answers[name] = kept
            else:
                answers.pop(name, None)
    return answers


# --------------------------------------------------------------------------- review


@dataclass(slots=True)
class ReviewRow:
    label: str
    text: str
    path: str
    error: str = ""
    widget: str = ""


@dataclass(slots=True)
class ReviewPage:
    index: int
    title: str
    rows: list[ReviewRow]


def review(
    definition: Definition,
    answers: Mapping[str, Any],
    *,
    language: str,
    errors: Mapping[str, str] | None = None,
) -> list[ReviewPage]:
    """Every visible page with its questions and the answers in words."""
    out = []
    for index in visible_pages(definition, answers):
        view = build_page(definition, answers, index, language=language, errors=errors)
        rows: list[ReviewRow] = []
        _review_rows(view.items, rows, "")
        out.append(ReviewPage(index, view.title, rows))
    return out


def _review_rows(items: Iterable[Any], rows: list[ReviewRow], prefix: str) -> None:
    for item in items:
        if isinstance(item, Field):
            rows.append(
                ReviewRow(
                    prefix + item.label, answer_text(item), item.path, item.error, item.widget
                )
            )
        elif isinstance(item, Section):
            _review_rows(item.items, rows, prefix)
        elif isinstance(item, Repeat):
            if item.error:
                rows.append(ReviewRow(prefix + item.label, "", item.path, item.error))
            for instance in item.instances:
                _review_rows(instance.items, rows, f"{prefix}{item.label} {instance.index + 1} · ")


def answer_text(item: Field) -> str:
    """The answer of a field in words (choice labels, country and language names)."""
    labels = {option.value: option.label for option in item.options}
    if item.widget == "checkbox":
        text = ", ".join(labels.get(value, value) for value in item.values)
    elif item.widget == "skill":
        text = "; ".join(item.values)
    elif item.widget == "rank":
        ranked = [value for value in item.values if value]
        text = "; ".join(f"{n}. {labels.get(value, value)}" for n, value in enumerate(ranked, 1))
    elif item.widget in ("radio", "select", "country", "language"):
        text = labels.get(item.value, item.value)
    else:
        text = item.value
    if item.other_value:
        text = f"{text}: {item.other_value}" if text else item.other_value
    return text


def display_value(definition: Definition, question: Question, value: Any, language: str) -> str:
    """A stored answer in words, for staff pages."""
    if value is None or value == "":
        return ""
    if question.type == "country":
        return country_name(str(value), language)
    if question.type == "language":
        return language_name(str(value), language)
    if question.list_name:
        labels = {
            c.name: definition.text(c.label, language) for c in definition.choices_for(question)
        }
        items = value if isinstance(value, list) else str(value).split()
        return ", ".join(labels.get(str(item), str(item)) for item in items)
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return _as_text(value)
