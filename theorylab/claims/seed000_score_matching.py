"""Claims of seed 000, slides 'Score-matching', 'Score matching', 'Denoising Score matching' and 'Implicit Score
matching' (Tweedie/Efron, the L2 characterisation of conditional expectation, DSM and ISM).

Each claim is proved for the general statement where sympy can carry the argument on undefined functions
(:mod:`theorylab.symbolic.general`); the closed-form Gaussian/affine computations are kept as worked cases, with
their own (smaller) scope.
"""

from __future__ import annotations

import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import evidence_from_identity, from_evidence
from theorylab.symbolic import general
from theorylab.symbolic import score_matching as sm

#: Stated domains and scopes. The slides state no regularity; the general proofs need differentiation under the
#: integral (Tweedie) and vanishing boundary terms (ISM), named in the scopes.
ANY_P0 = "any density p_0 on R^d and any positive differentiable transition density (differentiation under the integral)"
L2 = "any X in L^2 and any random variable U (conditional expectation as a projection)"
DSM_DOMAIN = "any p_0 on R^d, f in L^2(p_k)"
ISM_PARTS = "differentiable f with f(x) p_{k|0}(x|x_0) -> 0 as |x| -> infinity, any p_0 (integration by parts)"
ISM_DOMAIN = "f in L^2(p_k) (as stated), any p_0"
GAUSS_AFFINE = "p_0 = N(mu, s^2), affine f(x) = a x + b, d = 1"


def _tweedie_general() -> Evidence:
    return evidence_from_identity(general.check_tweedie_general(),
                                  "d/dx log int K p_0 (Leibniz) vs int (d/dx log K) K p_0: integrands", scope=ANY_P0)


def _projection_general() -> Evidence:
    return evidence_from_identity(general.check_projection(),
                                  "E[|X-f|^2 - |X-m|^2 - |m-f|^2 | U] with m = E[X|U] (tower property)", scope=L2)


def _parts_general() -> Evidence:
    return evidence_from_identity(general.check_integration_by_parts(2),
                                  "<f, grad p> = div(f p) - p div f (d = 2, general f, p)", scope=ISM_PARTS)


def _dsm_minimiser_general(domain: str) -> Evidence:
    """The conjunction of projection and Tweedie: the DSM minimiser over L^2(p_k) is grad log p_k."""
    projection, tweedie_step = _projection_general(), _tweedie_general()
    return Evidence(EvidenceKind.SYMBOLIC,
                    "argmin_f E|f(X_k) - G|^2 = E[G|X_k] (projection) = grad log p_k(X_k) (Tweedie), "
                    "G = grad log p_{k|0}(X_k|X_0), E|G|^2 = d/sigma_k^2 < infinity",
                    projection.supports and tweedie_step.supports,
                    {"projection": projection.summary, "tweedie": tweedie_step.summary}, scope=domain)


@claim(
    "000.sm.tweedie",
    source=SEED_000,
    location="Score-matching",
    statement=r"\nabla\log p_k(x_k) = \int \nabla\log p_{k|0}(x_k|x_0)\,p_{0|k}(x_0|x_k)\,dx_0 = "
    r"\mathbb{E}_{p_{0|k}(\cdot|x_k)}[\nabla\log p_{k|0}(x_k|X_0)]",
    evidence=EvidenceKind.SYMBOLIC,
    domain=ANY_P0,
)
def tweedie():
    """For any p_0 and any kernel: d/dx log p_k = (int d/dx K p_0)/p_k (Leibniz rule) and d/dx K = K d/dx log K,
    then Bayes p_{0|k} = K p_0/p_k. Both sides also in closed form for a Gaussian and a two-component mixture p_0."""
    return from_evidence([_tweedie_general()] + [
        evidence_from_identity(sm.check_tweedie(t), f"p_0 {t}", scope=f"p_0 {t}, Gaussian EM-chain kernel, d = 1")
        for t in ("gaussian", "mixture")])


@claim(
    "000.sm.conditional-expectation",
    source=SEED_000,
    location="Score matching",
    statement=r"Y = \mathbb{E}[X|U] \iff Y = f(U),\ f = \arg\min\{\mathbb{E}\|X - f(U)\|^2 : f \in L^2(U)\}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=L2,
)
def conditional_expectation():
    """For any X in L^2: E|X - f(U)|^2 = E|X - E[X|U]|^2 + E|E[X|U] - f(U)|^2 (the cross term vanishes by the tower
    property), so the minimiser over L^2(U) is E[X|U], unique a.s. Worked case: a bivariate Gaussian, where the
    affine least-squares solution is the conditional mean."""
    return from_evidence([
        _projection_general(),
        evidence_from_identity(sm.check_conditional_expectation_affine(),
                               "affine L2 minimiser vs E[X|U] (bivariate Gaussian)", scope="(X, U) bivariate Gaussian"),
    ])


@claim(
    "000.sm.dsm-minimiser",
    source=SEED_000,
    location="Score matching; Denoising Score matching",
    statement=r"\nabla\log p_k = \arg\min\{\mathbb{E}\|f(X_k) - \nabla\log p_{k|0}(X_k|X_0)\|^2 : f \in L^2(p_k)\}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=DSM_DOMAIN,
)
def dsm_minimiser():
    """General: with G = grad log p_{k|0}(X_k|X_0) (in L^2) and U = X_k, the projection argument gives
    argmin = E[G | X_k], which is grad log p_k(X_k) by Tweedie (both proved for any p_0). Worked case: affine models
    and a Gaussian p_0."""
    return from_evidence([
        _dsm_minimiser_general(DSM_DOMAIN),
        _projection_general(),
        _tweedie_general(),
        evidence_from_identity(sm.check_affine_minimiser_is_score("dsm"), "argmin DSM over f = a x + b vs grad log p_k",
                               scope=GAUSS_AFFINE),
    ])


