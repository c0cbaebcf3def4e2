"""Tests of the seed-002 reproductions ``gmm`` and ``smile`` (theorylab.studies.reproductions), with tiny overrides.

Each experiment runs once per module (small network, a few hundred steps, a few hundred samples) through its
``run`` function on the real experiment file (``experiments/seed002_*.toml``) with overrides; the tests then check
the contract of the runner (JSON-serialisable numbers, estimates whose interval contains the value, the figures and
``report.md``) and numbers against independent routes:

* the untrained network's error is :math:`\\|\\nabla\\log p_t\\|_{L^2(p_t)}`, i.e. the square root of the Fisher
  information of :math:`p_t`, computed here by ``scipy.integrate.quad`` of :math:`p_t'^2/p_t`;
* the exact-score ``reverse-sde`` TV at :math:`N` and :math:`2N` steps falls with slope 1 (Euler--Maruyama, weak
  order 1);
* the smile's part labels agree with the generator's own part labels (``SmileDataset.sample_with_parts``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from theorylab.errors import ConfigError
from theorylab.studies.reproductions.common import (check_options, estimate_dict, interval_dict, markdown_table,
                                                     write_report)
from theorylab.studies.reproductions.runner import load_experiment
from theorylab.tolerances import (CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA, QUADRATURE_ATOL,
                                  RATE_SLOPE_ATOL)

ROOT = Path(__file__).resolve().parents[2]
GMM_FILE = ROOT / "experiments" / "seed002_gmm.toml"
SMILE_FILE = ROOT / "experiments" / "seed002_smile.toml"

_TINY_NET = ["network.hidden=32", "network.depth=2", "network.fourier_features=16"]
_TINY_EMA = ["training.ema=0.05"]  # 0.95^200 ~ 4e-5 of the zero-output initial weights left in the average
GMM_OVERRIDES = [*_TINY_NET, *_TINY_EMA, "training.steps=300", "training.batch_size=256", "experiment.n_samples=600",
                 "experiment.sampler_steps=40", "experiment.profile_samples=256", "experiment.profile_times=9",
                 "experiment.n_boot=20", 'experiment.samplers=["reverse-sde", "pc"]',
                 "experiment.step_check=[80]", "experiment.grid_tol=1e-4"]
SMILE_OVERRIDES = [*_TINY_NET, *_TINY_EMA, "training.steps=200", "training.batch_size=256", "experiment.n_samples=400",
                   "experiment.sampler_steps=20", "experiment.n_boot=20", "experiment.n_projections=20"]


def _estimates(node, path=""):
    """Every ``{"value", "lower", "upper", ...}`` dict in a nested result, with its path."""
    if isinstance(node, dict):
        if {"value", "lower", "upper"} <= set(node):
            yield path, node
        for key, child in node.items():
            yield from _estimates(child, f"{path}.{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _estimates(child, f"{path}[{i}]")


def _run(module, path, overrides, out):
    name, kind, options, cfg, raw = load_experiment(path, overrides)
    return cfg, options, module.run(cfg, options, out, progress=False)


@pytest.fixture(scope="module")
def gmm_run(tmp_path_factory):
    from theorylab.studies.reproductions import gmm

    out = tmp_path_factory.mktemp("gmm")
    cfg, options, result = _run(gmm, GMM_FILE, GMM_OVERRIDES, out)
    return cfg, options, result, out


@pytest.fixture(scope="module")
def smile_run(tmp_path_factory):
    from theorylab.studies.reproductions import smile

    out = tmp_path_factory.mktemp("smile")
    cfg, options, result = _run(smile, SMILE_FILE, SMILE_OVERRIDES, out)
    return cfg, options, result, out


# ------------------------------------------------------------------------------------------------ experiment files
@pytest.mark.parametrize("path", [GMM_FILE, SMILE_FILE])
@pytest.mark.parametrize("full", [False, True])
def test_experiment_files_validate(path, full):
    """Both profiles of both files load, and their options are accepted by the module (defaults filled in)."""
    from theorylab.studies.reproductions import gmm, smile

    name, kind, options, cfg, raw = load_experiment(path, full=full)
    module = {"seed002-gmm": gmm, "seed002-smile": smile}[kind]
    opts = check_options(options, module.DEFAULTS)
    assert set(opts) == set(module.DEFAULTS)
    assert cfg.process.kind == "vp" and cfg.network["kind"] == "mlp"


def test_quick_profile_is_smaller_than_full():
    _, _, q_opts, q_cfg, _ = load_experiment(GMM_FILE)
    _, _, f_opts, f_cfg, _ = load_experiment(GMM_FILE, full=True)
    assert q_cfg.training.steps < f_cfg.training.steps
    assert f_cfg.training.n_data == 5000  # seed 002: 5000 points
    assert f_opts["n_samples"] == 10000


# ------------------------------------------------------------------------------------------------ gmm
def test_gmm_result_is_json_with_valid_intervals(gmm_run):
    _, _, result, _ = gmm_run
    json.dumps(result)  # the runner writes it as JSON
    found = list(_estimates(result))
    assert len(found) >= 20
    for path, est in found:
        v, lo, hi = est["value"], est["lower"], est["upper"]
        assert all(math.isfinite(x) for x in (v, lo, hi)), path
        assert lo <= v <= hi, path
        assert est["method"], path
    assert {r["sampler"] for r in result["samplers"]} == {"reverse-sde", "pc"}
    routes = {(r["sampler"], r["score"]): r["route"] for r in result["samplers"]}
    assert routes[("reverse-sde", "learned")] == "grid" and routes[("reverse-sde", "exact")] == "grid"
    assert routes[("pc", "learned")] == "samples"  # the Langevin corrector has no grid law


def test_gmm_files_and_report(gmm_run):
    _, _, result, out = gmm_run
    for name in ("profile.png", "samples.png", "noised.png", "loss.png", "profile.csv", "loss.csv", "report.md"):
        assert name in result["files"]
        assert (out / name).stat().st_size > 0
    for name in ("profile.png", "samples.png", "noised.png", "loss.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "<!-- cost -->" in text
    for needle in ("pc", "reverse-sde", "biased upward", "profile.png", "samples.png"):
        assert needle in text


def test_gmm_training_lowers_the_score_error(gmm_run):
    _, _, result, _ = gmm_run
    err = result["score_error"]
    assert err["l2_average"]["upper"] < err["l2_average_init"]["lower"]


def _fisher_sqrt(cfg, t: float) -> float:
    """sqrt(E_{p_t} |d/dx log p_t|^2) of the VP marginal of the 1D mixture, by quadrature of p'^2 / p."""
    from theorylab.learning.config import make_process

    process = make_process(cfg.process, cfg.process.T)
    alpha, sigma = process.marginal_coefficients(t)
    w = np.asarray(cfg.target["weights"], dtype=float)
    m = alpha * np.asarray(cfg.target["means"], dtype=float)
    v = alpha**2 * np.asarray(cfg.target["covs"], dtype=float) + sigma**2

    def integrand(x):
        comp = w * np.exp(-0.5 * (x - m) ** 2 / v) / np.sqrt(2 * np.pi * v)
        p, dp = comp.sum(), (comp * (-(x - m) / v)).sum()
        return dp * dp / p if p > 0 else 0.0

    value, err = integrate.quad(integrand, -30.0, 30.0, points=list(m), limit=200, epsabs=QUADRATURE_ATOL)
    assert err < QUADRATURE_ATOL * 10
    return math.sqrt(value)


