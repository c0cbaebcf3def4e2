"""Training, EMA, time sampling, checkpoints and resume (theorylab.learning.{training,ema,times,checkpoint,score}).

Small 1D problems on CPU, a few seconds each. The seed claims exercised: seed 000 slide 'Exponential Moving Average
(EMA)' (the update rule), seed 002 slide 'Treinando o score' (DSM training lowers the score error).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from theorylab.config import validate
from theorylab.errors import ConfigError
from theorylab.learning.checkpoint import load_checkpoint
from theorylab.learning.config import TrainConfig, config_hash
from theorylab.learning.ema import EMA
from theorylab.learning.error import score_error_profile
from theorylab.learning.score import LearnedScore
from theorylab.learning.times import sample_times
from theorylab.learning.training import train
from theorylab.tolerances import MC_SIGMA

GMM = {"kind": "gmm", "weights": [0.5, 0.5], "means": [-3.0, 3.0], "covs": [0.25, 1.0]}


def tiny(steps: int = 60, **training) -> TrainConfig:
    raw = {
        "target": GMM,
        "process": {"kind": "vp", "T": 1.0},
        "network": {"kind": "mlp", "hidden": 64, "depth": 2, "fourier_features": 32, "fourier_scale": 4.0},
        "training": {"steps": steps, "batch_size": 256, "n_data": 1000, "device": "cpu", "ema": 0.2, **training},
        "output": {"log_every": 10},
    }
    return validate(raw, TrainConfig)


# --------------------------------------------------------------------------- EMA (seed 000, slide 'EMA')
@settings(max_examples=20, deadline=None)
@given(m=st.floats(1e-3, 1.0))  # the slide's rate m in (0, 1]
def test_ema_update_is_the_slides_rule(m):
    """After the first update (a copy), each update is theta_bar <- (1 - m) theta_bar + m theta, entry-wise."""
    net = torch.nn.Linear(3, 2).double()
    ema = EMA(net, m)
    ema.update(net)  # first update copies
    before = {k: v.clone() for k, v in ema.module.state_dict().items()}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    ema.update(net)
    for (name, avg), theta in zip(ema.module.state_dict().items(), net.state_dict().values()):
        expected = (1 - m) * before[name] + m * theta
        torch.testing.assert_close(avg, expected, rtol=0, atol=4 * torch.finfo(torch.float64).eps)


def test_ema_rate_is_checked():
    with pytest.raises(ConfigError, match="training.ema"):
        EMA(torch.nn.Linear(1, 1), 0.0)


# --------------------------------------------------------------------------- times
@pytest.mark.parametrize("kind", ["uniform", "stratified"])
def test_training_times_are_uniform_on_the_interval(kind):
    """Both samplers give U[t_min, T] marginals (Kolmogorov-Smirnov at the MC_SIGMA-equivalent level)."""
    g = torch.Generator().manual_seed(3)
    t = sample_times(4000, 0.05, 2.0, kind, generator=g).numpy()
    assert t.min() >= 0.05 and t.max() <= 2.0
    pvalue = stats.kstest(t, stats.uniform(0.05, 1.95).cdf).pvalue
    assert pvalue > 2 * stats.norm.sf(MC_SIGMA)


def test_stratified_times_have_one_draw_per_stratum():
    g = torch.Generator().manual_seed(0)
    t = sample_times(50, 0.0, 1.0, "stratified", generator=g).numpy()
    assert sorted(np.floor(t * 50).astype(int).tolist()) == list(range(50))


def test_bad_time_sampling_is_refused():
    with pytest.raises(ConfigError, match="training.time_sampling"):
        sample_times(4, 0.0, 1.0, "sobol")


# --------------------------------------------------------------------------- training
def test_tiny_training_lowers_the_measured_score_error(tmp_path):
    """The initial network outputs 0, so its L2 error is ||grad log p_t||_{L2(p_t)}; 150 DSM steps must lower the
    L2(p_t) error averaged over t in [0.05, 1] by at least a factor 2, beyond the profiles' confidence bands
    (measured: 1.00 -> 0.4 after 150 steps, 0.2 after 300)."""
    cfg = tiny(steps=300, ema=0.05)
    from theorylab.distributions import make_target

    target = make_target(GMM)
    before_model = LearnedScore(_initial_model(cfg), cfg.training.t_min)
    result = train(cfg, checkpoint=tmp_path / "s.pt", progress=False)
    after = LearnedScore.from_checkpoint(result.checkpoint)
    times = np.linspace(0.05, 1.0, 8)
    e0 = score_error_profile(before_model, target, after.process, times, n_samples=2000, seed=1).l2_average()
    e1 = score_error_profile(after, target, after.process, times, n_samples=2000, seed=1).l2_average()
    assert e1[2] < 0.5 * e0[1], (e0, e1)


def _initial_model(cfg):
    from theorylab.learning.training import build_score_model

    return build_score_model(cfg, 1).double()


def test_checkpoint_round_trip_with_the_safe_loader(tmp_path):
    """The checkpoint loads with torch.load(weights_only=True) and gives back the EMA model's outputs exactly."""
    cfg = tiny()
    result = train(cfg, checkpoint=tmp_path / "s.pt", progress=False)
    data = torch.load(tmp_path / "s.pt", weights_only=True)
    assert data["config_hash"] == config_hash(cfg) and data["complete"] and data["steps_done"] == 60
    assert validate(data["config"], TrainConfig) == cfg
    score = LearnedScore.from_checkpoint(tmp_path / "s.pt")
    x = torch.linspace(-5, 5, 11, dtype=torch.float64)[:, None]
    t = torch.full((11,), 0.3, dtype=torch.float64)
    with torch.no_grad():
        expected = result.ema_model(t, x)
    assert torch.equal(score(0.3, x), expected)
    raw = LearnedScore.from_checkpoint(tmp_path / "s.pt", weights="raw")
    with torch.no_grad():
        assert torch.equal(raw(0.3, x), result.model(t, x))
    # numpy in, numpy out, same numbers
    np.testing.assert_array_equal(score(0.3, x.numpy()), expected.numpy())


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    """40 steps, then resuming to 80, gives bit-identical weights to 80 steps in one go (the optimiser, schedule,
    EMA and generator states are all in the checkpoint)."""
    whole = train(tiny(steps=80), checkpoint=tmp_path / "a.pt", progress=False)
    first = tiny(steps=80, max_seconds=1e-9)  # stops at once: the budget is spent before the first step
    part = train(first, checkpoint=tmp_path / "b.pt", progress=False, save_every=40)
    assert part.stopped == "time budget" and part.steps_done == 0
    # take 40 steps, save, then resume to 80
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C after step 40: the finished steps are saved
        train(tiny(steps=80), checkpoint=tmp_path / "b.pt", progress=False, on_record=_stop_at(40))
    assert load_checkpoint(tmp_path / "b.pt")["steps_done"] == 40
    resumed = train(tiny(steps=80), checkpoint=tmp_path / "b.pt", progress=False)
    assert resumed.steps_done == 80
    for a, b in zip(whole.ema_model.state_dict().values(), resumed.ema_model.state_dict().values()):
        assert torch.equal(a, b)
    assert load_checkpoint(tmp_path / "b.pt")["history"]["step"] == load_checkpoint(tmp_path / "a.pt")["history"]["step"]


