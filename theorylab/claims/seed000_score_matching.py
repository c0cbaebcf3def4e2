"""Claims of seed 000, slides 'Score-matching', 'Score matching', 'Denoising Score matching' and 'Implicit Score
matching' (Tweedie/Efron, the L2 characterisation of conditional expectation, DSM and ISM)."""

from __future__ import annotations

from theorylab.claims.model import EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import evidence_from_identity, from_evidence
from theorylab.symbolic import score_matching as sm


@claim(
    "000.sm.tweedie",
    source=SEED_000,
    location="Score-matching",
    statement=r"\nabla\log p_k(x_k) = \int \nabla\log p_{k|0}(x_k|x_0)\,p_{0|k}(x_0|x_k)\,dx_0 = "
    r"\mathbb{E}_{p_{0|k}(\cdot|x_k)}[\nabla\log p_{k|0}(x_k|X_0)]",
    evidence=EvidenceKind.SYMBOLIC,
)
def tweedie():
    """Both sides computed in closed form for a Gaussian and a two-component Gaussian-mixture p_0."""
    return from_evidence([evidence_from_identity(sm.check_tweedie(t), f"p_0 {t}") for t in ("gaussian", "mixture")])


@claim(
    "000.sm.conditional-expectation",
    source=SEED_000,
    location="Score matching",
    statement=r"Y = \mathbb{E}[X|U] \iff Y = f(U),\ f = \arg\min\{\mathbb{E}\|X - f(U)\|^2 : f \in L^2(U)\}",
    evidence=EvidenceKind.SYMBOLIC,
)
def conditional_expectation():
    """On a bivariate Gaussian (where E[X|U] is affine): the normal equations of the affine least-squares problem
    give exactly the conditional mean."""
    return from_evidence([evidence_from_identity(sm.check_conditional_expectation_affine(),
                                                 "affine L2 minimiser vs E[X|U] (bivariate Gaussian)")])


@claim(
    "000.sm.dsm-minimiser",
    source=SEED_000,
    location="Score matching; Denoising Score matching",
    statement=r"\nabla\log p_k = \arg\min\{\mathbb{E}\|f(X_k) - \nabla\log p_{k|0}(X_k|X_0)\|^2 : f \in L^2(p_k)\}",
    evidence=EvidenceKind.SYMBOLIC,
)
def dsm_minimiser():
    """Over affine models for a Gaussian p_0 (whose score is affine): the DSM minimiser is the exact score."""
    return from_evidence([evidence_from_identity(sm.check_affine_minimiser_is_score("dsm"),
                                                 "argmin DSM over f = a x + b vs grad log p_k")])


@claim(
    "000.sm.ism-identity",
    source=SEED_000,
    location="Implicit Score matching",
    statement=r"\mathbb{E}\|f(X_k) - \nabla\log p_{k|0}(X_k|X_0)\|^2 = \mathbb{E}[\|f(X_k)\|^2 + 2\,\mathrm{div} f(X_k)] "
    r"+ \mathbb{E}\|\nabla\log p_{k|0}(X_k|X_0)\|^2",
    evidence=EvidenceKind.SYMBOLIC,
)
def ism_identity():
    """DSM(f) - E[f^2 + 2 f'] in closed form for affine f and Gaussian p_0: independent of f, equal to
    E|grad log p_{k|0}|^2 = 1/sigma_k^2."""
    return from_evidence([evidence_from_identity(sm.check_ism_equivalence("full"),
                                                 "DSM - ISM(full) vs 1/sigma^2, for all a, b")])


@claim(
    "000.sm.ism-minimiser",
    source=SEED_000,
    location="Implicit Score matching; ¿Cómo hacemos este Score-Matching?",
    statement=r"\nabla\log p_k = \arg\min\{\mathbb{E}[\tfrac12\|f(X_k)\|^2 + \mathrm{div} f(X_k)] : f\in L^2(p_k)\}",
    evidence=EvidenceKind.SYMBOLIC,
)
def ism_minimiser():
    """The half-ISM objective is half the ISM one, so both have the DSM minimiser: checked over affine models."""
    return from_evidence(
        [
            evidence_from_identity(sm.check_affine_minimiser_is_score("ism_half"), "argmin E[f^2/2 + f'] vs score"),
            evidence_from_identity(sm.check_ism_equivalence("half"), "DSM - 2 ISM(half) is independent of f"),
        ]
    )
