"""Verdicts computed from evidence, never typed in.

Each function maps computed evidence to a :class:`~theorylab.claims.model.Outcome`. A claim's check gathers the
evidence (sympy identity checks, numbers with tolerances, counterexamples) and calls one of these; the verdict
is therefore a function of the mathematics: if the mathematics were different, the verdict would be too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from theorylab.claims.model import Correction, Evidence, EvidenceKind, Outcome, Verdict
from theorylab.symbolic.result import IdentityCheck, Truth

__all__ = [
    "evidence_from_identity",
    "evidence_from_comparison",
    "from_evidence",
    "from_identity",
    "conditional",
    "consistent",
    "convention",
    "pending",
]


def evidence_from_identity(check: IdentityCheck, what: str, *, scope: str) -> Evidence:
    """Evidence from a sympy identity check: symbolic when proved, an exact-number comparison when only
    supported numerically, a counterexample when refuted. ``scope``: the family the identity was checked on."""
    kind = {
        Truth.PROVED: EvidenceKind.SYMBOLIC,
        Truth.NUMERIC: EvidenceKind.EXACT_NUMBER,
        Truth.FAILS: EvidenceKind.COUNTEREXAMPLE,
    }[check.truth]
    details: dict[str, Any] = {"truth": check.truth.value, "method": check.method}
    if check.witness:
        details["witness"] = dict(check.witness)
    return Evidence(kind, f"{what}: {check.summary()}", check.holds, details, scope=scope)


def evidence_from_comparison(
    what: str,
    error: float,
    tolerance: float,
    *,
    kind: EvidenceKind = EvidenceKind.EXACT_NUMBER,
    details: Mapping[str, Any] | None = None,
    scope: str,
) -> Evidence:
    """Evidence that a computed error is within a named tolerance (supports iff ``error <= tolerance``)."""
    ok = bool(error <= tolerance)
    info = {"error": float(error), "tolerance": float(tolerance), **(details or {})}
    rel = "<=" if ok else ">"
    return Evidence(kind, f"{what}: error {error:.3g} {rel} tolerance {tolerance:.3g}", ok, info, scope=scope)


def from_evidence(
    evidence: Iterable[Evidence],
    *,
    correction: tuple[str, Iterable[Evidence]] | None = None,
) -> Outcome:
    """The verdict implied by evidence about the statement as written.

    * every piece supports it: PROVED if some piece is a symbolic identity (numerical pieces then corroborate it),
      VERIFIED otherwise; the registry then settles PROVED against the claim's stated domain
      (:meth:`~theorylab.claims.model.Outcome.settled`: ``proved-special-case`` unless a symbolic piece's scope is
      that domain);
    * some piece refutes it: CORRECTED if a correction is given and all its evidence supports it,
      REFUTED otherwise (the counterexample stands; the failed correction is reported too).
    """
    evidence = tuple(evidence)
    if not evidence:
        raise ValueError("a verdict needs evidence")
    if all(e.supports for e in evidence):
        symbolic = any(e.kind is EvidenceKind.SYMBOLIC for e in evidence)
        return Outcome(Verdict.PROVED if symbolic else Verdict.VERIFIED, evidence)
    fix = None
    if correction is not None:
        fix = Correction(correction[0], tuple(correction[1]))
    verdict = Verdict.CORRECTED if fix is not None and fix.holds else Verdict.REFUTED
    return Outcome(verdict, evidence, correction=fix)


def from_identity(
    check: IdentityCheck, what: str, *, scope: str, correction: tuple[str, Iterable[Evidence]] | None = None
) -> Outcome:
    """Shorthand: the verdict of a single identity check (with an optional correction)."""
    return from_evidence([evidence_from_identity(check, what, scope=scope)], correction=correction)


def consistent(evidence: Iterable[Evidence], *, why: str) -> Outcome:
    """A statement finitely many computations cannot establish: an existence statement ("there exist constants
    such that for all N, gamma ...") or a statement about another paper's proof.

    ``evidence`` is the data that *could have refuted* it (each piece says how). All support: CONSISTENT (never
    PROVED or VERIFIED), with ``why`` as the condition line; some refutes: REFUTED.
    """
    evidence = tuple(evidence)
    if not evidence:
        raise ValueError("a verdict needs evidence")
    if all(e.supports for e in evidence):
        return Outcome(Verdict.CONSISTENT, evidence, condition=why)
    return Outcome(Verdict.REFUTED, evidence)


def conditional(
    as_written: Iterable[Evidence],
    restricted: Iterable[Evidence],
    condition: str,
) -> Outcome:
    """A claim that fails somewhere on its stated domain but holds under ``condition``.

    ``as_written`` is evidence on the stated domain (a counterexample is expected among it) and ``restricted``
    the evidence under the condition. If the statement holds as written, the verdict is PROVED/VERIFIED (the
    condition was unnecessary); if it fails under the condition too, REFUTED. CONDITIONAL only when the
    counterexample exists *and* the restricted statement holds.
    """
    as_written, restricted = tuple(as_written), tuple(restricted)
    if all(e.supports for e in as_written):
        return from_evidence(as_written + restricted)
    if restricted and all(e.supports for e in restricted):
        return Outcome(Verdict.CONDITIONAL, as_written + restricted, condition=condition)
    return Outcome(Verdict.REFUTED, as_written + restricted)


def convention(
    per_convention: Mapping[str, Iterable[Evidence]],
) -> Outcome:
    """A statement whose truth depends on a convention (e.g. the normalisation of JS).

    ``per_convention`` maps a convention's name to the evidence for the statement under it. All hold:
    PROVED/VERIFIED; some hold: CONDITIONAL, naming those; none: REFUTED.
    """
    groups = {name: tuple(ev) for name, ev in per_convention.items()}
    holding = [name for name, ev in groups.items() if ev and all(e.supports for e in ev)]
    flat = tuple(e for ev in groups.values() for e in ev)
    if len(holding) == len(groups):
        return from_evidence(flat)
    if holding:
        return Outcome(Verdict.CONDITIONAL, flat, condition="under " + " / ".join(holding))
    return Outcome(Verdict.REFUTED, flat)


def pending(reason: str) -> Outcome:
    """No check yet: ``reason`` says what numerics are needed and which issue delivers them."""
    return Outcome(Verdict.PENDING, (), pending_on=reason)
