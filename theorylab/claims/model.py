"""Data model of the claims ledger: a :class:`Claim`, the :class:`Outcome` its check computes, and the
:class:`Evidence` the outcome carries.

A claim is the statement as written in a seed (never silently repaired), where it is, and a *check*: a function
that computes the evidence and, from it, the verdict. Verdicts are never stored; they are produced by
:mod:`theorylab.claims.verdicts` from the computed evidence every time the ledger runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Claim", "Correction", "Evidence", "EvidenceKind", "Outcome", "Verdict"]


class Verdict(str, enum.Enum):
    """What the ledger concludes about a claim as written."""

    PROVED = "proved"  #: symbolic proof whose scope is the claim's whole stated domain
    PROVED_SPECIAL_CASE = "proved-special-case"  #: symbolic proof on a named family or sub-domain only
    VERIFIED = "verified"  #: numerical check with a stated tolerance and size
    CONSISTENT = "consistent"  #: an existence statement or a cited result: data that could refute it did not
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
    scope : str
        The family or sub-domain this piece covers, e.g. ``"p_0 Gaussian, d = 1"``; equal to the claim's
        :attr:`Claim.domain` when it covers the whole stated domain. Required (keyword): a piece of evidence that
        does not say what it covers cannot support a verdict.
    """

    kind: EvidenceKind
    summary: str
    supports: bool
    details: Mapping[str, Any] = field(default_factory=dict)
    scope: str = field(default="", kw_only=True)

    def __post_init__(self) -> None:
        if not self.scope.strip():
            raise ValueError(f"evidence without a scope: {self.summary[:60]!r}")


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

    def settled(self, domain: str) -> Outcome:
        """The verdict as a function of the evidence's scope: ``proved`` only when some supporting symbolic piece
        covers ``domain`` (the claim's stated domain); a symbolic proof on a smaller family is
        ``proved-special-case``, whatever the check returned."""
        if self.verdict is not Verdict.PROVED:
            return self
        general = any(e.kind is EvidenceKind.SYMBOLIC and e.supports and e.scope == domain for e in self.evidence)
        if general:
            return self
        scopes = "; ".join(dict.fromkeys(e.scope for e in self.evidence))
        return replace(self, verdict=Verdict.PROVED_SPECIAL_CASE, condition=f"proved on: {scopes}")

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
        ``check() -> Outcome``; computes the evidence and the verdict (settled against :attr:`domain`).
    domain : str
        The stated domain of the claim, in words (what ``proved`` must cover), e.g. ``"any density p_0 on R^d"``.
    """

    id: str
    source: str
    location: str
    statement: str
    evidence_kind: EvidenceKind
    check: Callable[..., Outcome] = field(repr=False, compare=False)
    domain: str = ""
