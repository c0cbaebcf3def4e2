"""Claims of seed 000, slides 'El Proceso Forward' and 'Denoising Score matching' (the AR and Euler--Maruyama
forward chains, their transition laws and the transition score)."""

from __future__ import annotations

import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import conditional, evidence_from_identity, from_evidence
from theorylab.symbolic import ar_chain, em_chain
from theorylab.symbolic.result import check_identity

LOC_FORWARD = "El Proceso Forward"
LOC_DSM = "Denoising Score matching"

G, K = em_chain.GAMMA, em_chain.K
#: Stated domains / scopes.
AR_DOMAIN = "alpha < 1 (as stated), any X_0, any d"
EM_DOMAIN = "any step gamma > 0 (no range stated), any X_0, any d"
CHAIN = "gamma in (0, 1), k >= 0, any d (coordinatewise)"
#: The seed's formulas, typed as written on the slide (these are the statements under test, not results).
SLIDE_M_K = (1 - G) ** K
SLIDE_SIGMA2_K = (1 - (1 - G) ** (2 * K)) / (1 - G / 2)


@claim(
    "000.forward.ar-convergence",
    source=SEED_000,
    location=LOC_FORWARD,
    statement=r"X_{k+1} = \alpha X_k + \sqrt{1-\alpha^2} Z_{k+1},\ \alpha < 1 \Rightarrow "
    r"\mathrm{Law}(X_k) \to N(0, \mathrm{Id}) \text{ exponentially fast (Wasserstein, TV)}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=AR_DOMAIN,
)
def ar_convergence():
    """As written (alpha < 1) it fails at alpha = -1; on |alpha| < 1 the moments converge to (0, 1) and W2 decays
    like |alpha|^k."""
    cx = ar_chain.convergence_counterexample(m0=1.0, v0=1.0, k_max=10)
    as_written = [
        Evidence(
            EvidenceKind.COUNTEREXAMPLE,
            f"alpha = -1 (allowed by alpha < 1), X_0 ~ N(1, 1): the mean alternates {cx.means[:4].tolist()}..., "
            f"W2(Law(X_k), N(0,1)) = {cx.w2.min():.3g}..{cx.w2.max():.3g} for k <= 10; "
            f"sqrt(1 - alpha^2) is not real for alpha = -2",
            bool(cx.w2[-1] < cx.w2[0]) and all(cx.noise_coefficient_real.values()),
            {"alpha": cx.alpha, "w2": cx.w2.tolist(), "noise_real": {str(k): v for k, v in cx.noise_coefficient_real.items()}},
            scope="alpha = -1 and alpha = -2, X_0 ~ N(1, 1), d = 1",
        )
    ]
    domain = ar_chain.convergence_domain()
    mean_lim, var_lim = ar_chain.stationary_moments()
    restricted = [
        Evidence(
            EvidenceKind.SYMBOLIC,
            f"solve_univariate_inequality: real noise and contraction iff alpha in {domain}",
            domain == sp.Interval.open(-1, 1),
            {"domain": str(domain)},
            scope="all real alpha (the recursion's coefficients)",
        ),
        evidence_from_identity(check_identity(sp.Matrix([mean_lim, var_lim]), sp.Matrix([0, 1])),
                               "limit of (alpha^k m0, alpha^(2k)(v0-1)+1) on |alpha|<1 is (0, 1)",
                               scope="|alpha| < 1, mean and variance of X_k (Gaussian X_0: its law)"),
    ]
    return conditional(as_written, restricted, "|alpha| < 1 (W2 to N(0,1) decays like |alpha|^k)")


@claim(
    "000.forward.em-stationary-law",
    source=SEED_000,
    location=LOC_FORWARD,
    statement=r"X_{k+1} = (1-\gamma)X_k + \sqrt{2\gamma}Z_{k+1} \text{ converges exponentially fast to } "
    r"N(0, \mathrm{Id}/(1-\gamma/2))",
    evidence=EvidenceKind.SYMBOLIC,
    domain=EM_DOMAIN,
)
def em_stationary_law():
    """The statement gives no range for gamma: outside (0, 2) the variance diverges (witness gamma = 2.5)."""
    report = em_chain.convergence_report(gamma_witness=2.5, k_max=20)
    as_written = [
        Evidence(
            EvidenceKind.COUNTEREXAMPLE,
            f"gamma = {report.witness_gamma}: lim_k sigma_k^2 = {report.witness_limit} "
            f"(recursion: v_20 = {report.witness_variances[-1]:.3g}); at gamma = 2, v_k = {report.boundary_variance.expr}",
            bool(report.witness_limit.is_finite),
            {"witness_gamma": report.witness_gamma, "v_k": report.witness_variances.tolist()},
            scope="gamma = 2.5 and gamma = 2, d = 1",
        )
    ]
    restricted = [
        Evidence(
            EvidenceKind.SYMBOLIC,
            f"variance recursion contracts iff gamma in {report.domain}",
            report.domain == sp.Interval.open(0, 2),
            {"domain": str(report.domain)},
            scope="all gamma > 0",
        ),
        evidence_from_identity(em_chain.check_stationary_variance(1 / (1 - G / 2)),
                               "lim sigma_k^2 = 1/(1-gamma/2) on (0, 2)", scope="0 < gamma < 2, any X_0"),
        evidence_from_identity(check_identity(report.stationary_mean, 0), "lim m_k^2 x0^2 = 0",
                               scope="0 < gamma < 2, any X_0"),
    ]
    return conditional(as_written, restricted, "0 < gamma < 2 (the rate is |1-gamma|^k)")


