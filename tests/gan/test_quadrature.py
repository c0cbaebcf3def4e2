"""Integrals against two laws (theorylab.gan.quadrature) against closed forms from a different derivation:
total masses, and the overlap integral of two Gaussians, int N(x; m1, S1) N(x; m2, S2) dx = N(m1; m2, S1 + S2)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from tests.distributions.strategies import mixture_params_1d
from tests.gan.laws import MU_2D, PI_2D, STANDARD_2D, ring
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.gan.quadrature import integrate_pair, integrate_pairs
from theorylab.tolerances import QUADRATURE_ATOL


def overlap(p, q) -> float:
    """sum_jk w_j v_k N(m_j; n_k, S_j + T_k): the closed form of int p q for Gaussian mixtures."""
    a, b = p.as_mixture(), q.as_mixture()
    return sum(w * v * float(Gaussian(m, s + t).pdf(n[None, :])[0])
               for w, m, s in zip(a.weights, a.means, a.covs) for v, n, t in zip(b.weights, b.means, b.covs))


def product(lp, lq, x):
    return np.exp(lp + lq)


@settings(max_examples=10, deadline=None)
@given(params_p=mixture_params_1d(), params_q=mixture_params_1d())
def test_overlap_integral_1d(params_p, params_q):
    p, q = GaussianMixture(*params_p), GaussianMixture(*params_q)
    res = integrate_pair(product, p, q)
    assert res.error <= QUADRATURE_ATOL
    assert abs(res.value - overlap(p, q)) <= res.error + QUADRATURE_ATOL


def test_masses_and_overlap_2d_narrow_ring():
    # eight modes of std 0.05 against N(0, I): the partition must resolve every mode (adaptive cubature that starts
    # from a coarse rule can miss them all and report 0 -- see the module docstring)
    p = ring()
    mass_p, mass_q, prod = integrate_pairs([lambda lp, lq, x: np.exp(lp), lambda lp, lq, x: np.exp(lq), product],
                                           p, STANDARD_2D)
    for res, exact in ((mass_p, 1.0), (mass_q, 1.0), (prod, overlap(p, STANDARD_2D))):
        assert res.error <= QUADRATURE_ATOL
        assert abs(res.value - exact) <= res.error + QUADRATURE_ATOL


def test_overlap_2d_correlated():
    res = integrate_pair(product, PI_2D, MU_2D)
    assert res.error <= QUADRATURE_ATOL
    assert abs(res.value - overlap(PI_2D, MU_2D)) <= res.error + QUADRATURE_ATOL