def test_gmm_untrained_error_is_the_fisher_information(gmm_run):
    """The zero network's L2 error is ||grad log p_t||: its reported time average against quadrature."""
    cfg, options, result, _ = gmm_run
    err = result["score_error"]
    times = np.asarray(err["times"])
    lo = options.get("average_from", 0.05) * cfg.process.T
    keep = times >= lo
    t = times[keep]
    exact = np.trapezoid([_fisher_sqrt(cfg, float(s)) for s in t], t) / (t[-1] - t[0])
    init = err["l2_average_init"]
    widen = MC_SIGMA / 1.959963984540054  # the averaged 95% bounds, widened from z to MC_SIGMA
    assert init["value"] - widen * (init["value"] - init["lower"]) <= exact
    assert exact <= init["value"] + widen * (init["upper"] - init["value"])


def test_gmm_exact_score_em_has_weak_order_one(gmm_run):
    """Exact score, reverse-sde grid law: TV(N) / TV(2N) ~ 2 (slope 1 on log-log)."""
    _, options, result, _ = gmm_run
    rows = {r["N"]: r for r in result["step_check"]}
    N = options["sampler_steps"]
    tv_n, tv_2n = rows[N]["exact"]["tv"]["value"], rows[2 * N]["exact"]["tv"]["value"]
    slope = math.log(tv_n / tv_2n) / math.log(2.0)
    assert abs(slope - 1.0) <= RATE_SLOPE_ATOL


