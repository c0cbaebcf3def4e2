"""Verdicts follow from evidence: the same check gives a different verdict when the mathematics differs."""

import sympy as sp

from theorylab.claims.model import Evidence, EvidenceKind, Verdict
from theorylab.claims.verdicts import (
    conditional,
    consistent,
    convention,
    evidence_from_comparison,
    evidence_from_identity,
    from_evidence,
    from_identity,
    pending,
)
from theorylab.symbolic.result import Truth, check_identity

g, k = sp.symbols("gamma k", positive=True)


DOMAIN = "all gamma"


def _ok(kind=EvidenceKind.SYMBOLIC, scope=DOMAIN):
    return Evidence(kind, "ok", True, scope=scope)


def _bad():
    return Evidence(EvidenceKind.COUNTEREXAMPLE, "bad", False, scope="gamma = 1/2")


def test_true_identity_is_proved_and_a_mutated_one_is_refuted():
    true = check_identity((1 - g) ** 2, 1 - 2 * g + g**2)
    mutated = check_identity((1 - g) ** 2, 1 - 2 * g + 2 * g**2, domain={g: (0, 1)})
    assert true.truth is Truth.PROVED
    assert from_identity(true, "square", scope=DOMAIN).verdict is Verdict.PROVED
    assert mutated.truth is Truth.FAILS
    assert 0 <= mutated.witness["gamma"] <= 1
    assert from_identity(mutated, "square", scope=DOMAIN).verdict is Verdict.REFUTED


def test_refuted_with_a_holding_correction_is_corrected():
    wrong = evidence_from_identity(check_identity(g**2, g**3, domain={g: (0.1, 0.9)}), "as written", scope=DOMAIN)
    right = evidence_from_identity(check_identity(g**2, g * g), "corrected", scope=DOMAIN)
    out = from_evidence([wrong], correction=("g^2 = g g", [right]))
    assert out.verdict is Verdict.CORRECTED and out.correction.holds
    out_bad_fix = from_evidence([wrong], correction=("g^2 = g^3", [wrong]))
    assert out_bad_fix.verdict is Verdict.REFUTED


def test_numeric_evidence_alone_gives_verified_not_proved():
    assert from_evidence([_ok(EvidenceKind.EXACT_NUMBER)]).verdict is Verdict.VERIFIED
    assert from_evidence([_ok(), _ok(EvidenceKind.EXACT_NUMBER)]).verdict is Verdict.PROVED  # numbers corroborate
    assert from_evidence([_ok()]).verdict is Verdict.PROVED


def test_proved_needs_a_symbolic_piece_whose_scope_is_the_stated_domain():
    # the verdict is a function of the scope: a proof on a family is proved-special-case, whatever the check says
    special = from_evidence([_ok(scope="gamma = 1/2"), _ok(EvidenceKind.EXACT_NUMBER)])
    assert special.settled(DOMAIN).verdict is Verdict.PROVED_SPECIAL_CASE
    assert "gamma = 1/2" in special.settled(DOMAIN).condition
    assert from_evidence([_ok(), _ok(scope="gamma = 1/2")]).settled(DOMAIN).verdict is Verdict.PROVED
    # numeric evidence on the whole domain does not make a proof
    numeric = from_evidence([_ok(EvidenceKind.EXACT_NUMBER)])
    assert numeric.settled(DOMAIN).verdict is Verdict.VERIFIED
    # a contradicting symbolic piece with the right scope does not count either
    assert from_evidence([_ok(scope="gamma = 1/2")]).settled("gamma = 1/2").verdict is Verdict.PROVED


def test_evidence_must_name_its_scope():
    import pytest

    with pytest.raises(ValueError, match="scope"):
        Evidence(EvidenceKind.SYMBOLIC, "no scope", True)


def test_existence_statements_are_at_most_consistent():
    assert consistent([_ok(EvidenceKind.EMPIRICAL_RATE)], why="exists B, C, D").verdict is Verdict.CONSISTENT
    assert consistent([_ok(), _bad()], why="exists B, C, D").verdict is Verdict.REFUTED


def test_comparison_supports_only_within_tolerance():
    assert evidence_from_comparison("x", 1e-12, 1e-9, scope=DOMAIN).supports
    assert not evidence_from_comparison("x", 1e-6, 1e-9, scope=DOMAIN).supports


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
