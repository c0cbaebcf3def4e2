"""Claims of seed 000, part 'Generative Adversarial Networks (GANs)'."""

from __future__ import annotations

import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import convention, evidence_from_identity, from_evidence
from theorylab.symbolic import gan
from theorylab.symbolic.result import check_identity

LOC_GAN = "Definición Formal de una GAN"


@claim(
    "000.gan.pointwise-maximiser",
    source=SEED_000,
    location=f"{LOC_GAN} (Esquema de demostración, paso 2)",
    statement=r"y \mapsto a\ln y + b\ln(1-y) \text{ attains its maximum at } y^* = \frac{a}{a+b}",
    evidence=EvidenceKind.SYMBOLIC,
)
def pointwise_maximiser():
    """sympy.solve of h'(y) = 0 and the sign of h'' at the root (a, b > 0)."""
    a, b = sp.symbols("a b", positive=True)
    y_star = gan.pointwise_maximiser()
    curvature = gan.pointwise_curvature()
    return from_evidence(
        [
            evidence_from_identity(check_identity(y_star.expr, a / (a + b)), "unique root of h'(y) vs a/(a+b)"),
            Evidence(EvidenceKind.SYMBOLIC, f"h''(y*) = {curvature.expr} < 0 for a, b > 0 (sympy)",
                     bool(curvature.expr.is_negative), {"curvature": str(curvature.expr)}),
        ]
    )


@claim(
    "000.gan.optimal-discriminator",
    source=SEED_000,
    location=f"{LOC_GAN} (Teorema, Discriminador Óptimo)",
    statement=r"D^*(x) = \frac{d\pi}{d(\mu_G + \pi)}(x) \text{ is the optimal discriminator, and it exists and is unique}",
    evidence=EvidenceKind.SYMBOLIC,
)
def optimal_discriminator():
    """Pointwise maximisation of p ln D + q ln(1 - D) gives p/(p+q); strict concavity makes it unique where
    p + q > 0 (i.e. (pi + mu_G)-almost everywhere, which is the sense of 'unique' for a density ratio)."""
    p, q = sp.symbols("p q", positive=True)
    d_star = gan.optimal_discriminator()
    curvature = gan.pointwise_curvature()
    return from_evidence(
        [
            evidence_from_identity(check_identity(d_star.expr, p / (p + q)), "argmax_D p ln D + q ln(1-D) vs p/(p+q)"),
            Evidence(EvidenceKind.SYMBOLIC, "strictly concave in D (h'' < 0): the maximiser is unique where p+q > 0",
                     bool(curvature.expr.is_negative), {}),
        ]
    )


@claim(
    "000.gan.value-js",
    source=SEED_000,
    location=f"{LOC_GAN} (Teorema, Discriminador Óptimo)",
    statement=r"V(\mu_G, \mu_D^*) = JS(\pi, \mu_G) - 2\ln 2",
    evidence=EvidenceKind.SYMBOLIC,
)
def value_js():
    """The integrand identity, then the two-point family: true for the un-halved JS = KL(P||M) + KL(Q||M), false for
    the 1/2-weighted JS (theorylab's convention), where V = 2 JS - ln 4."""
    decomposition = evidence_from_identity(gan.check_value_decomposition(),
                                           "integrand = p ln(2p/(p+q)) + q ln(2q/(p+q)) - (p+q) ln 2")
    return convention(
        {
            "JS = KL(P||M) + KL(Q||M) (un-halved)": [
                decomposition,
                evidence_from_identity(gan.check_value_identity("unnormalised", "slide"), "two-point V vs JS - 2 ln 2"),
            ],
            "JS = (KL(P||M) + KL(Q||M))/2 (then V = 2 JS - ln 4)": [
                evidence_from_identity(gan.check_value_identity("half", "slide"), "two-point V vs JS - 2 ln 2"),
                _numeric_value_identity(),
            ],
        }
    )


def _numeric_value_identity() -> Evidence:
    """Quadrature on continuous laws (the GAN lab): pi = the seed mixture, mu_G = N(0, 1). The slide's form is off by
    exactly JS under the 1/2-weighted convention, while V = 2 JS - ln 4 holds to the stated precision."""
    from theorylab.distributions import Gaussian, GaussianMixture
    from theorylab.gan.exact import check_value_identity

    pi = GaussianMixture([0.5, 0.5], [[-3.0], [3.0]], [[[0.25]], [[1.0]]])
    check = check_value_identity(pi, Gaussian([0.0], [[1.0]]))
    return Evidence(
        EvidenceKind.EXACT_NUMBER,
        f"pi = seed GMM, mu_G = N(0,1), by quadrature: V = {check.value.value:.10g}, JS = {check.js.value:.10g}; "
        f"V - (JS - 2 ln 2) = {check.slide_difference:.6g} (= JS), V - (2 JS - ln 4) = {check.difference:.2g} "
        f"(precision {check.precision:.2g})",
        bool(abs(check.slide_difference) <= check.tolerance),
        {"value": check.value.value, "js": check.js.value, "slide_difference": check.slide_difference,
         "corrected_difference": check.difference, "precision": check.precision, "tolerance": check.tolerance},
    )


