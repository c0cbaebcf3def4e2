"""Data model of the claims ledger: a :class:`Claim`, the :class:`Outcome` its check computes, and the
:class:`Evidence` the outcome carries.

A claim is the statement as written in a seed (never silently repaired), where it is, and a *check*: a function
that computes the evidence and, from it, the verdict. Verdicts are never stored; they are produced by
:mod:`theorylab.claims.verdicts` from the computed evidence every time the ledger runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Claim", "Correction", "Evidence", "EvidenceKind", "Outcome", "Verdict"]


class Verdict(str, enum.Enum):
    """What the ledger concludes about a claim as written."""

    PROVED = "proved"  #: symbolic proof on the whole stated domain
    VERIFIED = "verified"  #: numerical check with a stated tolerance and size
    REFUTED = "refuted"  #: a concrete counterexample; no correction checked
    CORRECTED = "corrected"  #: false as written; the corrected statement is proved or verified
    CONDITIONAL = "conditional"  #: true only under a named convention or on a named sub-domain
    PENDING = "pending"  #: needs numerics that another issue delivers


class EvidenceKind(str, enum.Enum):
    """The four kinds of evidence of DESIGN.md, plus counterexamples."""

    SYMBOLIC = "symbolic identity"
    EXACT_NUMBER = "exact number vs independent route"
    SPECIAL_CASE = "reduction to a known special case"
    EMPIRICAL_RATE = "empirical rate"
    COUNTEREXAMPLE = "counterexample"


@dataclass(frozen=True)
class Evidence:
    """One piece of computed evidence.

    Attributes
    ----------
    kind : EvidenceKind
    summary : str
        One line, e.g. ``"sympy: rsolve gives sigma_k^2 = (1-(1-g)^(2k))/(1-g/2); residual 0"``.
    supports : bool
        Whether this piece supports the statement it was computed for.
    details : mapping
        Numbers, sizes and tolerances (JSON-serialisable), e.g. ``{"max_rel_err": 3e-15, "tolerance": 1e-9}``.
    """

    kind: EvidenceKind
    summary: str
    supports: bool
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Correction:
    """The corrected statement of a claim that is false as written, with its own evidence."""

    statement: str
    evidence: tuple[Evidence, ...]

    @property
    def holds(self) -> bool:
        return bool(self.evidence) and all(e.supports for e in self.evidence)


@dataclass(frozen=True)
class Outcome:
    """What a check computed: the verdict and everything it rests on."""

    verdict: Verdict
    evidence: tuple[Evidence, ...]
    correction: Correction | None = None
    condition: str | None = None  #: for CONDITIONAL: the convention or sub-domain where it holds
    pending_on: str | None = None  #: for PENDING: what is missing and which issue delivers it

    def one_line(self) -> str:
        """The first piece of evidence (or the pending reason), for tables."""
        if self.verdict is Verdict.PENDING:
            return f"pending: {self.pending_on}"
        text = self.evidence[0].summary if self.evidence else ""
        if self.condition:
            text = f"{text} [holds: {self.condition}]"
        return text


@dataclass(frozen=True)
class Claim:
    """A mathematical claim of a seed document.

    Attributes
    ----------
    id : str
        Stable identifier, ``<seed>.<topic>.<name>``, e.g. ``"000.dsm.transition-score-noise"``.
    source : str
        Seed file name.
    location : str
        Slide or section title where the claim is made.
    statement : str
        The statement as written in the seed (LaTeX), slips included.
    evidence_kind : EvidenceKind
        The kind of evidence the check produces.
    check : callable
        ``check() -> Outcome``; computes the evidence and the verdict.
    """

    id: str
    source: str
    location: str
    statement: str
    evidence_kind: EvidenceKind
    check: Callable[[], Outcome] = field(repr=False, compare=False)
