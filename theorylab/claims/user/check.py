r"""A user's claim and its check: proof first, then a counterexample search, then an honest numerical verdict.

Order of evidence (the verdicts are the ledger's, :mod:`theorylab.claims.verdicts`):

1. **proved** — sympy reduces the claim to a tautology on the whole declared domain (:mod:`.prove`). (A probe of
   :data:`PROBE_DRAWS` Hypothesis draws runs first, as in :func:`theorylab.symbolic.result.check_identity`, only to
   spare sympy a costly simplification of a residual that is not 0: a counterexample it finds has passed the exact
   stage, so no proof exists, and it is the same shrunk witness the full search would report.)
2. **refuted** — otherwise Hypothesis searches the domain (:mod:`.search`); a point that fails all three
   evaluation stages of :mod:`.numeric` (50 digits, 100 digits, exact) is shrunk to a minimal witness;
3. **verified** — no counterexample: the verdict states the number of Hypothesis draws, the working precision and
   the tolerance. It is never reported as proved.

Claims whose sides are Python callables skip step 1 (there is nothing symbolic to prove) and compare in float64
with the claim's ``rtol``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from theorylab.claims.model import Claim, Evidence, EvidenceKind, Outcome
from theorylab.claims.user.domain import Domain
from theorylab.claims.user.numeric import CallableSides, SymbolicSides
from theorylab.claims.user.prove import try_prove
from theorylab.claims.user.search import search_counterexample
from theorylab.claims.verdicts import from_evidence
from theorylab.tolerances import USER_CALLABLE_RTOL, USER_CLAIM_DIGITS, USER_CLAIM_RTOL

__all__ = ["DEFAULT_EXAMPLES", "UserClaim", "check_user_claim"]

#: Hypothesis draws of a counterexample search unless a claim sets ``examples``.
DEFAULT_EXAMPLES: int = 200

#: Draws of the probe that precedes the proof attempt of a symbolic claim (module docstring).
PROBE_DRAWS: int = 10

Side = sp.Basic | Callable[..., Any]


@dataclass(frozen=True)
class UserClaim:
    """A claim read from a user's file (see docs/user-claims.md for the file contract)."""

    id: str
    statement: str
    lhs: Side  #: a sympy expression/matrix, or a callable f(**point)
    rhs: Side
    lhs_text: str
    rhs_text: str
    relation: str  #: = <= < >= >
    domain: Domain
    source: str
    location: str = ""
    examples: int = DEFAULT_EXAMPLES
    rtol: float | None = None  #: callables only; default USER_CALLABLE_RTOL

    @property
    def symbolic(self) -> bool:
        return not (callable(self.lhs) or callable(self.rhs))

    def to_claim(self) -> Claim:
        """The ledger's :class:`~theorylab.claims.model.Claim`, whose check is :func:`check_user_claim`."""
        kind = EvidenceKind.SYMBOLIC if self.symbolic else EvidenceKind.EXACT_NUMBER
        return Claim(self.id, self.source, self.location, self.statement, kind, lambda: check_user_claim(self),
                     domain=self.domain.text())


