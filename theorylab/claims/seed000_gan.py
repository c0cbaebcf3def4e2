"""Claims of seed 000, part 'Generative Adversarial Networks (GANs)'."""

from __future__ import annotations

from theorylab.claims.model import EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import pending


@claim(
    "000.gan.alternating-sgd",
    source=SEED_000,
    location="Entrenando a tu GAN",
    statement=r"\text{repeat: ascend } \nabla_{\theta_d}\tfrac1m\sum_i[\log D(x^{(i)}) + \log(1-D(G(z^{(i)})))]"
    r"\text{, descend } \nabla_{\theta_g}\tfrac1m\sum_i \log(1-D(G(z^{(i)}))) \text{ until convergence}",
    evidence=EvidenceKind.EMPIRICAL_RATE,
)
def alternating_sgd():
    return pending("needs GAN training runs tracking JS(pi, mu_G) over training (GAN lab, issue 6)")
