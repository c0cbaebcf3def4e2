"""Conforti, Durmus & Gentiloni Silveri (2023): KL without a Lipschitz score, as data.

Source: G. Conforti, A. Durmus, M. Gentiloni Silveri, "KL Convergence Guarantees for Score diffusion models under
minimal data assumptions" (arXiv:2308.12240; SIAM J. Math. Data Sci. 2025). Read in this session: the abstract
(fixed step size, OU forward process, "sharp convergence bounds in KL applicable to any data distribution with
finite Fisher information with respect to the standard Gaussian distribution", no Lipschitz assumption on the score
or its estimator). **Not read**: the theorem's text. Structure recalled from the paper (constant step :math:`h`,
exponential integrator, :math:`L^2` score error, no early stopping):

.. math:: KL(\\pi\\,\\|\\,\\hat q) \\lesssim KL(\\pi\\,\\|\\,\\gamma_d)e^{-2T} + T\\varepsilon^2
          + h\\,(d + I(\\pi\\,|\\,\\gamma_d)),

:math:`I(\\pi|\\gamma_d) = E_\\pi\\|\\nabla\\log\\pi + x\\|^2` the relative Fisher information (computed:
:func:`~theorylab.bounds.theorems.assumptions.fisher_check`). The mixing rate :math:`e^{-2T}` is the OU
semigroup's KL contraction (log-Sobolev constant 1 of :math:`\\gamma_d`); the exact exponent in the paper was not
verified. Rates used for the comparison: :math:`h^1`, :math:`d^1`, :math:`\\varepsilon^2`. One constant, fitted.
"""

from __future__ import annotations

import numpy as np

from theorylab.bounds.theorems.assumptions import fisher_check
from theorylab.bounds.theorems.base import Assumption, Constant, Term, Theorem

__all__ = ["THEOREM"]

THEOREM = Theorem(
    key="conforti2023",
    citation="Conforti, Durmus, Gentiloni Silveri, 'KL convergence guarantees for score diffusion models under "
             "minimal data assumptions', arXiv:2308.12240 (SIAM J. Math. Data Sci. 2025)",
    where="main theorem for the OU SGM with constant step (number not verified)",
    statement="KL(pi || q_hat) <~ KL(pi || N(0, I)) e^(-2T) + T eps^2 + h (d + I(pi | N(0, I)))",
    statement_source="recalled: abstract read (finite relative Fisher information only, fixed step); theorem text "
                     "not read",
    divergence="kl",
    compared_with="KL(pi || output)",
    sampler="exponential-integrator",
    error_notion="L2",
    grid="constant",
    assumptions=(Assumption("finite relative Fisher information", "I(pi | N(0, I)) < infinity", fisher_check),),
    terms=(
        Term("mixing", "KL(pi || N(0, I)) e^(-2T)", lambda q: q["kl_prior"] * np.exp(-2.0 * q["T"])),
        Term("score", "T eps^2", lambda q: q["T"] * q["eps"] ** 2),
        Term("discretisation", "h (d + I)", lambda q: q["h"] * (q["d"] + q["fisher"])),
    ),
    constants=(Constant("c", None, "fitted", "absolute constant hidden in <~"),),
    exponents={"h": 1.0, "T": 0.0, "d": 1.0, "eps": 2.0},
    shared_constant=True,
)
