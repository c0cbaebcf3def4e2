"""Coverage of the likelihood's 95 % interval on a case with a known answer (the closed-form expected NLL).

R seeded repetitions, each a likelihood estimate from n data points with Gaussian Hutchinson probes (so the interval
must count both noises), all integrated in one batch by the same ``solve_ivp`` call the library makes. Criterion
(:data:`theorylab.tolerances.COVERAGE_FLOOR`): the 99 % Wilson interval [L, U] of the measured coverage has
L > 0.90 and U >= 0.95. The mutation check: the same intervals built at 90 % and labelled 95 % fail it.
"""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.likelihood.estimate import summarise, wilson_interval
from theorylab.likelihood.field import AffineDiagonalField
from theorylab.likelihood.gaussian import LOG_2PI, DiagonalGaussianFlow
from theorylab.likelihood.ode import integrate_divergence
from theorylab.likelihood.trace import draw_probes
from theorylab.processes import VariancePreserving
from theorylab.tolerances import COVERAGE_FLOOR, COVERAGE_WILSON_LEVEL

NOMINAL = 0.95


def _per_sample_nll(R: int, n: int, d: int, rtol: float, seed: int):
    rng = np.random.default_rng(seed)
    lam = np.linspace(0.25, 4.0, d)
    m = np.linspace(-1.0, 1.0, d)
    bias = np.zeros(d)
    bias[0] = 0.3
    flow = DiagonalGaussianFlow(VariancePreserving(), lam, m, bias)
    x = m + np.sqrt(lam) * rng.standard_normal((R * n, d))
    probes = draw_probes("gaussian", 1, R * n, d, rng)
    sol = integrate_divergence(AffineDiagonalField(flow, exact=False, probes=probes), x, 1e-5, 1.0, rtol=rtol,
                               atol=rtol)
    nll = 0.5 * np.sum(sol.x_end**2 + LOG_2PI, axis=-1) - sol.int_hutch
    exact = flow.expected_nll(1e-5, 1.0, np.zeros(d), np.ones(d))
    return nll.reshape(R, n), exact


def _coverage_ok(nll: np.ndarray, exact: float, level: float) -> tuple[bool, int, tuple[float, float]]:
    hits = sum(s.lower <= exact <= s.upper for s in (summarise(v, level) for v in nll))
    lo, hi = wilson_interval(hits, nll.shape[0], COVERAGE_WILSON_LEVEL)
    return bool(lo > COVERAGE_FLOOR and hi >= NOMINAL), hits, (lo, hi)


def test_wilson_interval_matches_the_textbook_formula():
    z = 2.5758293035489004  # 99 %
    k, n = 943, 1000
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert np.allclose(wilson_interval(k, n, 0.99), (centre - half, centre + half), rtol=1e-12)


@pytest.mark.parametrize("k, n", [(0, 1), (0, 40), (40, 40), (1, 3), (2000, 2000)])
def test_wilson_interval_contains_the_proportion_and_stays_in_the_unit_interval(k, n):
    lo, hi = wilson_interval(k, n, 0.95)
    assert 0.0 <= lo <= k / n <= hi <= 1.0 and hi - lo > 0.0


def test_interval_covers_and_a_mislabelled_90_percent_interval_fails():
    """R = 1000, n = 100, d = 8 (ODE at rtol 1e-3: its bias ~1e-4 nats is 1e-3 of the interval width)."""
    nll, exact = _per_sample_nll(R=1000, n=100, d=8, rtol=1e-3, seed=0)
    ok, hits, wilson = _coverage_ok(nll, exact, NOMINAL)
    assert ok, f"coverage {hits}/1000, Wilson {wilson}"
    mislabelled, hits90, wilson90 = _coverage_ok(nll, exact, 0.90)
    assert not mislabelled, f"a 90 % interval passed as 95 %: {hits90}/1000, Wilson {wilson90}"


@pytest.mark.slow
def test_interval_covers_at_more_repetitions_and_tight_tolerance():
    nll, exact = _per_sample_nll(R=4000, n=100, d=8, rtol=1e-6, seed=1)
    ok, hits, wilson = _coverage_ok(nll, exact, NOMINAL)
    assert ok, f"coverage {hits}/4000, Wilson {wilson}"
    assert not _coverage_ok(nll, exact, 0.90)[0]
