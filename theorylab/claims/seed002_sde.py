"""Claims of seed 002 on the forward SDE's terminal law, affine-drift perturbation kernels, the probability flow of
a general diffusion, and the conditional reverse-time SDE."""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import integrate, stats

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_002, claim
from theorylab.claims.verdicts import conditional, evidence_from_identity, from_evidence
from theorylab.symbolic import general, linear_sde, reverse_sde, state_dependent
from theorylab.symbolic.result import check_identity
from theorylab.tolerances import CLOSED_FORM_RTOL, QUADRATURE_ATOL, REPRODUCTION_TV

#: The VP SDE of the seed's GMM experiment (experiments/seed002_gmm.toml; Song et al. 2021's values).
VP_BETA_MIN, VP_BETA_MAX, VP_T = 0.1, 20.0, 1.0
#: The seed's mixture 1/2 N(-3, 1/4) + 1/2 N(3, 1) (slide 'Mistura de gaussianas').
MIX_WEIGHTS, MIX_MEANS, MIX_VARS = (0.5, 0.5), (-3.0, 3.0), (0.25, 1.0)


def _vp_alpha(beta_min: float = VP_BETA_MIN, beta_max: float = VP_BETA_MAX, T: float = VP_T) -> float:
    """exp(-1/2 int_0^T beta) for the linear schedule beta(t) = beta_min + (beta_max - beta_min) t / T."""
    return float(np.exp(-0.5 * (beta_min * T + 0.5 * (beta_max - beta_min) * T)))


def mixture_terminal_kl(alpha: float) -> float:
    """KL(p_T || N(0, 1)) for the seed mixture under the VP SDE with mean factor ``alpha`` (quadrature; p_T is the
    mixture of N(alpha m_i, 1 - alpha^2 + alpha^2 v_i))."""
    comps = [(w, alpha * m, np.sqrt(1 - alpha**2 + alpha**2 * v)) for w, m, v in zip(MIX_WEIGHTS, MIX_MEANS, MIX_VARS)]

    def integrand(x: float) -> float:
        p = sum(w * stats.norm.pdf(x, m, s) for w, m, s in comps)
        return p * (np.log(p) - stats.norm.logpdf(x)) if p > 0 else 0.0

    value, err = integrate.quad(integrand, -12.0, 12.0, points=[m for _, m, _ in comps], epsabs=QUADRATURE_ATOL,
                                epsrel=CLOSED_FORM_RTOL, limit=400)
    if err > QUADRATURE_ATOL + CLOSED_FORM_RTOL * abs(value):
        raise ArithmeticError(f"quadrature error {err} above {QUADRATURE_ATOL}")
    return float(value)


@claim(
    "002.sde.terminal-prior",
    source=SEED_002,
    location="Perturbando os dados com SDEs",
    statement=r"\text{construir um processo de difusão } \{x(t)\}_{t=0}^T \text{ de modo que } x_0 \sim p_0 "
    r"\text{ e } x_T \sim p_T \text{, onde } p_T \text{ é uma distribuição a priori}",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain="any data law p_0, the VP (or any) forward SDE on a finite horizon T",
)
def terminal_prior():
    """p_T, the law of x(T), depends on p_0 for every finite T: for the VP SDE and p_0 = N(mu, s^2),
    p_T = N(alpha mu, 1 - alpha^2 + alpha^2 s^2), alpha = exp(-1/2 int_0^T beta) > 0, whose KL to N(0, 1) is > 0
    unless p_0 = N(0, 1). It tends to the prior as int beta -> oo (sympy limit), and at the seed's VP
    (beta 0.1 -> 20, T = 1) the seed mixture's p_T is within KL 1e-4 of N(0, 1) (quadrature): sampling x(T) from
    the prior is an approximation (the one 000.ancestral.prior-approximation also names)."""
    kl = linear_sde.vp_terminal_kl()
    alpha, mu, s = kl.args
    a_seed = _vp_alpha()
    witness = float(kl(a_seed, 3.0, 1.0))
    mix = mixture_terminal_kl(a_seed)
    limit = sp.limit(kl.expr, alpha, 0, "+")
    as_written = [Evidence(
        EvidenceKind.COUNTEREXAMPLE,
        f"VP (beta 0.1 -> 20, T = 1; alpha = {a_seed:.4g}), p_0 = N(3, 1): KL(p_T || N(0,1)) = {witness:.3g} > 0; "
        f"d/dmu of the mean of p_T = alpha != 0: p_T depends on p_0",
        witness == 0.0, {"alpha": a_seed, "kl": witness}, scope="VP, p_0 = N(3, 1), T = 1")]
    restricted = [
        evidence_from_identity(check_identity(limit, sp.Integer(0)),
                               "lim_{alpha -> 0} KL(N(alpha mu, 1 - alpha^2 + alpha^2 s^2) || N(0, 1)) vs 0",
                               scope="VP, p_0 = N(mu, s^2), int_0^T beta -> infinity"),
        Evidence(EvidenceKind.EXACT_NUMBER,
                 f"seed mixture, seed VP: KL(p_T || N(0,1)) = {mix:.3g}, so TV <= sqrt(KL/2) = {np.sqrt(mix / 2):.3g} "
                 f"(Pinsker) <= {REPRODUCTION_TV} (the GMM reproduction's TV tolerance)",
                 bool(np.sqrt(mix / 2) <= REPRODUCTION_TV), {"kl": mix, "tv_bound": float(np.sqrt(mix / 2))},
                 scope="the seed mixture, VP beta 0.1 -> 20, T = 1"),
    ]
    return conditional(as_written, restricted,
                       "p_T approximates the prior (KL -> 0 as int_0^T beta -> infinity); the sampler starts from the "
                       "prior, not from p_T")


