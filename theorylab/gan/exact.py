"""Exact numerics of the GAN game: the optimal discriminator :math:`D^*`, the value :math:`V(\\mu_G, D^*)`, the
identity :math:`V(\\mu_G, D^*) = 2\\,\\mathrm{JS}(\\pi, \\mu_G) - \\ln 4`, and the optimality of :math:`D^*`.

Seed 000, slide 'Definición Formal de una GAN': for a fixed generator :math:`\\mu_G` with density :math:`q` and
data law :math:`\\pi` with density :math:`p`,

.. math::

    V(\\mu_G, D) = \\mathbb E_{X\\sim\\pi}[\\ln D(X)] + \\mathbb E_{\\tilde X\\sim\\mu_G}[\\ln(1 - D(\\tilde X))]
               = \\int p\\ln D + q\\ln(1-D),

    D^*(x) = \\frac{p(x)}{p(x)+q(x)} = \\operatorname{expit}(\\log p(x) - \\log q(x)),

    V(\\mu_G, D^*) = 2\\,\\mathrm{JS}(\\pi, \\mu_G) - \\ln 4 \\quad(\\mathrm{JS} = \\tfrac12 KL(P\\|M) + \\tfrac12
    KL(Q\\|M),\\ M = \\tfrac{P+Q}2,\\ \\text{natural log}).

The slide writes :math:`V = \\mathrm{JS} - 2\\ln 2`, which holds for the un-halved JS only (see
:mod:`theorylab.symbolic.gan`); the numbers here report both differences.

Routes (all float64):

* :math:`V(\\mu_G, D^*)` by quadrature of :math:`p\\ln D^* + q\\ln(1-D^*)` (:func:`theorylab.gan.quadrature.
  integrate_pair`: ``scipy.integrate.quad`` in 1D, product Gauss–Legendre in 2D), and independently by Monte Carlo
  (:func:`value_monte_carlo`, CLT interval);
* :math:`\\mathrm{JS}` from :mod:`theorylab.divergences`: :func:`~theorylab.divergences.js` (``js_quad_1d``) in 1D,
  :func:`~theorylab.divergences.js_grid` (trapezoid on a uniform grid, refinement error) in 2D — a different rule
  from the one used for :math:`V`, so the identity is checked between two independent computations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from theorylab.divergences import Estimate, Uncertainty, js, js_grid
from theorylab.gan.quadrature import (
    BOX_STDS,
    component_scales,
    integrate_pair,
    integrate_pairs,
    log_densities,
    uniform_axes,
)
from theorylab.tolerances import GRID_IDENTITY_ATOL, QUADRATURE_ATOL

__all__ = [
    "PerturbationGap",
    "PointwiseCheck",
    "ValueIdentity",
    "check_pointwise_optimality",
    "check_value_identity",
    "js_exact",
    "log_optimal_discriminator",
    "log_sigmoid",
    "optimal_discriminator",
    "perturbation_gaps",
    "pointwise_objective",
    "value_at_optimum",
    "value_monte_carlo",
    "value_of_logit",
]

LN4 = math.log(4.0)
#: Relative round-off bound used by :func:`check_pointwise_optimality`: one evaluation of
#: :math:`g(y) = D\\ln y + (1-D)\\ln(1-y)` carries <= ~4 EPS relative error on :math:`|D\\ln y| + |(1-D)\\ln(1-y)|`, a
#: difference of two evaluations <= 8 EPS ~ 1.8e-15; 1e-13 leaves a margin of ~50 while a wrong maximiser (a shift
#: of O(1) in y) loses O(1).
_POINTWISE_ROUNDING = 1e-13
#: Absolute allowance added to it: where D* or 1 - D* underflows below ~1e-300 (far tails), the terms are at the edge
#: of float64's normal range (2.2e-308) and relative round-off bounds no longer apply.
_POINTWISE_FLOOR = 1e-300
#: Nodes per axis of the uniform 2D grid of :func:`js_exact`: spacing <= sigma_min / _NODES_PER_STD, capped. With
#: spacing sigma/4 even the coarse grid (2h) of js_grid's refinement estimate resolves the JS integrand (measured on
#: the 8-Gaussian ring, sigma = 0.05, against N(0, I): stated errors 7.5e-10, mostly js_grid's round-off floor, at
#: sigma/4, against 1.7e-8 at sigma/3 and 1.9e-6 at sigma/2, while the values agree with the product Gauss-Legendre
#: route to 1e-14 at sigma/4), so the stated error is not inflated by under-resolution.
_NODES_PER_STD = 4.0
_MAX_GRID_2D = 2001


def log_sigmoid(t: np.ndarray) -> np.ndarray:
    """:math:`\\ln\\operatorname{expit}(t) = -\\ln(1 + e^{-t})`, stable for any finite ``t``."""
    return -np.logaddexp(0.0, -np.asarray(t, dtype=np.float64))


def log_optimal_discriminator(lp: np.ndarray, lq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`(\\ln D^*, \\ln(1 - D^*))` from the log-densities: :math:`\\ln p - \\ln(p+q)`, :math:`\\ln q - \\ln(p+q)`.

    Parameters
    ----------
    lp, lq : numpy.ndarray, shape ``(...)``
        :math:`\\log p(x)`, :math:`\\log q(x)` (finite).
    """
    lm = np.logaddexp(lp, lq)
    return lp - lm, lq - lm


