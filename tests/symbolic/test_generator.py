"""Tests of theorylab.symbolic.generator: sigma sigma^T vs the slide's sigma^T sigma; Dynkin for OU."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.errors import ConfigError
from theorylab.symbolic import generator as gen
from theorylab.symbolic.result import Truth
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

coefficients = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)


def test_sigma_sigma_transpose_proved_and_slide_refuted() -> None:
    result = gen.check_generator_convention()
    assert result.sigma_sigma_t.proved
    assert result.sigma_t_sigma.truth is Truth.FAILS
    assert result.sigma_t_sigma.witness["residual"] > 0


def test_concrete_witness() -> None:
    w = gen.check_generator_convention().witness
    b2, x2 = gen.B_VEC[1], gen.X_VEC[1]
    assert sp.expand(w["derived"] - 2 * b2 * x2) == 0
    assert sp.expand(w["sigma_sigma_t"] - w["derived"]) == 0
    assert sp.expand(w["sigma_t_sigma"] - w["derived"]) == 1


def _gauss_hermite_expectation(f, x, b, sigma, h, n=6):
    """E f(x + b h + sigma sqrt(h) Z), Z ~ N(0, I_2), by tensor Gauss-Hermite (exact for degree <= 2n - 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    weights = weights / weights.sum()
    total = 0.0
    for zi, wi in zip(nodes, weights, strict=True):
        for zj, wj in zip(nodes, weights, strict=True):
            y = x + b * h + sigma @ np.array([zi, zj]) * np.sqrt(h)
            total += wi * wj * f(y)
    return total


@settings(max_examples=25, deadline=None)
@given(entries=st.lists(coefficients, min_size=14, max_size=14))
def test_generator_matches_gauss_hermite(entries: list[float]) -> None:
    # Independent route: for a quadratic f, E f(X_h) - f(x) = a h + c h^2 exactly, so a = (4 e(1) - e(2)) / 2.
    x = np.array(entries[0:2])
    b = np.array(entries[2:4])
    sigma = np.array(entries[4:8]).reshape(2, 2)
    c0, c1, c2, q11, q12, q22 = entries[8:14]

    def f(y: np.ndarray) -> float:
        return c0 + c1 * y[0] + c2 * y[1] + q11 * y[0] ** 2 + q12 * y[0] * y[1] + q22 * y[1] ** 2

    e1 = _gauss_hermite_expectation(f, x, b, sigma, 1.0) - f(x)
    e2 = _gauss_hermite_expectation(f, x, b, sigma, 2.0) - f(x)
    numeric = (4 * e1 - e2) / 2
    derived = gen.check_generator_convention().derived
    value = float(derived(*x, *b, *sigma.ravel(), c0, c1, c2, q11, q12, q22))
    scale = 1.0 + float(np.sum(np.abs(entries))) ** 3  # size of the terms summed (products of <= 3 entries)
    assert abs(value - numeric) <= CLOSED_FORM_RTOL * scale + CLOSED_FORM_ATOL


@pytest.mark.parametrize("power", [2, 4])
def test_dynkin_ou(power: int) -> None:
    checks = gen.check_dynkin_ou(power)
    assert checks["law"].proved and checks["moment_ode"].proved


def test_dynkin_rejects_odd_power() -> None:
    with pytest.raises(ConfigError, match="power"):
        gen.check_dynkin_ou(3)
