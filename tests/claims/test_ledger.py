"""The whole ledger runs without a crashed check, every claim is well formed, and the findings stay what the
mathematics makes them (a changed verdict here means a check or a derivation changed)."""

from __future__ import annotations

import json

import pytest

from theorylab.claims.ledger import render_markdown, render_table, run_ledger, to_json_objects
from theorylab.claims.model import Verdict
from theorylab.claims.registry import SEED_000, SEED_002, all_claims


#: Claims whose checks took < 0.8 s of wall time each in one run of the whole ledger on the loaded 2-core machine
#: (the whole ledger: then 52 claims, ~85 s of CPU, the largest single cost of the test suite). The default suite runs
#: the structural tests on these and the findings that are among them; the whole ledger runs in the slow step.
FAST = ("000.gan.optimal-discriminator", "000.dsm.transition-score", "000.backward.log-ratio-bound",
        "000.ou.closed-form", "000.ou.w2-bound", "000.ou.kl-contraction", "000.practice.schedule-score-time",
        "002.score.normalisation", "002.sm.weighting", "002.conditional.bayes", "002.sampler.predictor-corrector",
        "002.experiments.gmm", "002.experiments.smile", "002.experiments.digits", "000.dsm.transition-moments",
        "000.dsm.sum-form", "000.forward.ar-convergence", "000.sde.generator")

def _finding(claim_id: str, verdict: Verdict):
    return pytest.param(claim_id, verdict, marks=() if claim_id in FAST else pytest.mark.slow)


