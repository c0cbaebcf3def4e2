"""The domain grammar: assumptions for the prover, strategies that draw inside the declared sets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.claims.user.domain import parse_domain, parse_spec
from theorylab.errors import ConfigError

W = "claims[c].domain.x"


@pytest.mark.parametrize(
    "spec, text, assumptions",
    [
        ([0, 1], "real (0, 1)", {"real": True, "positive": True}),
        ("real [0, 1]", "real [0, 1]", {"real": True, "nonnegative": True}),
        ("(-2, 0]", "real (-2, 0]", {"real": True, "nonpositive": True}),
        ("real (-inf, 0)", "real (-inf, 0)", {"real": True, "negative": True}),
        ("positive", "real (0, inf)", {"real": True, "positive": True}),
        ("real", "real (-inf, inf)", {"real": True}),
        ("integer [1, 200]", "integer [1, 200]", {"integer": True, "positive": True}),
        ("integer (0, 5)", "integer [1, 4]", {"integer": True, "positive": True}),
    ],
)
def test_specs_give_their_interval_and_assumptions(spec, text, assumptions):
    v = parse_spec("x", spec, W)
    assert v.interval.text() == text
    assert v.interval.assumptions() == assumptions


@pytest.mark.parametrize(
    "spec, named",
    [
        ("real (0, 1", "cannot read"),
        ("between 0 and 1", "cannot read"),
        ("real (1, 0)", "empty"),
        ("integer [1.5, 3]", "finite integers"),
        ("integer [1, inf)", "finite integers"),
        ("integer", "finite bounds"),
        ("integer (1, 2)", "empty"),
        ([1, 0], "a < b"),
        ([0, 1, 2], "two numbers"),
        (["0", "1"], "two numbers"),
        (3, "must be a list"),
        ("matrix 9x9 real (0, 1)", "between 1 and 6"),
        ("symmetric 2x3 real (0, 1)", "square"),
    ],
)
def test_bad_specs_are_one_line_naming_the_key(spec, named):
    with pytest.raises(ConfigError) as err:
        parse_spec("x", spec, W)
    assert str(err.value).startswith(W + ":") and named in str(err.value)


def test_symmetric_and_diagonal_matrices_have_the_right_free_entries():
    s = parse_spec("S", "symmetric 3x3 real (-1, 1)", W)
    d = parse_spec("D", "diagonal 2x2 real (0, 1)", W)
    assert len(s.symbols) == 6 and s.value == s.value.T
    assert len(d.symbols) == 2 and d.value[0, 1] == 0 and d.value[1, 0] == 0


def test_matrix_entries_may_not_clash_with_a_declared_scalar():
    with pytest.raises(ConfigError, match="declared twice"):
        parse_domain({"A_1_1": [0, 1], "A": "matrix 2x2 real (0, 1)"}, "claims[c].domain")


DOMAIN = parse_domain(
    {"g": [0, 1], "h": "real [-1, 2]", "k": "integer (0, 5]", "A": "symmetric 2x2 real (-3, 3)"}, "claims[c].domain"
)


@settings(max_examples=60)
@given(DOMAIN.strategy())
def test_every_draw_lies_in_its_declared_set(point):
    assert 0 < point["g"] < 1 and -1 <= point["h"] <= 2  # open ends are excluded, closed ones allowed
    assert isinstance(point["k"], int) and 1 <= point["k"] <= 5
    assert all(-3 < point[n] < 3 and math.isfinite(point[n]) for n in ("A_1_1", "A_1_2", "A_2_2"))
    shown = DOMAIN.describe_point(point)
    assert shown["A"][0][1] == shown["A"][1][0]  # the symmetric matrix is mirrored
