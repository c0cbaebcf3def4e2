"""Claims of seed 000, slides 'Trucos para implementar DDM en la práctica' (schedules, loss weighting, EMA)."""

from __future__ import annotations

import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import convention, evidence_from_identity, from_evidence
from theorylab.symbolic import ema, schedules
from theorylab.symbolic.result import check_identity

LOC_SCHEDULE = "Ornstein-Uhlenbeck y discretización"
SCHEDULES = "any schedule gamma_k > 0 (a time change tau with tau' > 0)"
EMA_DOMAIN = "any m in (0, 1), n >= 0, any iterates theta_n (the recursion is linear)"


@claim(
    "000.practice.schedule-time-change",
    source=SEED_000,
    location=LOC_SCHEDULE,
    statement=r"\text{changing the discretisation schedule is equivalent to a time change of the OU process "
    r"followed by a fixed discretisation}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=SCHEDULES,
)
def schedule_time_change():
    """Y_u = X_tau(u) solves dY = -tau' Y du + sqrt(2 tau') dB (moments by dsolve), and the OU EM step of size
    gamma_k is the EM step of size 1/N of the time-changed SDE when tau'(u_k)/N = gamma_k."""
    evidence = [evidence_from_identity(c, f"time-changed SDE {name} vs OU at tau(u)",
                                       scope="marginal moments from X_0 = x, any tau, d = 1")
                for name, c in schedules.check_time_change().items()]
    evidence.append(evidence_from_identity(schedules.check_em_step_is_time_changed_em(),
                                           "EM step gamma_k on OU vs EM step 1/N on the time-changed SDE",
                                           scope=SCHEDULES))
    return from_evidence(evidence)


@claim(
    "000.practice.schedule-score-time",
    source=SEED_000,
    location=LOC_SCHEDULE,
    statement=r"X_k = X_{k+1} + \gamma_k\{X_{k+1} + 2 s_\theta(\textstyle\sum_{j=0}^k\gamma_j, X_{k+1})\} "
    r"+ \sqrt{2\gamma_k}Z_{k+1}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=SCHEDULES,
)
def schedule_score_time():
    """With constant steps the slide's time sum_{j<=k} gamma_j = (k+1) gamma is the forward time of p_{k+1} (the law
    of the current state X_{k+1}), while the constant-step slide ('¿Y ahora qué?') feeds k gamma, the time of p_k.
    The two slides use different conventions (one step apart; both are O(gamma)-consistent approximations)."""
    g = sp.Symbol("gamma", positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    slide_time = sp.summation(g, (j, 0, k))  # constant steps gamma_j = gamma
    domain = {g: (0.01, 0.5), k: (0, 50)}
    return convention(
        {
            "the score of p_{k+1}, the law of X_{k+1}": [evidence_from_identity(
                check_identity(slide_time, (k + 1) * g, domain=domain), "sum_{j=0}^k gamma vs (k+1) gamma",
                scope="constant steps gamma_j = gamma")],
            "the score of p_k, as on the constant-step slide and in the ancestral derivation": [evidence_from_identity(
                check_identity(slide_time, k * g, domain=domain), "sum_{j=0}^k gamma vs k gamma",
                scope="constant steps gamma_j = gamma")],
        }
    )


@claim(
    "000.practice.schedule-benefit",
    source=SEED_000,
    location=LOC_SCHEDULE,
    statement=r"\text{Intuition: larger steps are needed near the data distribution, e.g. the linear schedule } "
    r"\gamma_k = \gamma_{min} + (\gamma_{max}-\gamma_{min})(N-k)/N \text{ (larger } \gamma_k \text{ for small } k)",
    evidence=EvidenceKind.EXACT_NUMBER,
    domain="any target and N (an intuition stated without scope)",
)
def schedule_benefit():
    """Exact output laws (1D grid law, TV error ~1e-8) of reverse-EM on the seed mixture at equal N = 60 and T = 3
    with constant, linear (the slide's, larger steps near the data) and cosine (smaller steps near the data)
    schedules. The slide's reason ('we need larger steps near the data') is tested: it holds if the linear schedule
    beats the constant one."""
    from theorylab.config import validate
    from theorylab.measure import measure

    gmm = {"kind": "gmm", "weights": [0.5, 0.5], "means": [[-3.0], [3.0]], "covs": [[[0.25]], [[1.0]]]}
    tv = {}
    for kind in ("constant", "linear", "cosine"):
        cfg = validate({"target": gmm, "sampler": {"kind": "reverse-em", "T": 3.0,
                                                   "schedule": {"kind": kind, "N": 60, "gamma_min": 0.01}},
                        "metrics": {"names": ["tv"]}})
        tv[kind] = measure(cfg).estimates[0]
    better = tv["linear"].uncertainty.upper < tv["constant"].uncertainty.lower
    text = ", ".join(f"{k} {e.value:.4g} [{e.uncertainty.lower:.4g}, {e.uncertainty.upper:.4g}]" for k, e in tv.items())
    return from_evidence(
        [Evidence(EvidenceKind.EXACT_NUMBER,
                  f"seed GMM, reverse-em, N = 60, T = 3 (linear: gamma_min = 0.01, gamma_max from T): TV {text}; "
                  f"larger steps near the data {'help' if better else 'do not help'}",
                  bool(better), {k: {"tv": e.value, "lower": e.uncertainty.lower, "upper": e.uncertainty.upper,
                                     "method": e.method} for k, e in tv.items()},
                  scope="pi = 1/2 N(-3, 1/4) + 1/2 N(3, 1), reverse-em, exact score, N = 60, T = 3")]
    )


@claim(
    "000.practice.ema",
    source=SEED_000,
    location="Exponential Moving Average (EMA)",
    statement=r"\bar\theta_{n+1} = (1-m)\bar\theta_n + m\theta_n;\ m \text{ is the forgetting of the initial "
    r"condition}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=EMA_DOMAIN,
)
def ema_forgetting():
    """rsolve for a constant target: theta_bar_n = theta + (1-m)^n (theta_bar_0 - theta), so the weight of the
    initial condition is (1-m)^n, decreasing in m (forgotten faster for larger m), and the weights sum to 1."""
    sol = ema.ema_constant_target().expr
    weight = sp.diff(sol, ema.THETA_BAR0)
    q = sp.Symbol("q", positive=True)  # q = 1 - m in [0, 1): the sign of d(weight)/dm on m in (0, 1]
    slope = sp.simplify(sp.diff(weight, ema.M).subs(ema.M, 1 - q))
    return from_evidence(
        [
            evidence_from_identity(check_identity(weight, (1 - ema.M) ** ema.N, domain={ema.M: (0.01, 0.99)}),
                                   "weight of theta_bar_0 in the rsolve solution vs (1-m)^n", scope=EMA_DOMAIN),
            Evidence(EvidenceKind.SYMBOLIC, f"d(weight)/dm = {slope} with q = 1 - m > 0: sympy finds it <= 0",
                     bool(slope.is_nonpositive), {"derivative": str(slope)}, scope=EMA_DOMAIN),
            evidence_from_identity(ema.check_weights_sum_to_one(), "weights of the iterates and theta_bar_0 sum to 1",
                                   scope=EMA_DOMAIN),
        ]
    )
