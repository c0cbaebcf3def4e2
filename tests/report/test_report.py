"""Reports are made from the store alone; reproduce runs the shipped experiments (quick profile) into reports/."""

from __future__ import annotations

import json

from theorylab.cli import main
from theorylab.config import load_toml
from theorylab.report.benchmarks import render
from theorylab.studies.reproduce import apply_profile, reproduce

EXPERIMENT = """# Does the error vanish with gamma? (test experiment)
[target]
kind = "gaussian"
mean = [1.0]
cov = [[0.5]]

[sampler]
kind = "reverse-em"
T = 1.6
gamma = 0.1

[metrics]
names = ["tv", "w2"]

[sweep]
"sampler.gamma" = [0.2, 0.1, 0.05, 0.025]
"sampler.T" = [0.8, 1.6, 3.2]
"score.M" = [0.0, 0.1]

[quick]
"sweep.sampler.gamma" = [0.2, 0.1, 0.05]
"sweep.score.M" = [0.0]
"""


def test_quick_profile_replaces_sweep_axes(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT)
    quick = apply_profile(load_toml(path), full=False)
    assert quick["sweep"]["sampler.gamma"] == [0.2, 0.1, 0.05]
    assert quick["sweep"]["score.M"] == [0.0]
    assert "quick" not in quick
    full = apply_profile(load_toml(path), full=True)
    assert full["sweep"]["sampler.gamma"] == [0.2, 0.1, 0.05, 0.025] and "quick" not in full


def test_reproduce_writes_index_reports_and_figures(tmp_path):
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    (experiments / "gamma_test.toml").write_text(EXPERIMENT)
    index = reproduce(experiments=experiments, runs=tmp_path / "runs", reports=tmp_path / "reports",
                      log=lambda _: None, claims=False, atlas=False)
    text = index.read_text()
    assert "gamma_test" in text and "Does the error vanish with gamma?" in text and "9 ok" in text
    report = (tmp_path / "reports" / "gamma_test" / "report.md").read_text()
    for figure in ("tv_vs_T.png", "tv_loglog_gamma.png", "tv_heatmap_T_gamma.png", "tv_bounds.png"):
        assert f"({figure})" in report
        assert (tmp_path / "reports" / "gamma_test" / figure).stat().st_size > 1000
    assert "gamma exponent" in report and "De Bortoli" in report
    # the run's wall time is recorded by stage (the README's Performance section reads it); skipped stages are absent
    timing = json.loads((tmp_path / "reports" / "reproduce_timing.json").read_text())["quick"]
    assert set(timing["stages"]) == {"seed-002 reproductions", "sweeps", "GAN runs"}
    assert 0 < timing["parts"]["sweeps"]["gamma_test"] <= timing["stages"]["sweeps"] <= timing["total_seconds"]
    assert timing["workers"] == 1 and timing["failures"] == 0 and len(timing["load_average_end"]) == 3
    assert "Quick profile:" in render("perf-reproduce", tmp_path / "none", tmp_path / "reports")
    # a second run resumes (nothing recomputed) and the report is re-made from the store alone
    again = reproduce(experiments=experiments, runs=tmp_path / "runs", reports=tmp_path / "reports",
                      log=lambda _: None, claims=False, atlas=False)
    assert again == index


def test_report_cli_refuses_a_folder_without_store(tmp_path):
    assert main(["report", str(tmp_path)]) == 2
