"""Verdicts follow from evidence: the same check gives a different verdict when the mathematics differs."""

import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind, Verdict
from theorylab.claims.verdicts import (
    conditional,
    convention,
    evidence_from_comparison,
    evidence_from_identity,
    from_evidence,
    from_identity,
    pending,
)
from theorylab.symbolic.result import Truth, check_identity

g, k = sp.symbols("gamma k", positive=True)


def _ok(kind=EvidenceKind.SYMBOLIC):
    return Evidence(kind, "ok", True)


def _bad():
    return Evidence(EvidenceKind.COUNTEREXAMPLE, "bad", False)


def test_true_identity_is_proved_and_a_mutated_one_is_refuted():
    true = check_identity((1 - g) ** 2, 1 - 2 * g + g**2)
    mutated = check_identity((1 - g) ** 2, 1 - 2 * g + 2 * g**2, domain={g: (0, 1)})
    assert true.truth is Truth.PROVED
    assert from_identity(true, "square").verdict is Verdict.PROVED
    assert mutated.truth is Truth.FAILS
    assert 0 <= mutated.witness["gamma"] <= 1
    assert from_identity(mutated, "square").verdict is Verdict.REFUTED


def test_refuted_with_a_holding_correction_is_corrected():
    wrong = evidence_from_identity(check_identity(g**2, g**3, domain={g: (0.1, 0.9)}), "as written")
    right = evidence_from_identity(check_identity(g**2, g * g), "corrected")
    out = from_evidence([wrong], correction=("g^2 = g g", [right]))
    assert out.verdict is Verdict.CORRECTED and out.correction.holds
    out_bad_fix = from_evidence([wrong], correction=("g^2 = g^3", [wrong]))
    assert out_bad_fix.verdict is Verdict.REFUTED


def test_numeric_evidence_gives_verified_not_proved():
    assert from_evidence([_ok(), _ok(EvidenceKind.EXACT_NUMBER)]).verdict is Verdict.VERIFIED
    assert from_evidence([_ok()]).verdict is Verdict.PROVED


def test_comparison_supports_only_within_tolerance():
    assert evidence_from_comparison("x", 1e-12, 1e-9).supports
    assert not evidence_from_comparison("x", 1e-6, 1e-9).supports


def test_conditional_needs_both_a_counterexample_and_a_holding_restriction():
    assert conditional([_bad()], [_ok()], "gamma < 2").verdict is Verdict.CONDITIONAL
    assert conditional([_ok()], [_ok()], "gamma < 2").verdict is Verdict.PROVED
    assert conditional([_bad()], [_bad()], "gamma < 2").verdict is Verdict.REFUTED


def test_convention_dependence():
    assert convention({"a": [_ok()], "b": [_bad()]}).verdict is Verdict.CONDITIONAL
    assert convention({"a": [_ok()], "b": [_ok()]}).verdict is Verdict.PROVED
    assert convention({"a": [_bad()], "b": [_bad()]}).verdict is Verdict.REFUTED


def test_pending_says_why():
    out = pending("needs the grid law (issue 3)")
    assert out.verdict is Verdict.PENDING and "issue 3" in out.one_line()
