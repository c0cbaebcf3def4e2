"""Li, Wei, Chi & Chen (2024): the probability-flow ODE sampler in total variation, as data.

Source: G. Li, Y. Wei, Y. Chi, Y. Chen, "A Sharp Convergence Theory for The Probability Flow ODEs of Diffusion
Models" (arXiv:2408.02320). Read in this session: the abstract ("for distributions in :math:`\\mathbb R^d`, we prove
that :math:`d/\\varepsilon` iterations -- modulo some logarithmic and lower-order terms -- are sufficient to
approximate the target distribution to within :math:`\\varepsilon` total-variation distance", :math:`\\ell_2`-accurate
scores *and* Jacobians of the scores). **Not read**: the theorem's text. The form used:

.. math:: TV(\\pi, \\hat q) \\lesssim \\frac{d\\log^{c} N}{N} + \\sqrt d\\,\\varepsilon_{score}\\log N
          + d\\,\\varepsilon_{Jacobian}\\log N,

with the logarithmic powers not verified (taken as 1 here: they change the fitted constant, not the rates in
:math:`N` and :math:`d` the atlas compares). Sampler: the paper's discrete-time update is an Euler-type step of the
probability-flow ODE in the DDPM parameterisation; the registry's closest scheme is ``pf-ode-euler`` (Euler on the
OU probability-flow ODE, the same first-order method on a different time parameterisation); the mismatch is stated
in the report. The score errors of the atlas are constant biases: their Jacobian error is 0. One constant, fitted.
"""

from __future__ import annotations

import numpy as np

from theorylab.bounds.theorems.assumptions import second_moment_check
from theorylab.bounds.theorems.base import Assumption, Constant, Term, Theorem

__all__ = ["THEOREM"]

THEOREM = Theorem(
    key="li2024_pfode",
    citation="Li, Wei, Chi, Chen, 'A sharp convergence theory for the probability flow ODEs of diffusion models', "
             "arXiv:2408.02320",
    where="main theorem (number not verified)",
    statement="TV(pi, q_hat) <~ d log(N) / N + sqrt(d) eps log(N) + d eps_Jacobian log(N)",
    statement_source="recalled: abstract read (d/eps iterations for eps in TV); theorem text and log powers not read",
    divergence="tv",
    compared_with="TV(output, pi)",
    sampler="pf-ode-euler",
    error_notion="L2",
    grid="constant",
    assumptions=(Assumption("bounded support / moments", "polynomially bounded support or moments (the paper's "
                            "data assumption; finite second moment checked here)", second_moment_check),),
    terms=(
        Term("discretisation", "d log(N) / N", lambda q: q["d"] * np.log(np.maximum(q["N"], 2.0)) / q["N"]),
        Term("score", "sqrt(d) eps log(N)", lambda q: np.sqrt(q["d"]) * q["eps"] * np.log(np.maximum(q["N"], 2.0))),
    ),
    constants=(Constant("c", None, "fitted", "absolute constant hidden in <~"),),
    exponents={"h": 1.0, "T": None, "d": 1.0, "eps": 1.0},
    notes="'h' = T/N at fixed T, so the d/N rate is exponent 1 in h.",
    shared_constant=True,
)