def optimal_discriminator(pi: Any, mu_g: Any, x: Any) -> np.ndarray:
    """:math:`D^*(x) = p/(p+q) = \\operatorname{expit}(\\log p - \\log q)`, shape ``(..., d) -> (...)``.

    Seed 000, slide 'Definición Formal de una GAN' (Teorema, Discriminador Óptimo); sympy derivation in
    :func:`theorylab.symbolic.gan.optimal_discriminator`.
    """
    x = np.asarray(x, dtype=np.float64)
    return special.expit(log_densities(pi, x) - log_densities(mu_g, x))


def pointwise_objective(a: Any, b: Any, y: Any) -> np.ndarray:
    """:math:`h(y) = a\\ln y + b\\ln(1-y)` for :math:`y \\in (0, 1)` (seed 000, proof sketch, step 2), vectorised."""
    a, b, y = (np.asarray(v, dtype=np.float64) for v in (a, b, y))
    return a * np.log(y) + b * np.log1p(-y)


def _value_integrand(lp: np.ndarray, lq: np.ndarray, x: np.ndarray) -> np.ndarray:
    log_d, log_1md = log_optimal_discriminator(lp, lq)
    return np.exp(lp) * log_d + np.exp(lq) * log_1md


def _estimate(name: str, integral: Any, kind: str = "quadrature") -> Estimate:
    unc = Uncertainty(kind, integral.value - integral.error, integral.value + integral.error, None, integral.note)
    return Estimate(name, integral.value, integral.method, unc)


def value_at_optimum(pi: Any, mu_g: Any) -> Estimate:
    """:math:`V(\\mu_G, D^*) = \\int p\\ln\\frac{p}{p+q} + q\\ln\\frac{q}{p+q}` by quadrature (1D or 2D).

    Returns
    -------
    Estimate
        ``name="V(mu_G, D*)"``, uncertainty ``quadrature`` (quad's error in 1D; embedded-rule error, round-off and
        truncation in 2D: :mod:`theorylab.gan.quadrature`). The integrand is :math:`\\le 0` and
        :math:`|\\cdot| \\le p + q`.
    """
    return _estimate("V(mu_G, D*)", integrate_pair(_value_integrand, pi, mu_g, envelope=1.0))


def value_of_logit(pi: Any, mu_g: Any, logit: Any, *, logit_bound: float = 30.0) -> Estimate:
    """:math:`V(\\mu_G, D) = \\int p\\ln D + q\\ln(1-D)` for :math:`D = \\operatorname{expit}(\\ell)`, by quadrature.

    Parameters
    ----------
    logit : callable
        ``logit(lp, lq, x)`` returning :math:`\\ell(x)`, shape ``(...)`` (numpy), from the log-densities
        ``lp``, ``lq`` (shape ``(...)``) and the points ``x`` (shape ``(..., d)``); e.g. :math:`D^*` is
        ``lambda lp, lq, x: lp - lq``.
    logit_bound : float
        A bound on :math:`|\\ell|` outside the integration box; since :math:`|\\ln D| \\le |\\ell| + \\ln 2`, the 2D
        truncation error is bounded with envelope ``logit_bound + ln 2``.
    """

    def g(lp: np.ndarray, lq: np.ndarray, x: np.ndarray) -> np.ndarray:
        ell = np.asarray(logit(lp, lq, x), dtype=np.float64)
        return np.exp(lp) * log_sigmoid(ell) + np.exp(lq) * log_sigmoid(-ell)

    return _estimate("V(mu_G, D)", integrate_pair(g, pi, mu_g, envelope=logit_bound + math.log(2.0)))


