"""Claims of seed 002 (review of score-based generative modelling with SDEs, with experiments)."""

from __future__ import annotations

from theorylab.claims.model import EvidenceKind
from theorylab.claims.registry import SEED_002, claim
from theorylab.claims.verdicts import pending


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
