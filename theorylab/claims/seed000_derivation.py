"""Claims of seed 000 on the derivation lines of '¿Cómo invertimos el proceso forward?', the definitions of the
'Ancestral Sampling' slides, and the index conventions of the score-matching and sampling slides.

Each line of the slide's derivation is a separate claim (a referee reads them one at a time): the Gaussian
transition constant C_0, the passage to C_1, and the sign with which the log-density difference enters the
exponent. The ancestral-sampling definitions (marginal recursion, backward decomposition) are proved by sympy; the
index/time conventions (the range of k of the DSM loss, the time fed to the trained network) are decided with exact
Gaussian laws.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import conditional, evidence_from_comparison, evidence_from_identity, from_evidence
from theorylab.symbolic import em_chain
from theorylab.symbolic.result import check_identity
from theorylab.tolerances import CLOSED_FORM_RTOL

LOC_INVERT = "¿Cómo invertimos el proceso forward?"
LOC_ANCESTRAL = "Ancestral Sampling"
ANY_D_GAMMA = "any d >= 1, any gamma > 0, any x_k, x_{k+1} in R^d"
ANY_POSITIVE = "any positive p_k, p_{k+1} on R^d, any x_k, x_{k+1} (C_0 > 0 fixed)"
EXPONENT = "any A = ||x_{k+1} - (1-gamma)x_k||^2 >= 0, any log-density difference L, gamma > 0"
DECOMPOSITION = "any N >= 1 and any forward decomposition with positive marginals p_k (densities on (R^d)^{N+1})"


@claim(
    "000.invert.transition-constant",
    source=SEED_000,
    location=LOC_INVERT,
    statement=r"p_{k+1|k}(x_{k+1}|x_k) = C_0\exp[-\|x_{k+1} - (1-\gamma)x_k\|^2/(4\gamma)],\ C_0 \text{ depending "
    r"only on } x_{k+1}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=ANY_D_GAMMA,
)
def transition_constant():
    """The chain's transition is N((1-gamma)x_k, 2 gamma I_d): log N - (-||r||^2/(4 gamma)) = -(d/2) log(4 pi gamma),
    free of x_k (and of x_{k+1}): C_0 = (4 pi gamma)^{-d/2}. Proved with d and ||r||^2 as symbols; scipy's
    multivariate normal logpdf at d = 3 is the independent route."""
    from scipy import stats

    d = sp.Symbol("d", positive=True, integer=True)
    g = sp.Symbol("gamma", positive=True)
    r2 = sp.Symbol("r2", nonnegative=True)  # ||x_{k+1} - (1-gamma) x_k||^2
    log_gauss = -d / 2 * sp.log(2 * sp.pi * 2 * g) - r2 / (2 * 2 * g)
    log_c0 = -d / 2 * sp.log(4 * sp.pi * g)
    symbolic = check_identity(log_gauss, log_c0 - r2 / (4 * g))
    rng = np.random.default_rng(0)
    gamma, xk, xk1 = 0.3, rng.normal(size=3), rng.normal(size=3)
    ref = stats.multivariate_normal(mean=(1 - gamma) * xk, cov=2 * gamma * np.eye(3)).logpdf(xk1)
    ours = float(log_c0.subs({d: 3, g: gamma})) - np.sum((xk1 - (1 - gamma) * xk) ** 2) / (4 * gamma)
    return from_evidence([
        evidence_from_identity(symbolic, "log N(x_{k+1}; (1-gamma)x_k, 2 gamma I_d) vs log C_0 - ||r||^2/(4 gamma), "
                               "C_0 = (4 pi gamma)^(-d/2)", scope=ANY_D_GAMMA),
        evidence_from_comparison("scipy multivariate_normal.logpdf vs the slide's form, d = 3",
                                 abs(ref - ours), CLOSED_FORM_RTOL * (1 + abs(ref)), scope="d = 3, gamma = 0.3"),
    ])


@claim(
    "000.invert.constant-c1",
    source=SEED_000,
    location=LOC_INVERT,
    statement=r"C_0 e^{-\|\cdot\|^2/(4\gamma)}\exp[\log p_k(x_k) - \log p_{k+1}(x_{k+1})] = C_1 e^{-\|\cdot\|^2/(4\gamma)}"
    r"\exp[\log p_k(x_k) - \log p_k(x_{k+1})],\ C_1 \text{ depending only on } x_{k+1}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=ANY_POSITIVE,
)
def constant_c1():
    """With a = p_k(x_k), b = p_k(x_{k+1}), c = p_{k+1}(x_{k+1}) (any positive values, so any d): the line holds
    with C_1 = C_0 b/c, which does not involve a, i.e. depends on x_{k+1} only."""
    a, b, c, c0 = sp.symbols("a b c C_0", positive=True)
    c1 = c0 * b / c
    line = check_identity(c0 * sp.exp(sp.log(a) - sp.log(c)), c1 * sp.exp(sp.log(a) - sp.log(b)))
    free = check_identity(sp.diff(c1, a), sp.S.Zero)
    return from_evidence([
        evidence_from_identity(line, "line 2 = line 3 with C_1 = C_0 p_k(x_{k+1})/p_{k+1}(x_{k+1})", scope=ANY_POSITIVE),
        evidence_from_identity(free, "d C_1 / d p_k(x_k) = 0 (C_1 free of x_k)", scope=ANY_POSITIVE),
    ])


@claim(
    "000.invert.exponent-sign",
    source=SEED_000,
    location=LOC_INVERT,
    statement=r"C_1\exp[-\|x_{k+1}-(1-\gamma)x_k\|^2/(4\gamma)]\exp[\log p_k(x_k) - \log p_k(x_{k+1})] = "
    r"C_1\exp[-(\|x_{k+1}-(1-\gamma)x_k\|^2 + 4\gamma\{\log p_k(x_k) - \log p_k(x_{k+1})\})/(4\gamma)]",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain=EXPONENT,
)
def exponent_sign():
    """Combining the two exponentials gives -(A - 4 gamma L)/(4 gamma), not -(A + 4 gamma L)/(4 gamma): the slide's
    last line flips the sign of the log-density difference L (the next slide's approximation uses the right sign,
    + <grad log p_k, x_k - x_{k+1}>)."""
    A = sp.Symbol("A", nonnegative=True)
    L = sp.Symbol("L", real=True)
    g = sp.Symbol("gamma", positive=True)
    lhs = -A / (4 * g) + L
    return from_evidence(
        [evidence_from_identity(check_identity(lhs, -(A + 4 * g * L) / (4 * g)), "exponent of line 3 vs line 4",
                                scope=EXPONENT)],
        correction=(
            r"= C_1\exp[-(\|x_{k+1}-(1-\gamma)x_k\|^2 - 4\gamma\{\log p_k(x_k) - \log p_k(x_{k+1})\})/(4\gamma)]",
            [evidence_from_identity(check_identity(lhs, -(A - 4 * g * L) / (4 * g)), "exponent with - 4 gamma L",
                                    scope=EXPONENT)],
        ),
    )


def _finite_chain(n_steps: int, n_states: int):
    """Symbolic forward decomposition on a finite state space: initial masses and transition matrices (rows sum to
    one by construction: the last column is 1 - the others)."""
    p0 = [sp.Symbol(f"p0_{i}", positive=True) for i in range(n_states - 1)]
    p0.append(1 - sum(p0))
    kernels = []
    for k in range(n_steps):
        rows = []
        for i in range(n_states):
            row = [sp.Symbol(f"q{k}_{i}{j}", positive=True) for j in range(n_states - 1)]
            rows.append(row + [1 - sum(row)])
        kernels.append(rows)
    return p0, kernels


@claim(
    "000.ancestral.marginal-recursion",
    source=SEED_000,
    location=LOC_ANCESTRAL,
    statement=r"p_{k+1}(x_{k+1}) = \int_{\mathbb{R}^d} p_k(x_k)p_{k+1|k}(x_{k+1}|x_k)\,dx_k \text{ is the marginal of } "
    r"p(x_{0:N}) = p_0(x_0)\prod_{k=0}^{N-1}p_{k+1|k}(x_{k+1}|x_k)",
    evidence=EvidenceKind.SYMBOLIC,
    domain=DECOMPOSITION,
)
def marginal_recursion():
    """On a finite state space (sums for integrals; generic masses and transition matrices as symbols) the law of
    X_{k+1} under the joint, obtained by summing out every other coordinate, equals the slide's recursion, for
    every k < N. Scope: 2 states, N = 3 (the measure-theoretic case is Fubini plus normalised kernels)."""
    n_steps, n_states = 3, 2
    p0, kernels = _finite_chain(n_steps, n_states)

    def joint(path):
        value = p0[path[0]]
        for k in range(n_steps):
            value *= kernels[k][path[k]][path[k + 1]]
        return value

    recursion = [p0]
    for k in range(n_steps):
        recursion.append([sum(recursion[k][i] * kernels[k][i][j] for i in range(n_states)) for j in range(n_states)])
    paths = list(itertools.product(range(n_states), repeat=n_steps + 1))
    evidence = []
    for k in range(1, n_steps + 1):
        marginal = sp.Matrix([sum(joint(p) for p in paths if p[k] == j) for j in range(n_states)])
        evidence.append(evidence_from_identity(
            check_identity(marginal, sp.Matrix(recursion[k])), f"law of X_{k} from the joint vs the recursion",
            scope=f"finite state space (2 states), N = {n_steps}, generic masses"))
    return from_evidence(evidence)


@claim(
    "000.ancestral.backward-decomposition",
    source=SEED_000,
    location=LOC_ANCESTRAL,
    statement=r"p_{k|k+1}(x_k|x_{k+1}) = \frac{p_{k+1|k}(x_{k+1}|x_k)p_k(x_k)}{p_{k+1}(x_{k+1})} \Rightarrow "
    r"p(x_{0:N}) = p_N(x_N)\prod_{k=0}^{N-1}p_{k|k+1}(x_k|x_{k+1})",
    evidence=EvidenceKind.SYMBOLIC,
    domain=DECOMPOSITION,
)
def backward_decomposition():
    """By induction on N, pointwise in x_{0:N} (so for any d): base N = 1, p_1 p_{0|1} = p_0 p_{1|0}; step: if the
    forward and backward products agree for N (J_N = B_N) then J_{N+1} = J_N q_N and B_{N+1} = p_{N+1} (q_N p_N /
    p_{N+1}) (B_N / p_N) agree. Both are sympy identities in positive symbols (the values of the densities)."""
    p0, p1, q0 = sp.symbols("p_0 p_1 q_0", positive=True)  # p_0(x_0), p_1(x_1), p_{1|0}(x_1|x_0)
    base = check_identity(p1 * (q0 * p0 / p1), p0 * q0)
    jn, pn, pn1, qn = sp.symbols("J_N p_N p_N1 q_N", positive=True)
    bn = jn  # induction hypothesis B_N = J_N
    step = check_identity(pn1 * (qn * pn / pn1) * (bn / pn), jn * qn)
    return from_evidence([
        evidence_from_identity(base, "N = 1: p_1 p_{0|1} vs p_0 p_{1|0}", scope=DECOMPOSITION),
        evidence_from_identity(step, "induction step N -> N + 1", scope=DECOMPOSITION),
    ])


@claim(
    "000.ancestral.prior-approximation",
    source=SEED_000,
    location="¿Y ahora qué?",
    statement=r"X_N \sim \mu_Z = N(0, \mathrm{Id}) \text{ (muestreo aproximado de } p_N)",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain="any gamma in (0, 2), N large (the chain's law p_N)",
)
def prior_approximation():
    """p_N -> N(0, Id/(1 - gamma/2)) (rsolve), not N(0, Id): at fixed gamma the gap does not vanish as N grows; its
    KL per coordinate is (s^2 - 1 - ln s^2)/2 with s^2 = 1/(1 - gamma/2), = gamma^2/16 + O(gamma^3) (sympy series):
    N(0, Id) approximates p_N only for small gamma."""
    g = sp.Symbol("gamma", positive=True)
    s2 = em_chain.stationary_variance().expr
    s2 = s2.subs({s: g for s in s2.free_symbols if s.name == "gamma"})
    kl = (s2 - 1 - sp.log(s2)) / 2
    witness_gamma = sp.Rational(1, 2)
    kl_witness = float(kl.subs(g, witness_gamma))
    series = sp.series(kl, g, 0, 3).removeO()
    as_written = [Evidence(
        EvidenceKind.COUNTEREXAMPLE,
        f"gamma = {witness_gamma}: lim_N Var(X_N) = {sp.nsimplify(s2.subs(g, witness_gamma))} != 1; "
        f"KL(lim p_N || N(0,1)) = {kl_witness:.4g} > 0 per coordinate, whatever N",
        False, {"gamma": float(witness_gamma), "kl_floor": kl_witness, "stationary_variance": str(s2)},
        scope="gamma = 1/2, N -> infinity, per coordinate")]
    restricted = [evidence_from_identity(check_identity(series, g**2 / 16),
                                         "KL floor to order gamma^2 vs gamma^2/16 (sympy series)",
                                         scope="gamma -> 0, per coordinate")]
    return conditional(as_written, restricted,
                       "gamma small: the KL floor between lim p_N and N(0, Id) is d gamma^2/16 + O(gamma^3)")


@claim(
    "000.sm.dsm-index-range",
    source=SEED_000,
    location="Score matching",
    statement=r"\nabla\log p_k = \arg\min\{\mathbb{E}[\|f(X_k) - \nabla\log p_{k|0}(X_k|X_0)\|^2]\},\ "
    r"\text{válido } \forall k \in \{0, \dots, N-1\}",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain="k in {0, ..., N-1} as written, any gamma in (0, 2)",
)
def dsm_index_range():
    """At k = 0 the transition p_{0|0} is a Dirac (sigma_0^2 = 0 from the derived variance), so
    grad log p_{0|0} = -(x_0 - m_0 x_0)/sigma_0^2 is undefined and DSM_0 does not exist; for k >= 1 and gamma in
    (0, 2), sigma_k^2 > 0. The next slide's losses use k in {1, ..., N} (the corrected range)."""
    g = sp.Symbol("gamma", positive=True)
    k = sp.Symbol("k", positive=True, integer=True)
    var = em_chain.noise_variance().expr
    var = var.subs({s: (g if s.name == "gamma" else k) for s in var.free_symbols})
    at0 = sp.simplify(var.subs(k, 0))
    positive_set = sp.solveset((1 - g) ** 2 < 1, g, sp.Interval.open(0, 2))
    return from_evidence(
        [Evidence(EvidenceKind.COUNTEREXAMPLE,
                  f"k = 0: sigma_0^2 = {at0}: p_(0|0) is a Dirac, its score -(x_k - m_0 x_0)/sigma_0^2 is undefined",
                  bool(at0 != 0), {"sigma_0^2": str(at0)}, scope="k = 0, any gamma")],
        correction=(
            r"\text{válido } \forall k \in \{1, \dots, N\}",
            [Evidence(EvidenceKind.SYMBOLIC,
                      f"sigma_k^2 = {var} > 0 for k >= 1 iff (1-gamma)^2 < 1: sympy solveset on (0, 2) gives "
                      f"{positive_set}",
                      bool(positive_set == sp.Interval.open(0, 2)), {"set": str(positive_set)},
                      scope="k >= 1, gamma in (0, 2)")],
        ),
    )