def value_monte_carlo(pi: Any, mu_g: Any, n: int, rng: np.random.Generator, *, logit: Any = None,
                      level: float = 0.95) -> Estimate:
    """:math:`V(\\mu_G, D)` by Monte Carlo: :math:`\\frac1n\\sum\\ln D(X_i) + \\frac1n\\sum\\ln(1 - D(Y_i))`,
    :math:`X_i\\sim\\pi`, :math:`Y_i\\sim\\mu_G` independent; CLT interval (the two variances add).

    Parameters
    ----------
    n : int
        Samples from each law.
    logit : callable, optional
        :math:`\\ell(x)` of the discriminator :math:`D = \\operatorname{expit}(\\ell)`; default :math:`D^*`
        (:math:`\\ell = \\log p - \\log q`).
    """
    x, y = pi.sample(n, rng), mu_g.sample(n, rng)
    if logit is None:
        fx = log_optimal_discriminator(log_densities(pi, x), log_densities(mu_g, x))[0]
        fy = log_optimal_discriminator(log_densities(pi, y), log_densities(mu_g, y))[1]
        name, what = "V(mu_G, D*)", "D*"
    else:
        fx = log_sigmoid(np.asarray(logit(x)))
        fy = log_sigmoid(-np.asarray(logit(y)))  # logit(x): a callable of the points only
        name, what = "V(mu_G, D)", "D"
    mean = float(np.mean(fx) + np.mean(fy))
    se = math.sqrt(float(np.var(fx, ddof=1) + np.var(fy, ddof=1)) / n)
    z = float(special.ndtri(0.5 * (1.0 + level)))
    unc = Uncertainty("ci", mean - z * se, mean + z * se, float(level),
                      f"CLT normal interval, n = {n} independent samples from each law")
    return Estimate(name, mean, f"Monte Carlo E_pi[ln {what}] + E_muG[ln(1 - {what})]", unc)


def js_exact(pi: Any, mu_g: Any) -> Estimate:
    """:math:`\\mathrm{JS}(\\pi, \\mu_G)` (½-weighted, natural log) from :mod:`theorylab.divergences`.

    1D: :func:`theorylab.divergences.js` (adaptive quadrature, ``js_quad_1d``). 2D: :func:`~theorylab.divergences.
    js_grid` on log-densities over a uniform grid covering every component :math:`\\pm 12\\sigma`, with spacing at
    most :math:`\\sigma_{\\min}/4` (at most 2001 nodes per axis) — the trapezoid rule is spectrally accurate on such
    a grid, and js_grid adds its refinement error and the grid's mass defect to the uncertainty.
    """
    if pi.dim == 1:
        return js(pi, mu_g)
    lo_scale = min(float(np.min(component_scales(law)[2])) for law in (pi, mu_g))
    axes0 = uniform_axes((pi, mu_g), 3, BOX_STDS)
    width = max(float(ax[-1] - ax[0]) for ax in axes0)
    n = int(min(_MAX_GRID_2D, math.ceil(_NODES_PER_STD * width / lo_scale) + 1))
    n += 1 - n % 2  # odd: both interleaved coarse grids of the refinement estimate cover the whole span
    axes = uniform_axes((pi, mu_g), n, BOX_STDS)
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    return js_grid(log_densities(pi, mesh), log_densities(mu_g, mesh), *axes, log=True)


@dataclass(frozen=True)
class ValueIdentity:
    """The identity :math:`V(\\mu_G, D^*) = 2\\,\\mathrm{JS}(\\pi,\\mu_G) - \\ln 4` checked numerically.

    Attributes
    ----------
    value : Estimate
        :math:`V(\\mu_G, D^*)` by quadrature.
    js : Estimate
        :math:`\\mathrm{JS}(\\pi, \\mu_G)` from :mod:`theorylab.divergences`.
    two_js_minus_log4 : float
    two_js_minus_log4_interval : tuple of float
        :math:`2[\\text{lower}, \\text{upper}] - \\ln 4` from the JS interval.
    difference : float
        :math:`V - (2\\mathrm{JS} - \\ln 4)`.
    precision : float
        Stated precision of the comparison: the half-width of :math:`V`'s interval plus twice that of JS.
    tolerance : float
        The identity holds when :math:`|\\text{difference}|` and ``precision`` are both below it
        (:data:`~theorylab.tolerances.QUADRATURE_ATOL` in 1D, :data:`~theorylab.tolerances.GRID_IDENTITY_ATOL` in 2D).
    holds : bool
    slide_difference : float
        :math:`V - (\\mathrm{JS} - 2\\ln 2)`, the slide's form under the ½-weighted JS (equals JS, not 0).
    """

    value: Estimate
    js: Estimate
    two_js_minus_log4: float
    two_js_minus_log4_interval: tuple[float, float]
    difference: float
    precision: float
    tolerance: float
    holds: bool
    slide_difference: float


