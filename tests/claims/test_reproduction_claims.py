"""The ledger's seed-002 experiment claims: verdicts computed from a reproduction's result.json, pending without one.

The numbers below are synthetic result files (the shape ``theorylab.studies.reproductions`` writes), one that
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
    # smile: the equivalence margin on the excess's upper end (0.12) and the off-face margin (0.01)
    ("seed002_smile", seed002.experiment_smile, smile(-0.04, 0.008), smile(0.11, 0.008), smile(-0.04, 0.03)),
    ("seed002_digits", seed002.experiment_digits, digits(0.8, 0.6), digits(0.4, 0.3), digits(0.8, 0.05)),
]


def stamped(name, result, *, files=("theorylab/provenance.py",), config=None):
    """``result`` with the provenance stamp of the current code (``files``) and the shipped experiment config."""
    from theorylab.studies.reproductions.runner import load_experiment
    from theorylab.provenance import make_stamp

    raw = load_experiment(seed002._experiment_file(name))[4] if config is None else config
    return {**result, "provenance": make_stamp(raw, files)}


def write(tmp_path, name, result):
    folder = tmp_path / "learning" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(json.dumps(result))


@pytest.mark.parametrize(("name", "check", "good", "bad_first", "bad_second"), CASES)
def test_verdicts_follow_the_numbers(tmp_path, name, check, good, bad_first, bad_second):
    assert check(reports=tmp_path).verdict is Verdict.PENDING  # nothing run yet
    assert "theorylab experiment" in check(reports=tmp_path).pending_on
    for result, expected in ((good, Verdict.VERIFIED), (bad_first, Verdict.REFUTED), (bad_second, Verdict.REFUTED)):
        write(tmp_path, name, stamped(name, result))
        outcome = check(reports=tmp_path)
        assert outcome.verdict is expected, (result, outcome)
        assert all(e.details["source"].endswith("result.json") for e in outcome.evidence)


@pytest.mark.parametrize(("name", "check", "good", "bad_first", "bad_second"), CASES[:1])
def test_a_result_from_other_code_or_config_is_stale(tmp_path, name, check, good, bad_first, bad_second):
    write(tmp_path, name, good)  # no stamp at all
    assert check(reports=tmp_path).pending_on.startswith("stale: run `python -m theorylab experiment")
    result = stamped(name, good)
    result["provenance"]["source_files"]["theorylab/provenance.py"] = "0" * 64  # the code changed since
    result["provenance"]["source_hash"] = "0" * 64
    write(tmp_path, name, result)
    outcome = check(reports=tmp_path)
    assert outcome.verdict is Verdict.PENDING and "source changed (theorylab/provenance.py)" in outcome.pending_on
    write(tmp_path, name, stamped(name, good, config={"another": "config"}))
    assert "config changed" in check(reports=tmp_path).pending_on


def test_a_corrupt_result_is_an_error_not_pending(tmp_path):
    from theorylab.claims.ledger import run_check
    from theorylab.claims.registry import get_claim

    (tmp_path / "learning" / "seed002_gmm").mkdir(parents=True)
    (tmp_path / "learning" / "seed002_gmm" / "result.json").write_text("{not json")
    with pytest.raises(seed002.CorruptResult):
        seed002.experiment_gmm(reports=tmp_path)
    result = run_check(get_claim("002.experiments.gmm"), reports=tmp_path)
    assert result.verdict == "error" and "CorruptResult" in result.error