@claim(
    "000.sm.ism-identity",
    source=SEED_000,
    location="Implicit Score matching",
    statement=r"\mathbb{E}\|f(X_k) - \nabla\log p_{k|0}(X_k|X_0)\|^2 = \mathbb{E}[\|f(X_k)\|^2 + 2\,\mathrm{div} f(X_k)] "
    r"+ \mathbb{E}\|\nabla\log p_{k|0}(X_k|X_0)\|^2",
    evidence=EvidenceKind.SYMBOLIC,
    domain=ISM_PARTS,
)
def ism_identity():
    """The slide's derivation for general f and p_0: E[<f, grad log p_{k|0}> | X_0] = int <f, grad p_{k|0}> =
    -E[div f | X_0] by integration by parts (the boundary term vanishes under the decay the slide uses implicitly).
    Worked case: DSM(f) - E[f^2 + 2 f'] in closed form for affine f and Gaussian p_0 equals 1/sigma_k^2."""
    return from_evidence([
        _parts_general(),
        evidence_from_identity(sm.check_ism_equivalence("full"), "DSM - ISM(full) vs 1/sigma^2, for all a, b",
                               scope=GAUSS_AFFINE),
    ])


@claim(
    "000.sm.ism-minimiser",
    source=SEED_000,
    location="Implicit Score matching; ¿Cómo hacemos este Score-Matching?",
    statement=r"\nabla\log p_k = \arg\min\{\mathbb{E}[\tfrac12\|f(X_k)\|^2 + \mathrm{div} f(X_k)] : f\in L^2(p_k)\}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=ISM_DOMAIN,
)
def ism_minimiser():
    """ISM_half(f) = (DSM(f) - E|G|^2)/2 by the ISM identity, so its minimiser is the DSM minimiser grad log p_k:
    proved for differentiable f with the boundary decay. As written the class is L^2(p_k), on which div f is not
    defined (f = sign(x) is in L^2): the proof covers the sub-class where the objective exists, hence
    proved-special-case. Worked case: affine models, Gaussian p_0."""
    general_step = _dsm_minimiser_general(ISM_PARTS)
    parts = _parts_general()
    return from_evidence([
        Evidence(EvidenceKind.SYMBOLIC,
                 "ISM_half = (DSM - E|G|^2)/2 (integration by parts), and argmin DSM = grad log p_k "
                 "(projection + Tweedie)", general_step.supports and parts.supports,
                 {"dsm_minimiser": general_step.summary, "parts": parts.summary}, scope=ISM_PARTS),
        evidence_from_identity(sm.check_affine_minimiser_is_score("ism_half"), "argmin E[f^2/2 + f'] vs score",
                               scope=GAUSS_AFFINE),
        evidence_from_identity(sm.check_ism_equivalence("half"), "DSM - 2 ISM(half) is independent of f",
                               scope=GAUSS_AFFINE),
    ])


#: Stated domain of the integrated losses: the slide allows every weight lambda_k >= 0.
INTEGRATED = "any N >= 1, any weights lambda_k >= 0 (as stated), f(k, .) in L^2(p_k), k = 1..N"
#: Number of time indices in the symbolic check of the correction (the argument is the same for every N).
N_WEIGHTS = 6


@claim(
    "000.sm.integrated-loss-weights",
    source=SEED_000,
    location="¿Cómo hacemos este Score-Matching?",
    statement=r"\ell^{DSM}(f) = \sum_{k=1}^N \lambda_k DSM_k(f(k, \cdot)),\ \ell^{ISM}(f) = \sum_{k=1}^N \lambda_k "
    r"ISM_k(f(k, \cdot)),\ \lambda_k \geq 0;\ \text{optimizando se obtiene } s_{\theta^*}(k, \cdot) \approx "
    r"\nabla\log p_k",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain=INTEGRATED,
)
def integrated_loss_weights():
    """l(f) - min l = sum_k lambda_k E|f(k, X_k) - grad log p_k(X_k)|^2 (projection identity, per k). With a weight
    lambda_k = 0, which the slide allows, f(k, .) is arbitrary at the minimum: a minimiser need not approximate
    grad log p_k at that k. With every lambda_k > 0 each excess e_k > 0 makes the total positive (sympy, with the
    weights as positive symbols), so the minimiser is the score at every k. (Seed 002 asks lambda > 0.)"""
    free = sm.integrated_loss_free_indices([1, 0, 1])
    lambdas = sp.symbols(f"lambda1:{N_WEIGHTS + 1}", positive=True)
    free_positive = sm.integrated_loss_free_indices(lambdas)
    return from_evidence(
        [Evidence(EvidenceKind.COUNTEREXAMPLE,
                  f"N = 3, lambda = (1, 0, 1): f(k, .) unconstrained at the minimum for k in {list(free)} "
                  "(e.g. f(2, .) = grad log p_2 + 1 has the minimal loss)",
                  not free, {"weights": [1, 0, 1], "free_indices": list(free)}, scope="N = 3, lambda = (1, 0, 1)"),
         _projection_general()],
        correction=(r"\lambda_k > 0 \text{ for every } k \in \{1, \dots, N\}",
                    [_projection_general(),
                     Evidence(EvidenceKind.SYMBOLIC,
                              f"lambda_1..lambda_{N_WEIGHTS} > 0 (symbols): e_k > 0 forces sum lambda_j e_j > 0 for "
                              f"every k (sympy): free indices {list(free_positive)}",
                              not free_positive, {"free_indices": list(free_positive)},
                              scope=f"N = {N_WEIGHTS}, any positive weights (the same argument for every N)")]),
    )
