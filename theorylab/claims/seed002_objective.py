"""Claims of seed 002 on the score-matching objective's time range, the classifier of conditional generation, and
the digits experiment's unconditional probability-flow samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp
from scipy import integrate

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_002, claim
from theorylab.claims.seed002 import reproduction
from theorylab.claims.verdicts import consistent, evidence_from_identity, from_evidence, pending
from theorylab.symbolic.result import check_identity
from theorylab.tolerances import DIGITS_BALANCE_ALPHA, QUADRATURE_ATOL


def _objective(score_error, t_low: float, t_high: float) -> float:
    """E_{t ~ U[t_low, t_high]} E_{x_t ~ p_t} ||s - grad log p_t||^2 with lambda = 1, for p_0 = N(0, 1) under OU
    (stationary: p_t = N(0, 1)) and a score error e(t) constant in x (so the inner expectation is e(t)^2)."""
    value, err = integrate.quad(lambda t: score_error(t) ** 2, t_low, t_high, points=[1.0], epsabs=QUADRATURE_ATOL)
    if err > QUADRATURE_ATOL:
        raise ArithmeticError(f"quadrature error {err} above {QUADRATURE_ATOL}")
    return value / (t_high - t_low)


@claim(
    "002.sm.time-range",
    source=SEED_002,
    location="Estimando Scores para a SDE (equação 1)",
    statement=r"\theta^\star = \arg\min_\theta\mathbb{E}_{t\sim\mathcal{U}[0,1]}[\lambda(t)\mathbb{E}_{x_t\sim p_t}"
    r"\|s_\theta(x_t,t) - \nabla\log p_t(x_t)\|^2] \text{ for the process } \{x(t)\}_{t=0}^T",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain="any horizon T of the forward process (the slides use [0, T] elsewhere)",
)
def time_range():
    """Equation (1) draws t ~ U[0, 1] while the process runs on [0, T] (and the next slide draws t uniformly on
    [0, T]): for T = 2, p_0 = N(0, 1) under OU and a network exact on [0, 1] but off by 1 on (1, 2], objective (1) is
    0 (so that network is an argmin) while the [0, T] objective is 1/2 (quadrature)."""
    T = 2.0

    def error(t: float) -> float:
        return 0.0 if t <= 1.0 else 1.0

    eq1 = _objective(error, 0.0, 1.0)
    full = _objective(error, 0.0, T)
    scope = "T = 2, p_0 = N(0, 1), OU, lambda = 1, score error 1_{t > 1}"
    return from_evidence(
        [Evidence(EvidenceKind.COUNTEREXAMPLE,
                  f"network wrong on (1, T]: objective (1) = {eq1:.3g} (minimal), objective on U[0, T] = {full:.3g}",
                  bool(full <= QUADRATURE_ATOL or eq1 > QUADRATURE_ATOL), {"objective_eq1": eq1, "objective_0T": full},
                  scope=scope)],
        correction=(r"t \sim \mathcal{U}[0, T]",
                    [Evidence(EvidenceKind.EXACT_NUMBER,
                              f"with t ~ U[0, T] the same network has loss {full:.3g} > 0 and only the exact score has "
                              f"loss {_objective(lambda t: 0.0, 0.0, T):.3g}",
                              bool(full > QUADRATURE_ATOL), {"objective_0T": full}, scope=scope)]),
    )


@claim(
    "002.conditional.cross-entropy",
    source=SEED_002,
    location="Geração Condicional",
    statement=r"\text{Treinamos um classificador que aproxima } p_t(y|x(t)) \text{ minimizando uma simples entropia "
    r"cruzada}",
    evidence=EvidenceKind.SYMBOLIC,
    domain="any finite label set, any x_t (pointwise in x_t)",
)
def cross_entropy():
    """Pointwise in x_t, the cross-entropy E[-log q(Y|x_t)] = -sum_y p_y log q_y over the simplex is minimised at
    q = p = p_t(.|x_t): the Lagrange stationarity -p_y/q_y + mu = 0 with sum q = 1 gives q_y = p_y (sympy solve, 3
    labels), and the excess loss is KL(p||q) >= 0 (Gibbs; identity proved)."""
    K = 3
    p = sp.symbols(f"p0:{K}", positive=True)
    q = sp.symbols(f"q0:{K}", positive=True)
    mu = sp.Symbol("mu")
    constraint = {p[-1]: 1 - sum(p[:-1])}
    lagrangian = -sum(pi * sp.log(qi) for pi, qi in zip(p, q)) + mu * (sum(q) - 1)
    eqs = [sp.diff(lagrangian, v) for v in (*q, mu)]
    sol = sp.solve([e.subs(constraint) for e in eqs], (*q, mu), dict=True)
    found = len(sol) == 1 and all(sp.simplify(sol[0][qi] - pi.subs(constraint)) == 0 for qi, pi in zip(q, p))
    excess = -sum(pi * sp.log(qi) for pi, qi in zip(p, q)) + sum(pi * sp.log(pi) for pi in p)
    kl = sum(pi * sp.log(pi / qi) for pi, qi in zip(p, q))
    scope = f"{K} labels, pointwise in x_t"
    return from_evidence([
        Evidence(EvidenceKind.SYMBOLIC, f"Lagrange stationary point on the simplex: {sol}", bool(found),
                 {"solutions": str(sol)}, scope=scope),
        evidence_from_identity(check_identity(excess, kl), "cross-entropy excess over its value at q = p vs KL(p||q)",
                               scope=scope),
    ])


@claim(
    "002.experiments.digits-pf-ode",
    source=SEED_002,
    location="Dígitos escritos a mão",
    statement=r"\text{Por fim, amostramos usando a EDO de fluxo (figura 9: amostra gerada de números escritos a mão)}",
    evidence=EvidenceKind.EXACT_NUMBER,
    domain="the seed's digits experiment, unconditional probability-flow ODE samples",
)
def digits_pf_ode(reports: Path = Path("reports")):
    """From ``reports/learning/seed002_digits/result.json``: the independent judge's label frequencies of the
    unconditional probability-flow samples against the data's label frequencies (chi-square goodness of fit); a
    p-value below DIGITS_BALANCE_ALPHA would refute 'digits like the data's'. Not rejecting is consistent, not proof:
    the judge labels every image, digit-like or not."""
    result, where = reproduction("seed002_digits", reports)
    if result is None:
        return pending(where)
    pf = result.get("unconditional", {}).get("pf-ode")
    if pf is None:
        return pending(f"{where} has no unconditional probability-flow samples: run `theorylab experiment "
                       "experiments/seed002_digits.toml`")
    pvalue = float(pf["chi2_pvalue"])
    outside = float(pf["pixels_outside_range"])
    fractions = {k: v["value"] for k, v in pf["fractions"].items()}
    return consistent([Evidence(
        EvidenceKind.EXACT_NUMBER,
        f"{pf['n']} PF-ODE digits: judge label frequencies vs data, chi-square p = {pvalue:.3f} (refuted below "
        f"{DIGITS_BALANCE_ALPHA}); pixels outside [0, 1]: {outside:.3f}",
        bool(pvalue >= DIGITS_BALANCE_ALPHA),
        {"source": where, "chi2_pvalue": pvalue, "fractions": fractions, "data_fractions": pf["data_fractions"],
         "pixels_outside_range": outside, "profile": result["profile"]},
        scope=f"the seed's digits experiment, {result['profile']} profile, {pf['n']} unconditional PF-ODE samples")],
        why="label balance could have refuted it and did not; digit quality itself is not measured by this check")
