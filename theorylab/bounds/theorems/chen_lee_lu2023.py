"""Chen, Lee & Lu (2023), the :math:`L`-smooth case with uniform steps, as data.

Source: H. Chen, H. Lee, J. Lu, "Improved Analysis of Score-based Generative Modeling: User-Friendly Bounds under
Minimal Smoothness Assumptions", ICML 2023 (arXiv:2211.01916). Read in this session: the abstract ("under a score
estimate with small :math:`L^2` error (averaged across timesteps) ... approximating [a data distribution with
:math:`1/\\delta`-smooth score] in reverse KL divergence in :math:`\\epsilon`-accuracy can be done in
:math:`\\tilde O(d\\log(1/\\delta)/\\epsilon)` steps"). **Not read**: the theorem's full text. The structure used here
is recalled from the published version (the Girsanov argument of its Section 3 with uniform steps):

.. math:: KL(\\pi\\,\\|\\,\\hat q) \\lesssim (d + m_2^2)e^{-2T} + T\\varepsilon^2 + d L^2 h T,

:math:`\\varepsilon^2` the step-averaged :math:`L^2` score error (:math:`\\varepsilon_0^2 = \\sum_k h_k\\varepsilon_k^2
= T\\varepsilon^2` for a uniform error), :math:`L` the Lipschitz constant of the scores, KL in the "reverse"
direction (data first). Its rates -- linear in :math:`h` and :math:`d`, quadratic in :math:`\\varepsilon` -- agree
with the abstract's step count (KL :math:`\\sim d/N` up to logarithms). Sampler: the exponential integrator. One
absolute constant, fitted.
"""

from __future__ import annotations

import numpy as np

from theorylab.bounds.theorems.assumptions import lipschitz_check, second_moment_check
from theorylab.bounds.theorems.base import Assumption, Constant, Term, Theorem

__all__ = ["THEOREM"]

THEOREM = Theorem(
    key="chen_lee_lu2023",
    citation="Chen, Lee, Lu, 'Improved analysis of score-based generative modeling: user-friendly bounds under "
             "minimal smoothness assumptions', ICML 2023, arXiv:2211.01916",
    where="main theorem, L-smooth case with uniform steps (number not verified)",
    statement="KL(pi || q_hat) <~ (d + m2^2) e^(-2T) + T eps^2 + d L^2 h T",
    statement_source="recalled: abstract read (rate d/N in KL, L2 score error); the theorem's text not read",
    divergence="kl",
    compared_with="KL(pi || output)",
    sampler="exponential-integrator",
    error_notion="L2",
    grid="constant",
    assumptions=(
        Assumption("finite second moment", "m2^2 = E||X||^2 < infinity", second_moment_check),
        Assumption("L-smooth scores", "grad log p_t is L-Lipschitz (the smooth case without early stopping)",
                   lipschitz_check),
    ),
    terms=(
        Term("mixing", "(d + m2^2) e^(-2T)", lambda q: (q["d"] + q["m2"] ** 2) * np.exp(-2.0 * q["T"])),
        Term("score", "T eps^2", lambda q: q["T"] * q["eps"] ** 2),
        Term("discretisation", "d L^2 h T", lambda q: q["d"] * np.maximum(q["L"], 1.0) ** 2 * q["h"] * q["T"]),
    ),
    constants=(Constant("c", None, "fitted", "absolute constant hidden in <~"),),
    exponents={"h": 1.0, "T": 1.0, "d": 1.0, "eps": 2.0},
    shared_constant=True,
)
