"""De Bortoli, Thornton, Heng & Doucet (2021), the seed's theorem, as data.

Source: V. De Bortoli, J. Thornton, J. Heng, A. Doucet, "Diffusion Schrödinger Bridge with Applications to
Score-Based Generative Modeling", NeurIPS 2021 (arXiv:2106.01357), **Theorem 1** (Section 2). Seed 000 cites it as
"De Bortoli et al. (2021a)", but its bibliography's 2021a is *Simulating diffusion bridges with score matching*
(arXiv:2111.07243), a different paper; the theorem with :math:`B e^{-T} + C(M + \\gamma^{1/2})e^{DT}` is the
Diffusion Schrödinger Bridge paper, the seed's **2021b**.

Statement (seed 000, slide 'Convergencia de modelos de difusión', which matches the paper's Theorem 1): if
:math:`\\|s_{\\theta^*}(t, x) - \\nabla\\log p_t(x)\\| \\le M` for all :math:`t \\in [0, T]`, :math:`x`, with
:math:`s_{\\theta^*}` continuous and regularity conditions on the density of :math:`\\pi`, then there are
:math:`B, C, D \\ge 0` such that for every :math:`N` and steps :math:`\\{\\gamma_k\\}`

.. math:: \\|\\mathcal L(Y_N) - \\pi\\|_{TV} \\le B e^{-T} + C(M + \\gamma^{1/2}) e^{DT}, \\qquad T = N\\gamma.

Sampler: the Euler--Maruyama discretisation of the reverse SDE, :math:`Y_{k+1} = Y_k + \\gamma(Y_k + 2 s(T - k\\gamma,
Y_k)) + \\sqrt{2\\gamma}Z` (``reverse-em``). Constants: **existence only** -- :math:`B, C` fitted
(:func:`~theorylab.bounds.theorems.base.fit_constants`) and :math:`D` chosen on a grid (``scan``); they may depend
on :math:`\\pi` and :math:`d`. The paper's TV may be :math:`\\|\\cdot\\|_{TV} = 2\\sup_A|P(A) - Q(A)|`; a factor 2
is absorbed in the fitted constants. ``statement_source``: the statement is the seed's slide (read); the paper's own
text was not read in this session (its arXiv page was not among the stored pages).
"""

from __future__ import annotations

import numpy as np

from theorylab.bounds.theorems.assumptions import lipschitz_check, second_moment_check
from theorylab.bounds.theorems.base import Assumption, Constant, Term, Theorem

__all__ = ["THEOREM"]

THEOREM = Theorem(
    key="debortoli2021",
    citation="De Bortoli, Thornton, Heng, Doucet, 'Diffusion Schrödinger Bridge ...', NeurIPS 2021, "
             "arXiv:2106.01357 (seed 000's '2021a'; its bibliography's 2021b)",
    where="Theorem 1",
    statement="||L(Y_N) - pi||_TV <= B exp(-T) + C (M + gamma^(1/2)) exp(D T), T = N gamma; B, C, D >= 0 exist",
    statement_source="read: seed 000 slide (the paper's Theorem 1 as quoted there); paper text not read",
    divergence="tv",
    compared_with="TV(output, pi)",
    sampler="reverse-em",
    error_notion="sup",
    grid="constant",
    assumptions=(
        Assumption("regular density", "the density of pi and its gradients are regular (Lipschitz score)",
                   lipschitz_check),
        Assumption("moments", "pi has finite moments (implied by the regularity conditions)", second_moment_check),
    ),
    terms=(
        Term("mixing", "exp(-T)", lambda q: np.exp(-q["T"])),
        Term("approximation", "(M + h^(1/2)) exp(D T)", lambda q: (q["M"] + np.sqrt(q["h"])) * np.exp(q["D"] * q["T"])),
    ),
    constants=(
        Constant("B", None, "fitted", "exists (Theorem 1); fitted: smallest LP mean ratio"),
        Constant("C", None, "fitted", "exists (Theorem 1); fitted jointly with B"),
    ),
    exponents={"h": 0.5, "eps": 1.0, "T": None, "d": None},
    notes="D is scanned on [0, 2]; the exponential growth in T is the term later works replace by polynomials.",
    scan={"D": tuple(np.round(np.linspace(0.0, 2.0, 41), 10))},
)
