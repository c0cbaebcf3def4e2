"""Grid quadrature: every estimate's reported interval contains the exact value (closed forms, the 2D TV
quadrature, the 1D mixture quadrature), on grids that resolve the densities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.distributions.strategies import MEAN, STD, gaussian_params
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.divergences import (
    hellinger_gaussian,
    hellinger_grid,
    js_grid,
    js_quad_1d,
    kl_gaussian,
    kl_grid,
    tv_gaussian_1d,
    tv_gaussian_2d_quad,
    tv_grid,
    w2_gaussian,
    w2_grid_1d,
    w2_quantile_1d,
)
from theorylab.tolerances import LINALG_RTOL, QUADRATURE_ATOL

# grid sizes: from coarse-but-resolving (spacing ~ smallest std / 4) to fine
NODES = st.integers(min_value=0, max_value=1500)
OFFSET = st.floats(min_value=0.0, max_value=1.0)  # shifts the grid against the means (alignment effects)


def grid_1d(p: Gaussian, q: Gaussian, extra: int, offset: float) -> np.ndarray:
    s1, s2 = math.sqrt(p.covariance()[0, 0]), math.sqrt(q.covariance()[0, 0])
    m1, m2 = float(p.mean()[0]), float(q.mean()[0])
    lo, hi = min(m1 - 12 * s1, m2 - 12 * s2) - offset, max(m1 + 12 * s1, m2 + 12 * s2)
    n = int((hi - lo) / (min(s1, s2) / 4.0)) + 1 + extra
    return np.linspace(lo, hi, n)


@settings(max_examples=30, deadline=None)
@given(m1=MEAN, m2=MEAN, s1=STD, s2=STD, extra=NODES, offset=OFFSET)
def test_1d_grid_intervals_contain_the_exact_values(m1, m2, s1, s2, extra, offset):
    p, q = Gaussian(m1, s1**2), Gaussian(m2, s2**2)
    x = grid_1d(p, q, extra, offset)
    lp, lq = p.logpdf(x[:, None]), q.logpdf(x[:, None])
    cases = [
        (tv_grid(lp, lq, x, log=True), tv_gaussian_1d(p, q).value),
        (kl_grid(lp, lq, x, log=True), kl_gaussian(p, q).value),
        (js_grid(lp, lq, x, log=True), js_quad_1d(p, q).value),
        (w2_grid_1d(lp, lq, x, log=True), w2_gaussian(p, q).value),
    ]
    for est, exact in cases:
        assert est.uncertainty.kind == "grid"
        # slack: the reference's own error (quadrature for JS) and float64 round-off of the closed forms
        assert est.uncertainty.contains(exact, slack=QUADRATURE_ATOL + LINALG_RTOL * abs(exact)), (str(est), exact)
    h = hellinger_grid(lp, lq, x, log=True)
    h_exact = hellinger_gaussian(p, q).value
    assert h.uncertainty.lower**2 - QUADRATURE_ATOL <= h_exact**2 <= h.uncertainty.upper**2 + QUADRATURE_ATOL


def test_density_and_log_inputs_agree_and_log_avoids_underflow():
    p, q = Gaussian(0.0, 9.0), Gaussian(0.0, 0.25)  # far out, q underflows to 0 while p does not
    x = np.linspace(-60.0, 60.0, 4001)
    kl_dens = kl_grid(p.pdf(x[:, None]), q.pdf(x[:, None]), x)
    assert kl_dens.value == math.inf  # p log(p / 0): the honest answer for these grid values
    kl_log = kl_grid(p.logpdf(x[:, None]), q.logpdf(x[:, None]), x, log=True)
    assert kl_log.uncertainty.contains(kl_gaussian(p, q).value, slack=QUADRATURE_ATOL)
    a, b = Gaussian(0.0, 1.0), Gaussian(1.0, 2.0)
    y = np.linspace(-15.0, 15.0, 1201)
    for f in (tv_grid, js_grid, hellinger_grid):
        assert f(a.pdf(y[:, None]), b.pdf(y[:, None]), y).value == pytest.approx(
            f(a.logpdf(y[:, None]), b.logpdf(y[:, None]), y, log=True).value, rel=LINALG_RTOL, abs=LINALG_RTOL)


@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_2d_grid_intervals_contain_the_exact_values(data):
    (m1, c1), (m2, c2) = data.draw(gaussian_params(2)), data.draw(gaussian_params(2))
    p, q = Gaussian(m1, c1), Gaussian(m2, c2)
    spread = max(np.sqrt(np.max(np.linalg.eigvalsh(c1))), np.sqrt(np.max(np.linalg.eigvalsh(c2))))
    small = min(np.sqrt(np.min(np.linalg.eigvalsh(c1))), np.sqrt(np.min(np.linalg.eigvalsh(c2))))
    lo, hi = np.minimum(m1, m2) - 10 * spread, np.maximum(m1, m2) + 10 * spread
    n = [int((hi[i] - lo[i]) / (small / 3.0)) + 1 for i in range(2)]
    x, y = np.linspace(lo[0], hi[0], n[0]), np.linspace(lo[1], hi[1], n[1])
    pts = np.stack(np.meshgrid(x, y, indexing="ij"), axis=-1)
    lp, lq = p.logpdf(pts), q.logpdf(pts)
    tv = tv_grid(lp, lq, x, y, log=True)
    assert tv.uncertainty.contains(tv_gaussian_2d_quad(p, q).value, slack=QUADRATURE_ATOL), str(tv)
    kl = kl_grid(lp, lq, x, y, log=True)
    exact_kl = kl_gaussian(p, q).value
    assert kl.uncertainty.contains(exact_kl, slack=QUADRATURE_ATOL + LINALG_RTOL * exact_kl), str(kl)
    h = hellinger_grid(lp, lq, x, y, log=True)
    assert h.uncertainty.lower**2 - QUADRATURE_ATOL <= hellinger_gaussian(p, q).value ** 2
    assert hellinger_gaussian(p, q).value ** 2 <= h.uncertainty.upper**2 + QUADRATURE_ATOL


def test_w2_grid_on_the_seed_mixture_matches_the_quantile_quadrature():
    gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, "Mistura de gaussianas"
    q = Gaussian(0.0, 1.0)
    x = np.linspace(-15.0, 15.0, 3001)
    grid = w2_grid_1d(gmm.logpdf(x[:, None]), q.logpdf(x[:, None]), x, log=True)
    quad = w2_quantile_1d(gmm, q)
    assert grid.uncertainty.contains(quad.value, slack=quad.uncertainty.half_width + QUADRATURE_ATOL)


def test_truncated_grid_widens_the_tv_interval_by_the_missing_mass():
    p, q = Gaussian(0.0, 1.0), Gaussian(0.5, 1.0)
    x = np.linspace(-2.0, 2.5, 2001)  # cuts ~3% of each law away
    tv = tv_grid(p.pdf(x[:, None]), q.pdf(x[:, None]), x)
    assert tv.uncertainty.contains(tv_gaussian_1d(p, q).value)
    assert "mass defect added" in tv.uncertainty.note


def test_bad_grids_are_refused():
    x = np.array([0.0, 1.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="uniformly spaced"):
        tv_grid(np.ones(4), np.ones(4), x)
    with pytest.raises(ValueError, match="non-negative"):
        tv_grid(-np.ones(5), np.ones(5), np.arange(5.0))
    with pytest.raises(ValueError, match="2D densities need y"):
        tv_grid(np.ones((5, 5)), np.ones((5, 5)), np.arange(5.0))
