"""A learned discriminator against a fixed generator law: the gap functionals vanish at D*, agree with independent
quadrature for a known non-optimal discriminator, and training shrinks them."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import special

from tests.gan.laws import SEED_GMM, STANDARD_1D
from theorylab.gan.discriminator import discriminator_gaps, train_discriminator
from theorylab.gan.exact import value_at_optimum, value_of_logit
from theorylab.gan.grid import evaluation_grid, trapezoid_with_error
from theorylab.gan.quadrature import log_densities
from theorylab.tolerances import QUADRATURE_ATOL


def _setup():
    grid = evaluation_grid((SEED_GMM, STANDARD_1D), 2001)
    lp, lq = log_densities(SEED_GMM, grid.points), log_densities(STANDARD_1D, grid.points)
    mix = 0.5 * (np.exp(lp) + np.exp(lq))
    return grid, lp, lq, mix >= 1e-3 * mix.max()


def test_gaps_vanish_at_the_optimal_discriminator():
    grid, lp, lq, region = _setup()
    assert grid.resolved
    gaps = discriminator_gaps(lp, lq, lp - lq, grid, region)
    assert gaps["sup_gap"] == 0.0 and gaps["l2_gap"] == 0.0
    assert abs(gaps["value_gap"]) <= gaps["value_gap_error"] + QUADRATURE_ATOL


def test_value_gap_matches_two_quadratures_for_a_known_discriminator():
    # D = expit(l* + cos x): grid KL form against V* - V(D), both sides by adaptive quadrature
    grid, lp, lq, region = _setup()
    x = grid.points[..., 0]
    gaps = discriminator_gaps(lp, lq, lp - lq + np.cos(x), grid, region)
    v_star = value_at_optimum(SEED_GMM, STANDARD_1D)
    v_d = value_of_logit(SEED_GMM, STANDARD_1D, lambda a, b, y: a - b + np.cos(y[..., 0]))
    reference = v_star.value - v_d.value
    slack = gaps["value_gap_error"] + v_star.uncertainty.half_width + v_d.uncertainty.half_width + QUADRATURE_ATOL
    assert abs(gaps["value_gap"] - reference) <= slack
    # L2 gap against its own definition integrated by the same rule on a grid twice as fine
    fine = evaluation_grid((SEED_GMM, STANDARD_1D), 4001)
    flp, flq = log_densities(SEED_GMM, fine.points), log_densities(STANDARD_1D, fine.points)
    fx = fine.points[..., 0]
    d_star, d = special.expit(flp - flq), special.expit(flp - flq + np.cos(fx))
    l2sq, err = trapezoid_with_error((np.exp(flp) + np.exp(flq)) * (d - d_star) ** 2, fine.axes)
    assert gaps["l2_gap_lower"] <= math.sqrt(l2sq + err) and math.sqrt(max(l2sq - err, 0)) <= gaps["l2_gap_upper"]


def test_training_the_discriminator_shrinks_its_gaps():
    grid, *_ = _setup()
    kwargs = dict(steps=300, m=256, lr=1e-3, hidden=[32, 32], activation="tanh", optimizer="adam", eval_every=300,
                  seed=0, grid=grid, region_threshold=1e-3, device=torch.device("cpu"), dtype=torch.float64)
    online = train_discriminator(SEED_GMM, STANDARD_1D, sample_size=None, **kwargs)
    first, last = online.records[0], online.records[-1]
    assert (first.step, last.step) == (0, 300)
    assert last.value_gap < 0.05 * first.value_gap
    assert last.l2_gap < 0.3 * first.l2_gap and last.sup_gap < first.sup_gap
    # the value of any discriminator is at most V(mu_G, D*): value_theta = V* - gap <= V*
    assert last.value_theta <= value_at_optimum(SEED_GMM, STANDARD_1D).value
    # a tiny fixed sample: the empirical objective may exceed V* (over-fitting), the population value may not
    small = train_discriminator(SEED_GMM, STANDARD_1D, sample_size=16, **kwargs)
    assert small.records[-1].train_objective > small.records[-1].value_theta
    assert 0.99 < online.region_mass <= 1.0
