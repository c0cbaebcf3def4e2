"""Bad and extreme inputs, tried as a new user would (issue 15, part 1): each ends in one line on stderr naming the
key or argument and exit code 2 -- no traceback, no unbounded run, no silent number. Work whose cost can be
estimated is refused above :mod:`theorylab.limits` before it starts, and the limits can be raised.

Most cases call :func:`theorylab.cli.main` in-process (a subprocess costs ~3 s of imports); two run the real
console entry point to check that the exit code and stderr are what a shell sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from theorylab.cli import main
from theorylab.config import load_toml, validate
from theorylab.cost import check_gan, check_measure, check_train, measure_cost
from theorylab.errors import ConfigError
from theorylab.limits import DEFAULT_LIMITS, Limits
from tests.cli_refusal import assert_refused as _assert_refused
from tests.cli_refusal import run_cli as _run

ROOT = Path(__file__).resolve().parents[1]

GAUSS_1D = """
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
"""

GMM_3D = """
[target]
kind = "gmm"
weights = [0.5, 0.5]
means = [[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
covs = [1.0, 1.0]

[sampler]
kind = "reverse-em"
T = 1.0
gamma = 0.1

[metrics]
names = ["w2"]
n_samples = 1000
"""

TRAIN_1D = """
[target]
kind = "gaussian"
mean = [0.0]
cov = [[1.0]]

[process]
kind = "vp"

[training]
steps = 2
batch_size = 8
n_data = 16
"""

GAN_2D = """
[gan]
mode = "exact"
n_mc = 1000

[gan.pi]
kind = "gaussian"
mean = [0.0, 0.0]
cov = [1.0, 1.0]

[gan.generator]
kind = "gaussian"
mean = [1.0, 0.0]
cov = [1.0, 1.0]
"""

GAUSS_SCHEDULE = GAUSS_1D.replace("gamma = 0.1\n", "[sampler.schedule]\nkind = \"cosine\"\nN = 10\n")

#: Nine axes of ten values each: a product of 10**9 cells (all valid for a smooth perturbed score).
HUGE_SWEEP = "\n".join(["[score]", 'kind = "perturbed"', 'error = "smooth"', "[sweep]"] + [
    f'"{path}" = {values}' for path, values in {
        "sampler.T": [round(0.1 * k, 1) for k in range(1, 11)],
        "score.M": [0.1 * k for k in range(10)],
        "score.frequency": [1.0 + k for k in range(10)],
        "metrics.n_samples": [100 + k for k in range(10)],
        "metrics.seed": list(range(10)),
        "process.beta_min": [0.1 + k for k in range(10)],
        "process.beta_max": [20.0 + k for k in range(10)],
        "process.sigma_min": [0.01 + k for k in range(10)],
        "process.sigma_max": [50.0 + k for k in range(10)],
    }.items()])


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {"gauss": GAUSS_1D, "gmm3": GMM_3D, "train": TRAIN_1D, "gan2": GAN_2D,
                       "sched": GAUSS_SCHEDULE, "huge_sweep": GAUSS_1D + HUGE_SWEEP}.items():
        out[name] = tmp_path / f"{name}.toml"
        out[name].write_text(text)
    out["binary"] = tmp_path / "binary.toml"
    out["binary"].write_bytes(bytes(range(256)) * 4)
    out["folder"] = tmp_path / "folder.toml"
    out["folder"].mkdir()
    big = GAUSS_1D.replace("mean = [1.0]\ncov = [[0.5]]", f"mean = {[0.0] * 2000}\ncov = 1.0")
    out["d2000"] = tmp_path / "d2000.toml"
    out["d2000"].write_text(big)
    return out


# --- each case: (argv with {file} placeholders, the key or argument the one line must name) -------------------------

CASES = {
    # tracebacks before
    "binary config": (["measure", "{binary}"], "binary.toml"),
    "folder as config": (["measure", "{folder}"], "folder.toml"),
    "device foo, samples route": (["measure", "{gauss}", "--device", "foo", "--set", "metrics.method=samples"],
                                  "--device"),
    "seed 2**70": (["measure", "{gauss}", "--set", f"metrics.seed={2**70}"], "metrics.seed"),
    "n_samples 1e11": (["measure", "{gmm3}", "--set", "metrics.n_samples=1e11"], "metrics.n_samples"),
    "gamma 1e-300": (["measure", "{gauss}", "--set", "sampler.gamma=1e-300"], "sampler.gamma"),
    "T 1e12": (["measure", "{gauss}", "--set", "sampler.T=1e12"], "T = 1e+12"),
    "training.n_data 1e10": (["train", "{train}", "--out", "{tmp}/s.pt", "--set", "training.n_data=1e10"],
                             "training.n_data"),
    "gan.grid_points 1e5 in 2D": (["gan", "{gan2}", "--out", "{tmp}/gan", "--set", "gan.grid_points=100000"],
                                  "gan.grid_points"),
    # unbounded before
    "N 1e9 exact route": (["measure", "{gauss}", "--set", "sampler.gamma=1e-9"], "limits.max_steps"),
    "N 1e9 grid route": (["measure", "{gauss}", "--set", "sampler.gamma=1e-9", "--set", "metrics.method=grid"],
                         "limits.max_steps"),
    "N 1e9 samples route": (["measure", "{gmm3}", "--set", "sampler.gamma=1e-9"], "limits.max_steps"),
    "N 1e9 schedule": (["measure", "{sched}", "--set", "sampler.schedule.N=1000000000"], "sampler.schedule.N"),
    "N 1e6 exact route": (["measure", "{gauss}", "--set", "sampler.gamma=1e-6"], "limits.max_steps"),
    "N 1e9 sweep cell": (["sweep", "{gauss}", "--out", "{tmp}/run", "--quiet", "--set",
                          "sweep.sampler.gamma=[0.1,1e-9]"], "sweep cell 2/2"),
    "training.batch_size 1e9": (["train", "{train}", "--out", "{tmp}/s.pt", "--set", "training.batch_size=1e9"],
                                "training.batch_size"),
    "sweep of 1e9 cells": (["sweep", "{huge_sweep}", "--out", "{tmp}/run", "--quiet"], "limits.max_cells"),
    "d 2000 Gaussian": (["measure", "{d2000}"], "limits.max_flops"),
    # silent before
    "score.M 1e308": (["measure", "{gauss}", "--set", "score.kind=perturbed", "--set", "score.error=bias",
                       "--set", "score.M=1e308"], "score.M"),
    "device foo, exact route": (["measure", "{gauss}", "--device", "foo"], "--device"),
    "gamma as a string": (["measure", "{gauss}", "--set", 'sampler.gamma="0.1"'], "sampler.gamma"),
    "T as a boolean": (["measure", "{gauss}", "--set", "sampler.T=true", "--set", "sampler.gamma=0.5"], "sampler.T"),
    "denoise as a number": (["measure", "{gauss}", "--set", "sampler.early_stop=0.01", "--set", "sampler.denoise=1"],
                            "sampler.denoise"),
    "limits: unknown key": (["measure", "{gauss}", "--set", "limits.max_stepz=10"], "limits.max_stepz"),
    "limits: negative": (["measure", "{gauss}", "--set", "limits.max_steps=-1"], "limits.max_steps"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_naming_the_key(name, files, tmp_path, capsys):
    argv, named = CASES[name]
    values = {**{k: str(v) for k, v in files.items()}, "tmp": str(tmp_path)}
    code, err = _run([a.format(**values) for a in argv], capsys)
    _assert_refused(code, err, named)
    assert not (tmp_path / "run").exists(), "a refused sweep must not create its run folder"


def test_device_cuda_without_cuda_is_refused(files, capsys):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    code, err = _run(["measure", files["gauss"], "--device", "cuda", "--set", "metrics.method=samples",
                      "--set", "metrics.n_samples=100"], capsys)
    _assert_refused(code, err, "--device")


def test_checkpoint_without_its_config_entry(tmp_path, files, capsys):
    from theorylab.learning.checkpoint import FORMAT

    path = tmp_path / "bare.pt"
    torch.save({"format": FORMAT, "dim": 1, "network": {"kind": "mlp"}, "model": {}, "ema": {}}, path)
    code, err = _run(["measure", files["gauss"], "--set", "score.kind=learned", "--set",
                      f'score.checkpoint="{path}"'], capsys)
    _assert_refused(code, err, "score.checkpoint")
    assert "config" in err


def _small_run(tmp_path: Path, files, capsys) -> Path:
    run = tmp_path / "run"
    assert main(["sweep", str(files["gauss"]), "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    return run


@pytest.mark.parametrize("command", ["results", "report"])
def test_corrupt_results_store(command, tmp_path, files, capsys):
    run = _small_run(tmp_path, files, capsys)
    for extra in ("results.sqlite-wal", "results.sqlite-shm"):
        (run / extra).unlink(missing_ok=True)
    (run / "results.sqlite").write_bytes(b"this is not an SQLite file" * 100)
    argv = [command, run] + (["--reports", tmp_path / "reports"] if command == "report" else [])
    code, err = _run(argv, capsys)
    _assert_refused(code, err, "results.sqlite")


def test_run_folder_without_config_json(tmp_path, files, capsys):
    run = _small_run(tmp_path, files, capsys)
    (run / "config.json").unlink()
    code, err = _run(["report", run, "--reports", tmp_path / "reports"], capsys)
    _assert_refused(code, err, "config.json")


def test_corrupt_store_is_refused_by_a_resumed_sweep_and_nothing_is_overwritten(tmp_path, files, capsys):
    run = tmp_path / "run"
    run.mkdir()
    garbage = b"not a database" * 64
    (run / "results.sqlite").write_bytes(garbage)
    code, err = _run(["sweep", files["gauss"], "--out", run, "--quiet"], capsys)
    _assert_refused(code, err, "results.sqlite")
    assert (run / "results.sqlite").read_bytes() == garbage


# --- limits: overridable, estimates scale as stated, shipped experiments fit --------------------------------------


def test_a_limit_can_be_raised_from_the_command_line(files, tmp_path, capsys):
    argv = ["sweep", files["gauss"], "--out", tmp_path / "run", "--quiet", "--set", "sweep.score.M=[0.0,0.1,0.2]",
            "--set", "score.kind=perturbed", "--set", "score.error=bias"]
    code, err = _run([*argv, "--set", "limits.max_cells=2"], capsys)
    _assert_refused(code, err, "limits.max_cells = 2")
    assert _run([*argv, "--set", "limits.max_cells=3"], capsys)[0] == 0


def test_limits_table_is_not_part_of_the_run_identity(files, tmp_path, capsys):
    """Raising a limit on a rerun resumes the same run folder (no --force needed, nothing recomputed)."""
    run = tmp_path / "run"
    assert main(["sweep", str(files["gauss"]), "--out", str(run), "--quiet"]) == 0
    assert main(["sweep", str(files["gauss"]), "--out", str(run), "--quiet", "--set", "limits.max_steps=5e5"]) == 0
    assert "0 computed, 1 already done" in capsys.readouterr().out


def _measure_cfg(**sets):
    import tomllib

    from theorylab.config import apply_overrides

    raw = tomllib.loads(GMM_3D)
    return validate(apply_overrides(raw, [f"{k}={v}" for k, v in sets.items()]))


def test_cost_scales_as_documented():
    """The samples-route estimate is linear in N and in n, quadratic in d's work per particle: a dropped factor in
    :func:`measure_cost` (a mutation) fails one of these ratios."""
    base = measure_cost(_measure_cfg())
    assert base.route == "samples" and base.steps == 10
    n20 = measure_cost(_measure_cfg(**{"sampler.gamma": 0.05})).flops  # N = 20
    n5 = measure_cost(_measure_cfg(**{"sampler.T": 0.5})).flops  # N = 5
    assert n20 - base.flops == pytest.approx(2 * (base.flops - n5), rel=1e-12)  # affine in N
    double_n = measure_cost(_measure_cfg(**{"metrics.n_samples": 2000}))
    target_work = 2 * 3**3  # K d^3 of the two components' factorisations
    assert double_n.flops - target_work == pytest.approx(2 * (base.flops - target_work), rel=1e-12)
    assert double_n.memory > base.memory and double_n.memory_key == "metrics.n_samples"


def test_limits_are_checked_at_their_boundary():
    cfg = _measure_cfg(**{"sampler.gamma": 0.001})  # N = 1000
    check_measure(cfg, Limits(max_steps=1000))
    with pytest.raises(ConfigError, match=r"sampler.gamma: N = T/gamma .* = 1e\+03 exceeds limits.max_steps = 999"):
        check_measure(cfg, Limits(max_steps=999))
    flops = measure_cost(cfg).flops
    check_measure(cfg, Limits(max_flops=flops))
    with pytest.raises(ConfigError, match="metrics.n_samples: estimated work"):
        check_measure(cfg, Limits(max_flops=flops * 0.99))


def test_train_and_gan_memory_estimates_refuse_only_what_is_large(files):
    import tomllib

    from theorylab.config import apply_overrides
    from theorylab.gan.config import load_gan_config
    from theorylab.learning.config import TrainConfig

    train = tomllib.loads(TRAIN_1D)
    check_train(validate(train, TrainConfig))
    with pytest.raises(ConfigError, match="training.n_data"):
        check_train(validate(apply_overrides(train, ["training.n_data=1e10"]), TrainConfig))
    gan = tomllib.loads(GAN_2D)
    check_gan(load_gan_config(apply_overrides(gan, ["gan.grid_points=2001"])))  # 4e6 nodes: fits
    with pytest.raises(ConfigError, match=r"gan.grid_points: estimated memory \(100000\^2"):
        check_gan(load_gan_config(apply_overrides(gan, ["gan.grid_points=100000"])))


def _shipped(kind: str) -> list[Path]:
    return [p for p in sorted((ROOT / "experiments").glob("*.toml")) if kind in load_toml(p)]


@pytest.mark.parametrize("path", _shipped("sampler"), ids=lambda p: p.stem)
@pytest.mark.parametrize("full", [False, True], ids=["quick", "full"])
def test_shipped_sweeps_fit_the_default_limits(path, full):
    from theorylab.experiments.sweep import expand, parse_sweep
    from theorylab.config import apply_profile

    raw = apply_profile(load_toml(path), full)
    cells, _ = expand(parse_sweep(raw), check_setup=False, limits=DEFAULT_LIMITS)
    worst = max(measure_cost(c.config).flops for c in cells)
    assert worst < DEFAULT_LIMITS.max_flops / 2, f"{path.name}: {worst:.3g} flops leaves no margin"


@pytest.mark.parametrize("path", _shipped("gan"), ids=lambda p: p.stem)
def test_shipped_gan_configs_fit_the_default_limits(path):
    from theorylab.gan.config import load_gan_config

    raw = {k: v for k, v in load_toml(path).items() if k == "gan"}
    check_gan(load_gan_config(raw))


# --- progress and Ctrl-C --------------------------------------------------------------------------------------------


def test_step_progress_is_transparent_and_reaches_the_last_step():
    """The bar's wrapper changes no number (same exact law) and its position ends at N on the samples route."""
    import io

    import numpy as np

    from theorylab.laws import law_of_output
    from theorylab.measure import build_setup
    from theorylab.progress import StepProgress

    import tomllib

    setup = build_setup(validate(tomllib.loads(GAUSS_1D)))
    plain = law_of_output(setup.target, setup.score, setup.sampler, setup.grid, method="exact",
                          process=setup.process)
    wrapped = StepProgress(setup.score, setup.grid.T, setup.grid.N, delay=0.0, file=io.StringIO())
    exact = law_of_output(setup.target, wrapped, setup.sampler, setup.grid, method="exact", process=setup.process)
    np.testing.assert_array_equal(exact.mean(), plain.mean())
    np.testing.assert_array_equal(exact.covariance(), plain.covariance())
    bar = StepProgress(setup.score, setup.grid.T, setup.grid.N, delay=0.0, file=io.StringIO())
    law_of_output(setup.target, bar, setup.sampler, setup.grid, method="samples", n_samples=64,
                  process=setup.process)
    assert bar.done == setup.grid.N - 1  # the score is fed t_n = T - n gamma, n = 0..N-1: the last is gamma
    assert bar.passes == 1


def test_ctrl_c_during_measure_stops_cleanly(files, capsys, monkeypatch):
    import theorylab.measure as measure_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(measure_module, "measure", interrupted)
    code = main(["measure", str(files["gauss"])])
    assert code == 130
    assert capsys.readouterr().err.strip() == "theorylab: interrupted"


# --- the real console entry point ------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv, named", [
    (["measure", "{binary}"], "binary.toml"),
    pytest.param(["measure", "{gauss}", "--set", "sampler.gamma=1e-300"], "limits.max_steps",
                 marks=pytest.mark.slow),  # in-process above ("gamma 1e-300"); one subprocess case suffices by default
])
def test_subprocess_exit_code_and_single_line(argv, named, files):
    values = {k: str(v) for k, v in files.items()}
    proc = subprocess.run([sys.executable, "-m", "theorylab", *(a.format(**values) for a in argv)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
