"""Chen, Chewi, Li, Li, Salim & Zhang (2023), Theorem 2, as data (the form of :mod:`theorylab.bounds.chen`).

Source: S. Chen, S. Chewi, J. Li, Y. Li, A. Salim, A. R. Zhang, "Sampling is as easy as learning the score: theory
for diffusion models with minimal data assumptions", ICLR 2023 (arXiv:2209.11215), **Theorem 2**:

.. math:: TV(p_T, q) \\lesssim \\sqrt{KL(q\\,\\|\\,\\gamma_d)}\\,e^{-T} + (L\\sqrt{dh} + L m_2 h)\\sqrt T
          + \\varepsilon_{score}\\sqrt T,

under Assumption 1 (every :math:`\\nabla\\log q_t` :math:`L`-Lipschitz, :math:`L \\ge 1`), Assumption 2
(:math:`m_2^2 = E\\|X\\|^2 < \\infty`), Assumption 3 (:math:`E_{q_{kh}}\\|s_{kh} - \\nabla\\log q_{kh}\\|^2 \\le
\\varepsilon_{score}^2`, an :math:`L^2` error) and :math:`h \\lesssim 1/L`. Sampler: the exponential integrator
(the paper's eq. 2.4; ``exponential-integrator`` here), not plain Euler--Maruyama. :math:`\\lesssim` hides one
absolute constant: **one** constant is fitted (``shared_constant``). ``statement_source``: read (the statement of
:mod:`theorylab.bounds.chen`, checked against the paper by the session that wrote that module).
"""

from __future__ import annotations

import numpy as np

from theorylab.bounds.chen import CHEN_NOTE
from theorylab.bounds.theorems.assumptions import kl_prior_check, lipschitz_check, second_moment_check
from theorylab.bounds.theorems.base import Assumption, Constant, Term, Theorem

__all__ = ["THEOREM"]

THEOREM = Theorem(
    key="chen2023",
    citation="Chen, Chewi, Li, Li, Salim, Zhang, 'Sampling is as easy as learning the score', ICLR 2023, "
             "arXiv:2209.11215",
    where="Theorem 2",
    statement="TV(p_T, q) <~ sqrt(KL(q || N(0, I))) e^(-T) + (L sqrt(d h) + L m2 h) sqrt(T) + eps sqrt(T)",
    statement_source="read (as in theorylab.bounds.chen)",
    divergence="tv",
    compared_with="TV(output, pi)",
    sampler="exponential-integrator",
    error_notion="L2",
    grid="constant",
    assumptions=(
        Assumption("Assumption 1", "grad log q_t is L-Lipschitz for all t (L >= 1)", lipschitz_check),
        Assumption("Assumption 2", "m2^2 = E||X||^2 < infinity", second_moment_check),
        Assumption("KL to the prior", "KL(q || N(0, I)) < infinity (enters the mixing term)", kl_prior_check),
    ),
    terms=(
        Term("mixing", "sqrt(KL) e^(-T)", lambda q: np.sqrt(q["kl_prior"]) * np.exp(-q["T"])),
        Term("discretisation", "(L sqrt(d h) + L m2 h) sqrt(T)",
             lambda q: (np.maximum(q["L"], 1.0) * (np.sqrt(q["d"] * q["h"]) + q["m2"] * q["h"])) * np.sqrt(q["T"])),
        Term("score", "eps sqrt(T)", lambda q: q["eps"] * np.sqrt(q["T"])),
    ),
    constants=(Constant("c", None, "fitted", "the absolute constant hidden in <~ (not given by the paper)"),),
    exponents={"h": 0.5, "T": 0.5, "d": 0.5, "eps": 1.0},
    notes=CHEN_NOTE,
    shared_constant=True,
)
