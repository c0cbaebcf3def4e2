"""Safe parsing of a claim's sides: hostile text is refused with one line naming the field; nothing is evaluated."""

from __future__ import annotations

import pytest
import sympy as sp

from theorylab.claims.user.expressions import check_identifier, parse_side
from theorylab.errors import ConfigError

X = sp.Symbol("x", real=True)
K = sp.Symbol("k", integer=True, positive=True)
A = sp.Matrix(2, 2, sp.symbols("A_1_1 A_1_2 A_2_1 A_2_2", real=True))
DECLARED = {"x": X, "k": K, "A": A}
WHERE = "claims[user.x].rhs"


@pytest.mark.parametrize(
    "text, named",
    [
        ("__import__('os')", "'__'"),
        ("().__class__", "'__'"),
        ("(1).real", "attribute"),
        ("x.conjugate()", "attribute"),
        ("foo(x)", "unknown function 'foo'"),
        ("exec(1)", "unknown function 'exec'"),
        ("eval(x)", "unknown function 'eval'"),
        ("open(x)", "unknown function 'open'"),
        ("foo + x", "unknown name 'foo'"),
        ("lambda: 1", "lambda"),
        ("[t for t in x]", "listcomp"),
        ("x if x else 1", "ifexp"),
        ("'abc'", "literal"),
        ("x[0]", "subscript"),
        ("x(2)", "declared symbol, not a function"),
        ("exp", "is a function"),
        ("Sum(x, (j, 1, k), evaluate=True)", "keyword"),
        ("x < 1", "compare"),
        ("x +", "does not parse"),
        ("1j * x", "literal"),
        ("", "empty"),
        ("Matrix([[1, 2]]) + A", "sympy cannot build it"),
    ],
)
def test_hostile_or_broken_text_is_one_clear_line(text, named):
    with pytest.raises(ConfigError) as err:
        parse_side(text, DECLARED, WHERE)
    message = str(err.value)
    assert message.startswith(WHERE + ":"), message
    assert named in message, message
    assert "\n" not in message


def test_non_string_side_is_refused():
    with pytest.raises(ConfigError, match=r"claims\[user.x\].rhs: must be a string"):
        parse_side(["x"], DECLARED, WHERE)


def test_arithmetic_is_parsed_with_the_declared_symbols_and_exact_decimals():
    expr = parse_side("0.1*x^2 + exp(-x) / 3", DECLARED, WHERE)
    assert expr == sp.Rational(1, 10) * X**2 + sp.exp(-X) / 3  # ^ is a power; 0.1 is exactly 1/10
    assert expr.free_symbols == {X}  # the declared symbol (with its assumptions), not a fresh one


def test_bound_variable_of_a_sum_is_an_integer_and_need_not_be_declared():
    expr = parse_side("Sum(x**j, (j, 1, k))", DECLARED, WHERE)
    assert isinstance(expr, sp.Sum)
    (j,) = expr.bound_symbols
    assert j.is_integer and expr.free_symbols == {X, K}


def test_matrices_use_functions_not_attributes():
    expr = parse_side("transpose(A) * A + inv(eye(2))", DECLARED, WHERE)
    assert expr == A.T * A + sp.eye(2)


@pytest.mark.parametrize("name", ["exp", "Sum", "pi", "lambda", "x__y", "_x", "2x", "a b", "x_"])
def test_reserved_or_malformed_names_cannot_be_declared(name):
    with pytest.raises(ConfigError, match=r"claims\[c\].domain"):
        check_identifier(name, "claims[c].domain." + name)
