"""Claims of seed 000, slides 'Trucos para implementar DDM en la práctica' (schedules, loss weighting, EMA)."""

from __future__ import annotations

from theorylab.claims.model import EvidenceKind
from theorylab.claims.registry import SEED_000, claim
from theorylab.claims.verdicts import pending


@claim(
    "000.practice.schedule-benefit",
    source=SEED_000,
    location="Ornstein-Uhlenbeck y discretización",
    statement=r"\text{a schedule } \gamma_k = \gamma_{min} + (\gamma_{max}-\gamma_{min})(N-k)/N "
    r"\text{ (larger steps near the data) rather than a constant step is what is used in practice}",
    evidence=EvidenceKind.EXACT_NUMBER,
)
def schedule_benefit():
    return pending(
        "needs the exact output law for constant, linear and cosine schedules at equal N and T "
        "(schedule experiment of the bound lab, issue 4)"
    )
