"""run_gan end to end: the JSON schema per mode, tables written before figures, figures re-made from the stored
tables alone, and the shipped experiments/gan_*.toml configs valid."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest

from theorylab.errors import ConfigError
from theorylab.gan import load_gan_config, run_gan
from theorylab.gan.figures import make_figures
from theorylab.tolerances import QUADRATURE_ATOL

ROOT = Path(__file__).resolve().parents[2]
PI = {"kind": "gmm", "weights": [0.5, 0.5], "means": [-3.0, 3.0], "covs": [0.25, 1.0]}
GEN = {"kind": "gaussian", "mean": 0.0, "cov": 1.0}


def test_exact_mode_json_and_files(tmp_path):
    res = run_gan({"gan": {"mode": "exact", "pi": PI, "generator": GEN, "n_mc": 20_000}}, out_dir=tmp_path)
    out = res.to_json()
    for key in ("value", "value_uncertainty", "js", "js_uncertainty", "two_js_minus_log4",
                "two_js_minus_log4_uncertainty", "difference", "identity", "pointwise", "perturbations"):
        assert key in out, key
    assert out["mode"] == "exact" and out["identity"]["holds"] and out["pointwise"]["holds"]
    assert abs(out["difference"]) <= QUADRATURE_ATOL
    assert out["difference"] == pytest.approx(out["value"] - out["two_js_minus_log4"], abs=QUADRATURE_ATOL)
    assert out["two_js_minus_log4"] == pytest.approx(2 * out["js"] - math.log(4.0), abs=QUADRATURE_ATOL)
    assert out["all_perturbations_lower_the_value"]
    stored = json.loads((tmp_path / "result.json").read_text())
    assert stored["value"] == out["value"] and stored["files"] == out["files"]
    assert {"exact_grid.csv", "perturbations.csv", "result.json", "exact_discriminator.png"} <= set(out["files"])


def test_train_mode_writes_curves_and_figures_remade_from_tables(tmp_path):
    raw = {"gan": {"mode": "train", "pi": {"kind": "gaussian", "mean": 2.0, "cov": 0.25}, "steps": 60,
                   "eval_every": 30, "n_eval": 500, "n_mc": 500, "n_boot": 10, "hidden": [16, 16], "lr": 1e-3}}
    res = run_gan(raw, out_dir=tmp_path / "run")
    out = res.to_json()
    assert out["mode"] == "train" and out["n_modes"] == 1
    for key in ("js_initial", "js_final", "js_floor", "js_initial_exact", "modes_covered_final",
                "mode_counts_final", "value_final", "training_seconds"):
        assert key in out, key
    folder = tmp_path / "run"
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert pngs == ["train_curves.png", "train_samples.png"]
    for p in folder.glob("*.png"):
        p.unlink()
    remade = make_figures(folder)  # from result.json and the CSV files only
    assert sorted(p.name for p in remade) == pngs and all(p.stat().st_size > 0 for p in remade)


def test_discriminator_mode(tmp_path):
    raw = {"gan": {"mode": "discriminator", "pi": PI, "generator": GEN, "steps": 50, "eval_every": 25,
                   "sample_sizes": [32], "hidden": [16], "grid_points": 401}}
    out = run_gan(raw, out_dir=tmp_path).to_json()
    assert [f["sample_size"] for f in out["final"]] == [32, "online"]
    assert {"gaps.csv", "fit.csv", "discriminator_gaps.png", "discriminator_fit.png"} <= set(out["files"])


def test_default_out_dir_is_reports_gan_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_gan({"gan": {"mode": "exact", "name": "here", "pi": PI, "generator": GEN, "n_mc": 100,
                           "perturbations": [0.1]}})
    assert res.out_dir == Path("reports/gan/here") and (tmp_path / "reports/gan/here/result.json").exists()


def test_bad_config_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ConfigError, match=r"^gan\.generator_loss:"):
        run_gan({"gan": {"mode": "train", "pi": PI, "generator_loss": "hinge"}}, out_dir=tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", ["gan_exact_gaussians", "gan_train_gmm", "gan_train_ring", "gan_discriminator_gmm"])
def test_shipped_experiments_are_valid_and_say_which_question_they_answer(name):
    path = ROOT / "experiments" / f"{name}.toml"
    text = path.read_text()
    assert text.startswith("# Question:")
    cfg = load_gan_config(tomllib.loads(text))
    assert cfg.gan.name == name