def check_value_identity(pi: Any, mu_g: Any, *, tolerance: float | None = None) -> ValueIdentity:
    """Compute :math:`V(\\mu_G, D^*)` and :math:`2\\mathrm{JS} - \\ln 4` independently and compare them.

    Seed 000, slide 'Definición Formal de una GAN' (Teorema, Discriminador Óptimo: :math:`V(\\mu_G, \\mu_D^*) =
    JS(\\pi, \\mu_G) - 2\\ln 2`, true for the un-halved JS; with theorylab's ½-weighted JS it reads
    :math:`2\\mathrm{JS} - \\ln 4`).

    Parameters
    ----------
    tolerance : float, optional
        Default :data:`~theorylab.tolerances.QUADRATURE_ATOL` in 1D (both sides by adaptive quadrature, errors
        ~1e-13) and :data:`~theorylab.tolerances.GRID_IDENTITY_ATOL` in 2D (JS on a grid, whose stated precision has
        a worst-case round-off floor ~1e-9).
    """
    if tolerance is None:
        tolerance = QUADRATURE_ATOL if pi.dim == 1 else GRID_IDENTITY_ATOL
    v = value_at_optimum(pi, mu_g)
    j = js_exact(pi, mu_g)
    target = 2.0 * j.value - LN4
    difference = v.value - target
    precision = v.uncertainty.half_width + 2.0 * j.uncertainty.half_width
    holds = abs(difference) <= tolerance and precision <= tolerance
    return ValueIdentity(v, j, target, (2.0 * j.uncertainty.lower - LN4, 2.0 * j.uncertainty.upper - LN4),
                         difference, precision, float(tolerance), bool(holds),
                         v.value - (j.value - 2.0 * math.log(2.0)))


@dataclass(frozen=True)
class PointwiseCheck:
    """:math:`D^*(x)` against perturbed values at every node of a grid (seed 000, proof sketch, step 2).

    At each node the objective :math:`h(y) = p\\ln y + q\\ln(1-y)` is divided by :math:`p + q > 0` (same maximiser),
    :math:`g(y) = D^*\\ln y + (1-D^*)\\ln(1-y)`, and compared at :math:`y = D^*` and at
    :math:`y = \\operatorname{expit}(\\operatorname{logit}D^* \\pm \\delta)`.

    Attributes
    ----------
    n_points, n_comparisons : int
    deltas : tuple of float
    max_improvement : float
        :math:`\\max [g(y) - g(D^*)]` over nodes and perturbations (:math:`\\le 0` up to round-off when :math:`D^*`
        is the maximiser).
    n_violations : int
        Comparisons where :math:`g(y) > g(D^*) + 10^{-13}(|D^*\\ln y| + |(1-D^*)\\ln(1-y)|) + 10^{-300}` (round-off
        allowance; the absolute part covers terms that underflow to the edge of float64's normal range).
    min_relative_gain : float
        :math:`\\min [g(D^*) - g(y)] / [\\tfrac12\\delta^2 D^*(1-D^*)]` over comparisons where that prediction
        exceeds the round-off allowance 1000-fold (→ 1 as :math:`\\delta\\to 0`: second-order optimality).
    """

    n_points: int
    n_comparisons: int
    deltas: tuple[float, ...]
    max_improvement: float
    n_violations: int
    min_relative_gain: float

    @property
    def holds(self) -> bool:
        return self.n_violations == 0