@claim(
    "000.dsm.transition-moments",
    source=SEED_000,
    location=LOC_DSM,
    statement=r"m_k = (1-\gamma)^k,\quad \sigma_k^2 = \{1-(1-\gamma)^{2k}\}/(1-\gamma/2)",
    evidence=EvidenceKind.SYMBOLIC,
    domain=CHAIN,
)
def transition_moments():
    """Compared with rsolve of the mean and variance recursions."""
    return from_evidence(
        [
            evidence_from_identity(check_identity(SLIDE_M_K, em_chain.mean_coefficient().expr,
                                                  domain={G: (0.01, 0.99)}), "m_k vs rsolve", scope=CHAIN),
            evidence_from_identity(em_chain.check_noise_variance(SLIDE_SIGMA2_K), "sigma_k^2 vs rsolve", scope=CHAIN),
        ]
    )


@claim(
    "000.dsm.sum-form",
    source=SEED_000,
    location=LOC_DSM,
    statement=r"X_k = m_k X_0 + \sqrt{2\gamma}\sum_{j=1}^k (1-\gamma)^{k-j} Z_k = m_k X_0 + \sigma_k \hat Z_{j+1}",
    evidence=EvidenceKind.SYMBOLIC,
    domain=CHAIN,
)
def sum_form():
    """As written the sum repeats Z_k, so its variance is 2 gamma (sum_j (1-gamma)^{k-j})^2, not sigma_k^2."""
    j = sp.Symbol("j", integer=True, positive=True)
    coefficient_sum = sp.summation((1 - G) ** (K - j), (j, 1, K))
    as_written_variance = 2 * G * coefficient_sum**2  # one Gaussian Z_k times the summed coefficients
    wrong = check_identity(as_written_variance, em_chain.noise_variance().expr, domain={G: (0.05, 0.95), K: (2, 30)})
    fixed = em_chain.check_sum_form_variance()
    return from_evidence(
        [evidence_from_identity(wrong, "variance of the sum with Z_k (as written) vs sigma_k^2", scope=CHAIN)],
        correction=(
            r"X_k = m_k X_0 + \sqrt{2\gamma}\sum_{j=1}^k (1-\gamma)^{k-j} Z_j = m_k X_0 + \sigma_k \hat Z_k",
            [evidence_from_identity(fixed, "variance of the sum with Z_j vs sigma_k^2", scope=CHAIN)],
        ),
    )


@claim(
    "000.dsm.transition-score",
    source=SEED_000,
    location=LOC_DSM,
    statement=r"\log p_{k|0}(x_k|x_0) = -\|x_k - m_k x_0\|^2/(2\sigma_k^2) + C_k \Rightarrow "
    r"\nabla\log p_{k|0}(x_k|x_0) = -(x_k - m_k x_0)/\sigma_k^2",
    evidence=EvidenceKind.SYMBOLIC,
    domain=CHAIN,
)
def transition_score():
    """The slide's gradient, with its m_k and sigma_k^2, against the derived transition score."""
    x, x0 = em_chain.X, em_chain.X0
    slide = sp.diff(-((x - SLIDE_M_K * x0) ** 2) / (2 * SLIDE_SIGMA2_K), x)
    return from_evidence(
        [evidence_from_identity(check_identity(slide, em_chain.transition_score().expr, domain={G: (0.01, 0.99)}),
                                "gradient of the slide's log-density vs derived score", scope=CHAIN)]
    )


@claim(
    "000.dsm.score-in-noise",
    source=SEED_000,
    location=f"{LOC_DSM}; Ponderación de la función de pérdida",
    statement=r"\nabla\log p_{k|0}(X_k|X_0) = -\hat Z_k/\sigma_k^2",
    evidence=EvidenceKind.COUNTEREXAMPLE,
    domain=CHAIN,
)
def score_in_noise():
    """Evaluating -(X_k - m_k X_0)/sigma_k^2 at X_k = m_k X_0 + sigma_k Z gives -Z/sigma_k."""
    Z, S = em_chain.Z, em_chain.SIGMA
    return from_evidence(
        [evidence_from_identity(em_chain.check_score_in_noise(-Z / S**2), "-Z/sigma_k^2 vs derived", scope=CHAIN)],
        correction=(
            r"\nabla\log p_{k|0}(X_k|X_0) = -\hat Z_k/\sigma_k",
            [evidence_from_identity(em_chain.check_score_in_noise(-Z / S), "-Z/sigma_k vs derived", scope=CHAIN)],
        ),
    )
