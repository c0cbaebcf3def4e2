"""The register of claims: each seed module declares its claims with :func:`claim`; :func:`all_claims` lists
them in seed order.

Claim ids are stable (``<seed>.<topic>.<name>``); registering the same id twice is an error.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from theorylab.claims.model import Claim, EvidenceKind, Outcome

__all__ = ["SEED_000", "SEED_002", "all_claims", "claim", "get_claim"]

#: Seed file names, as in ``shared/seeds/``.
SEED_000 = "000_cbf75b2ce1966cfb.txt"
SEED_002 = "002_4d9946036b8348d6.txt"

#: Modules that declare claims, in the order of the seeds.
_CLAIM_MODULES = (
    "theorylab.claims.seed000_gan",
    "theorylab.claims.seed000_forward",
    "theorylab.claims.seed000_backward",
    "theorylab.claims.seed000_derivation",
    "theorylab.claims.seed000_score_matching",
    "theorylab.claims.seed000_continuous",
    "theorylab.claims.seed000_technical",
    "theorylab.claims.seed000_practice",
    "theorylab.claims.seed002",
    "theorylab.claims.seed002_sde",
    "theorylab.claims.seed002_objective",
)

_REGISTRY: dict[str, Claim] = {}


def claim(
    id: str, *, source: str, location: str, statement: str, evidence: EvidenceKind, domain: str
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Decorator registering ``check`` as the check of a new claim whose stated domain is ``domain``.

    The registered check settles the outcome against ``domain`` (:meth:`Outcome.settled`): ``proved`` needs a
    supporting symbolic piece of evidence whose scope is exactly ``domain``. A check that takes a ``reports``
    keyword is given the reports root by the ledger (:func:`theorylab.claims.ledger.run_ledger`).
    """
    if not domain.strip():
        raise ValueError(f"claim {id}: the stated domain is required")

    def register(check: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if id in _REGISTRY:
            raise ValueError(f"claim id registered twice: {id}")

        @functools.wraps(check)
        def settled(*args, **kwargs) -> Outcome:
            return check(*args, **kwargs).settled(domain)

        _REGISTRY[id] = Claim(id, source, location, statement.strip(), evidence, settled, domain)
        return check

    return register


def all_claims() -> list[Claim]:
    """Every registered claim, in seed order (import order of the claim modules)."""
    for module in _CLAIM_MODULES:
        importlib.import_module(module)
    return list(_REGISTRY.values())


def get_claim(claim_id: str) -> Claim:
    """The claim with this id; ``KeyError`` naming it otherwise."""
    claims = {c.id: c for c in all_claims()}
    if claim_id not in claims:
        raise KeyError(claim_id)
    return claims[claim_id]
