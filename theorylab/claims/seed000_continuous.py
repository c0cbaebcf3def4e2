"""Claims of seed 000, slides 'Modelos en el caso Continuo' to 'Esquema de la Demostración' (continuous-time OU,
time reversal, and the De Bortoli et al. convergence theorem)."""

from __future__ import annotations

from theorylab.claims.model import EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import pending

LOC_THEOREM = "Convergencia de modelos de difusión De Bortoli et al. (2021a)"


@claim(
    "000.debortoli.tv-bound",
    source=SEED_000,
    location=LOC_THEOREM,
    statement=r"\|s_{\theta^*}(t,x) - \nabla\log p_t(x)\| \le M \Rightarrow \exists B, C, D \ge 0:\ "
    r"\|\mathcal{L}(Y_N) - \pi\|_{TV} \le B e^{-T} + C(M + \gamma^{1/2}) e^{DT},\ T = N\gamma",
    evidence=EvidenceKind.EMPIRICAL_RATE,
)
def debortoli_bound():
    return pending(
        "needs sweeps of T, gamma and M with exact output laws and a constrained fit of B, C, D (bound lab, issue 4)"
    )


@claim(
    "000.debortoli.decomposition",
    source=SEED_000,
    location="Esquema de la Demostración",
    statement=r"\|\pi_0\hat R_N - \pi\|_{TV} \le \|\pi_0\hat R_N - \pi_0 Q_T\|_{TV} + \|\pi P_T - \pi_0\|_{TV}",
    evidence=EvidenceKind.EXACT_NUMBER,
)
def debortoli_decomposition():
    return pending(
        "needs the exact laws of pi_0 R_N (sampler output) and pi_0 Q_T (exact reverse flow from N(0, I)) "
        "for Gaussian targets (laws, issue 3; decomposition measured in issue 4)"
    )


@claim(
    "000.debortoli.polynomial-improvement",
    source=SEED_000,
    location=LOC_THEOREM,
    statement=r"\text{the factor } e^{DT} \text{ can be improved to a polynomial dependence (Lee et al. 2022; Chen et al. 2022, 2023)}",
    evidence=EvidenceKind.EMPIRICAL_RATE,
)
def polynomial_improvement():
    return pending(
        "needs the measured error against T at fixed gamma and M, overlaid with Chen et al. (2022)'s bound, "
        "whose dependence on T is polynomial (bound lab, issue 4)"
    )
