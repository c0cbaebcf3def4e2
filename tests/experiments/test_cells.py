"""Cell identity and seeds: stable across processes and key order, sensitive to every value; the worker function."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.config import validate
from theorylab.experiments.cells import canonical_json, cell_key, cell_seed, run_cell
from theorylab.measure import measure

from .helpers import exact_config

ROOT = Path(__file__).resolve().parents[2]


def _shuffled(value, rng):
    """The same mapping with its keys inserted in a random order (recursively)."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    return value


def test_key_is_sha256_of_sorted_compact_json():
    # independent route: hash a config whose model_dump has no integral floats by hand with hashlib + json
    raw = exact_config()
    raw["sampler"] = {"kind": "reverse-em", "T": 0.5, "gamma": 0.1}
    raw["process"] = {"beta_min": 0.15, "beta_max": 19.5, "sigma_min": 0.02, "sigma_max": 49.5}
    raw["score"] = {"kind": "perturbed", "error": "bias", "M": 0.25, "frequency": 1.5}
    raw["target"] = {"kind": "gaussian", "mean": [0.5], "cov": [[0.4]]}
    dump = validate(raw).model_dump(mode="json")
    text = json.dumps(dump, sort_keys=True, separators=(",", ":"))
    assert cell_key(validate(raw)) == hashlib.sha256(text.encode()).hexdigest()


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_key_does_not_depend_on_key_order(rng):
    raw = exact_config()
    assert cell_key(validate(_shuffled(raw, rng))) == cell_key(validate(raw))


def test_key_sees_every_value_but_not_its_spelling():
    raw = exact_config()
    base = cell_key(validate(raw))
    spelled = exact_config()
    spelled["sampler"]["T"] = 1  # an integer for a float key: the same config
    spelled["process"] = {"kind": "ou"}  # a default written out: the same config
    assert cell_key(validate(spelled)) == base
    for table, key, value in [("sampler", "gamma", 0.05), ("score", "M", 1e-12), ("metrics", "seed", 4),
                              ("target", "mean", [0.5000000001])]:
        changed = exact_config()
        changed[table][key] = value
        assert cell_key(validate(changed)) != base, (table, key)


def test_key_and_seed_are_the_same_in_another_process():
    cfg = validate(exact_config())
    code = ("from theorylab.config import validate; from theorylab.experiments.cells import cell_key, cell_seed;"
            "import json, sys; c = validate(json.loads(sys.argv[1])); k = cell_key(c); print(k, cell_seed(k, 3))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(exact_config())], cwd=ROOT, check=True,
                         capture_output=True, text=True, env=env)
    key, seed = out.stdout.split()
    assert key == cell_key(cfg) and int(seed) == cell_seed(key, 3)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**63), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_seed_range_and_dependence(run_seed, key):
    # bounds: any non-negative run seed a config accepts (metrics.seed >= 0), any 64-hex key
    seed = cell_seed(key, run_seed)
    assert 0 <= seed < 2**63
    assert cell_seed(key, run_seed + 1) != seed
    assert cell_seed(key[::-1], run_seed) != seed or key == key[::-1]


def test_canonical_json_normalises_integral_floats_only():
    assert canonical_json({"b": 1.0, "a": [2.5, -0.0, 3]}) == '{"a":[2.5,0,3],"b":1}'


def test_run_cell_reproduces_measure_with_the_cell_seed():
    raw = exact_config()
    raw["metrics"] = {"names": ["tv", "w2"], "method": "samples", "n_samples": 2000, "seed": 3}
    cfg = validate(raw)
    key = cell_key(cfg)
    seed = cell_seed(key, 3)
    out = run_cell(json.dumps(cfg.model_dump(mode="json")), seed)
    assert out["status"] == "ok" and out["message"] == ""
    raw["metrics"]["seed"] = seed
    direct = measure(validate(raw))
    assert [m["value"] for m in out["metrics"]] == [e.value for e in direct.estimates]
    assert [m["name"] for m in out["metrics"]] == ["tv", "w2"]
    assert set(out["versions"]) == {"theorylab", "numpy", "scipy", "torch", "sympy", "pot"}


def test_run_cell_marks_a_blown_up_sampler_diverged():
    # pc corrector with an absurd signal-to-noise ratio: Langevin steps ~ snr^2 overflow the particles to inf
    raw = exact_config()
    raw["score"] = {"kind": "exact"}
    raw["sampler"] = {"kind": "pc", "T": 1.0, "gamma": 0.5, "snr": 1e80}
    raw["metrics"] = {"names": ["tv", "kl", "w2"], "method": "samples", "n_samples": 200}
    out = run_cell(json.dumps(validate(raw).model_dump(mode="json")), 7)
    assert out["status"] == "diverged"
    assert out["message"].startswith("non-finite law covariance")
    assert "\n" not in out["message"]


def test_run_cell_records_a_failure_in_one_line():
    raw = exact_config()
    raw["score"] = {"kind": "exact"}
    raw["sampler"] = {"kind": "pc", "T": 1.0, "gamma": 0.5}  # pc has no closed-form law: method exact refused
    out = run_cell(json.dumps(validate(raw).model_dump(mode="json")), 7)
    assert out["status"] == "failed"
    assert out["message"].startswith("ConfigError: metrics.method")
    assert out["metrics"] == [] and out["law"] is None
