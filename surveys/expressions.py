"""XLSForm / XPath 1.0 expressions, parsed once and evaluated server-side.

A hand-written tokenizer and precedence-climbing parser build a small AST; `compile_`
turns it into nested closures, cached per source text, so evaluating an expression for
100,000 submissions costs only the closure calls.  Semantics follow XForms as
implemented by JavaRosa/Enketo: an empty answer is the empty string, comparing it
numerically is false, `selected()` works on space-separated values, and dates compare
as days since 1970-01-01.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Union

__all__ = [
    "Context",
    "ExpressionError",
    "NodeSet",
    "Value",
    "compile_",
    "evaluate",
    "parse",
    "references",
    "to_bool",
    "to_number",
    "to_string",
]


class ExpressionError(ValueError):
    """An expression that cannot be parsed or uses something unsupported."""


class NodeSet(tuple[Any, ...]):
    """The values of a field across repeat instances (XPath node-set)."""


Value = Union[str, float, bool, dt.date, NodeSet]  # noqa: UP007 - used at runtime
EPOCH = dt.date(1970, 1, 1)


@dataclass(slots=True)
class Context:
    """What an expression sees: how to look up `${name}`, `.`, and the respondent."""

    resolve: Callable[[str], Value]
    current: Value = ""
    position: int = 0
    language: str | None = None
    choice_label: Callable[[str, str, str | None], str] | None = None
    column: Callable[[str], Value] | None = None
    today: dt.date = field(default_factory=dt.date.today)


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][\w.\-]*)\s*\})
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|\.\.|[=<>+\-*(),.|/\[\]@])
  | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    pos: int


def _tokens(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            bad = source[pos]
            if bad in "'\"":
                raise ExpressionError(f"unterminated string starting at position {pos + 1}")
            raise ExpressionError(f"unexpected character {bad!r} at position {pos + 1}")
        kind = match.lastgroup or ""
        if kind == "refname":
            kind = "ref"
        if kind != "ws":
            text = match.group("refname") if kind == "ref" else match.group(kind)
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", pos))
    return tokens


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Str:
    value: str


@dataclass(frozen=True, slots=True)
class Ref:
    name: str


@dataclass(frozen=True, slots=True)
class Column:
    """A bare name inside a choice_filter: a column of the choices sheet."""

    name: str


@dataclass(frozen=True, slots=True)
class Current:
    pass


@dataclass(frozen=True, slots=True)
class Parent:
    pass


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr


Expr = Num | Str | Ref | Column | Current | Parent | Call | BinOp | Neg

# Binding power of infix operators (higher binds tighter).
_INFIX = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}

# Functions that exist in ODK but cannot work on a server without the device or
# external data; named so the refusal says why instead of "unknown".
UNSUPPORTED_FUNCTIONS = {
    "pulldata": "reads external CSV files",
    "search": "reads external CSV files",
    "instance": "reads secondary instances",
    "random": "is not reproducible on the server",
    "uuid": "is not reproducible on the server",
    "randomize": "is not reproducible on the server",
    "digest": "is not supported",
    "base64-decode": "is not supported",
    "area": "needs geographic answers",
    "distance": "needs geographic answers",
    "geofence": "needs geographic answers",
    "indexed-repeat": "is not supported",
    "version": "is not supported",
    "property": "reads device properties",
}


class _Parser:
    def __init__(self, source: str, *, columns: bool = False) -> None:
        self.tokens = _tokens(source)
        self.index = 0
        self.columns = columns

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.advance()
        if token.text != text or token.kind not in ("op", "name"):
            found = token.text or "end of expression"
            raise ExpressionError(f"expected {text!r} at position {token.pos + 1}, found {found!r}")

    def parse(self) -> Expr:
        expr = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected {token.text!r} at position {token.pos + 1}")
        return expr

    def expression(self, min_power: int) -> Expr:
        left = self.unary()
        while True:
            token = self.peek()
            power = _INFIX.get(token.text) if token.kind in ("op", "name") else None
            if power is None or power <= min_power:
                return left
            self.advance()
            right = self.expression(power)
            left = BinOp(token.text, left, right)

    def unary(self) -> Expr:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.advance()
            return Neg(self.unary())
        return self.primary()

    def primary(self) -> Expr:
        token = self.advance()
        if token.kind == "number":
            return Num(float(token.text))
        if token.kind == "string":
            return Str(token.text[1:-1])
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "op":
            return self.primary_op(token)
        if token.kind == "name":
            return self.call(token)
        raise ExpressionError(f"expression ends too early at position {token.pos + 1}")

    def primary_op(self, token: Token) -> Expr:
        if token.text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if token.text == ".":
            return Current()
        if token.text == "..":
            return Parent()
        if token.text in ("/", "[", "@"):
            raise ExpressionError(
                f"XPath paths and predicates ({token.text!r} at position {token.pos + 1}) "
                "are not supported; refer to fields as ${name}"
            )
        raise ExpressionError(f"unexpected {token.text!r} at position {token.pos + 1}")

    def call(self, token: Token) -> Expr:
        if self.peek().text != "(":
            if self.columns:
                return Column(token.text)
            raise ExpressionError(
                f"bare name {token.text!r} at position {token.pos + 1} is not supported; "
                "refer to fields as ${name} and quote text as 'text'"
            )
        self.advance()
        args: list[Expr] = []
        if self.peek().text != ")":
            args.append(self.expression(0))
            while self.peek().text == ",":
                self.advance()
                args.append(self.expression(0))
        self.expect(")")
        _check_function(token.text, len(args))
        return Call(token.text, tuple(args))


def _check_function(name: str, count: int) -> None:
    if name in UNSUPPORTED_FUNCTIONS:
        raise ExpressionError(f"function {name}() {UNSUPPORTED_FUNCTIONS[name]}")
    spec = _FUNCTIONS.get(name)
    if spec is None:
        raise ExpressionError(f"unknown function {name}()")
    low, high = spec[0], spec[1]
    if count < low or (high is not None and count > high):
        expected = str(low) if low == high else f"{low}..{high if high is not None else 'n'}"
        raise ExpressionError(f"function {name}() takes {expected} arguments, got {count}")


@lru_cache(maxsize=8192)
def parse(source: str, *, columns: bool = False) -> Expr:
    """Parse an expression into an AST (cached); raise ExpressionError naming the problem.

    With `columns`, bare names are choice-sheet columns (for choice_filter).
    """
    return _Parser(source, columns=columns).parse()


def references(source: str, *, columns: bool = False) -> set[str]:
    """The field names an expression refers to with ${name}."""
    found: set[str] = set()

    def visit(node: Expr) -> None:
        if isinstance(node, Ref):
            found.add(node.name)
        elif isinstance(node, Call):
            for arg in node.args:
                visit(arg)
            if node.name == "jr:choice-name" and len(node.args) == 2:
                second = node.args[1]
                if isinstance(second, Str):
                    found.update(_REF_IN_STRING.findall(second.value))
        elif isinstance(node, BinOp):
            visit(node.left)
            visit(node.right)
        elif isinstance(node, Neg):
            visit(node.operand)

    visit(parse(source, columns=columns))
    return found


# Functions whose value depends on where or when they are evaluated, not only on answers.
_PLACE_OR_TIME = frozenset({"position", "once", "now"})


def is_pure(source: str) -> bool:
    """Whether an expression's value depends only on the answers (no `.`, `..`, choice
    columns, position() or clock), so it can be computed once per submission."""

    def visit(node: Expr) -> bool:
        if isinstance(node, Current | Parent | Column):
            return False
        if isinstance(node, Call):
            return node.name not in _PLACE_OR_TIME and all(visit(arg) for arg in node.args)
        if isinstance(node, BinOp):
            return visit(node.left) and visit(node.right)
        if isinstance(node, Neg):
            return visit(node.operand)
        return True

    return visit(parse(source))


def function_names(source: str, *, columns: bool = False) -> set[str]:
    """The functions an expression calls."""
    names: set[str] = set()

    def visit(node: Expr) -> None:
        if isinstance(node, Call):
            names.add(node.name)
            for arg in node.args:
                visit(arg)
        elif isinstance(node, BinOp):
            visit(node.left)
            visit(node.right)
        elif isinstance(node, Neg):
            visit(node.operand)

    visit(parse(source, columns=columns))
    return names


# --------------------------------------------------------------------------- values

_NUMBER = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*$")
_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.+\-Z]*)?\s*$")


def to_string(value: Value) -> str:
    """XPath string(): numbers without trailing ".0", booleans as true/false."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return _number_to_string(float(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, NodeSet):
        return to_string(value[0]) if value else ""
    return str(value)