def test_gmm_headline_law_matches_table(gmm_run):
    _, _, result, _ = gmm_run
    row = next(r for r in result["samplers"] if (r["sampler"], r["score"]) == ("reverse-sde", "learned"))
    assert result["grid_law"]["learned"]["tv"] == row["tv"]
    # the exact-score EM output is closer to pi than the learned one only through the score: both are on one grid
    assert result["grid_law"]["exact_score"]["route"] == "grid"


def test_gmm_rejects_unknown_option(tmp_path):
    from theorylab.studies.reproductions import gmm

    name, kind, options, cfg, raw = load_experiment(GMM_FILE, ["experiment.n_sample=3"])
    with pytest.raises(ConfigError, match="experiment.n_sample"):
        gmm.run(cfg, options, tmp_path, progress=False)


def test_gmm_rejects_a_dataset_target(tmp_path):
    from theorylab.studies.reproductions import gmm

    name, kind, options, cfg, raw = load_experiment(SMILE_FILE)
    with pytest.raises(ConfigError, match="target.kind"):
        gmm.run(cfg, {}, tmp_path, progress=False)


# ------------------------------------------------------------------------------------------------ smile
def test_smile_result_is_json_with_valid_intervals(smile_run):
    _, _, result, _ = smile_run
    json.dumps(result)
    found = list(_estimates(result))
    assert len(found) >= 11
    for path, est in found:
        assert all(math.isfinite(est[k]) for k in ("value", "lower", "upper")), path
        assert est["lower"] <= est["value"] <= est["upper"], path
    assert result["sw2_floor"]["value"] > 0.0  # two independent samples of one law are at positive distance
    # same directions for both statistics: the excess is their difference exactly
    assert result["sw2_excess"]["value"] == pytest.approx(result["sw2"]["value"] - result["sw2_floor"]["value"],
                                                          rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_ATOL)
    fractions = [result["parts"]["generated"][p]["value"] for p in ("left eye", "right eye", "mouth", "off")]
    assert sum(fractions) == pytest.approx(1.0, abs=CLOSED_FORM_ATOL)


def test_smile_files_and_report(smile_run):
    _, _, result, out = smile_run
    for name in ("samples.png", "noised.png", "loss.png", "report.md"):
        assert name in result["files"]
        assert (out / name).stat().st_size > 0
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "<!-- cost -->" in text and "noise floor" in text


def test_smile_part_labels_match_the_generator():
    """assign_parts against the generator's own labels: the eyes and the mouth are > 8 spreads apart, so at most
    the 'off' tail (beyond 4 spreads, ~3e-4 of an eye's mass) is mislabelled."""
    from theorylab.distributions import SmileDataset
    from theorylab.studies.reproductions.smile import assign_parts

    data = SmileDataset()
    x, parts = data.sample_with_parts(20000, np.random.default_rng(5))
    labels = assign_parts(x, data, 4.0)
    wrong = np.mean(labels != parts)
    n = x.shape[0]
    p_off = math.exp(-8.0)  # P(chi2_2 > 16) for an eye point; the mouth's two-sided 4-sigma tail is smaller
    assert wrong <= p_off + MC_SIGMA * math.sqrt(p_off / n)


@settings(max_examples=40, deadline=None)
@given(angle=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),  # fraction of the arc's angular range
       offset=st.floats(min_value=-1.0, max_value=1.0, allow_nan=False),  # radial offset in noise units
       far=st.floats(min_value=5.0, max_value=50.0, allow_nan=False))  # distance of an "off" point, in units
