"""CLI of the bound lab: sweep / results / report; bad sweep configs are one line and exit code 2."""

from __future__ import annotations


import pytest

from theorylab.cli import main
from tests.cli_refusal import assert_refused, run_cli

CONFIG = """
[target]
kind = "gaussian"
mean = [1.0]
cov = [[0.5]]
[sampler]
kind = "reverse-em"
T = 1.0
gamma = 0.1
[metrics]
names = ["tv"]
[sweep]
"sampler.gamma" = [0.1, 0.05]
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(CONFIG)
    return path


def test_sweep_results_report_round_trip(config, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["sweep", str(config), "--out", str(run), "--quiet"]) == 0
    assert "2 ok" in capsys.readouterr().out
    assert main(["results", str(run), "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("target.kind") or "sampler.gamma" in csv.splitlines()[0]
    assert len(csv.strip().splitlines()) == 3
    assert main(["report", str(run), "--reports", str(tmp_path / "reports")]) == 0
    assert (tmp_path / "reports" / "run" / "report.md").exists()


@pytest.mark.parametrize(
    "extra, named",
    [
        (["--set", "sweep.sampler.nosuch=[1, 2]"], "sampler.nosuch"),
        (["--set", "sweep.sampler.gamma=[1.5]"], "sampler.gamma"),
        (["--set", "sweep.sampler.gamma=0.1"], "sweep"),
        (["--workers", "0"], "--workers"),
        (["--set", 'sweep.mode="zip"', "--set", "sweep.score.M=[0.0]"], "sweep"),
    ],
)
def test_bad_sweeps_are_one_line_exit_2(config, tmp_path, extra, named, capsys):
    assert_refused(*run_cli(["sweep", config, "--out", tmp_path / "r", "--quiet", *extra], capsys), named)
    assert not (tmp_path / "r").exists(), "a refused sweep must not create its run folder"


def test_changed_config_is_refused_without_force(config, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["sweep", str(config), "--out", str(run), "--quiet"]) == 0
    assert main(["sweep", str(config), "--out", str(run), "--quiet", "--set", "sampler.T=2.0"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["sweep", str(config), "--out", str(run), "--quiet", "--set", "sampler.T=2.0", "--force"]) == 0
