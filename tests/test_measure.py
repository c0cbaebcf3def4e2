"""`theorylab measure`: every sampler answers on Gaussian and GMM targets, the --json schema, and bad configs are
refused with one line naming the key and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theorylab.cli import main
from tests.cli_refusal import assert_refused, run_cli
from theorylab.config import apply_overrides, validate
from theorylab.errors import ConfigError
from theorylab.measure import measure

ROOT = Path(__file__).resolve().parents[1]
SEED_GMM = ROOT / "experiments" / "seed_gmm_measure.toml"

GAUSSIAN = {"kind": "gaussian", "mean": [0.5], "cov": [[0.4]]}
GMM = {"kind": "gmm", "weights": [0.5, 0.5], "means": [[-3.0], [3.0]], "covs": [[[0.25]], [[1.0]]]}


def _cfg(target, sampler_kind, **extra):
    raw = {
        "target": target,
        "sampler": {"kind": sampler_kind, "T": 1.0, "gamma": 0.1},
        "metrics": {"names": ["tv", "w2"], "n_samples": 4000, "seed": 1},
    }
    for key, value in extra.items():
        raw[key] = value
    return validate(raw)


@pytest.mark.parametrize("sampler", ["reverse-em", "ancestral", "reverse-sde", "pf-ode", "pf-ode-adaptive", "pc"])
def test_every_sampler_answers_on_a_gaussian(sampler):
    result = measure(_cfg(GAUSSIAN, sampler))
    expected = "samples" if sampler == "pc" else "exact"
    assert result.output.method == expected
    for e in result.estimates:
        assert e.uncertainty.lower <= e.value <= e.uncertainty.upper or e.uncertainty.kind == "ci"
        assert e.value >= 0


def test_gmm_goes_to_the_grid_and_a_bias_increases_the_error():
    exact = measure(_cfg(GMM, "reverse-em"))
    biased = measure(_cfg(GMM, "reverse-em", score={"kind": "perturbed", "error": "bias", "M": 0.5}))
    assert exact.output.method == "grid"
    tv_exact, tv_biased = exact.estimates[0], biased.estimates[0]
    assert tv_biased.uncertainty.lower > tv_exact.uncertainty.upper


def test_json_schema(capsys):
    assert main(["measure", str(SEED_GMM), "--set", "sampler.T=1.0", "--set", "sampler.gamma=0.1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in out["metrics"]] == ["TV", "KL", "JS", "Hellinger", "W2"]
    for m in out["metrics"]:
        assert {"name", "value", "method", "uncertainty"} <= set(m)
        assert {"kind", "lower", "upper"} <= set(m["uncertainty"])
    assert out["law"]["method"] == "grid"
    assert len(out["law"]["mean"]) == 1


@pytest.mark.parametrize(
    "override, key",
    [
        ("sampler.T=3.01", "sampler.T"),
        ("sampler.gamma=1.5", "sampler.gamma"),
        ("sampler.gamma=0.0", "sampler.gamma"),
        ("score.M=-0.1", "score.M"),
        ("sampler.gamma=nan", "sampler.gamma"),
        ("sampler.T=inf", "sampler.T"),
        ("sampler.nosuchkey=1", "sampler.nosuchkey"),
        ("nosuchtable.x=1", "nosuchtable"),
        ("target.covs=[[[0.25]], [[-1.0]]]", "target.covs"),
        ("target.weights=[0.7, 0.7]", "target.weights"),
        ('sampler.kind="euler"', "sampler.kind"),
        ('metrics.names=["tv", "bogus"]', "metrics.names"),
    ],
)
def test_bad_configs_are_refused_with_one_line_naming_the_key(override, key, capsys):
    assert_refused(*run_cli(["measure", SEED_GMM, "--set", override], capsys), key)


def test_non_multiple_horizon_suggests_n():
    with pytest.raises(ConfigError, match="N = 60"):
        validate(apply_overrides({"target": GAUSSIAN, "sampler": {"kind": "reverse-em", "T": 3.01, "gamma": 0.05}}, []))


def test_missing_config_file_is_exit_2(tmp_path):
    assert main(["measure", str(tmp_path / "nope.toml")]) == 2
