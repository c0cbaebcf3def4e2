"""The KL between path measures in seed 000's proof, by Girsanov: exactly for Gaussian targets, by Monte Carlo with
a CLT interval for mixtures.

Seed 000, 'Esquema de la Demostración': the approximation term :math:`\\|\\pi_0\\hat R_N - \\pi_0 Q_T\\|_{TV}` is
controlled by Pinsker, :math:`\\le \\sqrt{KL(\\pi_0\\hat R_N\\|\\pi_0 Q_T)/2}`, and that KL by "the transfer theorem
and Girsanov theory" (Durmus & Moulines 2017; Dalalyan 2017): embed the chain in continuous time as a process
:math:`\\hat Y` with a piecewise frozen drift :math:`\\hat b`, compare it with the reverse SDE :math:`dY = b(t,
Y)dt + \\sqrt2\\,dB`, :math:`b(t, y) = y + 2\\nabla\\log p_{T-t}(y)`, both started at :math:`\\pi_0`; then

.. math:: KL(\\pi_0\\hat R_N\\,\\|\\,\\pi_0 Q_T) \\le KL(\\hat{\\mathbb P}\\,\\|\\,\\mathbb P)
          = \\frac14\\sum_k\\int_0^{h_k} E\\|\\hat b_k(u) - b(t_k + u, \\hat Y_{t_k + u})\\|^2\\,du

(data processing, then Girsanov for two diffusions with the same coefficient :math:`\\sqrt2`). The interpolations
(which at :math:`u = h` reproduce the sampler's declared transition; checked at every step):

* ``reverse-em``: :math:`\\hat Y_u = Y_k + u(Y_k + 2\\hat s_k(Y_k)) + \\sqrt{2u}Z`, drift
  :math:`\\hat b = Y_k + 2\\hat s_k(Y_k)` (all frozen);
* ``exponential-integrator``: :math:`\\hat Y_u = e^uY_k + 2(e^u - 1)\\hat s_k(Y_k) + \\sqrt{e^{2u} - 1}Z`, drift
  :math:`\\hat b = \\hat Y_u + 2\\hat s_k(Y_k)` (linear part exact, score frozen; Chen et al. 2023, eq. 2.4).

Gaussian target, affine score :math:`\\hat s_k(y) = \\hat A y + \\hat b`, true score :math:`A_s y + b_s`: the
difference of drifts is :math:`\\Delta = G Y_k + c + HZ`, so :math:`E\\|\\Delta\\|^2 = \\operatorname{tr}(GS_kG^\\top)
+ \\|Gm_k + c\\|^2 + \\operatorname{tr}(HH^\\top)` with :math:`Y_k \\sim N(m_k, S_k)` the chain's exact marginal (the
sampler's own transitions on moments, :func:`theorylab.laws.affine_steps`), and the :math:`u`-integral is
Gauss--Legendre (:data:`GL_NODES` nodes per step; the integrand is a smooth function of :math:`u`; the reported
uncertainty is the difference with half the nodes). Mixtures: particles of the chain (the sampler's transitions,
torch route), at each node :math:`\\hat Y_u` drawn given :math:`Y_k`; the per-path sum is i.i.d. across paths, so
its mean carries a 95% CLT interval. Why not scipy/POT: neither has Girsanov KLs of discretised diffusions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorylab.divergences import Estimate, Uncertainty
from theorylab.errors import ConfigError

__all__ = ["GIRSANOV_SAMPLERS", "GL_NODES", "path_kl"]

#: Samplers whose continuous-time interpolation is defined here.
GIRSANOV_SAMPLERS = ("reverse-em", "exponential-integrator")

#: Gauss-Legendre nodes per step for the u-integral. The integrand is a polynomial of degree <= 2 in u for
#: reverse-em, times smooth exponentials e^{-2(t-u)} from the marginal covariances; 16 nodes integrate such
#: functions on [0, h <= 1] to ~1e-15 relative (the half-node difference is reported as the uncertainty).
GL_NODES = 16

#: Gauss-Legendre nodes per step of the Monte Carlo route: there the u-integral's quadrature error (~h^8 relative
#: with 4 nodes for an integrand smooth on the step's scale) is far below the CLT half-width, and each node costs a
#: score evaluation on every path.
MC_GL_NODES = 4


def _interp(name: str, u: float):
    """(P, p_coef, noise_var, score_coef): Y_u = P Y + score_coef s(Y) + sqrt(noise_var) Z."""
    if name == "reverse-em":
        return 1.0 + u, 2.0 * u, 2.0 * u
    return math.exp(u), 2.0 * math.expm1(u), math.expm1(2.0 * u)


def _check(name: Any) -> str:
    name = getattr(name, "name", name)
    if name not in GIRSANOV_SAMPLERS:
        raise ConfigError(f"sampler.name: the Girsanov path KL is defined for {GIRSANOV_SAMPLERS}, got {name!r}")
    return name


def _gaussian_path_kl(target, score, name: str, grid, nodes: int) -> float:
    from theorylab.laws import affine_steps
    from theorylab.processes import OrnsteinUhlenbeck
    from theorylab.samplers import get_sampler
    from theorylab.scores import ExactScore

    d = int(target.dim)
    process = OrnsteinUhlenbeck(grid.T)
    steps = affine_steps(get_sampler(name), score, grid, process, d)
    exact = ExactScore(target)
    z, w = np.polynomial.legendre.leggauss(nodes)
    F = grid.cumulative_times
    I = np.eye(d)
    m, S = np.zeros(d), np.eye(d)
    total = 0.0
    for n, st in enumerate(steps):
        t_hi, h = float(F[grid.N - n]), float(F[grid.N - n] - F[grid.N - n - 1])
        Ah, bh = (np.asarray(a, dtype=np.float64) for a in score.affine(t_hi))
        Ah = np.broadcast_to(Ah, (d, d)) if np.ndim(Ah) == 2 else Ah * I
        # the interpolation at u = h must be the sampler's own transition
        P, sc, var = _interp(name, h)
        if not (np.allclose(P * I + sc * Ah, st.matrix, rtol=1e-9, atol=1e-12)
                and np.allclose(sc * bh, st.shift, rtol=1e-9, atol=1e-12)
                and math.isclose(var, st.noise_var, rel_tol=1e-9, abs_tol=1e-15)):
            raise RuntimeError(f"girsanov: the {name} interpolation at u = h differs from the declared transition")
        acc = 0.0
        for zj, wj in zip(z, w):
            u = 0.5 * h * (zj + 1.0)
            A_s, b_s = exact.affine(t_hi - u)
            P, sc, var = _interp(name, u)
            Pu, pu = P * I + sc * Ah, sc * bh
            if name == "reverse-em":
                G = (I + 2.0 * Ah) - (I + 2.0 * A_s) @ Pu
                c = 2.0 * bh - (I + 2.0 * A_s) @ pu - 2.0 * b_s
                H2 = 2.0 * u * np.sum((I + 2.0 * A_s) ** 2)
            else:
                G = 2.0 * Ah - 2.0 * A_s @ Pu
                c = 2.0 * bh - 2.0 * A_s @ pu - 2.0 * b_s
                H2 = 4.0 * var * np.sum(A_s**2)
            e2 = float(np.trace(G @ S @ G.T) + np.sum((G @ m + c) ** 2) + H2)
            acc += wj * e2
        total += 0.25 * 0.5 * h * acc
        m = st.matrix @ m + st.shift
        S = st.matrix @ S @ st.matrix.T + st.noise_var * I
        S = 0.5 * (S + S.T)
    return total


def path_kl(target: Any, score: Any, sampler: Any, grid: Any, *, n_paths: int = 20_000, seed: int = 0) -> Estimate:
    """:math:`KL(\\hat{\\mathbb P}\\,\\|\\,\\mathbb P)` between the interpolated chain and the reverse SDE on
    :math:`[0, T]`, both from :math:`N(0, I_d)` (module docstring; natural log).

    Parameters
    ----------
    target : Gaussian or GaussianMixture
        :math:`\\pi` (the true scores :math:`\\nabla\\log p_t` are its exact OU scores).
    score : callable ``score(t, x)``
        The sampler's score :math:`\\hat s` (affine for the exact route).
    sampler : str
        ``"reverse-em"`` or ``"exponential-integrator"``.
    grid : TimeGrid
        Steps; forward OU process with horizon ``grid.T``; no early stopping (``grid.cumulative_times[0] == 0``).
    n_paths, seed : int
        Monte Carlo route only (a score without ``affine``, or a non-Gaussian target).

    Returns
    -------
    Estimate
        ``kind="quadrature"`` (exact route; the half-node difference as error) or ``"ci"`` (95% CLT).
    """
    from theorylab.distributions import Gaussian

    name = _check(sampler)
    if float(grid.cumulative_times[0]) != 0.0:
        raise ConfigError("sampler.early_stop: the path KL of seed 000's proof runs to forward time 0")
    affine = getattr(score, "affine", None)
    if isinstance(target, Gaussian) and affine is not None and affine(float(grid.T)) is not None:
        fine = _gaussian_path_kl(target, score, name, grid, GL_NODES)
        coarse = _gaussian_path_kl(target, score, name, grid, GL_NODES // 2)
        err = abs(fine - coarse)
        return Estimate("kl_path", fine, "Girsanov, exact marginals + Gauss-Legendre",
                        Uncertainty("quadrature", fine - err, fine + err, None,
                                    f"{GL_NODES} vs {GL_NODES // 2} Gauss-Legendre nodes per step"))
    return _mc_path_kl(target, score, name, grid, int(n_paths), int(seed))


def _mc_path_kl(target, score, name: str, grid, n: int, seed: int) -> Estimate:
    import torch

    from theorylab.processes import OrnsteinUhlenbeck
    from theorylab.samplers import get_sampler
    from theorylab.samplers.kernel import TorchEvaluator
    from theorylab.scores import ExactScore

    gen = torch.Generator().manual_seed(seed)
    d = int(target.dim)
    chain = get_sampler(name).declare(grid, OrnsteinUhlenbeck(grid.T))
    exact = ExactScore(target)
    ev = TorchEvaluator(score)
    z, w = np.polynomial.legendre.leggauss(MC_GL_NODES)
    y = torch.randn(n, d, generator=gen, dtype=torch.float64)
    per_path = torch.zeros(n, dtype=torch.float64)
    for step in chain.steps:
        t_hi, h = float(step.t_hi), float(step.h)
        s_hat = score(t_hi, y)
        for zj, wj in zip(z, w):
            u = 0.5 * h * (zj + 1.0)
            P, sc, var = _interp(name, u)
            yu = P * y + sc * s_hat + math.sqrt(var) * torch.randn(n, d, generator=gen, dtype=torch.float64)
            true = exact(t_hi - u, yu)
            if name == "reverse-em":
                delta = (y + 2.0 * s_hat) - (yu + 2.0 * true)
            else:
                delta = 2.0 * (s_hat - true)
            per_path += 0.25 * 0.5 * h * float(wj) * (delta**2).sum(dim=1)
        (tr,) = step.transitions
        y = tr.mean(y, ev) + math.sqrt(tr.var) * torch.randn(n, d, generator=gen, dtype=torch.float64)
    v = per_path.numpy()
    mean, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(n))
    return Estimate("kl_path", mean, f"Girsanov, Monte Carlo ({n} paths, {MC_GL_NODES} nodes per step)",
                    Uncertainty("ci", mean - 1.96 * se, mean + 1.96 * se, 0.95, "CLT over i.i.d. paths"))
