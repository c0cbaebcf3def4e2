"""fit_debortoli: the tightest B, C, D of seed 000's De Bortoli et al. bound, against known constants, an exhaustive
vertex enumeration of the LP, and the feasible points of the other objectives."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.bounds.synthetic import PLAIN, design, exact_table, table
from theorylab.bounds import debortoli_bound, fit_debortoli
from theorylab.errors import ConfigError
from theorylab.tolerances import BOUND_FIT_RTOL, EPS

# constants of the synthetic bound: B, C in [0.05, 3] (both predictors matter on the design: e^{-T} in [0.05, 0.78],
# (M + sqrt(gamma)) e^{DT} in [0.1, 95]); D in [0, 1.5] (inside the default D range [0, 3], D T <= 4.5)
CONST = st.floats(min_value=0.05, max_value=3.0, allow_nan=False, allow_infinity=False)
RATE = st.floats(min_value=0.0, max_value=1.5, allow_nan=False, allow_infinity=False)


@settings(max_examples=6, deadline=None)
@given(B=CONST, C=CONST, D=RATE)
def test_recovers_the_constants_of_exact_synthetic_data(B, C, D):
    fit = fit_debortoli(exact_table(B, C, D), columns=PLAIN, free_exponent=False)
    assert fit.holds and fit.n_cells == 60
    np.testing.assert_allclose([fit.B, fit.C], [B, C], rtol=BOUND_FIT_RTOL)
    assert abs(fit.D - D) <= BOUND_FIT_RTOL
    # every cell is an equality, so the mean ratio is exactly 1 at the optimum
    assert abs(fit.objective - 1.0) <= BOUND_FIT_RTOL
    assert np.all(fit.cells["slack"] >= 0.0)


# each free-exponent fit is a grid of LPs (~2-5 s of CPU): a = 1.0 (a faster rate than the bound's sqrt, the case
# the reports meet) runs by default, the sqrt exponent itself and a = 1.4 in the slow step
@pytest.mark.parametrize("a", [pytest.param(0.5, marks=pytest.mark.slow), 1.0,
                               pytest.param(1.4, marks=pytest.mark.slow)])
def test_free_exponent_recovers_the_planted_exponent(a):
    B, C, D = 0.7, 0.4, 0.3
    fit = fit_debortoli(exact_table(B, C, D, a), columns=PLAIN)
    free = fit.free
    assert abs(free.a - a) <= BOUND_FIT_RTOL and abs(free.D - D) <= BOUND_FIT_RTOL
    np.testing.assert_allclose([free.B, free.C], [B, C], rtol=BOUND_FIT_RTOL)
    if a != 0.5:  # the sqrt(gamma) form cannot be tight on data that follow gamma^a
        assert fit.objective > free.objective * (1.0 + BOUND_FIT_RTOL)
        assert ("faster than" in fit.summary) == (a > 0.5)


def test_noisy_data_give_a_conservative_and_tightest_fit():
    rng = np.random.default_rng(7)
    T, g, M = design()
    truth = debortoli_bound(T, g, M, 0.7, 0.4, 0.3)
    value = truth * np.exp(0.2 * rng.standard_normal(truth.shape))
    half = 0.1 * value * rng.uniform(0.5, 1.5, truth.shape)
    df = table(value, T, g, M, upper=value + half, lower=value - half)
    fit = fit_debortoli(df, columns=PLAIN, free_exponent=False)
    cells = fit.cells
    assert fit.holds
    # conservative: the bound covers every measured upper limit, hence every point value
    assert np.all(cells["bound"] >= cells["upper"]) and np.all(cells["slack_value"] > 0.0)
    assert np.all(cells["ratio"] > 1.0)
    assert cells["binding"].sum() >= 1  # an LP optimum has an active constraint
    # tightest: no worse than the true constants inflated just enough to cover every upper limit
    kappa = np.max((value + half) / truth)
    ratios = kappa * truth / (value + half)
    assert fit.objective <= float(np.mean(ratios)) * (1.0 + BOUND_FIT_RTOL)


def _vertex_optimum(P: np.ndarray, Q: np.ndarray, u: np.ndarray) -> float:
    """Exhaustive solution of min mean(b/u) s.t. b = B P + C Q >= u, B, C >= 0: the optimum of a feasible bounded
    2-variable LP is at a vertex, i.e. where two constraints (or a constraint and an axis) are active."""
    p, q = P / u, Q / u
    candidates = [(0.0, float(np.max(1.0 / q))), (float(np.max(1.0 / p)), 0.0)]
    for i, j in itertools.combinations(range(p.size), 2):
        A = np.array([[p[i], q[i]], [p[j], q[j]]])
        if abs(np.linalg.det(A)) > 1e-14:
            candidates.append(tuple(np.linalg.solve(A, [1.0, 1.0])))
    best = np.inf
    for B, C in candidates:
        b = B * p + C * q
        if B >= 0.0 and C >= 0.0 and np.all(b >= 1.0 - 1e-12):
            best = min(best, float(np.mean(b)))
    return best


@pytest.mark.parametrize("D", [0.0, 0.35, 1.1])
def test_lp_at_fixed_D_matches_vertex_enumeration(D):
    rng = np.random.default_rng(3)
    T = rng.uniform(0.2, 4.0, 14)
    g = rng.uniform(0.005, 0.4, 14)
    M = rng.choice([0.0, 0.1], 14)
    u = rng.uniform(0.01, 0.5, 14)
    fit = fit_debortoli(table(u, T, g, M), columns=PLAIN, D_grid=[D], free_exponent=False)
    expected = _vertex_optimum(np.exp(-T), (M + np.sqrt(g)) * np.exp(D * T), u)
    assert fit.D == D
    assert abs(fit.objective - expected) <= BOUND_FIT_RTOL * expected


def test_each_objective_is_optimal_among_the_fits():
    rng = np.random.default_rng(11)
    T, g, M = design()
    value = debortoli_bound(T, g, M, 0.5, 0.3, 0.2) * rng.uniform(0.3, 1.0, T.shape)
    df = table(value, T, g, M)
    fits = {name: fit_debortoli(df, columns=PLAIN, objective=name, free_exponent=False)
            for name in ("mean_ratio", "sum", "max_ratio")}
    measures = {
        "mean_ratio": lambda f: float(np.mean(f.cells["bound"] / value)),
        "sum": lambda f: float(np.sum(f.cells["bound"])),
        "max_ratio": lambda f: float(np.max(f.cells["bound"] / value)),
    }
    for name, fit in fits.items():
        assert fit.holds and np.all(fit.cells["slack"] >= 0.0)
        assert abs(measures[name](fit) - fit.objective) <= BOUND_FIT_RTOL * fit.objective
        for other in fits.values():
            assert measures[name](fit) <= measures[name](other) * (1.0 + BOUND_FIT_RTOL)


def test_uncoverable_and_excluded_cells_are_flagged():
    T, g, M = design()
    base = exact_table(0.7, 0.4, 0.3)
    reference = fit_debortoli(base, columns=PLAIN, free_exponent=False)
    extra = pd.DataFrame({
        "T": [1000.0, 1.0, 1.0], "gamma": [0.0, 0.1, 0.1], "M": [0.0, 0.0, 0.0], "tv": [0.01, 0.9, np.nan],
        "lo": [0.01, 0.9, np.nan], "hi": [0.01, 0.9, np.nan], "status": ["ok", "failed", "ok"],
    }, index=["far", "failed", "nan"])
    fit = fit_debortoli(pd.concat([base, extra]), columns=PLAIN, free_exponent=False)
    assert fit.cells.loc["far", "flag"] == "uncoverable" and not fit.cells.loc["far", "included"]
    assert fit.cells.loc["failed", "flag"] == "status" and fit.cells.loc["nan", "flag"] == "nonfinite"
    assert (fit.n_uncoverable, fit.n_excluded, fit.n_cells) == (1, 2, 60)
    assert not fit.holds and "uncoverable" in fit.summary
    # the excluded cells do not move the constants (the failed cell's 0.9 would)
    np.testing.assert_allclose([fit.B, fit.C, fit.D], [reference.B, reference.C, reference.D], rtol=EPS * 16)


def test_zero_measured_cells_constrain_nothing():
    T, g, M = design()
    value = debortoli_bound(T, g, M, 0.7, 0.4, 0.3)
    value[:3] = 0.0
    fit = fit_debortoli(table(value, T, g, M), columns=PLAIN, free_exponent=False)
    assert fit.holds and np.all(np.isinf(fit.cells["ratio"].to_numpy()[:3]))


def test_sweep_store_column_names_are_the_default():
    df = exact_table(0.7, 0.4, 0.3).rename(columns={"T": "sampler.T", "gamma": "sampler.gamma", "M": "score.M",
                                                     "lo": "tv_lower", "hi": "tv_upper"})
    fit = fit_debortoli(df, free_exponent=False)
    np.testing.assert_allclose([fit.B, fit.C], [0.7, 0.4], rtol=BOUND_FIT_RTOL)


@pytest.mark.parametrize("kwargs,key", [
    ({"columns": {"T": "horizon"}}, "columns.T"),
    ({"columns": {"colour": "x"}}, "columns: unknown key"),
    ({"columns": PLAIN, "objective": "median"}, "objective"),
    ({"columns": PLAIN, "D_grid": [-1.0, 1.0]}, "D_grid"),
])
def test_bad_arguments_raise_config_errors_naming_the_key(kwargs, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as info:
        fit_debortoli(exact_table(0.7, 0.4, 0.3), free_exponent=False, **kwargs)
    assert "\n" not in str(info.value)
