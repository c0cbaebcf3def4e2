"""rates: planted slopes are recovered with honest standard errors; on exact reverse-EM output laws of a Gaussian
target the gamma exponent is the sampler's weak order 1 (faster than the bound's 1/2)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.bounds.synthetic import PLAIN, table
from theorylab.bounds import RATE_COLUMNS, fit_slope, rates
from theorylab.errors import ConfigError
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA, RATE_SLOPE_ATOL

GAMMAS = np.geomspace(1e-3, 0.3, 40)
MS = np.geomspace(0.01, 0.5, 30)
TS = np.linspace(0.2, 3.0, 30)


def _row(frame: pd.DataFrame, quantity: str) -> dict:
    return frame[frame["quantity"] == quantity].iloc[0].to_dict()


def _planted(p: float, q: float, r: float, noise: float, rng: np.random.Generator) -> pd.DataFrame:
    """Three slices: err = 0.3 gamma^p (T = 5, M = 0); err = e0 + 0.4 M^q (T = 4, gamma = 0.01);
    err = 0.5 e^{-r T} (gamma = 0.02, M = 0, no floor); each multiplied by exp(noise Z)."""
    e0 = 1e-3
    parts = [
        table(0.3 * GAMMAS**p, np.full(GAMMAS.size, 5.0), GAMMAS, np.zeros(GAMMAS.size)),
        table(np.concatenate([[e0], e0 + 0.4 * MS**q]), np.full(MS.size + 1, 4.0), np.full(MS.size + 1, 0.01),
              np.concatenate([[0.0], MS])),
        table(0.5 * np.exp(-r * TS), TS, np.full(TS.size, 0.02), np.zeros(TS.size)),
    ]
    df = pd.concat(parts, ignore_index=True)
    if noise:
        # noise on the gamma and T slices only (the M exponent needs the M = 0 cell noise-free to subtract it)
        factor = np.exp(noise * rng.standard_normal(len(df)))
        factor[GAMMAS.size:GAMMAS.size + MS.size + 1] = 1.0
        df["tv"] = df["tv"] * factor
    return df


# planted exponents: p, q in [0.25, 2] (rates of interest: 1/2, 1, 2), r in [0.2, 3] (decay rates of OU mixing)
@settings(max_examples=10, deadline=None)
@given(p=st.floats(0.25, 2.0, allow_nan=False), q=st.floats(0.25, 2.0, allow_nan=False),
       r=st.floats(0.2, 3.0, allow_nan=False))
def test_exact_power_laws_give_their_exponents(p, q, r):
    df = _planted(p, q, r, 0.0, np.random.default_rng(0))
    out = pd.concat([rates(df, columns=PLAIN, T=5.0, T_range=(0.0, 10.0)).iloc[[0, 3]],
                     rates(df, columns=PLAIN, T=4.0, gamma=0.01).iloc[[1, 2]]])
    assert list(out.columns) == list(RATE_COLUMNS)
    for quantity, planted in (("gamma exponent", p), ("M exponent", q), ("T decay", -r)):
        row = _row(out, quantity)
        assert abs(row["fitted"] - planted) <= CLOSED_FORM_RTOL * abs(planted)
        assert row["stderr"] <= CLOSED_FORM_ATOL
    assert _row(out, "gamma exponent")["bound_exponent"] == 0.5
    assert _row(out, "M exponent")["bound_exponent"] == 1.0
    assert _row(out, "T decay")["bound_exponent"] == -1.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noisy_slopes_lie_within_their_standard_errors(seed):
    rng = np.random.default_rng(seed)
    sigma = 0.1
    df = _planted(1.0, 1.0, 1.0, sigma, rng)
    out = rates(df, columns=PLAIN, T=5.0, T_range=(0.0, 10.0))
    for quantity, x, planted in (("gamma exponent", np.log(GAMMAS), 1.0), ("T decay", TS, -1.0)):
        row = _row(out, quantity)
        assert abs(row["fitted"] - planted) <= MC_SIGMA * row["stderr"]
        # the OLS standard error estimates sigma / sqrt(Sxx); its relative sampling error is ~1/sqrt(2(n-2))
        expected = sigma / math.sqrt(np.sum((x - x.mean()) ** 2))
        assert abs(row["stderr"] / expected - 1.0) <= MC_SIGMA / math.sqrt(2.0 * (x.size - 2))


def test_fit_slope_matches_the_closed_form_least_squares():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 1.0, 25)
    y = 2.0 * x + rng.standard_normal(25)
    slope, se, intercept, n = fit_slope(x, y)
    X = np.column_stack([np.ones_like(x), x])
    coef, res, *_ = np.linalg.lstsq(X, y, rcond=None)
    s2 = float(res[0]) / (x.size - 2)
    np.testing.assert_allclose([intercept, slope], coef, rtol=CLOSED_FORM_RTOL)
    assert abs(se - math.sqrt(s2 * np.linalg.inv(X.T @ X)[1, 1])) <= CLOSED_FORM_RTOL * se
    assert n == 25 and math.isnan(fit_slope([1.0, 2.0], [1.0, 2.0])[0])


def test_automatic_slices_and_the_mixing_floor():
    """err = e^{-T} + 1e-4 gamma: the T decay keeps the cells >= 10 x the floor and finds slope -1 up to the floor's
    pull; the gamma slice is the best-resolved (largest T with most gamma levels)."""
    T = np.repeat(np.linspace(0.5, 12.0, 24), 3)
    g = np.tile([0.01, 0.02, 0.04], 24)
    err = np.exp(-T) + 1e-4 * g
    out = rates(table(err, T, g, np.zeros_like(T)), columns=PLAIN)
    decay = _row(out, "T decay")
    assert decay["fixed"] == "gamma=0.01, M=0"
    kept = np.exp(-T[::3]) + 1e-6 >= 10.0 * (math.exp(-12.0) + 1e-6)
    assert decay["n_cells"] == int(kept.sum())
    assert abs(decay["fitted"] + 1.0) <= RATE_SLOPE_ATOL
    assert _row(out, "gamma exponent")["fixed"] == "T=12, M=0"
    assert _row(out, "M slope")["n_cells"] < 3 and "no fit" in _row(out, "M slope")["note"]


def test_gamma_exponent_of_exact_reverse_em_laws_is_the_weak_order():
    """Exact output laws (closed form) of reverse-em with the true score on N(1, 1/2) at T = 6: TV ~ gamma."""
    from theorylab.distributions import Gaussian
    from theorylab.divergences import tv_gaussian_1d
    from theorylab.laws import law_of_output
    from theorylab.samplers import TimeGrid
    from theorylab.scores import ExactScore

    target = Gaussian([1.0], [[0.5]])
    gammas = [0.05, 0.025, 0.0125, 0.00625]
    tv = [tv_gaussian_1d(law_of_output(target, ExactScore(target), "reverse-em", TimeGrid.constant(6.0, g),
                                       method="exact").law, target).value for g in gammas]
    out = rates(table(np.array(tv), np.full(4, 6.0), np.array(gammas), np.zeros(4)), columns=PLAIN)
    row = _row(out, "gamma exponent")
    assert abs(row["fitted"] - 1.0) <= RATE_SLOPE_ATOL and row["fitted"] > row["bound_exponent"]


@pytest.mark.parametrize("kwargs,key", [({"floor_factor": 0.5}, "floor_factor"), ({"T_range": (3.0, 1.0)}, "T_range"),
                                        ({"T": -1.0}, "T"),
                                        ({"columns": {**PLAIN, "M": "score_error"}}, "columns.M")])
def test_bad_arguments_raise_config_errors(kwargs, key):
    df = table(np.ones(3), np.ones(3), np.ones(3), np.zeros(3))
    kwargs.setdefault("columns", PLAIN)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        rates(df, **kwargs)