def _chain_moments(j: np.ndarray, gamma: float, m0: float, v0: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the forward chain's marginal p_j for target N(m0, v0), continued to real j."""
    rho = (1 - gamma) ** (2 * j)
    return (1 - gamma) ** j * m0, rho * v0 + (1 - rho) / (1 - gamma / 2)


def _ancestral_output(gamma: float, n: int, m0: float, v0: float, index_of) -> tuple[float, float]:
    """Exact law (mean, variance) of X_0 of the ancestral chain X_k = (1+gamma)X_{k+1} + 2 gamma s_k(X_{k+1}) +
    sqrt(2 gamma) Z with the Gaussian score s_k(x) = -(x - mu_j)/v_j of p_j, j = index_of(k), from X_N ~ N(0, 1)."""
    mean, var = 0.0, 1.0
    for k in range(n - 1, -1, -1):
        mu, v = _chain_moments(np.asarray(index_of(k), dtype=float), gamma, m0, v0)
        a = 1 + gamma - 2 * gamma / v
        mean = float(a * mean + 2 * gamma * mu / v)
        var = float(a**2 * var + 2 * gamma)
    return mean, var


@claim(
    "000.ancestral.score-time-argument",
    source=SEED_000,
    location="¿Cómo hacemos este Score-Matching?; ¿Y ahora qué?",
    statement=r"\ell^{DSM}(f) = \sum_{k=1}^N\lambda_k DSM_k(f(k,\cdot)),\ s_{\theta^*}(k,\cdot)\approx\nabla\log p_k;\ "
    r"X_k = X_{k+1} + \gamma\{X_{k+1} + 2s_{\theta^*}(k\gamma, X_{k+1})\} + \sqrt{2\gamma}Z_{k+1}",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain="the trained network s(j, .) = grad log p_j (index j of the chain), any gamma != 1",
)
def score_time_argument():
    """The network is trained with the chain *index* as first argument (f(k, .) ~ grad log p_k) but the sampler feeds
    the *time* k gamma. With the exact network s(j, .) = grad log p_j (continued to real j) and target
    N(2, 1/4), exact Gaussian laws of the output: feeding k gamma leaves the output far from pi (X_0 near the prior),
    feeding k (or training at times k gamma) recovers pi up to the O(gamma) discretisation error."""
    from theorylab.distributions import Gaussian
    from theorylab.divergences import tv_gaussian_1d

    m0, v0, T = 2.0, 0.25, 3.0
    target = Gaussian([m0], [[v0]])
    rows = []
    for gamma in (0.1, 0.05):
        n = int(round(T / gamma))
        time_fed = _ancestral_output(gamma, n, m0, v0, lambda k, g=gamma: k * g)
        index_fed = _ancestral_output(gamma, n, m0, v0, lambda k: k)
        tv_time = tv_gaussian_1d(Gaussian([time_fed[0]], [[time_fed[1]]]), target).value
        tv_index = tv_gaussian_1d(Gaussian([index_fed[0]], [[index_fed[1]]]), target).value
        rows.append((gamma, tv_time, tv_index))
    scope = f"pi = N({m0}, {v0}), T = 3, gamma in {{0.1, 0.05}}, exact network s(j, .) = grad log p_j"
    detail = {"rows": [{"gamma": g, "tv_time_fed": a, "tv_index_fed": b} for g, a, b in rows]}
    as_written = Evidence(
        EvidenceKind.COUNTEREXAMPLE,
        "s(k gamma, .) fed to the network trained on f(k, .): TV(L(X_0), pi) = "
        + ", ".join(f"{a:.3f} (gamma {g})" for g, a, _ in rows) + " (does not vanish as gamma -> 0)",
        bool(rows[-1][1] < rows[0][1] / 1.5), detail, scope=scope)
    fixed = Evidence(
        EvidenceKind.EXACT_NUMBER,
        "index k fed (or f(k gamma, .) trained): TV = " + ", ".join(f"{b:.4f} (gamma {g})" for g, _, b in rows)
        + ", halving with gamma",
        bool(rows[-1][2] < rows[0][2] and rows[-1][2] < rows[-1][1]), detail, scope=scope)
    return from_evidence([as_written], correction=(
        r"X_k = X_{k+1} + \gamma\{X_{k+1} + 2s_{\theta^*}(k, X_{k+1})\} + \sqrt{2\gamma}Z_{k+1} \text{ (or train "
        r"} f(k\gamma,\cdot)\text{ in } \ell^{DSM})", [fixed]))
