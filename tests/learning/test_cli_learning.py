"""``theorylab train`` / ``experiment`` and ``[score] kind = "learned"`` in measure configs: end to end, CPU."""

from __future__ import annotations

import json

import numpy as np

import pytest

from theorylab.cli import main
from theorylab.config import validate
from theorylab.errors import ConfigError

TRAIN = """
[target]
kind = "gmm"
weights = [0.5, 0.5]
means = [-3.0, 3.0]
covs = [0.25, 1.0]
[process]
kind = "vp"
T = 1.0
[network]
kind = "mlp"
hidden = 32
depth = 2
fourier_features = 16
[training]
steps = 40
ema = 0.2
batch_size = 128
n_data = 500
device = "cpu"
[output]
log_every = 10
"""

MEASURE = """
[target]
kind = "gmm"
weights = [0.5, 0.5]
means = [-3.0, 3.0]
covs = [0.25, 1.0]
[process]
kind = "vp"
[sampler]
kind = "reverse-sde"
T = 1.0
gamma = 0.05
[score]
kind = "learned"
profile_times = 3
[metrics]
names = ["tv"]
method = "samples"      # the grid route's resolution adapts to the score: slow for a 40-step score
n_samples = 2000
"""


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    (root / "train.toml").write_text(TRAIN)
    path = root / "score.pt"
    assert main(["train", str(root / "train.toml"), "--out", str(path), "--quiet"]) == 0
    return path


def test_train_writes_checkpoint_loss_and_profile(checkpoint, capsys):
    for suffix in (".loss.csv", ".profile.csv", ".profile.png"):
        assert checkpoint.with_suffix(suffix).exists(), suffix