def _number_to_string(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    if "e" in text:
        text = format(number, "f").rstrip("0").rstrip(".")
    return text


def to_number(value: Value) -> float:
    """XPath number(): empty or non-numeric text is NaN; dates count days since 1970."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, dt.datetime):
        return (value.date() - EPOCH).days + (
            value - dt.datetime.combine(value.date(), dt.time())
        ).seconds / 86400
    if isinstance(value, dt.date):
        return float((value - EPOCH).days)
    if isinstance(value, NodeSet):
        return to_number(value[0]) if value else math.nan
    if _NUMBER.match(value):
        return float(value)
    date = _as_date(value)
    if date is not None:
        return float((date - EPOCH).days)
    return math.nan


def _as_date(value: str) -> dt.date | None:
    match = _DATE.match(value)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def to_bool(value: Value) -> bool:
    """XPath boolean(): non-empty text, non-zero number, non-empty node-set."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float | int):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, NodeSet):
        return len(value) > 0
    if isinstance(value, dt.date):
        return True
    return value != ""


def _items(value: Value) -> Iterator[Value]:
    if isinstance(value, NodeSet):
        yield from value
    else:
        yield value


# --------------------------------------------------------------------------- compile

Compiled = Callable[[Context], Value]


@lru_cache(maxsize=8192)
def compile_(source: str, *, columns: bool = False) -> Compiled:
    """Parse and compile an expression into a callable of a Context (cached)."""
    return _compile(parse(source, columns=columns))


def evaluate(source: str, context: Context) -> Value:
    """Evaluate an expression in a context."""
    return compile_(source)(context)


def _compile(node: Expr) -> Compiled:
    if isinstance(node, Num):
        number = node.value
        return lambda _ctx: number
    if isinstance(node, Str):
        text = node.value
        return lambda _ctx: text
    if isinstance(node, Ref):
        name = node.name
        return lambda ctx: ctx.resolve(name)
    if isinstance(node, Column):
        column = node.name
        return lambda ctx: ctx.column(column) if ctx.column is not None else ""
    if isinstance(node, Current):
        return lambda ctx: ctx.current
    if isinstance(node, Parent):
        return lambda ctx: NodeSet((ctx.position,))
    if isinstance(node, Neg):
        operand = _compile(node.operand)
        return lambda ctx: -to_number(operand(ctx))
    if isinstance(node, BinOp):
        return _compile_binop(node)
    return _compile_call(node)


def _compile_binop(node: BinOp) -> Compiled:
    left, right = _compile(node.left), _compile(node.right)
    op = node.op
    if op == "and":
        return lambda ctx: to_bool(left(ctx)) and to_bool(right(ctx))
    if op == "or":
        return lambda ctx: to_bool(left(ctx)) or to_bool(right(ctx))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return lambda ctx: compare(op, left(ctx), right(ctx))
    arithmetic = _ARITHMETIC[op]
    return lambda ctx: arithmetic(to_number(left(ctx)), to_number(right(ctx)))


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.inf if a > 0 else -math.inf
    return a / b


def _modulo(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": _divide,
    "mod": _modulo,
}


def compare(op: str, left: Value, right: Value) -> bool:
    """XPath comparison, node-sets compared element by element."""
    if isinstance(left, NodeSet) or isinstance(right, NodeSet):
        return any(compare(op, a, b) for a in _items(left) for b in _items(right))
    if op in ("=", "!="):
        equal = _equal(left, right)
        return equal if op == "=" else not equal
    a, b = to_number(left), to_number(right)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _equal(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return to_bool(left) == to_bool(right)
    if isinstance(left, float | int | dt.date) or isinstance(right, float | int | dt.date):
        return to_number(left) == to_number(right)
    return to_string(left) == to_string(right)


# --------------------------------------------------------------------------- functions

Impl = Callable[[Context, list[Value]], Value]
# name -> (min args, max args or None, implementation, lazy).  Lazy functions get
# compiled arguments instead of values so that if() evaluates only one branch.
_FUNCTIONS: dict[str, tuple[int, int | None, Any, bool]] = {}


def _register(name: str, low: int, high: int | None, *, lazy: bool = False) -> Callable[[Any], Any]:
    def decorator(function: Any) -> Any:
        _FUNCTIONS[name] = (low, high, function, lazy)
        return function

    return decorator


def _compile_call(node: Call) -> Compiled:
    low, high, function, lazy = _FUNCTIONS[node.name]
    args = [_compile(arg) for arg in node.args]
    if lazy:
        return lambda ctx: function(ctx, args)
    return lambda ctx: function(ctx, [arg(ctx) for arg in args])


def _split(value: Value) -> list[str]:
    return to_string(value).split()


@_register("selected", 2, 2)
def _selected(_ctx: Context, args: list[Value]) -> Value:
    wanted = to_string(args[1]).strip()
    return any(wanted in _split(item) for item in _items(args[0]))


@_register("count-selected", 1, 1)
def _count_selected(_ctx: Context, args: list[Value]) -> Value:
    return float(len(_split(args[0])))


@_register("selected-at", 2, 2)
def _selected_at(_ctx: Context, args: list[Value]) -> Value:
    values, index = _split(args[0]), to_number(args[1])
    if math.isnan(index) or not 0 <= int(index) < len(values):
        return ""
    return values[int(index)]


@_register("jr:choice-name", 2, 2)
def _choice_name(ctx: Context, args: list[Value]) -> Value:
    refs = _REF_IN_STRING.findall(to_string(args[1]))
    if not refs or ctx.choice_label is None:
        return ""
    return ctx.choice_label(refs[0], to_string(args[0]), ctx.language)


_REF_IN_STRING = re.compile(r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}")


@_register("not", 1, 1)
def _not(_ctx: Context, args: list[Value]) -> Value:
    return not to_bool(args[0])


@_register("true", 0, 0)
def _true(_ctx: Context, _args: list[Value]) -> Value:
    return True


@_register("false", 0, 0)
def _false(_ctx: Context, _args: list[Value]) -> Value:
    return False


@_register("boolean", 1, 1)
def _boolean(_ctx: Context, args: list[Value]) -> Value:
    return to_bool(args[0])


@_register("boolean-from-string", 1, 1)
def _boolean_from_string(_ctx: Context, args: list[Value]) -> Value:
    return to_string(args[0]).strip() in ("true", "1")


@_register("string", 1, 1)
def _string(_ctx: Context, args: list[Value]) -> Value:
    return to_string(args[0])


@_register("number", 1, 1)
def _number(_ctx: Context, args: list[Value]) -> Value:
    return to_number(args[0])


@_register("int", 1, 1)
def _int(_ctx: Context, args: list[Value]) -> Value:
    number = to_number(args[0])
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


@_register("round", 1, 2)
def _round(_ctx: Context, args: list[Value]) -> Value:
    number = to_number(args[0])
    digits = to_number(args[1]) if len(args) > 1 else 0.0
    if math.isnan(number) or math.isinf(number) or math.isnan(digits):
        return number
    try:
        quantum = Decimal(1).scaleb(-int(digits))
        return float(Decimal(repr(number)).quantize(quantum, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return number


@_register("floor", 1, 1)
def _floor(_ctx: Context, args: list[Value]) -> Value:
    number = to_number(args[0])
    return number if math.isnan(number) or math.isinf(number) else float(math.floor(number))


@_register("ceiling", 1, 1)
def _ceiling(_ctx: Context, args: list[Value]) -> Value:
    number = to_number(args[0])
    return number if math.isnan(number) or math.isinf(number) else float(math.ceil(number))


@_register("abs", 1, 1)
def _abs(_ctx: Context, args: list[Value]) -> Value:
    return abs(to_number(args[0]))


@_register("pow", 2, 2)
def _pow(_ctx: Context, args: list[Value]) -> Value:
    try:
        return float(math.pow(to_number(args[0]), to_number(args[1])))
    except (OverflowError, ValueError):
        return math.nan


@_register("if", 3, 3, lazy=True)
def _if(ctx: Context, args: list[Compiled]) -> Value:
    return args[1](ctx) if to_bool(args[0](ctx)) else args[2](ctx)


@_register("coalesce", 2, 2, lazy=True)
def _coalesce(ctx: Context, args: list[Compiled]) -> Value:
    first = args[0](ctx)
    return first if to_string(first) != "" else args[1](ctx)


@_register("once", 1, 1, lazy=True)
def _once(ctx: Context, args: list[Compiled]) -> Value:
    # On the server a calculation runs once per save, so once() keeps an existing value.
    return ctx.current if to_string(ctx.current) != "" else args[0](ctx)


@_register("concat", 0, None)
def _concat(_ctx: Context, args: list[Value]) -> Value:
    return "".join(to_string(item) for arg in args for item in _items(arg))


@_register("join", 2, None)
def _join(_ctx: Context, args: list[Value]) -> Value:
    return to_string(args[0]).join(to_string(item) for arg in args[1:] for item in _items(arg))


@_register("string-length", 0, 1)
def _string_length(ctx: Context, args: list[Value]) -> Value:
    return float(len(to_string(args[0] if args else ctx.current)))


@_register("normalize-space", 0, 1)
def _normalize_space(ctx: Context, args: list[Value]) -> Value:
    return " ".join(to_string(args[0] if args else ctx.current).split())


@_register("contains", 2, 2)
def _contains(_ctx: Context, args: list[Value]) -> Value:
    return to_string(args[1]) in to_string(args[0])


@_register("starts-with", 2, 2)
def _starts_with(_ctx: Context, args: list[Value]) -> Value:
    return to_string(args[0]).startswith(to_string(args[1]))


@_register("ends-with", 2, 2)
def _ends_with(_ctx: Context, args: list[Value]) -> Value:
    return to_string(args[0]).endswith(to_string(args[1]))


@_register("substr", 2, 3)
def _substr(_ctx: Context, args: list[Value]) -> Value:
    text = to_string(args[0])
    start = int(to_number(args[1]) or 0)
    end = int(to_number(args[2])) if len(args) > 2 else len(text)
    return text[max(start, 0) : max(end, 0)]


@_register("substring-before", 2, 2)
def _substring_before(_ctx: Context, args: list[Value]) -> Value:
    text, sep = to_string(args[0]), to_string(args[1])
    return text.split(sep, 1)[0] if sep and sep in text else ""


@_register("substring-after", 2, 2)
def _substring_after(_ctx: Context, args: list[Value]) -> Value:
    text, sep = to_string(args[0]), to_string(args[1])
    return text.split(sep, 1)[1] if sep in text else ""


@_register("translate", 3, 3)
def _translate(_ctx: Context, args: list[Value]) -> Value:
    text, source, target = (to_string(arg) for arg in args)
    table = {
        ord(c): (target[i] if i < len(target) else None)
        for i, c in reversed(list(enumerate(source)))
    }
    return text.translate(table)


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@_register("regex", 2, 2)
def _regex_match(_ctx: Context, args: list[Value]) -> Value:
    try:
        return _regex(to_string(args[1])).search(to_string(args[0])) is not None
    except re.error:
        return False


@_register("today", 0, 0)
def _today(ctx: Context, _args: list[Value]) -> Value:
    return ctx.today


@_register("now", 0, 0)
def _now(ctx: Context, _args: list[Value]) -> Value:
    return ctx.today


@_register("date", 1, 1)
def _date(_ctx: Context, args: list[Value]) -> Value:
    value = args[0]
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        parsed = _as_date(value)
        return parsed if parsed is not None else ""
    number = to_number(value)
    return "" if math.isnan(number) else EPOCH + dt.timedelta(days=int(number))


@_register("decimal-date-time", 1, 1)
def _decimal_date_time(_ctx: Context, args: list[Value]) -> Value:
    return to_number(args[0])


@_register("format-date", 2, 2)
def _format_date(_ctx: Context, args: list[Value]) -> Value:
    date = _date(_ctx, [args[0]])
    if not isinstance(date, dt.date):
        return ""
    pattern = to_string(args[1])
    parts = {
        "%Y": f"{date.year:04d}",
        "%m": f"{date.month:02d}",
        "%d": f"{date.day:02d}",
        "%n": str(date.month),
        "%e": str(date.day),
        "%y": f"{date.year % 100:02d}",
    }
    return re.sub(r"%[Ymdney]", lambda m: parts[m.group(0)], pattern)


@_register("count", 1, 1)
def _count(_ctx: Context, args: list[Value]) -> Value:
    value = args[0]
    if isinstance(value, NodeSet):
        return float(len(value))
    return 0.0 if to_string(value) == "" else 1.0


@_register("sum", 1, 1)
def _sum(_ctx: Context, args: list[Value]) -> Value:
    return float(sum(to_number(item) for item in _items(args[0])))


@_register("max", 1, None)
def _max(_ctx: Context, args: list[Value]) -> Value:
    numbers = [to_number(item) for arg in args for item in _items(arg)]
    return max(numbers) if numbers and not any(math.isnan(n) for n in numbers) else math.nan


@_register("min", 1, None)
def _min(_ctx: Context, args: list[Value]) -> Value:
    numbers = [to_number(item) for arg in args for item in _items(arg)]
    return min(numbers) if numbers and not any(math.isnan(n) for n in numbers) else math.nan


@_register("position", 0, 1)
def _position(ctx: Context, _args: list[Value]) -> Value:
    return float(ctx.position)


@_register("current", 0, 0)
def _current(ctx: Context, _args: list[Value]) -> Value:
    return ctx.current