def _stop_at(step):
    def hook(record):
        if record["step"] >= step:
            raise KeyboardInterrupt

    return hook


def test_interrupt_saves_the_finished_steps(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(tiny(steps=80), checkpoint=tmp_path / "c.pt", progress=False, on_record=_stop_at(30))
    data = load_checkpoint(tmp_path / "c.pt")
    assert data["steps_done"] == 30 and not data["complete"]


def test_checkpoint_of_another_config_is_not_overwritten(tmp_path):
    train(tiny(steps=20, ema=0.5), checkpoint=tmp_path / "d.pt", progress=False)
    with pytest.raises(ConfigError, match="output.checkpoint"):
        train(tiny(steps=20, ema=0.5, lr=1e-3), checkpoint=tmp_path / "d.pt", progress=False)
    again = train(tiny(steps=20, ema=0.5, lr=1e-3), checkpoint=tmp_path / "d.pt", progress=False, force=True)
    assert again.steps_done == 20


def test_training_is_reproducible_from_the_seed(tmp_path):
    a = train(tiny(steps=30), progress=False)
    b = train(tiny(steps=30), progress=False)
    c = train(tiny(steps=30, seed=1), progress=False)
    pa, pb, pc = (list(r.ema_model.parameters())[0] for r in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_ism_training_runs_and_lowers_its_loss():
    result = train(tiny(steps=60, loss="ism", weighting="sigma2"), progress=False)
    assert np.isfinite(result.history["loss"]).all()
    assert result.history["loss"][-1] < result.history["loss"][0]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("training.loss", "mse", "training.loss"),
    ("training.weighting", "sigma", "training.weighting"),
    ("training.steps", 0, "training.steps"),
    ("training.ema", 1.5, "training.ema"),
    ("process.kind", "cosine", "process.kind"),
    ("training.t_min", 2.0, "t_min"),
    ("training.colour", "red", "training.colour"),
])
def test_bad_train_configs_name_the_key(key, value, message):
    raw = tiny().model_dump()
    section, name = key.split(".")
    raw[section][name] = value
    with pytest.raises(ConfigError, match=message):
        validate(raw, TrainConfig)


def test_cuda_request_without_cuda_is_a_config_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ConfigError, match="training.device"):
        train(tiny(steps=1, ema=1.0, device="cuda"), progress=False)


def test_missing_checkpoint_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match="no such checkpoint"):
        LearnedScore.from_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="cannot read"):
        LearnedScore.from_checkpoint(tmp_path / "junk.pt")


@pytest.mark.gpu
def test_cuda_training_matches_the_cpu_stream(tmp_path):
    """Same seed on CUDA: same random stream (drawn on the CPU generator), weights equal up to float64 rounding of
    different kernels after 20 steps."""
    cpu = train(tiny(steps=20, ema=0.5), progress=False, device="cpu")
    gpu = train(tiny(steps=20, ema=0.5), progress=False, device="cuda")
    for a, b in zip(cpu.ema_model.state_dict().values(), gpu.ema_model.state_dict().values()):
        torch.testing.assert_close(a, b.cpu(), rtol=1e-8, atol=1e-10)


def test_an_ema_dominated_by_the_initial_weights_is_warned_about():
    """(1 - m)^steps = 0.99^60 = 0.55: the averaged score is still near the zero-output initial network."""
    with pytest.warns(UserWarning, match="training.ema"):
        train(tiny(steps=60, ema=0.01), progress=False)


@pytest.mark.parametrize("table", ["target", "network"])
def test_non_finite_numbers_in_free_form_tables_name_the_key_once(table):
    raw = tiny().model_dump()
    raw[table] = {**raw[table], "scale": float("inf")}
    with pytest.raises(ConfigError, match=rf"^{table}\.scale: must be finite"):
        validate(raw, TrainConfig)