def test_train_again_resumes_the_complete_checkpoint(checkpoint, capsys):
    root = checkpoint.parent
    assert main(["train", str(root / "train.toml"), "--out", str(checkpoint), "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stopped"] == "already trained" and summary["steps"] == 40
    assert summary["score_error"]["M_sup"] >= summary["score_error"]["l2_average"][0] >= 0


def test_measure_with_a_learned_checkpoint_reports_the_measured_M(checkpoint, tmp_path, capsys):
    cfg = tmp_path / "m.toml"
    text = MEASURE.replace('profile_times = 3', f'profile_times = 3\ncheckpoint = "{checkpoint.as_posix()}"')
    cfg.write_text(text)
    assert main(["measure", str(cfg), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    names = [m["name"] for m in out["metrics"]]
    assert len(names) == 3 and names[0].lower() == "tv" and names[1:] == ["score_sup", "score_l2"]
    sup = next(m for m in out["metrics"] if m["name"] == "score_sup")
    l2 = next(m for m in out["metrics"] if m["name"] == "score_l2")
    assert out["law"]["method"] == "samples"
    assert sup["value"] > 0 and l2["uncertainty"]["lower"] <= l2["value"] <= l2["uncertainty"]["upper"]


@pytest.mark.parametrize(("override", "message"), [
    ("process.kind=ve", "process.kind"),
    ("process.beta_max=10.0", "process.beta_max"),
    ("sampler.T=0.5", "sampler.T"),
])
def test_measure_refuses_a_checkpoint_of_another_process(checkpoint, tmp_path, capsys, override, message):
    cfg = tmp_path / "m.toml"
    cfg.write_text(MEASURE.replace('profile_times = 3', f'profile_times = 3\ncheckpoint = "{checkpoint.as_posix()}"'))
    assert main(["measure", str(cfg), "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_on_the_fly_training_is_cached(tmp_path, monkeypatch):
    """A [score.train] table trains once into score.cache; the second measure reuses the checkpoint."""
    from theorylab.measure import measure

    raw = {
        "target": {"kind": "gaussian", "mean": 1.0, "cov": 0.5},
        "process": {"kind": "vp"},
        "sampler": {"kind": "reverse-sde", "T": 1.0, "gamma": 0.1},
        "score": {"kind": "learned", "cache": str(tmp_path / "cache"), "profile_times": 2,
                  "train": {"network": {"kind": "mlp", "hidden": 16, "depth": 1, "fourier_features": 8},
                            "training": {"steps": 10, "batch_size": 64, "n_data": 200, "ema": 0.5}}},
        "metrics": {"names": ["tv"], "method": "samples", "n_samples": 500},
    }
    first = measure(validate(raw))
    cached = list((tmp_path / "cache").glob("*.pt"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    second = measure(validate(raw))
    assert cached[0].stat().st_mtime_ns == stamp
    assert first.estimates[0].value == second.estimates[0].value


@pytest.mark.parametrize(("score", "message"), [
    ({"kind": "learned"}, "score.checkpoint"),
    ({"kind": "learned", "checkpoint": "a.pt", "train": {}}, "score.checkpoint"),
    ({"kind": "exact", "checkpoint": "a.pt"}, "score.checkpoint"),
    ({"kind": "learned", "checkpoint": "a.pt", "weights": "best"}, "score.weights"),
])
def test_bad_learned_score_tables(score, message):
    raw = {"target": {"kind": "gaussian", "mean": 0.0, "cov": 1.0}, "sampler": {"kind": "reverse-em", "T": 1.0,
                                                                               "gamma": 0.1}, "score": score}
    with pytest.raises(ConfigError, match=message):
        validate(raw)


@pytest.mark.parametrize(("override", "message"), [
    ("training.loss=mse", "training.loss"),
    ("network.kind=transformer", "network.kind"),
    ("training.steps=-1", "training.steps"),
    ("target.kind=cat", "target.kind"),
])
def test_train_cli_refuses_bad_configs_with_exit_2(tmp_path, capsys, override, message):
    cfg = tmp_path / "train.toml"
    cfg.write_text(TRAIN)
    assert main(["train", str(cfg), "--out", str(tmp_path / "x.pt"), "--quiet", "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_train_cli_needs_a_checkpoint_path(tmp_path, capsys):
    cfg = tmp_path / "train.toml"
    cfg.write_text(TRAIN)
    assert main(["train", str(cfg), "--quiet"]) == 2
    assert "output.checkpoint" in capsys.readouterr().err


def test_experiment_cli_refuses_a_file_without_experiment_table(tmp_path, capsys):
    cfg = tmp_path / "train.toml"
    cfg.write_text(TRAIN)
    assert main(["experiment", str(cfg)]) == 2
    assert "[experiment]" in capsys.readouterr().err


def test_bound_tables_use_the_measured_M_of_learned_cells():
    """score.M of a learned cell is a config default (0); the fits must read the measured sup error instead."""
    import numpy as np
    import pandas as pd

    from theorylab.bounds.table import read_cells

    df = pd.DataFrame({"sampler.T": [1.0, 1.0], "sampler.gamma": [0.1, 0.1], "score.M": [0.2, 0.0],
                       "score.kind": ["perturbed", "learned"], "score_sup": [np.nan, 0.7], "tv": [0.1, 0.2],
                       "tv_lower": [0.1, 0.2], "tv_upper": [0.1, 0.2], "status": ["ok", "ok"]})
    cells = read_cells(df)
    assert cells.M.tolist() == [0.2, 0.7]
    with pytest.raises(ConfigError, match="measured_M"):
        read_cells(df.drop(columns="score_sup"))


def test_train_accepts_an_experiment_file(tmp_path, capsys):
    """`theorylab train experiments/seed002_*.toml` trains the file's score; [experiment] and [quick] are ignored."""
    cfg = tmp_path / "exp.toml"
    cfg.write_text(TRAIN + '\n[experiment]\nkind = "seed002-gmm"\n\n[quick]\n"training.steps" = 5\n')
    assert main(["train", str(cfg), "--out", str(tmp_path / "e.pt"), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 40  # the file's steps, not the quick override


def test_a_sweep_with_a_learned_score_stores_and_uses_the_measured_M(tmp_path):
    """Two cells sharing one on-the-fly score: trained once (cache), each row carries score_sup/score_l2, and the
    bound tables read score_sup as the cell's M (score.M of the config is 0 and unused)."""
    from theorylab.bounds.table import read_cells
    from theorylab.experiments import results_table, run_sweep

    raw = {
        "target": {"kind": "gaussian", "mean": 1.0, "cov": 0.5},
        "process": {"kind": "vp"},
        "sampler": {"kind": "reverse-sde", "T": 1.0, "gamma": 0.1},
        "score": {"kind": "learned", "cache": str(tmp_path / "cache"), "profile_times": 2,
                  "train": {"network": {"kind": "mlp", "hidden": 16, "depth": 1, "fourier_features": 8},
                            "training": {"steps": 10, "batch_size": 64, "n_data": 200, "ema": 0.5}}},
        "metrics": {"names": ["tv"], "method": "samples", "n_samples": 400},
        "sweep": {"sampler.gamma": [0.1, 0.05]},
    }
    summary = run_sweep(raw, config_name="learned", out=tmp_path / "run", progress=False)
    assert summary.counts.get("ok") == 2, summary
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1
    table = results_table(tmp_path / "run")
    assert {"score_sup", "score_l2"} <= set(table.columns)
    cells = read_cells(table)
    np.testing.assert_array_equal(cells.M, table["score_sup"].to_numpy(dtype=float))
    assert (cells.M > 0).all()
