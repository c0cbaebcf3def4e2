"""Order of evidence of a user's claim: proved, refuted with a shrunk witness, or verified numerically — each on
a case whose answer is known, with mutations that must flip the verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from theorylab.claims.model import EvidenceKind, Verdict
from theorylab.claims.user import check_user_claim, parse_claims
from theorylab.claims.user.numeric import SymbolicSides, compare
from theorylab.claims.user.prove import try_prove
from theorylab.tolerances import USER_CLAIM_DIGITS, USER_CLAIM_RTOL

EM = {"g": [0, 1], "k": "integer [1, 200]"}


def run(**raw):
    raw.setdefault("id", "t.claim")
    raw.setdefault("statement", "as written")
    (claim,) = parse_claims([raw], source="test")
    return check_user_claim(claim)


def test_the_contract_example_is_proved_with_summation_and_branch_analysis():
    out = run(lhs="Sum(2*g*(1 - g)**(2*(k - j)), (j, 1, k))", rhs="(1 - (1 - g)**(2*k)) / (1 - g/2)", domain=EM)
    assert out.verdict is Verdict.PROVED
    assert out.evidence[0].kind is EvidenceKind.SYMBOLIC and "Piecewise" in out.evidence[0].summary


def test_a_mutated_contract_example_is_refuted():
    out = run(lhs="Sum(2*g*(1 - g)**(2*(k - j)), (j, 1, k))", rhs="(1 - (1 - g)**(2*k)) / (1 - g)", domain=EM)
    assert out.verdict is Verdict.REFUTED


def test_false_identity_gives_the_minimal_shrunk_witness_twice():
    """(1 - g)^k = 1 - k g holds at k = 1 and fails from k = 2: the shrunk witness is k = 2 (the docs' example)."""
    first = run(lhs="(1 - g)**k", rhs="1 - k*g", domain=EM)
    second = run(lhs="(1 - g)**k", rhs="1 - k*g", domain=EM)
    assert first.verdict is Verdict.REFUTED
    witness = first.evidence[0].details["witness"]
    assert witness["k"] == 2 and 0 < witness["g"] < 1
    assert second.evidence[0].details == first.evidence[0].details  # reproducible: same witness, same draw count
    g, k = witness["g"], witness["k"]
    assert first.evidence[0].details["lhs"] == pytest.approx((1 - g) ** k)  # the reported sides are the real ones


def test_true_but_unprovable_identity_is_verified_with_its_size_and_tolerance():
    """sympy does not simplify the Lambert-free identity atan(x) + atan(1/x) = pi/2 (x > 0) to 0 with our
    simplifiers; the verdict must then be 'verified', naming the number of draws and the tolerance."""
    out = run(lhs="atan(x) + atan(1/x)", rhs="pi/2", domain={"x": "positive"}, examples=50)
    assert out.verdict is Verdict.VERIFIED, out.evidence[0].summary
    summary = out.evidence[0].summary
    assert "50 Hypothesis draws" in summary and f"{USER_CLAIM_RTOL:g}" in summary and "not proved" in summary
    # on the negative half-line the same statement is false (= -pi/2): the domain matters
    assert run(lhs="atan(x) + atan(1/x)", rhs="pi/2", domain={"x": "real (-inf, 0)"}).verdict is Verdict.REFUTED


def test_inequalities_proved_verified_and_refuted():
    proved = run(lhs="(1 - a)/(1 - a*(1 - b)) * b", rhs="b", relation="<=", domain={"a": [0, 1], "b": [0, 1]})
    verified = run(lhs="(1 - g)**k", rhs="1 - k*g", relation=">=", domain=EM)
    refuted = run(lhs="(1 - g)**k", rhs="1 - k*g", relation="<=", domain=EM)
    assert proved.verdict is Verdict.PROVED
    assert verified.verdict is Verdict.VERIFIED  # Bernoulli's inequality: true, not proved by sympy
    assert refuted.verdict is Verdict.REFUTED and refuted.evidence[0].details["witness"]["k"] == 2


def test_strict_inequality_fails_where_the_sides_are_equal():
    out = run(lhs="0", rhs="x**2", relation="<", domain={"x": "real [-1, 1]"})
    assert out.verdict is Verdict.REFUTED and out.evidence[0].details["witness"] == {"x": 0.0}
    assert run(lhs="0", rhs="x**2", relation="<=", domain={"x": "real [-1, 1]"}).verdict is Verdict.PROVED


def test_matrix_identity_proved_and_its_mutation_refuted():
    domain = {"A": "matrix 2x3 real (-3, 3)", "B": "matrix 3x2 real (-3, 3)"}
    assert run(lhs="transpose(A*B)", rhs="transpose(B)*transpose(A)", domain=domain).verdict is Verdict.PROVED
    square = {"A": "matrix 2x2 real (-3, 3)", "B": "matrix 2x2 real (-3, 3)"}
    wrong = run(lhs="transpose(A*B)", rhs="transpose(A)*transpose(B)", domain=square)
    assert wrong.verdict is Verdict.REFUTED
    w = wrong.evidence[0].details["witness"]
    a, b = np.array(w["A"]), np.array(w["B"])
    assert not np.allclose((a @ b).T, a.T @ b.T)  # the witness really is one


def test_symmetric_matrix_declaration_is_used_by_the_proof():
    """det(S) = S11 S22 - S12^2 only for symmetric S."""
    assert run(lhs="det(S)", rhs="S_1_1*S_2_2 - S_1_2**2", domain={"S": "symmetric 2x2 real (-2, 2)"}).verdict \
        is Verdict.PROVED


def test_a_side_undefined_or_complex_on_the_domain_gives_a_counterexample():
    out = run(lhs="sqrt(x)", rhs="0", relation=">=", domain={"x": "real [-1, 1]"})
    assert out.verdict is Verdict.REFUTED
    assert out.evidence[0].details["reason"] == "complex value in an inequality"
    assert out.evidence[0].details["witness"]["x"] < 0
    assert run(lhs="sqrt(x)", rhs="0", relation=">=", domain={"x": "real [0, 1]"}).verdict is Verdict.PROVED
    log = run(lhs="log(x**2)", rhs="2*log(x)", domain={"x": "real [-1, 1]"}, examples=50)
    assert log.verdict is Verdict.REFUTED  # log(x^2) = 2 log(x) fails for x < 0 (and is undefined at 0)
    assert run(lhs="log(x**2)", rhs="2*log(x)", domain={"x": "positive"}).verdict is Verdict.PROVED


def test_near_cancellation_does_not_create_a_counterexample():
    """At x = 1e-60, (1+x)^2 - 1 - 2x loses every digit at 50 and 100 digits; only the exact stage gets x^2."""
    x = sp.Symbol("x", positive=True)
    sides = SymbolicSides((1 + x) ** 2 - 1 - 2 * x, x**2, {"x": x})
    point = {"x": 1e-60}
    assert compare(*sides.mp_values(point, USER_CLAIM_DIGITS), "=", USER_CLAIM_RTOL).violated  # the trap
    assert not sides.check(point, "=").violated
    mutated = SymbolicSides((1 + x) ** 2 - 1 - 2 * x, 2 * x**2, {"x": x})
    assert mutated.check(point, "=").violated  # and a real discrepancy of the same size is still caught


@pytest.mark.parametrize(
    "relation, lhs, rhs, violated",
    [("=", 1.0, 1.0, False), ("=", sp.Integer(1), 1 + sp.Rational(1, 10**20), True),
     ("=", sp.Integer(1), 1 + sp.Rational(1, 10**40), False), ("<=", 1.0, 1.0, False), ("<", 1.0, 1.0, True),
     ("<", 1.0, 2.0, False), (">=", 1.0, 2.0, True), (">", 2.0, 1.0, False), (">", 1.0, 1.0, True),
     ("=", math.inf, math.inf, True), ("<=", complex(0, 1), 2.0, True)],
)
def test_compare_implements_the_relation_table(relation, lhs, rhs, violated):
    assert compare([lhs], [rhs], relation, USER_CLAIM_RTOL).violated is violated


def test_a_proof_attempt_that_times_out_is_not_a_proof():
    x = sp.Symbol("x", positive=True)
    attempt = try_prove(sp.atan(x) + sp.atan(1 / x), sp.pi / 2, "=", parse_claims(
        [{"id": "c", "statement": "s", "lhs": "x", "rhs": "x", "domain": {"x": "positive"}}], source="t")[0].domain,
        seconds=1e-3)
    assert not attempt.proved and "no proof" in attempt.method


def _loop_variance(t, b):
    v = 0.0
    for _ in range(t):
        v = (1 - b) * v + b
    return v


def test_callable_sides_are_compared_in_float64_with_their_rtol():
    domain = {"b": "real [0.0001, 0.02]", "t": "integer [1, 1000]"}
    ok = run(lhs=_loop_variance, rhs="1 - (1 - b)**t", domain=domain, examples=40)
    assert ok.verdict is Verdict.VERIFIED and "float64" in ok.evidence[0].summary
    wrong = run(lhs=_loop_variance, rhs="1 - exp(-b*t)", domain=domain, examples=40)  # the continuous-time law
    assert wrong.verdict is Verdict.REFUTED
    loose = run(lhs=_loop_variance, rhs="1 - exp(-b*t)", domain=domain, examples=40, rtol=0.5)
    assert loose.verdict is Verdict.VERIFIED  # the claim's own rtol is what is checked, and it is reported
    assert loose.evidence[0].details["rtol"] == 0.5
