"""Check answers against a definition: types, choices, required, constraints, relevance.

Who does what with answers to questions that do not apply (relevance false):
- `validate_page` ignores them: a respondent may go back and change an earlier answer;
- `prepare_answers` drops them (and computes calculations): what a page save stores;
- `validate_all` reports them as errors: an API client must not submit them.

Answers are a dict keyed by question name; a repeat's answer is a list of dicts.
Error keys are field paths: `name`, or `repeat[0].name` inside repeats.  A definition
is compiled once into a plan of closures (cached) so validating many rows is cheap.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from surveys import platform
from surveys.definition import (
    META_TYPES,
    OTHER_SUFFIX,
    SERVER_META_TYPES,
    Choice,
    Definition,
    Group,
    Question,
    pages,
)
from surveys.expressions import (
    Compiled,
    Context,
    NodeSet,
    Value,
    compile_,
    is_pure,
    references,
    to_bool,
    to_number,
    to_string,
)
from surveys.messages import message

__all__ = [
    "CoercionError",
    "coerce_answers",
    "coerce_value",
    "prepare_answers",
    "validate_all",
    "validate_page",
]

MAX_TEXT = 10_000
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")
_LIST_SPLIT = re.compile(r"[;\n\r]+")
_PATH_KEY = re.compile(r"^([A-Za-z_][\w.\-]*)\[(\d+)\]\.(.+)$")
_LABEL_REF = re.compile(r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}")


class CoercionError(ValueError):
    """A raw value cannot become an answer of the question's type; `kind` names the message."""

    def __init__(self, kind: str, value: Any, limit: int | None = None) -> None:
        super().__init__(f"{kind}: {value!r}")
        self.kind = kind
        self.value = value
        self.limit = limit


# --------------------------------------------------------------------------- coercion


def coerce_value(question: Question, raw: Any) -> Any:
    """Turn a raw value (HTML string, CSV cell, JSON value) into the stored answer, or None."""
    if raw is None or raw == "" or raw == []:
        return None
    if question.type == "range":
        return _range(question, raw)
    coerce = _COERCERS.get(question.type, _text)
    return coerce(raw)


def _geo_point(text: str, raw: Any) -> str:
    """One "lat lon [alt [acc]]" point, checked and normalised to single spaces."""
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        raise CoercionError("geopoint", raw)
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise CoercionError("geopoint", raw) from None
    if any(number != number or number in (float("inf"), float("-inf")) for number in numbers):
        raise CoercionError("geopoint", raw)
    if not -90 <= numbers[0] <= 90 or not -180 <= numbers[1] <= 180:
        raise CoercionError("geopoint", raw)
    if len(numbers) == 4 and numbers[3] < 0:
        raise CoercionError("geopoint", raw)
    return " ".join(parts)


def _geopoint(raw: Any) -> str | None:
    if isinstance(raw, list | tuple):  # [lat, lon, ...] as some JSON clients send it
        parts = [str(item).strip() for item in raw]
        while parts and not parts[-1]:
            parts.pop()
        if "" in parts:  # a gap (no latitude, say) would shift the numbers into wrong places
            raise CoercionError("geopoint", " ".join(part or "_" for part in parts))
        raw = " ".join(parts)
    text = str(raw).strip()
    return _geo_point(text, raw) if text else None


def _geo_path(raw: Any, minimum: int) -> str | None:
    text = str(raw).strip().strip(";").strip()
    if not text:
        return None
    points = [_geo_point(point.strip(), raw) for point in text.split(";") if point.strip()]
    if len(points) < minimum:
        raise CoercionError("geopoint", raw)
    return ";".join(points)


def _acknowledge(raw: Any) -> str | None:
    text = str(raw).strip()
    if not text:
        return None
    if text.upper() != "OK":
        raise CoercionError("acknowledge", raw)
    return "OK"


def range_parameters(question: Question) -> tuple[float, float, float] | None:
    """A range's start, end and step (ODK's defaults 1, 10, 1; the step without its
    sign), or None when they are not finite numbers."""
    params = question.parameters
    try:
        start = float(params.get("start", "1"))
        end = float(params.get("end", "10"))
        step = float(params.get("step", "1"))
    except ValueError:
        return None
    if any(number != number or abs(number) == float("inf") for number in (start, end, step)):
        return None
    return start, end, abs(step)


