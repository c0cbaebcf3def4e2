"""TimeGrid: constructors against their formulas, backward indexing, refusals (ConfigError)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.errors import ConfigError
from theorylab.samplers import TimeGrid
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, GRID_TIME_RTOL


@settings(max_examples=30, deadline=None)
@given(N=st.integers(min_value=1, max_value=2000),  # number of steps
       gamma=st.floats(min_value=1e-4, max_value=0.9, allow_nan=False))  # step size
def test_constant_grid(N, gamma):
    grid = TimeGrid.constant(N * gamma, gamma)
    assert grid.N == N and grid.kind == "constant"
    assert grid.gammas.dtype == np.float64 and grid.gammas.shape == (N,) and np.all(grid.gammas == gamma)
    assert grid.T == pytest.approx(N * gamma, rel=CLOSED_FORM_RTOL)
    k = np.arange(N + 1)
    assert np.array_equal(grid.cumulative_times, k * gamma)
    n = np.arange(N)
    # reverse-em: t_n = T - n gamma; ancestral at backward step n (k = N-1-n): k gamma
    assert np.allclose(grid.forward_times, grid.T - n * gamma, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(grid.ancestral_times, (N - 1 - n) * gamma, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_constant_grid_refusals_suggest_round():
    with pytest.raises(ConfigError, match=r"grid.gamma: .*N = round\(T/gamma\) = 3") as info:
        TimeGrid.constant(1.0, 0.3)
    assert "\n" not in str(info.value)
    TimeGrid.constant(1.0, 0.1 * (1 + 0.1 * GRID_TIME_RTOL))  # within tolerance: accepted
    with pytest.raises(ConfigError, match="grid.gamma"):
        TimeGrid.constant(1.0, 0.1 * (1 + 100 * GRID_TIME_RTOL))
    for args, key in [((0.0, 0.1), "grid.T"), ((1.0, -0.1), "grid.gamma"), ((1.0, float("nan")), "grid.gamma")]:
        with pytest.raises(ConfigError, match=key):
            TimeGrid.constant(*args)


@settings(max_examples=30, deadline=None)
@given(gmin=st.floats(min_value=0.0, max_value=0.1, allow_nan=False),  # smallest parameter
       spread=st.floats(min_value=1e-4, max_value=0.5, allow_nan=False),  # gamma_max - gamma_min
       N=st.integers(min_value=1, max_value=500))
def test_linear_grid_is_the_seed_formula(gmin, spread, N):
    gmax = gmin + spread
    grid = TimeGrid.linear(gmin, gmax, N)
    expected = [gmin + (gmax - gmin) * (N - k) / N for k in range(N)]
    assert np.allclose(grid.gammas, expected, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert grid.gammas[0] == pytest.approx(gmax)  # gamma_0 (nearest the data) is the largest
    assert grid.T == pytest.approx(sum(expected), rel=CLOSED_FORM_RTOL)
    assert np.array_equal(grid.backward_gammas, grid.gammas[::-1])
    # backward step n uses the forward step [F_{N-1-n}, F_{N-n}] whose ends are the two conventions' times
    assert np.allclose(grid.forward_times - grid.ancestral_times, grid.backward_gammas,
                       rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL * grid.T)


def test_linear_grid_refusals():
    for args, key in [((0.2, 0.1, 5), "grid.gamma_max"), ((0.1, 0.2, 0), "grid.N"), ((0.1, 0.2, 2.5), "grid.N"),
                      ((-0.1, 0.2, 3), "grid.gamma_min")]:
        with pytest.raises(ConfigError, match=key):
            TimeGrid.linear(*args)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(min_value=1, max_value=1000),
       T=st.floats(min_value=0.05, max_value=12.0, allow_nan=False),  # OU horizon
       s=st.floats(min_value=0.0, max_value=0.1, allow_nan=False))  # Nichol-Dhariwal offset
def test_cosine_grid_matches_nichol_dhariwal_alpha_bar_on_the_ou_clock(N, T, s):
    grid = TimeGrid.cosine(N, T, s)
    assert grid.N == N and grid.T == T and np.all(grid.gammas > 0)
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731  (Nichol & Dhariwal eq. 17)
    # the last point u_max is where alpha_bar = exp(-2T); grid points are equally spaced in u
    u_max = (1 + s) * 2 / math.pi * math.acos(math.exp(-T) * math.sqrt(f(0.0))) - s
    assert f(u_max) / f(0.0) == pytest.approx(math.exp(-2 * T), rel=CLOSED_FORM_RTOL)
    for k in (0, N // 3, N // 2, N):
        alpha_bar = f(k * u_max / N) / f(0.0)
        assert math.exp(-2 * grid.cumulative_times[k]) == pytest.approx(alpha_bar, rel=CLOSED_FORM_RTOL)
    if N >= 2:
        assert np.all(np.diff(grid.gammas) > 0)  # small steps near the data, large near the prior


def test_index_of_time_and_refusals():
    grid = TimeGrid.linear(0.01, 0.1, 10)
    for k, t in enumerate(grid.cumulative_times):
        assert grid.index_of_time(t) == k
        assert grid.index_of_time(t * (1 + 0.5 * GRID_TIME_RTOL)) == k
    with pytest.raises(ConfigError, match="score.t"):
        grid.index_of_time(0.5 * (grid.cumulative_times[1] + grid.cumulative_times[2]))
    with pytest.raises(ConfigError, match="sampler.convention"):
        grid.score_times("ddim")
    with pytest.raises(ConfigError, match="grid.gammas"):
        TimeGrid.from_gammas([0.1, -0.2])
    with pytest.raises(ConfigError, match="grid.gammas"):
        TimeGrid.from_gammas([])