def test_assign_parts_geometry(angle, offset, far):
    from theorylab.distributions import SmileDataset
    from theorylab.studies.reproductions.smile import assign_parts

    d = SmileDataset()
    lo, hi = math.pi + d.mouth_margin, 2 * math.pi - d.mouth_margin
    a = lo + angle * (hi - lo)
    r = d.mouth_radius + offset * d.noise
    on_mouth = [r * math.cos(a), d.mouth_center_y + r * math.sin(a)]
    pts = np.array([[-1.0, 1.0], [1.0, 1.0], on_mouth, [0.0, 1.0 + far]])  # (0, 1 + far) is above both eyes
    assert assign_parts(pts, d, 4.0).tolist() == [0, 1, 2, 3]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=2, max_value=60),  # sample size (equal for both samples)
       L=st.integers(min_value=1, max_value=30),  # number of directions
       shift=st.floats(min_value=-3.0, max_value=3.0, allow_nan=False),  # offset of the second sample
       seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_sliced_w2_equals_pot(n, L, shift, seed):
    """The vectorised statistic equals ot.sliced_wasserstein_distance (p = 2) on the same directions."""
    import ot

    from theorylab.studies.reproductions.smile import sliced_w2

    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + shift
    proj = ot.sliced.get_random_projections(2, L, seed=seed)
    expected = float(ot.sliced_wasserstein_distance(a, b, projections=proj, p=2))
    assert sliced_w2(a, b, proj) == pytest.approx(expected, rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_ATOL)


# ------------------------------------------------------------------------------------------------ common
def test_check_options_names_the_key():
    defaults = {"n": 3, "x": 0.5, "names": ["a"], "flag": True}
    assert check_options({"x": 1}, defaults) == {"n": 3, "x": 1.0, "names": ["a"], "flag": True}
    with pytest.raises(ConfigError, match=r"^experiment\.m: unknown key"):
        check_options({"m": 1}, defaults)
    with pytest.raises(ConfigError, match=r"^experiment\.n: "):
        check_options({"n": 1.5}, defaults)
    with pytest.raises(ConfigError, match=r"^experiment\.flag: "):
        check_options({"flag": 1}, defaults)
    with pytest.raises(ConfigError, match=r"^experiment\.x: "):
        check_options({"x": float("nan")}, defaults)


def test_estimate_dict_and_table():
    from theorylab.divergences.estimate import Estimate, Uncertainty

    est = Estimate("TV", 0.2, "m", Uncertainty("ci", 0.1, 0.3, 0.95, "note"))
    d = estimate_dict(est)
    assert (d["value"], d["lower"], d["upper"], d["method"], d["level"]) == (0.2, 0.1, 0.3, "m", 0.95)
    assert interval_dict(1, 0, 2, "k")["value"] == 1.0
    table = markdown_table(["a", "b"], [[1, "x|y"]]).splitlines()
    assert table == ["| a | b |", "|---|---|", "| 1 | x\\|y |"]


def test_write_report_has_the_cost_placeholder(tmp_path):
    path = write_report(tmp_path, "T", [("S", ["line"])], config={"a": 1}, options={"b": 2})
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# T\n\n<!-- cost -->\n") and "## S\n\nline" in text and '"a": 1' in text


@pytest.mark.filterwarnings("ignore:training.ema")  # 3-5 steps: the EMA is still the initial network, on purpose
def test_train_score_overwrites_only_its_own_checkpoint(tmp_path):
    """The default out_dir/score.pt of another config is replaced; a user-given checkpoint is protected."""
    from theorylab.studies.reproductions.common import train_score

    _, _, _, cfg, _ = load_experiment(GMM_FILE, [*_TINY_NET, "training.steps=3", "training.batch_size=8"])
    first = train_score(cfg, tmp_path, progress=False)
    assert first.checkpoint == tmp_path / "score.pt" and first.result.steps_done == 3
    _, _, _, cfg2, _ = load_experiment(GMM_FILE, [*_TINY_NET, "training.steps=4", "training.batch_size=8"])
    second = train_score(cfg2, tmp_path, progress=False)
    assert second.result.steps_done == 4
    _, _, _, cfg3, _ = load_experiment(GMM_FILE, [*_TINY_NET, "training.steps=5", "training.batch_size=8",
                                                  f'output.checkpoint="{tmp_path / "score.pt"}"'])
    with pytest.raises(ConfigError, match="output.checkpoint"):
        train_score(cfg3, tmp_path, progress=False)