def _range(question: Question, raw: Any) -> float | None:
    value = _decimal(raw)
    if value is None:
        return None
    numbers = range_parameters(question)
    if numbers is None:
        return value  # parameters the importer kept verbatim; pyxform checked them
    start, end, step = numbers
    low, high = min(start, end), max(start, end)
    off_step = step and abs(round((value - start) / step) * step + start - value) > 1e-9
    if not low <= value <= high or off_step:
        raise CoercionError("range", _number_text(value), None)
    return value


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _rank(raw: Any) -> list[str] | None:
    items = raw if isinstance(raw, list | tuple) else str(raw).split()
    values = [str(item).strip() for item in items if str(item).strip()]
    if len(set(values)) != len(values):
        raise CoercionError("rank", " ".join(values))
    return values or None


def _text(raw: Any) -> str | None:
    if isinstance(raw, list):
        raw = " ".join(str(item) for item in raw)
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise CoercionError("text", text[:40], MAX_TEXT)
    return text or None


def _integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        raise CoercionError("integer", raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = str(raw).strip()
    if not text:
        return None
    if not _INTEGER.match(text) or len(text) > 18:
        raise CoercionError("integer", raw)
    return int(float(text)) if "." in text else int(text)


def _decimal(raw: Any) -> float | None:
    if isinstance(raw, bool):
        raise CoercionError("decimal", raw)
    if isinstance(raw, int | float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CoercionError("decimal", raw)
        return float(raw)
    text = str(raw).strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as typed in fr/es/pt locales
    if not text:
        return None
    if not _DECIMAL.match(text):
        raise CoercionError("decimal", raw)
    number = float(text)
    if not math.isfinite(number):
        # "1e999" overflows to infinity, which JSON cannot hold (PostgreSQL refuses it).
        raise CoercionError("decimal", raw)
    return number


def _date(raw: Any) -> str | None:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    if not text:
        return None
    # Kobo sometimes exports dates with a midnight time; keep the date part only.
    if len(text) > 10 and text[10] not in "T ":
        raise CoercionError("date", raw)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise CoercionError("date", raw) from None


def _time(raw: Any) -> str | None:
    if isinstance(raw, dt.time):
        return raw.isoformat()
    text = str(raw).strip()
    if not text:
        return None
    if not _TIME.match(text):
        raise CoercionError("time", raw)
    return text


def _datetime(raw: Any) -> str | None:
    if isinstance(raw, dt.datetime):
        return raw.isoformat()
    text = str(raw).strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).isoformat()
    except ValueError:
        raise CoercionError("datetime", raw) from None


def _select_one(raw: Any) -> str | None:
    if isinstance(raw, list):
        if len(raw) > 1:
            raise CoercionError("choice", " ".join(map(str, raw)))
        raw = raw[0] if raw else ""
    text = str(raw).strip()
    return text or None


def _select_multiple(raw: Any) -> list[str] | None:
    items = raw if isinstance(raw, list | tuple) else str(raw).split()
    values = list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    return values or None


def _country(raw: Any) -> str | None:
    text = _select_one(raw)
    if text is None:
        return None
    code = platform.parse_country(text)
    if code is None:
        raise CoercionError("country", raw)
    return code


def _language(raw: Any) -> str | None:
    text = _select_one(raw)
    if text is None:
        return None
    code = platform.parse_language(text)
    if code is None:
        raise CoercionError("language", raw)
    return code


def _skills(raw: Any) -> list[str] | None:
    items = raw if isinstance(raw, list | tuple) else _LIST_SPLIT.split(str(raw))
    values = list(dict.fromkeys(" ".join(str(item).split()) for item in items if str(item).strip()))
    for value in values:
        if len(value) > 200:
            raise CoercionError("text", value[:40], 200)
    return values or None


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "today": _date,
    "time": _time,
    "datetime": _datetime,
    "start": _datetime,
    "end": _datetime,
    "select_one": _select_one,
    "select_multiple": _select_multiple,
    "country": _country,
    "language": _language,
    "skill": _skills,
    "geopoint": _geopoint,
    "start-geopoint": _geopoint,
    "background-geopoint": _geopoint,
    "geotrace": partial(_geo_path, minimum=2),
    "geoshape": partial(_geo_path, minimum=3),
    "acknowledge": _acknowledge,
    "rank": _rank,
}


