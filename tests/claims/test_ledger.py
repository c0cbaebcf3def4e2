"""The whole ledger runs without a crashed check, every claim is well formed, and the findings stay what the
mathematics makes them (a changed verdict here means a check or a derivation changed)."""

from __future__ import annotations

import json

import pytest

from theorylab.claims.ledger import render_markdown, render_table, run_ledger, to_json_objects
from theorylab.claims.model import Verdict
from theorylab.claims.registry import SEED_000, SEED_002, all_claims


@pytest.fixture(scope="module")
def results():
    return run_ledger()


def test_no_check_crashes(results):
    crashed = [(r.claim.id, r.error) for r in results if r.outcome is None]
    assert not crashed


def test_ids_are_unique_and_sources_are_the_seeds(results):
    ids = [r.claim.id for r in results]
    assert len(ids) == len(set(ids))
    assert {r.claim.source for r in results} == {SEED_000, SEED_002}
    assert all(r.claim.id.startswith(r.claim.source[:3] + ".") for r in results)


def test_every_decided_claim_carries_evidence(results):
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
        ("000.dsm.score-in-noise", Verdict.CORRECTED),  # -Z/sigma_k^2 should be -Z/sigma_k
        ("000.invert.exponent-sign", Verdict.CORRECTED),  # -(A - 4 gamma L), not -(A + 4 gamma L)
        ("000.ancestral.backward-decomposition", Verdict.PROVED),  # induction on N: the whole domain
        ("000.ancestral.marginal-recursion", Verdict.PROVED_SPECIAL_CASE),  # finite state space only
        ("000.ancestral.score-time-argument", Verdict.CORRECTED),  # trained on index k, fed time k gamma
        ("000.sm.dsm-index-range", Verdict.CORRECTED),  # k = 0 is degenerate: {1, ..., N}
        ("000.ou.gaussian-process", Verdict.CONDITIONAL),  # only for Gaussian X_0
        ("000.debortoli.citation", Verdict.REFUTED),  # 2021b (DSB), not 2021a
        ("000.gan.criterion-measure", Verdict.CORRECTED),  # mu undefined; pi meant
        ("002.sm.time-range", Verdict.CORRECTED),  # U[0, T], not U[0, 1]
        ("000.dsm.transition-moments", Verdict.PROVED),
        ("000.dsm.sum-form", Verdict.CORRECTED),
        ("000.gan.value-js", Verdict.CONDITIONAL),  # true only for the un-halved JS
        ("000.forward.ar-convergence", Verdict.CONDITIONAL),  # needs |alpha| < 1
        ("000.backward.quadratic-bound", Verdict.CONDITIONAL),  # C <= (2+gamma)^2/(4 gamma)
        ("000.backward.taylor-remainder", Verdict.CORRECTED),  # missing (1 - t)
        ("000.sde.generator", Verdict.CORRECTED),  # sigma sigma^T, not sigma^T sigma
        ("000.debortoli.decomposition", Verdict.VERIFIED),
        ("002.kernels.vp", Verdict.CORRECTED),  # exp(-1/2 int beta)
        ("002.sde.probability-flow", Verdict.CORRECTED),  # 1/2 g^2
        ("002.sde.reverse", Verdict.CORRECTED),  # holds only after p_{T-t} -> p_t and reversed time: a correction
        ("000.sm.tweedie", Verdict.PROVED),  # for any p_0 (Leibniz + Bayes)
        ("000.sm.dsm-minimiser", Verdict.PROVED),  # projection + Tweedie, any p_0
        ("000.gan.optimal-generator", Verdict.PROVED),  # JS integrand >= 0, any laws
        ("000.sde.dynkin", Verdict.CORRECTED),  # inherits Sigma = sigma^T sigma
        ("000.ou.closed-form", Verdict.CORRECTED),  # B_{1-e^{-2t}} has the wrong covariance function
        ("000.ou.time-reversal", Verdict.PROVED_SPECIAL_CASE),  # process law for Gaussian X_0 only
        ("000.sm.ism-minimiser", Verdict.PROVED_SPECIAL_CASE),  # div f needs differentiable f, not all of L^2
        ("000.practice.schedule-benefit", Verdict.REFUTED),  # larger steps near the data make TV larger
        ("000.debortoli.tv-bound", Verdict.CONSISTENT),  # an existence statement
        ("000.debortoli.polynomial-improvement", Verdict.CONSISTENT),  # about other papers' bounds
        ("000.gan.alternating-sgd", Verdict.CONSISTENT),  # 'until convergence' from finite runs
        ("002.sampler.predictor-corrector", Verdict.VERIFIED),  # closed-form Gaussian PC law
    ],
)
def test_findings(results, claim_id, verdict):
    by_id = {r.claim.id: r for r in results}
    assert by_id[claim_id].outcome.verdict is verdict


def test_every_piece_of_evidence_has_a_scope_and_proved_covers_the_domain(results):
    for r in results:
        o = r.outcome
        pieces = list(o.evidence) + (list(o.correction.evidence) if o.correction else [])
        assert all(e.scope.strip() for e in pieces), r.claim.id
        assert r.claim.domain.strip(), r.claim.id
        if o.verdict is Verdict.PROVED:
            assert any(e.kind.value == "symbolic identity" and e.supports and e.scope == r.claim.domain
                       for e in o.evidence), r.claim.id


def test_renderers_and_json_schema(results):
    objects = to_json_objects(results)
    json.dumps(objects)  # serialisable
    assert all({"id", "source", "location", "statement", "domain", "verdict", "evidence", "correction"} <= set(o)
               for o in objects)
    assert all("scope" in e for o in objects for e in o["evidence"])
    table = render_table(results)
    assert f"{len(results)} claims" in table
    markdown = render_markdown(results)
    assert all(f"## {r.claim.id}" in markdown for r in results)


def test_registry_is_stable():
    assert len(all_claims()) == len({c.id for c in all_claims()})