def _kwargs(domain: Domain) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Point (scalar symbol -> value) -> keyword arguments of a callable (matrices as float64 arrays)."""

    def convert(point: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in domain.describe_point(point).items():
            out[name] = np.asarray(value, dtype=np.float64) if isinstance(value, list) else value
        return out

    return convert


def _as_callable(side: Side, domain: Domain) -> Callable[..., Any]:
    """A sympy side made into f(**kwargs) -> float array, evaluated at USER_CLAIM_DIGITS then rounded."""
    if callable(side):
        return side
    sides = SymbolicSides(side, side, domain.symbols)

    def f(**kwargs: Any) -> np.ndarray:
        point = {}
        for v in domain.variables:
            value = kwargs[v.name]
            for name, s in v.symbols.items():
                if v.shape is None:
                    point[name] = value
                else:
                    i, j = (int(x) - 1 for x in name.rsplit("_", 2)[1:])
                    point[name] = float(np.asarray(value)[i, j])
        values, _ = sides.mp_values(point, USER_CLAIM_DIGITS)
        return np.array([complex(x) if abs(complex(x).imag) else float(x) for x in values]).reshape(
            side.shape if isinstance(side, sp.MatrixBase) else ())

    return f


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, complex):
        return f"{value:.6g}"
    return str(value)


def check_user_claim(claim: UserClaim) -> Outcome:
    """Proof, else counterexample search, else a numerical verdict (module docstring)."""
    where = f"on {claim.domain.text()}"
    proof_note = "callable sides: no symbolic proof attempted"
    sides: SymbolicSides | CallableSides
    if claim.symbolic:
        sides = SymbolicSides(claim.lhs, claim.rhs, claim.domain.symbols)
        rtol = USER_CLAIM_RTOL
        precision = f"{USER_CLAIM_DIGITS} digits (mpmath; failures confirmed at 100 digits and exactly)"
    else:
        sides = CallableSides(_as_callable(claim.lhs, claim.domain), _as_callable(claim.rhs, claim.domain),
                              _kwargs(claim.domain))
        rtol = USER_CALLABLE_RTOL if claim.rtol is None else claim.rtol
        precision = "float64"

    def is_counterexample(point: dict[str, Any]) -> bool:
        return sides.check(point, claim.relation, rtol).violated

    search = lambda n: search_counterexample(claim.domain.strategy(), is_counterexample, n)  # noqa: E731
    result = None
    if claim.symbolic:
        # The probe only spares sympy a hopeless simplification: a confirmed (exact) counterexample means no proof
        # exists. The probe's draws are the first draws of the full search (derandomized), so the witness is the
        # same either way.
        probe = search(min(PROBE_DRAWS, claim.examples))
        if probe.witness is not None:
            result, proof_note = probe, "not attempted: the probe found a counterexample"
        else:
            proof = try_prove(claim.lhs, claim.rhs, claim.relation, claim.domain)
            if proof.proved:
                return from_evidence([Evidence(EvidenceKind.SYMBOLIC, f"proved {where}: {proof.method}", True,
                                               {"method": proof.method, "domain": claim.domain.text()},
                                               scope=claim.domain.text())]).settled(claim.domain.text())
            proof_note = proof.method
    if result is None:
        result = search(claim.examples)
    details: dict[str, Any] = {"draws": result.draws, "rtol": rtol, "precision": precision,
                               "domain": claim.domain.text(), "proof_attempt": proof_note}
    if result.witness is None:
        tol = f"|lhs - rhs| <= {rtol:g} max(|lhs|, |rhs|)" if claim.relation == "=" else f"relative margin {rtol:g}"
        summary = (f"verified numerically: no counterexample in {result.draws} Hypothesis draws {where} "
                   f"({tol}, {precision}); not proved: {proof_note}")
        return from_evidence([Evidence(EvidenceKind.EXACT_NUMBER, summary, True, details,
                                       scope=f"{result.draws} Hypothesis draws on {claim.domain.text()}")])
    at = sides.check(result.witness, claim.relation, rtol)
    shown = claim.domain.describe_point(result.witness)
    point = ", ".join(f"{k} = {_fmt(v)}" for k, v in shown.items())
    why = f" ({at.reason})" if at.reason else ""
    summary = (f"counterexample at {point}: lhs = {_fmt(at.lhs)}, rhs = {_fmt(at.rhs)}{why} "
               f"[Hypothesis, shrunk; first found at draw {result.draws}]")
    details.update({"witness": shown, "lhs": at.lhs, "rhs": at.rhs, "residual": at.residual,
                    "reason": at.reason or "relation violated", "evaluations": result.evaluations})
    return from_evidence([Evidence(EvidenceKind.COUNTEREXAMPLE, summary, False, details,
                                   scope=f"the point {point} of {claim.domain.text()}")])
