"""Pierret & Galerne's conventions, written down once, and the theorylab scheme each of their schemes is.

Source: E. Pierret, B. Galerne, *Diffusion models for Gaussian distributions: exact solutions and Wasserstein
errors*, ICML 2025 (PMLR 267:49355-49381; arXiv:2405.14250v5), and the authors' notebook
``code/Gaussian_diffusion_W2.ipynb`` of github.com/emilePi/Diffusion-models-for-Gaussian-distributions-Exact-
solutions-and-Wasserstein-errors (commit 8d02029, July 2025: the ICML version, with DDPM and RK4), read to pin the
conventions the paper leaves implicit (grid, NFE accounting). Equation numbers (n) below are the notebook's.

Forward process and target
    :math:`dx_t = -\\beta_t x_t\\,dt + \\sqrt{2\\beta_t}\\,dw_t` on :math:`[0, T]`, :math:`T = 1`,
    :math:`\\beta_t = \\beta_{\\min} + (\\beta_{\\max} - \\beta_{\\min})t` with :math:`\\beta_{\\min} = 0.05`,
    :math:`\\beta_{\\max} = 10` ("the values of Song et al. 2021 up to a factor 2"), :math:`B_t = \\int_0^t\\beta`.
    Their :math:`\\beta_t` is **half** of Song et al.'s :math:`\\beta(t)`: this is exactly theorylab's
    ``VariancePreserving(beta_min=0.1, beta_max=20, T=1)`` (:math:`dX = -\\tfrac12\\beta(t)X\\,dt +
    \\sqrt{\\beta(t)}\\,dB`), with :math:`\\alpha_t = e^{-B_t}`, :math:`\\sigma_t^2 = 1 - e^{-2B_t}`
    (:func:`theorylab_process` converts). Target :math:`p_{\\text{data}} = \\mathcal N(0, \\Sigma)`, **centred**;
    :math:`\\Sigma` may be singular. In the eigenbasis of :math:`\\Sigma`, :math:`p_t` has eigenvalues
    :math:`\\lambda_i^t = e^{-2B_t}\\lambda_i + 1 - e^{-2B_t}` (2) and the score is :math:`-\\Sigma_t^{-1}x`.

Error
    :math:`W_2` (the distance, not its square) between centred Gaussians with commuting covariances,
    :math:`\\sqrt{\\sum_i(\\sqrt{\\lambda_{i,1}} - \\sqrt{\\lambda_{i,2}})^2}` (5): only the eigenvalues of
    :math:`\\Sigma` enter. Every discrete scheme's output is compared with :math:`p_0 = p_{\\text{data}}`, also when
    it stops at :math:`\\varepsilon > 0` (so the truncation error is included).

Time grid (the convention that matters most for comparing numbers)
    A run with "N" uses **N grid points**, i.e. :math:`N - 1` steps: backward times
    :math:`t_k = (T - \\varepsilon)k/(N - 1)`, :math:`k = 0..N-1`, uniform, and the score of step :math:`k` is fed
    the forward time :math:`T - t_k` (the upper end of the step). In theorylab this is
    ``TimeGrid.from_times(linspace(eps, T, N))`` (:func:`paper_grid`), whose ``reverse-em`` score times are the same
    :math:`T - t_k`; ``grid.early_stopped(eps)`` of a constant grid gives the same points.
    The ablation table is indexed by **NFE** :math:`\\in \\{50, 250, 500, 1000\\}`: EM, EI, DDPM and Euler run with
    :math:`N = \\text{NFE}` points (:math:`\\text{NFE} - 1` score evaluations), RK4 with :math:`N = \\text{NFE}/4`
    points (:math:`4(\\text{NFE}/4 - 1)` evaluations). Heun is *meant* to use :math:`N = \\text{NFE}/2`, but the
    notebook's table cell reads ``if scheme == 'Heun': ...(NFE//2) ... if scheme == 'RK4': ...(NFE//4) else:
    ...(NFE)``: the second ``if``'s ``else`` overwrites Heun's entry with the :math:`N = \\text{NFE}` run, so the
    published Heun row is Heun on :math:`N = \\text{NFE}` points (:math:`2(\\text{NFE} - 1)` evaluations). The
    numbers confirm it: on the authors' CIFAR-10 spectrum, theorylab's Heun on NFE points reproduces every published
    Heun entry to the printed digits (the 24 finite ones and the 8 "-"), while on NFE/2 points its NFE = n column
    is the published NFE = n/2 column (e.g. 1.05/1.06 at NFE = 1000, eps = 1e-5, published at NFE = 500). :data:`SCHEMES` therefore holds the row
    *as published* (``Heun``, NFE points) and the evaluation-matched one (``Heun (NFE/2 points)``).
    Truncation :math:`\\varepsilon \\in \\{0, 10^{-5}, 10^{-4}, 10^{-3}\\}`; initialisation :math:`p_T` (exact,
    eigenvalues :math:`\\lambda_i^T`) or :math:`\\mathcal N_0 = \\mathcal N(0, I)`.

Schemes (covariance recursions in the eigenbasis; :math:`\\Delta_t = (T-\\varepsilon)/(N-1)`,
:math:`\\beta = \\beta_{T-t_k}`, :math:`\\lambda^t` the eigenvalue of :math:`\\Sigma_t`)
    * **EM** (10)-(11): :math:`y' = y + \\Delta_t\\beta(y - 2\\Sigma_{T-t_k}^{-1}y) + \\sqrt{2\\Delta_t\\beta}z`;
      :math:`\\lambda' = (1 + \\Delta_t\\beta(1 - 2/\\lambda^{T-t_k}))^2\\lambda + 2\\Delta_t\\beta`.
      theorylab ``reverse-sde`` on VP: the same step (``em_transition``: keep :math:`1 - h a(t)`, push
      :math:`h g^2`, variance :math:`g^2h` with :math:`a = -\\beta`, :math:`g^2 = 2\\beta` in their units).
      **Same scheme.**
    * **EI** (12)-(13): :math:`\\gamma_1 = e^{B_{T-t_k} - B_{T-t_{k+1}}} - 1`,
      :math:`\\gamma_2 = \\tfrac12(e^{2(B_{T-t_k} - B_{T-t_{k+1}})} - 1)`;
      :math:`\\lambda' = (1 + \\gamma_1(1 - 2/\\lambda^{T-t_k}))^2\\lambda + 2\\gamma_2`. (The notebook's (12) prints
      :math:`y^{k+1}` inside the bracket, a typo: (13) and the code use :math:`y^k`.) theorylab
      ``exponential-integrator``: ratio :math:`\\alpha_{t^-}/\\alpha_{t^+} = 1 + \\gamma_1`, push
      :math:`2(\\alpha_{t^-}/\\alpha_{t^+} - 1) = 2\\gamma_1`, variance :math:`e^{2\\Delta B} - 1 = 2\\gamma_2`.
      **Same scheme.**
    * **DDPM** (14)-(15): :math:`\\beta_k = 2\\Delta_t\\beta_{T-t_k}` (the code; the markdown's
      :math:`\\Delta_t\\beta(k/N)` is not what is run), :math:`y' = (y - \\beta_k\\Sigma_{T-t_k}^{-1}y)/
      \\sqrt{1-\\beta_k} + \\sqrt{\\beta_k}z` on every step, the last included;
      :math:`\\lambda' = (1 - \\beta_k/\\lambda^{T-t_k})^2\\lambda/(1 - \\beta_k) + \\beta_k`.
      **Differs from theorylab's** ``ddpm`` (Ho et al. 2020, Algorithm 2), which takes
      :math:`\\beta = 1 - \\alpha_{t^-}^2/\\alpha_{t^+}^2` from the marginals, the posterior variance by default, and
      no noise on the last step. Added as the sampler ``ddpm-euler`` (:mod:`theorylab.samplers.ddpm_euler`;
      score_sde_pytorch's VP ancestral predictor), which is their scheme exactly.
    * **Euler** (16)-(17) on the flow ODE :math:`dy = \\beta_{T-t}(y + \\nabla\\log p_{T-t}(y))dt`:
      :math:`\\lambda' = (1 + \\Delta_t\\beta(1 - 1/\\lambda^{T-t_k}))^2\\lambda`. theorylab ``pf-ode-euler``.
      **Same scheme.**
    * **Heun** (18)-(19): predictor at :math:`T - t_k`, corrector field at :math:`T - t_{k+1}`, no special last
      step; :math:`\\lambda' = (1 + \\tfrac{\\Delta_t}2c_k + \\tfrac{\\Delta_t}2c_{k+1}(1 + \\Delta_tc_k))^2\\lambda`,
      :math:`c_j = \\beta_{T-t_j}(1 - 1/\\lambda^{T-t_j})`. theorylab ``pf-ode`` (tableau ``HEUN``, second stage at
      the grid's lower time). **Same scheme.** At :math:`\\varepsilon = 0` the corrector evaluates the score at
      forward time 0; for a singular :math:`\\Sigma` it does not exist (the paper prints "-").
    * **RK4** (20)-(23): stages at :math:`T - t_k`, :math:`T - t_k - \\Delta_t/2` (twice), :math:`T - t_{k+1}`,
      weights 1/6, 1/3, 1/3, 1/6. theorylab ``pf-ode-rk4``. **Same scheme** (and the same "-" at
      :math:`\\varepsilon = 0` for a singular target).

Continuous columns (no discretisation)
    From :math:`p_T` the backward SDE and ODE are exact: the error is the truncation :math:`W_2(p_\\varepsilon,
    p_0)`. From :math:`\\mathcal N_0`: :math:`\\tilde\\Sigma_t = \\Sigma_t + e^{-2(B_T - B_t)}\\Sigma_t^2
    \\Sigma_T^{-1}(\\Sigma_T^{-1} - I)` (SDE, (7)) and :math:`\\hat\\Sigma_t = \\Sigma_T^{-1}\\Sigma_t` (ODE, (8)),
    evaluated at :math:`t = \\varepsilon` (:mod:`theorylab.studies.pierret_galerne.continuous`).

The CIFAR-10 Gaussian
    The authors' ``cifar10.npy``: the 3072 eigenvalues of ``torch.cov`` of the 50000 CIFAR-10 training images
    normalised to :math:`[-1, 1]` (``Normalize(0.5, 0.5)``), by ``numpy.linalg.eigh`` in float32, negative ones set
    to 0 (their ``vps_Gaussian_cifar10.ipynb``); the mean is not used (centred target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theorylab.errors import ConfigError

__all__ = ["PAPER_PROCESS", "SCHEMES", "SchemeSpec", "paper_grid", "scheme", "theorylab_process"]

#: The paper's process in its own units: :math:`\\beta_t = 0.05 + 9.95t` on :math:`[0, 1]`.
PAPER_PROCESS: dict[str, float] = {"beta_min": 0.05, "beta_max": 10.0, "T": 1.0}


@dataclass(frozen=True)
class SchemeSpec:
    """One row family of the ablation table.

    Attributes
    ----------
    label : str
        The paper's name (or a descriptive one for the extra rows).
    sampler : str
        The theorylab registry name that is the same scheme.
    options : dict
        Options of that sampler.
    divisor : int
        Grid points :math:`N = \\text{NFE}/\\text{divisor}` (1: EM, EI, DDPM, Euler, published Heun; 4: RK4).
    evaluations_per_step : int
        Score evaluations per step (1, 2 for Heun, 4 for RK4).
    family : str
        ``"sde"`` or ``"ode"``: which continuous column (backward SDE or flow ODE) the row belongs to.
    published : bool
        Whether the paper's table has this row.
    note : str
        Where the scheme is written in the paper/notebook and how it maps to theorylab.
    """

    label: str
    sampler: str
    divisor: int
    evaluations_per_step: int
    family: str
    published: bool
    note: str
    options: dict[str, Any] = field(default_factory=dict)

    def points(self, nfe: int) -> int:
        """Grid points for a table column ``nfe``."""
        return nfe // self.divisor

    def evaluations(self, nfe: int) -> int:
        """Score evaluations actually made: ``(points - 1) * evaluations_per_step``."""
        return (self.points(nfe) - 1) * self.evaluations_per_step


#: The rows of the table, in the paper's order, then the extra rows theorylab adds.
SCHEMES: tuple[SchemeSpec, ...] = (
    SchemeSpec("EM", "reverse-sde", 1, 1, "sde", True, "eq. (10)-(11); theorylab reverse-sde on VP"),
    SchemeSpec("EI", "exponential-integrator", 1, 1, "sde", True, "eq. (12)-(13); theorylab exponential-integrator"),
    SchemeSpec("DDPM", "ddpm-euler", 1, 1, "sde", True,
               "eq. (14)-(15), beta_k = 2 dt beta_{T-t_k}, noise on every step; theorylab ddpm-euler"),
    SchemeSpec("Euler", "pf-ode-euler", 1, 1, "ode", True, "eq. (16)-(17); theorylab pf-ode-euler"),
    SchemeSpec("Heun", "pf-ode", 1, 2, "ode", True,
               "eq. (18)-(19) on N = NFE points as published (the notebook's if/if/else overwrites NFE/2); "
               "theorylab pf-ode"),
    SchemeSpec("RK4", "pf-ode-rk4", 4, 4, "ode", True, "eq. (20)-(23) on N = NFE/4 points; theorylab pf-ode-rk4"),
    SchemeSpec("Heun (NFE/2 points)", "pf-ode", 2, 2, "ode", False,
               "Heun on N = NFE/2 points: the evaluation count the paper intends"),
    SchemeSpec("DDPM (theorylab ddpm, Ho et al.)", "ddpm", 1, 1, "sde", False,
               "theorylab's ddpm: beta from the marginals, posterior variance, noiseless last step"),
)


def scheme(label: str) -> SchemeSpec:
    """The :class:`SchemeSpec` called ``label`` (``ConfigError`` naming ``table.schemes`` otherwise)."""
    for spec in SCHEMES:
        if spec.label == label:
            return spec
    raise ConfigError(f"table.schemes: unknown scheme {label!r}; choose from {[s.label for s in SCHEMES]}")


def theorylab_process(beta_min: float, beta_max: float, T: float):
    """theorylab's ``VariancePreserving`` for the paper's :math:`\\beta_t` (half of Song's: both ends doubled)."""
    from theorylab.processes import VariancePreserving

    return VariancePreserving(beta_min=2.0 * beta_min, beta_max=2.0 * beta_max, T=T)


def paper_grid(points: int, eps: float, T: float):
    """The paper's grid: ``points`` uniform forward times from ``T`` down to ``eps`` (``points - 1`` steps)."""
    from theorylab.samplers import TimeGrid

    if points < 2:
        raise ConfigError(f"table.nfe: a column gives {points} grid point(s); at least 2 are needed")
    if not 0.0 <= eps < T:
        raise ConfigError(f"table.eps: must lie in [0, T = {T}), got {eps!r}")
    return TimeGrid.from_times(np.linspace(eps, T, points))
