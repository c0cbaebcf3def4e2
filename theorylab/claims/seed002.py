"""Claims of seed 002 (review of score-based generative modelling with SDEs, with experiments)."""

from __future__ import annotations

import sympy as sp

from theorylab.claims.model import EvidenceKind
from theorylab.claims.registry import SEED_002, claim
from theorylab.claims.verdicts import evidence_from_identity, from_evidence, pending
from theorylab.symbolic import vp_ve
from theorylab.symbolic.result import check_identity

LOC_KERNELS = "SMLD e DDPM como discretizações de SDEs"
_S = sp.Symbol("s", nonnegative=True)


def _integral_beta():
    return sp.Integral(vp_ve.BETA(_S), (_S, 0, vp_ve.T))


@claim(
    "002.kernels.ve",
    source=SEED_002,
    location=LOC_KERNELS,
    statement=r"dx = \sqrt{d\sigma^2(t)/dt}\,dW \Rightarrow p_{0t}(x(t)|x(0)) = "
    r"\mathrm{MVN}(x(t); x(0), [\sigma^2(t) - \sigma^2(0)]I)",
    evidence=EvidenceKind.SYMBOLIC,
)
def ve_kernel():
    """Mean and variance ODEs of the VE SDE solved by dsolve for a general sigma(t)."""
    t = vp_ve.T
    return from_evidence(
        [
            evidence_from_identity(vp_ve.check_ve_variance(vp_ve.SIGMA(t) ** 2 - vp_ve.SIGMA(0) ** 2),
                                   "variance sigma^2(t) - sigma^2(0) vs dsolve"),
            evidence_from_identity(check_identity(vp_ve.ve_mean().expr, vp_ve.X0), "mean x(0) vs dsolve"),
        ]
    )


@claim(
    "002.kernels.vp",
    source=SEED_002,
    location=LOC_KERNELS,
    statement=r"dx = -\tfrac12\beta(t)x\,dt + \sqrt{\beta(t)}\,dW \Rightarrow p_{0t}(x(t)|x(0)) = "
    r"\mathrm{MVN}(x(t); x(0)e^{-\int_0^t\beta(s)ds}, I - Ie^{-\int_0^t\beta(s)ds})",
    evidence=EvidenceKind.SYMBOLIC,
)
def vp_kernel():
    """Mean and variance ODEs solved by dsolve for a general beta(t); the mean as written lacks the factor 1/2."""
    slide_mean = vp_ve.X0 * sp.exp(-_integral_beta())
    slide_var = 1 - sp.exp(-_integral_beta())
    return from_evidence(
        [
            evidence_from_identity(vp_ve.check_vp_mean(slide_mean), "mean x0 exp(-int beta) vs dsolve"),
            evidence_from_identity(vp_ve.check_vp_variance(slide_var), "variance 1 - exp(-int beta) vs dsolve"),
        ],
        correction=(
            r"p_{0t}(x(t)|x(0)) = \mathrm{MVN}(x(t); x(0)e^{-\frac12\int_0^t\beta(s)ds}, I - Ie^{-\int_0^t\beta(s)ds})",
            [
                evidence_from_identity(vp_ve.check_vp_mean(vp_ve.X0 * sp.exp(-_integral_beta() / 2)),
                                       "mean x0 exp(-int beta / 2) vs dsolve"),
                evidence_from_identity(vp_ve.check_vp_variance(slide_var), "variance 1 - exp(-int beta) vs dsolve"),
            ],
        ),
    )


@claim(
    "002.kernels.discretisations",
    source=SEED_002,
    location=LOC_KERNELS,
    statement=r"\text{SMLD is a discretisation of the VE SDE; DDPM is a discretisation of the VP SDE}",
    evidence=EvidenceKind.SYMBOLIC,
)
def discretisations():
    """One step of each scheme against the exact kernel over [t, t+h], as series in h: equal to first order."""
    ddpm, smld = vp_ve.ddpm_step_match(), vp_ve.smld_step_match()
    return from_evidence(
        [
            evidence_from_identity(ddpm.mean_first_order, f"DDPM mean to O(h) (h^2 gap {ddpm.mean_h2_gap})"),
            evidence_from_identity(ddpm.var_first_order, f"DDPM variance to O(h) (h^2 gap {ddpm.var_h2_gap})"),
            evidence_from_identity(smld.var_first_order, f"SMLD variance to O(h) (h^2 gap {smld.var_h2_gap})"),
            evidence_from_identity(smld.mean_first_order, "SMLD mean to O(h)"),
        ]
    )


@claim(
    "002.sampler.predictor-corrector",
    source=SEED_002,
    location="Gerando amostras da SDE reversa (Preditor-Corretor)",
    statement=r"\text{an MCMC (Langevin) corrector after each reverse-SDE predictor step corrects the marginal law}",
    evidence=EvidenceKind.EXACT_NUMBER,
)
def predictor_corrector():
    return pending(
        "needs the output law of the PC sampler against the predictor alone at equal steps (grid law, issue 3)"
    )


@claim(
    "002.experiments.gmm",
    source=SEED_002,
    location="Mistura de gaussianas",
    statement=r"\text{5000 points of } \tfrac12 N(-3, 1/4) + \tfrac12 N(3, 1) \text{, VP SDE, MLP score, EM sampling "
    r"reproduce the mixture}",
    evidence=EvidenceKind.EXACT_NUMBER,
)
def experiment_gmm():
    return pending("needs a learned score (DSM training) and TV/W2 of its samples to the mixture (issue 5)")


@claim(
    "002.experiments.smile",
    source=SEED_002,
    location="Sorriso",
    statement=r"\text{VP SDE, MLP score and the probability-flow ODE reproduce the 'smile' 2D data set}",
    evidence=EvidenceKind.EXACT_NUMBER,
)
def experiment_smile():
    return pending("needs a learned score and the sliced W2 of probability-flow samples to the data (issue 5)")


@claim(
    "002.experiments.digits",
    source=SEED_002,
    location="Dígitos escritos a mão, geração condicional",
    statement=r"\text{classifier guidance } \nabla\log p_t(x|y) = \nabla\log p_t(y|x) + \nabla\log p_t(x) "
    r"\text{ generates digits of a requested label}",
    evidence=EvidenceKind.EXACT_NUMBER,
)
def experiment_digits():
    return pending(
        "needs a learned score and time-dependent classifier on load_digits, and an independent classifier's "
        "accuracy on the generated digits per label (issue 5)"
    )