@claim(
    "000.gan.optimal-generator",
    source=SEED_000,
    location=f"{LOC_GAN} (Teorema, Generador Óptimo)",
    statement=r"C(\mu_G) = JS(\mu, \mu_G) - 2\ln 2 \text{ has its global minimum at } \mu_G^* = \pi,\ C(\pi) = -\ln 4",
    evidence=EvidenceKind.SYMBOLIC,
)
def optimal_generator():
    """On the two-point family: the unique critical point of C(q) is q = p, C is strictly convex in q, C(p) = -ln 4.
    (The slide's 'JS(mu, mu_G)' is read as JS(pi, mu_G).)"""
    opt = gan.minimum_of_C()
    return from_evidence(
        [
            evidence_from_identity(check_identity(opt.argmin.expr, opt.argmin.args[0]), "argmin q* vs p"),
            evidence_from_identity(check_identity(opt.minimum.expr, -sp.log(4)), "C(q*) vs -ln 4"),
            evidence_from_identity(opt.convexity, "d2C/dq2 = p/(q(p+q)) + (1-p)/((1-q)(2-p-q)) > 0"),
        ]
    )


@claim(
    "000.gan.alternating-sgd",
    source=SEED_000,
    location="Entrenando a tu GAN",
    statement=r"\text{repeat: ascend } \nabla_{\theta_d}\tfrac1m\sum_i[\log D(x^{(i)}) + \log(1-D(G(z^{(i)})))]"
    r"\text{, descend } \nabla_{\theta_g}\tfrac1m\sum_i \log(1-D(G(z^{(i)}))) \text{ until convergence}",
    evidence=EvidenceKind.EMPIRICAL_RATE,
)
def alternating_sgd():
    """The slide's algorithm as written (one discriminator ascent step, then one generator descent step on
    log(1 - D(G(z))), minibatch 64; a short 600-step run) on the seed mixture 1/2 N(-3, 1/4) + 1/2 N(3, 1) with the
    generator started at exactly N(0, 1): the smoothed JS(pi, mu_G) (biased estimator; its interval covers Monte Carlo
    error, its floor the finite-sample bias) must fall and both modes be covered. Convergence itself is not claimed
    by a finite run; the check is that the iteration moves mu_G towards pi."""
    import torch

    from theorylab.gan.config import load_gan_config
    from theorylab.gan.training import train_gan

    cfg = load_gan_config({"gan": {"mode": "train", "seed": 0, "steps": 600, "k": 1, "m": 64, "eval_every": 300,
                                   "generator_loss": "minimax",
                                   "pi": {"kind": "gmm", "weights": [0.5, 0.5], "means": [-3.0, 3.0],
                                          "covs": [0.25, 1.0]}}}).gan
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run = train_gan(cfg.pi_law(), cfg, device=torch.device("cpu"), dtype=torch.float64)
    finally:
        torch.set_num_threads(previous)
    first, last = run.curves[0], run.curves[-1]
    lowered = bool(last["js_upper"] < first["js_lower"])
    covered = int(last.get("modes_covered", 0))
    return from_evidence(
        [
            Evidence(
                EvidenceKind.EMPIRICAL_RATE,
                f"seed GMM, minimax loss, k = 1, m = 64: smoothed JS {first['js']:.3f} [{first['js_lower']:.3f}, "
                f"{first['js_upper']:.3f}] at step 0 -> {last['js']:.3f} [{last['js_lower']:.3f}, {last['js_upper']:.3f}] "
                f"at step {int(last['step'])}; modes covered {covered}/2",
                lowered and covered == 2,
                {"js_initial": [first["js"], first["js_lower"], first["js_upper"]],
                 "js_final": [last["js"], last["js_lower"], last["js_upper"]], "modes_covered": covered,
                 "steps": int(last["step"]), "estimator": "smoothed JS (Gaussian kernel), Monte Carlo; biased"},
            )
        ]
    )