AFFINE = "any affine drift f(x, t) = A(t)x + b(t) and diffusion g(t), any d, x(0) fixed"


@claim(
    "002.kernels.affine-gaussian",
    source=SEED_002,
    location="SMLD e DDPM como discretizações de SDEs",
    statement=r"\text{Coeficientes de drift afins levam a kernels de perturbação } p_{0t}(x(t)|x(0)) "
    r"\text{ gaussianos}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=AFFINE,
)
def affine_gaussian():
    """N(m(t), v(t)) with m' = a m + b, v' = 2 a v + g^2 solves the Fokker-Planck equation of
    dx = (a(t)x + b(t))dt + g(t)dW for general functions a, b, g (d = 1), and N(m, P) with m' = Am + b,
    P' = AP + PA^T + g^2 I for a general 2x2 A(t) (d = 2); with its initial condition (a point mass at x(0)) and
    the uniqueness of the Fokker-Planck solution, the kernel is Gaussian. With a cubic drift the same ansatz fails
    (tests)."""
    return from_evidence([
        evidence_from_identity(linear_sde.check_affine_gaussian_kernel(1), "FP residual of N(m, v), a(t)x + b(t)",
                               scope="d = 1, general a(t), b(t), g(t)"),
        evidence_from_identity(linear_sde.check_affine_gaussian_kernel(2), "FP residual of N(m, P), A(t)x + b(t)",
                               scope="d = 2, general A(t) (2x2), b(t), g(t)"),
    ])


EVERY_DIFFUSION = "any diffusion dx = f(x, t)dt + G(x, t)dW on R^d with C^2 positive marginals p_t"


@claim(
    "002.sde.flow-every-diffusion",
    source=SEED_002,
    location="Fluxo de probabilidade e ODEs neurais",
    statement=r"\text{Para todo processo de difusão, existe um processo determinístico cujas trajetórias compartilham "
    r"a mesma densidade de probabilidade marginal } \{p_t(x)\}_{t=0}^T \text{ com a SDE}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=EVERY_DIFFUSION,
)
def flow_every_diffusion():
    """Existence by construction: the velocity v = f - 1/2 div(G G^T p)/p = f - 1/2 div(GG^T) - 1/2 GG^T grad log p
    (Song et al. 2021, eq. (D.1)-(D.3)) makes p_t solve the continuity equation, for general f, G(x, t), p
    (d = 1, 2; sympy). The slide's formula f - 1/2 g(..) grad log p is the state-independent case (its g vs g^2
    slip is 002.sde.probability-flow); with G depending on x the term -1/2 div(GG^T) is needed (the copy without it
    fails: tests)."""
    return from_evidence([
        evidence_from_identity(state_dependent.check_flow_state_dependent(d, "divergence"),
                               f"continuity equation of f - 1/2 div(Sigma p)/p, general f, Sigma, p, d = {d}",
                               scope=f"marginals, general f(x, t), Sigma(x, t) = GG^T, p, d = {d}")
        for d in (1, 2)
    ])


CONDITIONAL = "any forward SDE dx = f dt + g(t)dW, any class-conditional data law p_0(x|y) (marginals)"


@claim(
    "002.conditional.reverse-sde",
    source=SEED_002,
    location="Geração Condicional",
    statement=r"\text{amostramos de uma classe específica usando a SDE } dx = \{f(x,t) - g(t)^2[\nabla_x\log "
    r"p_t(x|y)]\}dt + g(t)d\bar W",
    evidence=EvidenceKind.SYMBOLIC,
    domain=CONDITIONAL,
)
def conditional_reverse_sde():
    """The forward noise does not see the label (x_t and y are independent given x_0), so p_t(.|y) is the forward
    SDE's marginal started from p_0(.|y): for Gaussian class conditionals it solves the forward Fokker-Planck
    equation (OU, sympy; VP in 002.sde.reverse). Then Song et al.'s backward-time SDE (the slide's form, dt < 0 and W-bar running
    from T to 0) with the conditional score has marginals p_t(.|y) for any density solving that equation (general
    f, g, p; d = 1): it ends at p_0(.|y). Marginals only; proved for Gaussian class conditionals, the step from
    p_0(.|y) to p_t(.|y) for general class conditionals is the linearity of the equation (not derived here)."""
    evidence = [
        evidence_from_identity(reverse_sde.check_fokker_planck(name),
                               f"{name}: p_t(.|y) for p_0(.|y) = N(mu_y, v_y) solves the forward Fokker-Planck",
                               scope=f"{name}, Gaussian class conditional p_0(.|y), d = 1")
        for name in ("ou",)
    ]
    evidence += [
        evidence_from_identity(reverse_sde.check_reverse_sde(name, "song-backward"),
                               f"{name}: Song et al.'s backward-time form with the conditional score",
                               scope=f"{name}, Gaussian class conditional p_0(.|y), d = 1")
        for name in ("ou",)
    ]
    evidence.append(evidence_from_identity(general.check_fokker_planck_general("time-reversal", 1),
                                           "time reversal for any p_t solving the forward equation (general f, g, p)",
                                           scope="any density p_t(.|y) solving the forward equation, d = 1"))
    return from_evidence(evidence)
