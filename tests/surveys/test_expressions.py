"""XPath expressions: a table of cases with XForms semantics, plus arithmetic properties."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.expressions import (
    Context,
    ExpressionError,
    NodeSet,
    compile_,
    evaluate,
    is_pure,
    parse,
    references,
    to_string,
)

ANSWERS: dict[str, Any] = {
    "age": 34.0,
    "empty": "",
    "name": "Ama",
    "modes": "temporary virtual",
    "from": "2025-01-01",
    "to": "2025-06-30",
    "kids": NodeSet((3.0, 5.0, 9.0)),
}


def run(source: str, current: Any = "", position: int = 0) -> Any:
    context = Context(
        resolve=lambda name: ANSWERS.get(name, ""),
        current=current,
        position=position,
        language="fr",
        choice_label=lambda name, value, language: f"{name}:{value}:{language}",
        today=dt.date(2025, 3, 1),
    )
    return evaluate(source, context)


CASES = [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("10 div 4", 2.5),
    ("10 mod 4", 2.0),
    ("-${age} + 1", -33.0),
    ("${age} > 18 and ${age} < 65", True),
    ("${empty} > 0", False),
    ("${empty} < 0", False),
    ("${empty} = ''", True),
    ("${empty} != ''", False),
    ("${empty} + 1", math.nan),
    ("${name} = 'Ama'", True),
    ("${age} = '34'", True),
    ("not(${age} = 34)", False),
    ("true() or false()", True),
    ("selected(${modes}, 'virtual')", True),
    ("selected(${modes}, 'permanent')", False),
    ("count-selected(${modes})", 2.0),
    ("selected-at(${modes}, 1)", "virtual"),
    ("if(${age} >= 18, 'adult', 'minor')", "adult"),
    ("coalesce(${empty}, ${name})", "Ama"),
    ("string-length(${name})", 3.0),
    ("string-length(.)", 5.0),
    ("regex(${name}, '^A[a-z]+$')", True),
    ("regex('x@y.org', '^[^@]+@[^@]+\\.[a-z]+$')", True),
    ("concat(${name}, '-', ${age})", "Ama-34"),
    ("number('12.5') * 2", 25.0),
    ("int(7.9)", 7.0),
    ("int(-7.9)", -7.0),
    ("round(2.5)", 3.0),
    ("round(1.005, 2)", 1.01),
    ("contains(${name}, 'm')", True),
    ("starts-with(${name}, 'Am')", True),
    ("today() > date('2025-01-01')", True),
    ("${to} >= ${from}", True),
    ("${from} >= ${to}", False),
    ("format-date(today(), '%Y') - 1990", 35.0),
    ("count(${kids})", 3.0),
    ("sum(${kids})", 17.0),
    ("max(${kids})", 9.0),
    ("${kids} > 8", True),
    ("position(..)", 2.0),
    ("jr:choice-name('yes', '${consent}')", "consent:yes:fr"),
    ("once(${name})", "kept"),
    (". <= ${age}", True),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[case[0] for case in CASES])
def test_it_evaluates_with_xforms_semantics(source: str, expected: Any) -> None:
    current = (
        "kept" if source.startswith("once") else ("hello" if "string-length(.)" in source else 20.0)
    )
    result = run(source, current=current, position=2)
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("foo(1)", "unknown function foo()"),
        ("pulldata('a','b','c','d')", "pulldata() reads external CSV files"),
        ("search('x')", "reads external CSV files"),
        ("/data/age > 3", "XPath paths"),
        ("age > 3", "bare name 'age'"),
        ("1 +", "ends too early"),
        ("'open", "unterminated string"),
        ("(1 + 2", "expected ')'"),
        ("if(1, 2)", "takes 3 arguments, got 2"),
        ("1 # 2", "unexpected character '#'"),
    ],
)
def test_it_refuses_bad_expressions_with_a_clear_reason(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(source)


def test_it_parses_once_and_caches_compiled_expressions() -> None:
    assert compile_("${a} + 1") is compile_("${a} + 1")
    assert parse("${a} + 1") is parse("${a} + 1")


def test_it_knows_which_expressions_depend_only_on_answers() -> None:
    assert is_pure("${a} = 'yes' and selected(${b}, 'x') or today() > ${c}")
    for source in (". > 3", "position(..) = 1", "now() > ${a}", "once(${a})", "-(.)"):
        assert not is_pure(source), source


def test_it_lists_references_including_choice_name_targets() -> None:
    assert references("${a} + count(${b}) and jr:choice-name(${c}, '${d}')") == {"a", "b", "c", "d"}


def test_it_reads_choice_columns_only_in_choice_filters() -> None:
    context = Context(resolve=lambda name: "texas", column=lambda column: "texas")
    assert compile_("${state} = cf", columns=True)(context) is True
    with pytest.raises(ExpressionError):
        parse("${state} = cf")


def test_it_formats_numbers_like_xpath() -> None:
    assert to_string(3.0) == "3"
    assert to_string(0.5) == "0.5"
    assert to_string(math.nan) == "NaN"
    assert to_string(True) == "true"


_ints = st.integers(min_value=-10_000, max_value=10_000)


@st.composite
def arithmetic(draw: st.DrawFn, depth: int = 0) -> tuple[str, int]:
    if depth > 3 or draw(st.booleans()):
        value = draw(_ints)
        return (str(value) if value >= 0 else f"(0 - {-value})"), value
    op = draw(st.sampled_from(["+", "-", "*"]))
    left, lvalue = draw(arithmetic(depth + 1))
    right, rvalue = draw(arithmetic(depth + 1))
    result = {"+": lvalue + rvalue, "-": lvalue - rvalue, "*": lvalue * rvalue}[op]
    return f"({left} {op} {right})", result


@given(arithmetic())
def test_it_agrees_with_integer_arithmetic(case: tuple[str, int]) -> None:
    source, expected = case
    assert run(source) == pytest.approx(expected)


@given(_ints, _ints.filter(lambda n: n != 0))
def test_it_divides_and_takes_remainders_like_xpath(a: int, b: int) -> None:
    assert run(f"{_lit(a)} div {_lit(b)}") == pytest.approx(a / b)
    assert run(f"{_lit(a)} mod {_lit(b)}") == pytest.approx(math.fmod(a, b))


def _lit(number: int) -> str:
    return str(number) if number >= 0 else f"(0 - {-number})"


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_it_compares_numbers_and_their_text_alike(a: int, b: int) -> None:
    ANSWERS["x"], ANSWERS["y"] = str(a), float(b)
    assert run("${x} < ${y}") == (a < b)
    assert run("${x} = ${y}") == (a == b)
