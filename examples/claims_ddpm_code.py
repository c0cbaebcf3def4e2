"""Claims that need code: the sides are Python functions (the `.py` form of `theorylab verify --claims`).

    python -m theorylab verify --claims examples/claims_ddpm_code.py

Contract (docs/user-claims.md): the module defines ``CLAIMS``, a list of dicts with the keys of a TOML
``[[claim]]`` table. ``lhs``/``rhs`` may be a callable ``f(**point) -> float | array``, called with one keyword
argument per name declared in ``domain`` (scalars as Python numbers, matrices as float64 arrays), a string in sympy
syntax, or a number. A claim with a callable side is compared in float64 with relative tolerance ``rtol``
(default theorylab.tolerances.USER_CALLABLE_RTOL = 1e-9); it is never "proved".

Source: Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models" (arXiv:2006.11239), section 4: the
linear schedule beta_t from 1e-4 to 0.02 over T = 1000 steps, and eq. (4), q(x_t | x_0) = N(sqrt(abar_t) x_0,
(1 - abar_t) I) with abar_t = prod_{s<=t} (1 - beta_s).
"""

import numpy as np

T = 1000
BETAS = np.linspace(1e-4, 0.02, T)  # beta_1, ..., beta_T (Ho et al. 2020, section 4)


def forward_variance(t):
    """Var(x_t | x_0) by running the forward chain x_s = sqrt(1 - beta_s) x_{s-1} + sqrt(beta_s) eps_s."""
    v = 0.0
    for beta in BETAS[:t]:
        v = (1.0 - beta) * v + beta
    return v


def one_minus_alpha_bar(t):
    """1 - abar_t with abar_t = prod_{s <= t} (1 - beta_s) (eq. (4))."""
    return 1.0 - float(np.prod(1.0 - BETAS[:t]))


def one_minus_exp_sum(t):
    """1 - exp(-sum_{s <= t} beta_s): the continuous-time (VP SDE) variance, often substituted for eq. (4)."""
    return 1.0 - float(np.exp(-np.sum(BETAS[:t])))


CLAIMS = [
    {
        "id": "ddpm.linear-schedule.marginal-variance",
        "statement": "Var(x_t | x_0) = 1 − ᾱ_t, ᾱ_t = ∏_{s≤t}(1 − β_s), linear β from 1e-4 to 0.02, T = 1000",
        "source": "Ho et al. 2020 (arXiv:2006.11239)",
        "location": "eq. (4) with the schedule of section 4",
        "lhs": forward_variance,
        "rhs": one_minus_alpha_bar,
        "domain": {"t": "integer [1, 1000]"},
        "examples": 100,
    },
    {
        "id": "ddpm.linear-schedule.exp-approximation",
        "statement": "1 − ᾱ_t = 1 − exp(−Σ_{s≤t} β_s)   [false as an identity: only a first-order approximation]",
        "source": "Ho et al. 2020 (arXiv:2006.11239), eq. (4), against the VP SDE of Song et al. 2021",
        "location": "eq. (4) with the schedule of section 4",
        "lhs": one_minus_alpha_bar,
        "rhs": one_minus_exp_sum,
        "domain": {"t": "integer [1, 1000]"},
        "examples": 100,
    },
    {
        "id": "ddpm.linear-schedule.exp-bound",
        "statement": "ᾱ_t ≤ exp(−Σ_{s≤t} β_s)  (1 − β ≤ e^{−β})",
        "source": "Ho et al. 2020 (arXiv:2006.11239), eq. (4)",
        "location": "eq. (4) with the schedule of section 4",
        "lhs": lambda t: 1.0 - one_minus_alpha_bar(t),
        "rhs": "exp(-Sum(1/10000 + (s - 1)*(2/100 - 1/10000)/999, (s, 1, t)))",
        "relation": "<=",
        "domain": {"t": "integer [1, 1000]"},
        "examples": 40,
    },
]
