"""The ledger's seed-002 experiment claims: verdicts computed from a reproduction's result.json, pending without one.

The numbers below are synthetic result files (the shape ``theorylab.learning.reproductions`` writes), one that
meets each named criterion and one that misses it, so the checks are shown to be able to fail.
"""

from __future__ import annotations

import json

import pytest

from theorylab.claims import seed002
from theorylab.claims.model import Verdict


def est(value, lower, upper):
    return {"value": value, "lower": lower, "upper": upper, "method": "synthetic"}


def gmm(l2_upper, tv_upper):
    return {"profile": "quick", "score_error": {"l2_average": est(l2_upper / 2, 0.0, l2_upper)},
            "grid_law": {"learned": {"tv": est(tv_upper, tv_upper, tv_upper)},
                         "exact_score": {"tv": est(0.002, 0.002, 0.002)}}}


def smile(excess_lower, off_upper):
    return {"profile": "quick", "sw2_excess": est(excess_lower + 0.01, excess_lower, excess_lower + 0.02),
            "sw2": est(0.06, 0.05, 0.1), "sw2_floor": est(0.06, 0.03, 0.1),
            "parts": {"generated": {"off": est(off_upper / 2, 0.0, off_upper)}}}


def digits(mean_lower, worst_lower):
    per = {str(k): est(0.9, 0.8, 0.95) for k in range(10)}
    per["1"] = est(worst_lower + 0.05, worst_lower, worst_lower + 0.1)
    return {"profile": "quick", "judge": {"real_test_accuracy": est(0.98, 0.97, 0.99)},
            "conditional": {"scales": [{"scale": 1.0, "mean": est(mean_lower + 0.05, mean_lower, mean_lower + 0.1),
                                        "per_label": per}]}}


CASES = [
    ("seed002_gmm", seed002.experiment_gmm, gmm(0.05, 0.03), gmm(0.2, 0.03), gmm(0.05, 0.08)),
    ("seed002_smile", seed002.experiment_smile, smile(-0.04, 0.01), smile(0.01, 0.01), smile(-0.04, 0.2)),
    ("seed002_digits", seed002.experiment_digits, digits(0.8, 0.6), digits(0.4, 0.3), digits(0.8, 0.05)),
]


@pytest.mark.parametrize(("name", "check", "good", "bad_first", "bad_second"), CASES)
def test_verdicts_follow_the_numbers(tmp_path, monkeypatch, name, check, good, bad_first, bad_second):
    monkeypatch.setattr(seed002, "REPRODUCTIONS", tmp_path)
    assert check().verdict is Verdict.PENDING  # nothing run yet
    assert "theorylab experiment" in check().pending_on
    folder = tmp_path / name
    folder.mkdir()
    for result, expected in ((good, Verdict.VERIFIED), (bad_first, Verdict.REFUTED), (bad_second, Verdict.REFUTED)):
        (folder / "result.json").write_text(json.dumps(result))
        outcome = check()
        assert outcome.verdict is expected, (result, outcome)
        assert all(e.details["source"].endswith("result.json") for e in outcome.evidence)


def test_unreadable_result_is_pending(tmp_path, monkeypatch):
    monkeypatch.setattr(seed002, "REPRODUCTIONS", tmp_path)
    (tmp_path / "seed002_gmm").mkdir()
    (tmp_path / "seed002_gmm" / "result.json").write_text("{not json")
    assert seed002.experiment_gmm().verdict is Verdict.PENDING
