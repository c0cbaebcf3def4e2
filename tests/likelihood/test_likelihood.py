"""``theorylab likelihood`` end to end: closed form in the CI (d = 8 and 3072), bad keys, cost guard, data files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from theorylab.cli import main
from theorylab.config import validate
from theorylab.errors import ConfigError
from theorylab.likelihood import LikelihoodConfig, likelihood
from theorylab.likelihood.gaussian import DiagonalGaussianFlow
from theorylab.processes import VariancePreserving
from theorylab.tolerances import CLOSED_FORM_RTOL


def _diag_config(d: int, method: str, *, n: int, score=None, seed: int = 0, **extra):
    rng = np.random.default_rng(d)
    lk = {"method": method, "n_data": n, "seed": seed, "rtol": 1e-6, "atol": 1e-6, **extra}
    if method == "hutchinson":
        lk.setdefault("probe", "gaussian")
    raw = {
        "target": {"kind": "gaussian", "mean": rng.normal(size=d).tolist(), "cov": rng.uniform(0.1, 2, d).tolist()},
        "process": {"kind": "vp", "T": 1.0},
        "score": score or {"kind": "exact"},
        "likelihood": lk,
    }
    return validate(raw, LikelihoodConfig), raw


@pytest.mark.parametrize("method", ["exact", "hutchinson"])
@pytest.mark.parametrize("score", [{"kind": "exact"}, {"kind": "perturbed", "error": "bias", "M": 0.5}],
                         ids=["exact", "biased"])
def test_d8_closed_form_and_ci(method, score):
    cfg, raw = _diag_config(8, method, n=400, score=score)
    res = likelihood(cfg)
    # the closed form, recomputed here from the target's parameters
    t = raw["target"]
    bias = np.zeros(8)
    if score["kind"] == "perturbed":
        bias[0] = score["M"]
    flow = DiagonalGaussianFlow(VariancePreserving(), np.array(t["cov"]), np.array(t["mean"]), bias)
    want = flow.expected_nll(cfg.likelihood.eps, 1.0, np.zeros(8), np.ones(8))
    assert res.exact_nll == pytest.approx(want, rel=CLOSED_FORM_RTOL)
    assert res.summary.lower <= res.exact_nll <= res.summary.upper
    gap = res.gap
    measured = gap["data_sampling"] + gap["ode_discretisation"] + gap["hutchinson_noise"]
    assert measured == pytest.approx(gap["reported_minus_exact"], abs=1e-9)
    assert abs(gap["ode_discretisation"]) < 1e-3  # rtol 1e-6: the solver's error is far below the CI
    assert (gap["hutchinson_noise"] != 0.0) == (method == "hutchinson")
    assert res.to_json()["bits_per_dim"] == pytest.approx(res.summary.value / (8 * np.log(2)))


@pytest.mark.parametrize("method", [pytest.param("exact", marks=pytest.mark.slow), "hutchinson"])
def test_d3072_closed_form_in_ci(method):
    """~2 s each, most of it building the dense 3072 x 3072 covariance of the Gaussian target (two Choleskys)."""
    cfg, _ = _diag_config(3072, method, n=24)
    res = likelihood(cfg)
    assert res.route == "affine"
    assert res.summary.lower <= res.exact_nll <= res.summary.upper
    assert abs(res.gap["ode_discretisation"]) < 1e-2 * res.summary.std


def test_autograd_route_on_the_seed_mixture_runs_and_splits_hutchinson():
    raw = {"target": {"kind": "gmm", "weights": [0.5, 0.5], "means": [-3.0, 3.0], "covs": [0.25, 1.0]},
           "process": {"kind": "vp"},
           "likelihood": {"method": "hutchinson", "probe": "gaussian", "n_data": 20, "rtol": 1e-4, "atol": 1e-4}}
    res = likelihood(validate(raw, LikelihoodConfig))
    assert res.route == "autograd" and res.exact_nll is None
    assert set(res.gap) == {"hutchinson_noise"}
    # in 1D a Gaussian probe gives eps^2 * div: the noise is real but the estimate stays finite and close
    assert np.isfinite(res.summary.value) and abs(res.gap["hutchinson_noise"]) < 1.0


@pytest.mark.parametrize(
    "override, key",
    [
        ("likelihood.method=foo", "likelihood.method"),
        ("likelihood.probe=cauchy", "likelihood.probe"),
        ("likelihood.probes=2", "likelihood.probes"),  # with method = exact
        ("likelihood.n_data=1", "likelihood.n_data"),
        ("likelihood.eps=-1", "likelihood.eps"),
        ("likelihood.eps=2.0", "likelihood.eps"),
        ("likelihood.rtol=0", "likelihood.rtol"),
        ("likelihood.frobnicate=1", "likelihood.frobnicate"),
        ("likelihood.prior=laplace", "likelihood.prior"),
        ("likelihood.levels=1", "likelihood.levels"),
        ("likelihood.data=nosuchfile.npy", "likelihood.n_data"),  # both n_data and data
        ("likelihood.max_cost=100", "likelihood.max_cost"),
    ],
)
def test_bad_likelihood_keys_exit_2_naming_the_key(tmp_path, capsys, override, key):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[target]\nkind = "gaussian"\nmean = [0.0, 1.0]\ncov = [1.0, 2.0]\n[likelihood]\nn_data = 10\n')
    assert main(["likelihood", str(cfg), "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and key in err and "Traceback" not in err


def test_data_file_and_dequantisation(tmp_path, capsys):
    codes = np.random.default_rng(0).integers(0, 4, size=(50, 2)).astype(float)
    np.save(tmp_path / "x.npy", codes)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[target]\nkind = "gaussian"\nmean = [0.5, 0.5]\ncov = [0.1, 0.1]\n'
                   f'[likelihood]\ndata = "{tmp_path / "x.npy"}"\nlevels = 4\n')
    assert main(["likelihood", str(cfg), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_data"] == 50 and "dequantised" in out["dequantisation"]
    assert out["bits_per_dim"] == pytest.approx((out["nll_nats"] + 2 * np.log(4)) / (2 * np.log(2)))
    np.save(tmp_path / "x.npy", codes + 0.5)  # not integer codes
    assert main(["likelihood", str(cfg)]) == 2
    assert "likelihood.levels" in capsys.readouterr().err


def test_cost_guard_counts_autograd_trace_as_d_probes():
    raw = {"target": {"kind": "gaussian", "mean": [0.0] * 4, "cov": 1.0},
           "score": {"kind": "perturbed", "error": "smooth", "M": 0.1},
           "likelihood": {"n_data": 10, "max_cost": 1e4}}
    with pytest.raises(ConfigError, match="likelihood.max_cost"):
        likelihood(validate(raw, LikelihoodConfig))  # 4 * 10 * 4 * 72 = 1.2e4 > 1e4
    raw["likelihood"].update(method="hutchinson", probes=1)  # 4 * 10 * (1 + 4 companion) * 72: refused too
    with pytest.raises(ConfigError, match="likelihood.max_cost"):
        likelihood(validate(raw, LikelihoodConfig))
