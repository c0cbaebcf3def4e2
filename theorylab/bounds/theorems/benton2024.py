"""Benton, De Bortoli, Doucet & Deligiannidis (2024): nearly :math:`d`-linear KL bounds, as data.

Source: J. Benton, V. De Bortoli, A. Doucet, G. Deligiannidis, "Nearly :math:`d`-Linear Convergence Bounds for
Diffusion Models via Stochastic Localization", ICLR 2024 (arXiv:2308.03686). Read in this session: the abstract
("at most :math:`\\tilde O(d\\log^2(1/\\delta)/\\varepsilon^2)` steps to approximate an arbitrary distribution on
:math:`\\mathbb R^d` corrupted with Gaussian noise of variance :math:`\\delta` to within :math:`\\varepsilon^2` in KL
divergence", finite second moments only, :math:`L^2`-accurate scores). **Not read**: the text of Theorem 1; the
form below is recalled from the published version:

.. math:: KL(q_\\delta\\,\\|\\,p_{t_N}) \\lesssim \\varepsilon_{score}^2 + \\kappa^2 dN + \\kappa dT
          + (d + m_2^2)e^{-2T},

for the exponential integrator on steps :math:`h_k \\le \\kappa\\min(1, T - t_{k+1})` (exponentially shrinking
towards the data, then constant: the ``"benton"`` grid of the atlas), early stopping at forward time
:math:`\\delta`, :math:`\\varepsilon_{score}^2 = \\sum_k h_k E\\|s - \\nabla\\log q\\|^2` (here
:math:`(T - \\delta)\\varepsilon^2` for a uniform error). With :math:`N \\approx (T + \\log(1/\\delta))/\\kappa` the
discretisation terms are :math:`\\approx \\kappa d(T + \\log(1/\\delta))`: linear in :math:`\\kappa` and :math:`d`,
which is the abstract's step count. One absolute constant, fitted. The data law compared is
:math:`q_\\delta` (the OU marginal at :math:`\\delta`), not :math:`\\pi`.
"""

from __future__ import annotations

import numpy as np

from theorylab.bounds.theorems.assumptions import second_moment_check
from theorylab.bounds.theorems.base import Assumption, Constant, Term, Theorem

__all__ = ["THEOREM"]

THEOREM = Theorem(
    key="benton2024",
    citation="Benton, De Bortoli, Doucet, Deligiannidis, 'Nearly d-linear convergence bounds for diffusion models "
             "via stochastic localization', ICLR 2024, arXiv:2308.03686",
    where="Theorem 1 (number as recalled)",
    statement="KL(q_delta || p_tN) <~ eps_score^2 + kappa^2 d N + kappa d T + (d + m2^2) e^(-2T), "
              "h_k <= kappa min(1, T - t_{k+1})",
    statement_source="recalled: abstract read (d log^2(1/delta)/eps^2 steps, second moments only); theorem text "
                     "not read",
    divergence="kl",
    compared_with="KL(q_delta || output)",
    sampler="exponential-integrator",
    error_notion="L2",
    grid="benton",
    assumptions=(Assumption("finite second moment", "E||X||^2 < infinity (the only data assumption)",
                            second_moment_check),),
    terms=(
        Term("score", "eps_score^2 = (T - delta) eps^2", lambda q: (q["T"] - q["delta"]) * q["eps"] ** 2),
        Term("discretisation", "kappa^2 d N + kappa d T",
             lambda q: q["kappa"] ** 2 * q["d"] * q["N"] + q["kappa"] * q["d"] * q["T"]),
        Term("mixing", "(d + m2^2) e^(-2T)", lambda q: (q["d"] + q["m2"] ** 2) * np.exp(-2.0 * q["T"])),
    ),
    constants=(Constant("c", None, "fitted", "absolute constant hidden in <~"),),
    exponents={"h": 1.0, "T": 1.0, "d": 1.0, "eps": 2.0},
    notes="'h' here is kappa, the step parameter of the exponential-then-constant schedule.",
    shared_constant=True,
)