def coerce_answers(
    definition: Definition, form: Mapping[str, Any], *, language: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed answers from HTML-form strings (keys `name` or `repeat[0].name`), plus errors."""
    plan = _plan(definition)
    nested = _nest(form)
    errors: dict[str, str] = {}
    answers = _coerce_scope(plan, plan.scopes[()], nested, "", errors, language)
    return answers, errors


def _nest(form: Mapping[str, Any]) -> dict[str, Any]:
    """Turn flat `rep[0].child` keys into {"rep": [{"child": ...}]}."""
    nested: dict[str, Any] = {}
    indexed: dict[str, dict[int, dict[str, Any]]] = {}
    for key, value in form.items():
        match = _PATH_KEY.match(key)
        if match is None:
            nested[key] = value
            continue
        indexed.setdefault(match[1], {}).setdefault(int(match[2]), {})[match[3]] = value
    for name, instances in indexed.items():
        nested[name] = [_nest(instances[index]) for index in sorted(instances)]
    return nested


def _coerce_scope(
    plan: _Plan,
    scope: dict[str, Question | Group],
    values: Mapping[str, Any],
    prefix: str,
    errors: dict[str, str],
    language: str | None,
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for name, raw in values.items():
        node = scope.get(name)
        if isinstance(node, Group):
            instances = raw if isinstance(raw, list) else []
            answers[name] = [
                _coerce_scope(
                    plan,
                    plan.scopes[plan.scope_of_repeat[name]],
                    inst,
                    f"{prefix}{name}[{i}].",
                    errors,
                    language,
                )
                for i, inst in enumerate(instances)
                if isinstance(inst, Mapping)
            ]
            continue
        question = node if node is not None else plan.others.get(name)
        if question is None:
            continue
        try:
            value = coerce_value(question, raw) if node is not None else _text(raw)
        except CoercionError as error:
            errors[prefix + name] = _coercion_message(plan, question, error, language)
            continue
        if value is not None:
            answers[name] = value
    return answers


def _coercion_message(
    plan: _Plan, question: Question, error: CoercionError, language: str | None
) -> str:
    label = plan.definition.text(question.label, language) or question.name
    return message(error.kind, language, field=label, value=error.value, limit=error.limit)


# --------------------------------------------------------------------------- plan


@dataclass(slots=True)
class _FieldPlan:
    question: Question
    relevant: Compiled | None
    required: Compiled | None
    constraint: Compiled | None
    calculation: Compiled | None
    choices: tuple[Choice, ...] | None
    choice_names: frozenset[str] | None
    choice_filter: Compiled | None
    is_asked: bool = True


@dataclass(slots=True)
class _GroupPlan:
    group: Group
    relevant: Compiled | None
    count: Compiled | None
    children: list[_FieldPlan | _GroupPlan]


@dataclass(slots=True)
class _Plan:
    definition: Definition
    top: list[_FieldPlan | _GroupPlan]
    page_of_top: list[int]
    # repeat chain of each field name / repeat name (a repeat's chain excludes itself)
    scope_of: dict[str, tuple[str, ...]]
    scope_of_repeat: dict[str, tuple[str, ...]]
    scopes: dict[tuple[str, ...], dict[str, Question | Group]]
    others: dict[str, Question]
    has_calculations: bool = False
    calculation_passes: int = 1
    fields_by_name: dict[str, _FieldPlan] = field(default_factory=dict)
    # Relevance conditions that depend only on answers (see _State.relevant).
    pure: set[Compiled] = field(default_factory=set)


_PLANS: dict[int, tuple[Definition, _Plan]] = {}


def _plan(definition: Definition) -> _Plan:
    cached = _PLANS.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    plan = _build_plan(definition)
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(definition)] = (definition, plan)
    return plan


def _compile(source: str) -> Compiled | None:
    return compile_(source) if source else None


def _relevance(plan: _Plan, source: str) -> Compiled | None:
    compiled = _compile(source)
    if compiled is not None and is_pure(source):
        plan.pure.add(compiled)
    return compiled


def _build_plan(definition: Definition) -> _Plan:
    plan = _Plan(definition, [], [], {}, {}, {(): {}}, {})
    plan.top = [_plan_node(plan, node, ()) for node in definition.children]
    plan.page_of_top = _page_of_top(definition)
    plan.calculation_passes = _calculation_passes(definition)
    return plan


def _calculation_passes(definition: Definition) -> int:
    """Two passes only when a calculation uses a calculation defined after it."""
    seen: set[str] = set()
    calculated = {f.question.name for f in definition.fields() if f.question.type == "calculate"}
    for fld in definition.fields():
        if fld.question.type != "calculate":
            continue
        seen.add(fld.question.name)
        if (references(fld.question.calculation) & calculated) - (seen - {fld.question.name}):
            return 2
    return 1


def _plan_node(
    plan: _Plan, node: Question | Group, scope: tuple[str, ...]
) -> _FieldPlan | _GroupPlan:
    if isinstance(node, Question):
        return _plan_field(plan, node, scope)
    inner = scope
    if node.kind == "repeat":
        plan.scope_of_repeat[node.name] = (*scope, node.name)
        plan.scope_of[node.name] = scope
        plan.scopes[scope][node.name] = node
        inner = (*scope, node.name)
        plan.scopes.setdefault(inner, {})
    children = [_plan_node(plan, child, inner) for child in node.children]
    count = _compile(node.repeat_count) if node.kind == "repeat" else None
    return _GroupPlan(node, _relevance(plan, node.relevant), count, children)


def _plan_field(plan: _Plan, question: Question, scope: tuple[str, ...]) -> _FieldPlan:
    plan.scope_of[question.name] = scope
    plan.scopes[scope][question.name] = question
    if question.or_other:
        other = Question(name=question.name + OTHER_SUFFIX, type="text", label=question.label)
        plan.others[other.name] = other
        plan.scope_of[other.name] = scope
    choices = plan.definition.choices_for(question) if question.list_name else None
    required = question.required
    field_plan = _FieldPlan(
        question=question,
        relevant=_relevance(plan, question.relevant),
        required=_compile(required) if required and required != "true()" else None,
        constraint=_compile(question.constraint),
        calculation=_compile(question.calculation) if question.type == "calculate" else None,
        choices=choices,
        choice_names=frozenset(c.name for c in choices) if choices is not None else None,
        choice_filter=compile_(question.choice_filter, columns=True)
        if question.choice_filter
        else None,
        is_asked=question.is_asked,
    )
    plan.has_calculations = plan.has_calculations or field_plan.calculation is not None
    plan.fields_by_name[question.name] = field_plan
    return field_plan


def _page_of_top(definition: Definition) -> list[int]:
    result: list[int] = []
    page = -1
    previous_loose = False
    for node in definition.children:
        loose = isinstance(node, Question)
        if not (loose and previous_loose):
            page += 1
        result.append(page)
        previous_loose = loose
    return result


# --------------------------------------------------------------------------- evaluation state


class _State:
    """One submission being checked: answers, where we are in repeats, the context."""

    def __init__(
        self, plan: _Plan, answers: dict[str, Any], language: str | None, today: dt.date
    ) -> None:
        self.plan = plan
        self.answers = answers
        self.language = language
        self.positions: list[tuple[str, dict[str, Any]]] = []
        self.known: dict[Compiled, bool] | None = None
        self.context = Context(
            resolve=self.resolve, language=language, choice_label=self.choice_label, today=today
        )

    def resolve(self, name: str) -> Value:
        """XPath value of ${name} seen from the current repeat instance."""
        scope = self.plan.scope_of.get(name)
        if scope is None:
            return ""
        container: Mapping[str, Any] = self.answers
        positions = self.positions
        for depth, repeat in enumerate(scope):
            if depth < len(positions) and positions[depth][0] == repeat:
                container = positions[depth][1]
                continue
            return NodeSet(collect_values(container, scope[depth:], name))
        value = container.get(name)
        if name in self.plan.scope_of_repeat:
            return NodeSet(("",) * len(value) if isinstance(value, list) else ())
        return xpath_value(value)

    def answers_settled(self) -> None:
        """Calculations are done: answers no longer change while this state lives."""
        self.known = {}

    def relevant(self, condition: Compiled | None) -> bool:
        """Whether a relevance condition holds here.  Once answers are settled, one that
        depends only on answers is computed once per submission outside repeats: the
        built-in survey's groups and several questions share theirs."""
        if condition is None:
            return True
        known = self.known
        if known is None or self.positions or condition not in self.plan.pure:
            return to_bool(condition(self.context))
        found = known.get(condition)
        if found is None:
            found = known[condition] = to_bool(condition(self.context))
        return found

    def choice_label(self, name: str, value: str, language: str | None) -> str:
        """Label of choice `value` of question `name` (for jr:choice-name)."""
        field_plan = self.plan.fields_by_name.get(name)
        for choice in (field_plan.choices if field_plan else None) or ():
            if choice.name == value:
                return self.plan.definition.text(choice.label, language)
        return ""

    def label(self, question: Question) -> str:
        """The question's label in the respondent's language, or its name."""
        text = self.plan.definition.text(question.label, self.language) or question.name
        return _LABEL_REF.sub(lambda m: to_string(self.resolve(m[1])), text)


def collect_values(
    container: Mapping[str, Any], scope: tuple[str, ...], name: str
) -> tuple[Value, ...]:
    """The XPath values of `name` in every instance of the repeats `scope` (outermost
    first) under `container`: what `${name}` is seen as from outside those repeats."""
    instances = container.get(scope[0]) or []
    found: list[Value] = []
    for instance in instances if isinstance(instances, list) else []:
        if not isinstance(instance, Mapping):
            continue
        if len(scope) == 1:
            if name in instance:
                found.append(xpath_value(instance.get(name)))
        else:
            found.extend(collect_values(instance, scope[1:], name))
    return tuple(found)


def xpath_value(value: Any) -> Value:
    """The XPath view of a stored answer: lists space-separated, numbers as floats."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _true(compiled: Compiled | None, context: Context, default: bool = True) -> bool:
    return default if compiled is None else to_bool(compiled(context))


# --------------------------------------------------------------------------- calculations


def _calculate(
    state: _State, nodes: list[_FieldPlan | _GroupPlan], container: dict[str, Any]
) -> None:
    context = state.context
    for node in nodes:
        if isinstance(node, _FieldPlan):
            if node.calculation is not None:
                context.current = xpath_value(container.get(node.question.name))
                result = to_string(node.calculation(context))
                if result in ("NaN", ""):
                    container.pop(node.question.name, None)
                else:
                    container[node.question.name] = result
        elif node.group.kind == "repeat":
            children = node.children
            _for_instances(state, node, container, partial(_calculate, state, children))
        else:
            _calculate(state, node.children, container)


def _for_instances(
    state: _State,
    node: _GroupPlan,
    container: dict[str, Any],
    visit: Callable[[dict[str, Any]], None],
) -> None:
    instances = container.get(node.group.name)
    if not isinstance(instances, list):
        return
    for index, instance in enumerate(instances):
        if not isinstance(instance, dict):
            continue
        state.positions.append((node.group.name, instance))
        state.context.position = index + 1
        try:
            visit(instance)
        finally:
            state.positions.pop()


def _with_calculations(
    plan: _Plan, answers: Mapping[str, Any], state_factory: Callable[[dict[str, Any]], _State]
) -> _State:
    working = _copy_answers(answers) if plan.has_calculations else dict(answers)
    state = state_factory(working)
    if plan.has_calculations:
        for _ in range(plan.calculation_passes):
            _calculate(state, plan.top, working)
    state.answers_settled()
    return state


def _copy_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Copy containers (not values) so calculations can be written in."""
    copied: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
            value = [_copy_answers(item) if isinstance(item, Mapping) else item for item in value]
        copied[key] = value
    return copied


# --------------------------------------------------------------------------- checking


@dataclass(slots=True)
class _Checker:
    state: _State
    strict: bool
    errors: dict[str, str] = field(default_factory=dict)

    def nodes(
        self,
        nodes: Iterable[_FieldPlan | _GroupPlan],
        container: Mapping[str, Any],
        relevant: bool,
        prefix: str,
    ) -> None:
        for node in nodes:
            if isinstance(node, _FieldPlan):
                self.field(node, container, relevant, prefix)
            elif node.group.kind == "repeat":
                self.repeat(node, container, relevant, prefix)
            else:
                self.state.context.current = ""
                inner = relevant and self.state.relevant(node.relevant)
                self.nodes(node.children, container, inner, prefix)

    def field(
        self, node: _FieldPlan, container: Mapping[str, Any], relevant: bool, prefix: str
    ) -> None:
        question = node.question
        value = container.get(question.name)
        state = self.state
        if relevant and node.relevant is not None:
            state.context.current = xpath_value(value)
            relevant = state.relevant(node.relevant)
        empty = _is_empty(value)
        if not relevant:
            if not empty and self.strict and node.is_asked:
                self.error(prefix, question, "not_relevant", value)
            return
        if not node.is_asked:
            return
        if empty:
            state.context.current = ""
            if question.required == "true()" or _true(node.required, state.context, False):
                self.required(prefix, question)
            return
        self.answer(node, value, prefix)

    def answer(self, node: _FieldPlan, value: Any, prefix: str) -> None:
        question = node.question
        try:
            typed = coerce_value(question, value)
        except CoercionError as error:
            self.errors[prefix + question.name] = message(
                error.kind,
                self.state.language,
                field=self.state.label(question),
                value=error.value,
                limit=error.limit,
            )
            return
        if node.choice_filter is not None:
            self.state.context.current = xpath_value(value)
        if node.choice_names is not None and not self.choices_ok(node, typed, prefix):
            return
        if node.constraint is not None:
            self.state.context.current = xpath_value(typed)
            if not to_bool(node.constraint(self.state.context)):
                self.constraint(prefix, question, typed)

    def choices_ok(self, node: _FieldPlan, typed: Any, prefix: str) -> bool:
        allowed = node.choice_names
        if node.choice_filter is not None:
            allowed = self.filtered(node)
        assert allowed is not None
        for item in typed if isinstance(typed, list) else [typed]:
            if item not in allowed:
                self.error(prefix, node.question, "choice", item)
                return False
        return True

    def filtered(self, node: _FieldPlan) -> frozenset[str]:
        context = self.state.context
        definition = self.state.plan.definition
        allowed = set()
        assert node.choices is not None and node.choice_filter is not None
        for choice in node.choices:
            context.column = _choice_columns(choice, definition, self.state.language)
            if (
                choice.name == "other"
                and node.question.or_other
                or to_bool(node.choice_filter(context))
            ):
                allowed.add(choice.name)
        context.column = None
        return frozenset(allowed)

    def repeat(
        self, node: _GroupPlan, container: Mapping[str, Any], relevant: bool, prefix: str
    ) -> None:
        group = node.group
        context = self.state.context
        context.current = ""
        relevant = relevant and self.state.relevant(node.relevant)
        instances = container.get(group.name)
        if instances is None or instances == []:
            instances = []
        elif not isinstance(instances, list) or not all(isinstance(i, Mapping) for i in instances):
            self.errors[prefix + group.name] = message(
                "list", self.state.language, field=self.group_label(group)
            )
            return
        if not relevant:
            if instances and self.strict:
                self.errors[prefix + group.name] = message(
                    "not_relevant", self.state.language, field=self.group_label(group)
                )
            return
        limit = self.count(node)
        if limit is not None and len(instances) > limit:
            self.errors[prefix + group.name] = message(
                "repeat_count",
                self.state.language,
                field=self.group_label(group),
                limit=limit,
                value=len(instances),
            )
        if limit is not None and len(instances) < limit:
            instances = [*instances, *({} for _ in range(limit - len(instances)))]
        for index, instance in enumerate(instances):
            self.state.positions.append(
                (group.name, instance if isinstance(instance, dict) else dict(instance))
            )
            context.position = index + 1
            try:
                self.nodes(node.children, instance, True, f"{prefix}{group.name}[{index}].")
                if self.strict:
                    self.unknown(
                        instance,
                        self.state.plan.scope_of_repeat[group.name],
                        f"{prefix}{group.name}[{index}].",
                    )
            finally:
                self.state.positions.pop()

    def count(self, node: _GroupPlan) -> int | None:
        if node.count is None:
            return None
        self.state.context.current = ""
        number = _number_or_none(node.count(self.state.context))
        return None if number is None else max(int(number), 0)

    def unknown(self, container: Mapping[str, Any], scope: tuple[str, ...], prefix: str) -> None:
        known = self.state.plan.scopes.get(scope, {})
        for key in container:
            if key not in known and key not in self.state.plan.others:
                self.errors[prefix + key] = message("unknown", self.state.language, field=key)

    def group_label(self, group: Group) -> str:
        return self.state.plan.definition.text(group.label, self.state.language) or group.name

    def error(self, prefix: str, question: Question, kind: str, value: Any) -> None:
        shown = " ".join(map(str, value)) if isinstance(value, list) else value
        self.errors[prefix + question.name] = message(
            kind, self.state.language, field=self.state.label(question), value=shown
        )

    def required(self, prefix: str, question: Question) -> None:
        custom = self.state.plan.definition.text(question.required_message, self.state.language)
        self.errors[prefix + question.name] = (
            self.interpolate(custom)
            if custom
            else message("required", self.state.language, field=self.state.label(question))
        )

    def constraint(self, prefix: str, question: Question, value: Any) -> None:
        custom = self.state.plan.definition.text(question.constraint_message, self.state.language)
        if custom:
            text = self.interpolate(custom)
            label = self.state.label(question)
            self.errors[prefix + question.name] = text if label in text else f"{label}: {text}"
            return
        self.error(prefix, question, "constraint", value)

    def interpolate(self, text: str) -> str:
        return _LABEL_REF.sub(lambda m: to_string(self.state.resolve(m[1])), text)


def _number_or_none(value: Value) -> float | None:
    number = to_number(value)
    return None if number != number else number


def _choice_columns(
    choice: Choice, definition: Definition, language: str | None
) -> Callable[[str], Value]:
    def column(name: str) -> Value:
        if name == "name":
            return choice.name
        if name == "label":
            return definition.text(choice.label, language)
        return choice.extra.get(name, "")

    return column


# --------------------------------------------------------------------------- public API


def _state(
    plan: _Plan, answers: Mapping[str, Any], language: str | None, today: dt.date | None
) -> _State:
    day = today or dt.date.today()
    return _with_calculations(plan, answers, lambda working: _State(plan, working, language, day))


def validate_page(
    definition: Definition,
    answers: Mapping[str, Any],
    page_index: int,
    *,
    language: str | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """Errors for the questions on one page; answers that do not apply are ignored."""
    plan = _plan(definition)
    if not 0 <= page_index < len(pages(definition)):
        raise IndexError(f"page {page_index} does not exist")
    state = _state(plan, answers, language, today)
    checker = _Checker(state, strict=False)
    nodes = [
        node for node, page in zip(plan.top, plan.page_of_top, strict=True) if page == page_index
    ]
    checker.nodes(nodes, state.answers, True, "")
    return checker.errors


def validate_all(
    definition: Definition,
    answers: Mapping[str, Any],
    *,
    language: str | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """Errors for a whole submission, including answers that do not apply and unknown keys."""
    plan = _plan(definition)
    state = _state(plan, answers, language, today)
    checker = _Checker(state, strict=True)
    checker.nodes(plan.top, state.answers, True, "")
    checker.unknown(answers, (), "")
    return checker.errors


def prepare_answers(
    definition: Definition,
    answers: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What to store: calculations computed, answers that do not apply dropped, meta filled."""
    plan = _plan(definition)
    state = _state(plan, answers, None, today)
    stamp = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    return _prune(state, plan.top, state.answers, True, stamp)


def _prune(
    state: _State,
    nodes: list[_FieldPlan | _GroupPlan],
    container: Mapping[str, Any],
    relevant: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    context = state.context
    for node in nodes:
        if isinstance(node, _FieldPlan):
            _prune_field(state, node, container, relevant, now, kept)
            continue
        context.current = ""
        inner = relevant and state.relevant(node.relevant)
        if node.group.kind != "repeat":
            kept.update(_prune(state, node.children, container, inner, now))
            continue
        instances = container.get(node.group.name)
        if inner and isinstance(instances, list):
            result: list[dict[str, Any]] = []
            for index, instance in enumerate(instances):
                if isinstance(instance, Mapping):
                    state.positions.append((node.group.name, dict(instance)))
                    context.position = index + 1
                    result.append(_prune(state, node.children, instance, True, now))
                    state.positions.pop()
            kept[node.group.name] = result
    return kept


def _prune_field(
    state: _State,
    node: _FieldPlan,
    container: Mapping[str, Any],
    relevant: bool,
    now: dt.datetime,
    kept: dict[str, Any],
) -> None:
    question = node.question
    value = container.get(question.name)
    state.context.current = xpath_value(value)
    if question.type in SERVER_META_TYPES:
        kept[question.name] = value or (
            now.date().isoformat() if question.type == "today" else now.isoformat()
        )
        return
    if question.type in META_TYPES:
        # Device/account metadata: only an imported submission carries a value.
        if not _is_empty(value):
            kept[question.name] = value
        return
    if not relevant or not state.relevant(node.relevant):
        return
    if not _is_empty(value):
        try:
            kept[question.name] = coerce_value(question, value)
        except CoercionError:
            kept[question.name] = value
    other = container.get(question.name + OTHER_SUFFIX)
    if question.or_other and other and "other" in (value if isinstance(value, list) else [value]):
        kept[question.name + OTHER_SUFFIX] = other