#: The structural tests run on ``fast_results`` by default and on the whole ledger (``results``) in the slow step.
LEDGERS = ["fast_results", pytest.param("results", marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def results():
    return run_ledger()


@pytest.fixture(scope="module")
def fast_results():
    return run_ledger([c for c in all_claims() if c.id in FAST])


def test_the_fast_subset_is_registered_and_covers_each_kind_of_verdict(fast_results):
    assert {r.claim.id for r in fast_results} == set(FAST)
    assert {r.outcome.verdict for r in fast_results} >= {Verdict.PROVED, Verdict.VERIFIED, Verdict.CONDITIONAL,
                                                         Verdict.CORRECTED}


@pytest.mark.parametrize("ledger", LEDGERS)
def test_no_check_crashes(ledger, request):
    results = request.getfixturevalue(ledger)
    crashed = [(r.claim.id, r.error) for r in results if r.outcome is None]
    assert not crashed


@pytest.mark.parametrize("ledger", LEDGERS)
def test_ids_are_unique_and_sources_are_the_seeds(ledger, request):
    results = request.getfixturevalue(ledger)
    ids = [r.claim.id for r in results]
    assert len(ids) == len(set(ids))
    assert {r.claim.source for r in results} == {SEED_000, SEED_002}
    assert all(r.claim.id.startswith(r.claim.source[:3] + ".") for r in results)


@pytest.mark.parametrize("ledger", LEDGERS)
def test_every_decided_claim_carries_evidence(ledger, request):
    results = request.getfixturevalue(ledger)
    for r in results:
        o = r.outcome
        if o.verdict is Verdict.PENDING:
            # says what is missing: the issue that delivers it, or the command that computes it
            assert o.pending_on and ("issue" in o.pending_on or "run `theorylab" in o.pending_on
                                    or "run `python -m theorylab" in o.pending_on)
            continue
        assert o.evidence, r.claim.id
        if o.verdict in (Verdict.CORRECTED, Verdict.REFUTED):
            assert any(not e.supports for e in o.evidence), r.claim.id
        if o.verdict is Verdict.CORRECTED:
            assert o.correction is not None and o.correction.holds, r.claim.id
        if o.verdict is Verdict.CONDITIONAL:
            assert o.condition, r.claim.id


@pytest.mark.parametrize(
    "claim_id, verdict",
    [
        _finding("000.dsm.score-in-noise", Verdict.CORRECTED),  # -Z/sigma_k^2 should be -Z/sigma_k
        _finding("000.invert.exponent-sign", Verdict.CORRECTED),  # -(A - 4 gamma L), not -(A + 4 gamma L)
        _finding("000.ancestral.backward-decomposition", Verdict.PROVED),  # induction on N: the whole domain
        _finding("000.ancestral.marginal-recursion", Verdict.PROVED_SPECIAL_CASE),  # finite state space only
        _finding("000.ancestral.score-time-argument", Verdict.CORRECTED),  # trained on index k, fed time k gamma
        _finding("000.sm.dsm-index-range", Verdict.CORRECTED),  # k = 0 is degenerate: {1, ..., N}
        _finding("000.ou.gaussian-process", Verdict.CONDITIONAL),  # only for Gaussian X_0
        _finding("000.debortoli.citation", Verdict.REFUTED),  # 2021b (DSB), not 2021a
        _finding("000.gan.criterion-measure", Verdict.CORRECTED),  # mu undefined; pi meant
        _finding("002.sm.time-range", Verdict.CORRECTED),  # U[0, T], not U[0, 1]
        _finding("000.dsm.transition-moments", Verdict.PROVED),
        _finding("000.dsm.sum-form", Verdict.CORRECTED),
        _finding("000.gan.value-js", Verdict.CONDITIONAL),  # true only for the un-halved JS
        _finding("000.forward.ar-convergence", Verdict.CONDITIONAL),  # needs |alpha| < 1
        _finding("000.backward.quadratic-bound", Verdict.CONDITIONAL),  # C <= (2+gamma)^2/(4 gamma)
        _finding("000.backward.taylor-remainder", Verdict.CORRECTED),  # missing (1 - t)
        _finding("000.sde.generator", Verdict.CORRECTED),  # sigma sigma^T, not sigma^T sigma
        _finding("000.debortoli.decomposition", Verdict.VERIFIED),
        _finding("002.kernels.vp", Verdict.CORRECTED),  # exp(-1/2 int beta)
        _finding("002.sde.probability-flow", Verdict.CORRECTED),  # 1/2 g^2
        _finding("002.sde.reverse", Verdict.CORRECTED),  # holds only after p_{T-t} -> p_t and reversed time: a correction
        _finding("000.sm.tweedie", Verdict.PROVED),  # for any p_0 (Leibniz + Bayes)
        _finding("000.sm.dsm-minimiser", Verdict.PROVED),  # projection + Tweedie, any p_0
        _finding("000.gan.optimal-generator", Verdict.PROVED),  # JS integrand >= 0, any laws
        _finding("000.sde.dynkin", Verdict.CORRECTED),  # inherits Sigma = sigma^T sigma
        _finding("000.ou.closed-form", Verdict.CORRECTED),  # B_{1-e^{-2t}} has the wrong covariance function
        _finding("000.ou.time-reversal", Verdict.PROVED_SPECIAL_CASE),  # process law for Gaussian X_0 only
        _finding("000.sm.ism-minimiser", Verdict.PROVED_SPECIAL_CASE),  # div f needs differentiable f, not all of L^2
        _finding("000.practice.schedule-benefit", Verdict.REFUTED),  # larger steps near the data make TV larger
        _finding("000.debortoli.tv-bound", Verdict.CONSISTENT),  # an existence statement
        _finding("000.debortoli.polynomial-improvement", Verdict.CONSISTENT),  # about other papers' bounds
        _finding("000.gan.alternating-sgd", Verdict.CONSISTENT),  # 'until convergence' from finite runs
        _finding("002.sampler.predictor-corrector", Verdict.VERIFIED),  # closed-form Gaussian PC law
    ],
)
def test_findings(claim_id, verdict, request):
    results = request.getfixturevalue("fast_results" if claim_id in FAST else "results")
    by_id = {r.claim.id: r for r in results}
    assert by_id[claim_id].outcome.verdict is verdict


@pytest.mark.parametrize("ledger", LEDGERS)
def test_every_piece_of_evidence_has_a_scope_and_proved_covers_the_domain(ledger, request):
    results = request.getfixturevalue(ledger)
    for r in results:
        o = r.outcome
        pieces = list(o.evidence) + (list(o.correction.evidence) if o.correction else [])
        assert all(e.scope.strip() for e in pieces), r.claim.id
        assert r.claim.domain.strip(), r.claim.id
        if o.verdict is Verdict.PROVED:
            assert any(e.kind.value == "symbolic identity" and e.supports and e.scope == r.claim.domain
                       for e in o.evidence), r.claim.id


@pytest.mark.parametrize("ledger", LEDGERS)
def test_renderers_and_json_schema(ledger, request):
    results = request.getfixturevalue(ledger)
    objects = to_json_objects(results)
    json.dumps(objects)  # serialisable
    assert all({"id", "source", "location", "statement", "verdict", "evidence", "correction"} <= set(o) for o in objects)
    table = render_table(results)
    assert f"{len(results)} claims" in table
    markdown = render_markdown(results)
    assert all(f"## {r.claim.id}" in markdown for r in results)


def test_registry_is_stable():
    assert len(all_claims()) == len({c.id for c in all_claims()})