def check_pointwise_optimality(pi: Any, mu_g: Any, points: np.ndarray, deltas: tuple[float, ...]) -> PointwiseCheck:
    """Check that :math:`D^*` maximises the pointwise objective at every point of ``points`` (shape ``(n, d)``)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, pi.dim)
    ell = log_densities(pi, pts) - log_densities(mu_g, pts)
    # both weights from the logit: 1 - expit(l) would lose all relative accuracy where D* is close to 1
    d_star, d_other = special.expit(ell), special.expit(-ell)
    base = d_star * log_sigmoid(ell) + d_other * log_sigmoid(-ell)
    worst, violations, min_gain, count = -math.inf, 0, math.inf, 0
    for delta in deltas:
        for sign in (1.0, -1.0):
            shifted = ell + sign * delta
            a, b = d_star * log_sigmoid(shifted), d_other * log_sigmoid(-shifted)
            perturbed = a + b
            improvement = perturbed - base
            allowance = _POINTWISE_ROUNDING * (np.abs(a) + np.abs(b)) + _POINTWISE_FLOOR
            worst = max(worst, float(np.max(improvement)))
            violations += int(np.sum(improvement > allowance))
            predicted = 0.5 * delta**2 * d_star * d_other
            ok = predicted > 1e3 * allowance
            if np.any(ok):
                min_gain = min(min_gain, float(np.min(-improvement[ok] / predicted[ok])))
            count += pts.shape[0]
    return PointwiseCheck(pts.shape[0], count, tuple(float(d) for d in deltas), worst, violations, min_gain)


@dataclass(frozen=True)
class PerturbationGap:
    """:math:`V(\\mu_G, D^*) - V(\\mu_G, D_\\varepsilon)` for :math:`D_\\varepsilon = \\operatorname{expit}
    (\\operatorname{logit}D^* + \\varepsilon\\varphi)`, :math:`\\varphi(x) = \\cos(\\langle\\omega, x\\rangle + c)`.

    Attributes
    ----------
    epsilon : float
        Signed size :math:`\\varepsilon`.
    gap : float
        :math:`V^* - V_\\varepsilon` as the integral of
        :math:`(p+q)\\,KL(\\mathrm{Bern}(D^*)\\|\\mathrm{Bern}(D_\\varepsilon))` (no cancellation), with ``gap_error``
        its quadrature error.
    gap_by_difference : float
        The same as the difference of two quadratures (``value_star - value_perturbed``).
    second_order : float
        :math:`\\tfrac12\\varepsilon^2\\int(p+q)D^*(1-D^*)\\varphi^2` (the leading term as :math:`\\varepsilon\\to 0`).
    """

    epsilon: float
    gap: float
    gap_error: float
    gap_by_difference: float
    second_order: float
    value_perturbed: float = field(default=math.nan)


def perturbation_gaps(pi: Any, mu_g: Any, sizes: tuple[float, ...], rng: np.random.Generator) -> list[PerturbationGap]:
    """Value lost by perturbing :math:`D^*` in logit space along a random smooth direction, for :math:`\\pm` each size.

    The direction :math:`\\varphi(x) = \\cos(\\langle\\omega, x\\rangle + c)`,
    :math:`\\omega \\sim \\mathcal N(0, I_d)`, :math:`c \\sim U(0, 2\\pi)`, is drawn once from ``rng``. Every gap must
    be > 0 (:math:`D^*` is the maximiser) and close to the second-order prediction for small sizes.
    """
    omega = rng.standard_normal(pi.dim)
    phase = float(rng.uniform(0.0, 2.0 * math.pi))

    def phi(x: np.ndarray) -> np.ndarray:
        return np.cos(x @ omega + phase)

    def curvature(lp: np.ndarray, lq: np.ndarray, x: np.ndarray) -> np.ndarray:
        # (p + q) D*(1 - D*) phi^2 = p q / (p + q) phi^2
        return np.exp(lp + lq - np.logaddexp(lp, lq)) * phi(x) ** 2

    def kl_form(eps: float):
        def g(lp: np.ndarray, lq: np.ndarray, x: np.ndarray) -> np.ndarray:
            log_d, log_1md = log_optimal_discriminator(lp, lq)
            shifted = (lp - lq) + eps * phi(x)
            return np.exp(lp) * (log_d - log_sigmoid(shifted)) + np.exp(lq) * (log_1md - log_sigmoid(-shifted))
        return g

    def value_form(eps: float):
        def g(lp: np.ndarray, lq: np.ndarray, x: np.ndarray) -> np.ndarray:
            shifted = (lp - lq) + eps * phi(x)
            return np.exp(lp) * log_sigmoid(shifted) + np.exp(lq) * log_sigmoid(-shifted)
        return g

    epsilons = [e for size in sizes for e in (float(size), -float(size))]
    # one pass over the nodes: V*, the curvature, and for every epsilon the KL form and the perturbed value
    # (|KL form| <= |eps| (p + q): the Bernoulli log-likelihood ratio is at most the logit shift)
    gs = [value_form(0.0), curvature] + [f(e) for e in epsilons for f in (kl_form, value_form)]
    envelopes = [1.0, 1.0] + [v for e in epsilons for v in (abs(e), 1.0 + abs(e))]
    results = integrate_pairs(gs, pi, mu_g, envelopes=envelopes)
    v_star, curv = results[0].value, results[1].value
    out = []
    for i, eps in enumerate(epsilons):
        gap, v_eps = results[2 + 2 * i], results[3 + 2 * i]
        out.append(PerturbationGap(eps, gap.value, gap.error, v_star - v_eps.value, 0.5 * eps**2 * curv, v_eps.value))
    return out

