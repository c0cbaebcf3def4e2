"""The whole ledger runs without a crashed check, every claim is well formed, and the findings stay what the
mathematics makes them (a changed verdict here means a check or a derivation changed)."""

from __future__ import annotations

import json

import pytest

from theorylab.claims.ledger import render_markdown, render_table, run_ledger, to_json_objects
from theorylab.claims.model import Verdict
from theorylab.claims.registry import SEED_000, SEED_002, all_claims


#: Claims whose checks took < 0.8 s of wall time each in one run of the whole ledger on the loaded 2-core machine
#: (the whole ledger: 52 claims, ~85 s of CPU, the largest single cost of the test suite). The default suite runs
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
                                                         Verdict.CORRECTED, Verdict.PENDING}


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
            assert o.pending_on and ("issue" in o.pending_on or "run `theorylab" in o.pending_on)
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
        _finding("002.sde.reverse", Verdict.CONDITIONAL),
        _finding("000.sm.tweedie", Verdict.PROVED),
        _finding("000.practice.schedule-benefit", Verdict.REFUTED),  # larger steps near the data make TV larger
        _finding("000.debortoli.tv-bound", Verdict.VERIFIED),
        _finding("000.gan.alternating-sgd", Verdict.VERIFIED),
    ],
)
def test_findings(claim_id, verdict, request):
    results = request.getfixturevalue("fast_results" if claim_id in FAST else "results")
    by_id = {r.claim.id: r for r in results}
    assert by_id[claim_id].outcome.verdict is verdict


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
