"""GAN training by the alternating algorithm of seed 000 ('Entrenando a tu GAN'): a short run lowers JS on a 1D
Gaussian target, both generator losses, reproducibly; the step-0 numbers match the known starting law N(0, 1)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.gan.laws import STANDARD_1D
from theorylab.distributions import Gaussian
from theorylab.divergences import js
from theorylab.gan.config import load_gan_config
from theorylab.gan.kde import smoothed_law
from theorylab.gan.training import train_gan
from theorylab.tolerances import MC_SIGMA

PI = {"kind": "gaussian", "mean": 2.0, "cov": 0.25}  # N(2, 0.5^2); the generator starts at exactly N(0, 1)
SHORT = dict(steps=300, m=64, lr=1e-3, hidden=[32, 32], eval_every=150, n_eval=1000, n_mc=1000, n_boot=20)
Z975 = 1.959963984540054


def _run(**kw):
    cfg = load_gan_config({"gan": {"mode": "train", "pi": PI, **SHORT, **kw}}).gan
    return cfg, train_gan(cfg.pi_law(), cfg, device=torch.device("cpu"), dtype=torch.float64)


@pytest.mark.parametrize("loss", ["non-saturating", "minimax"])
def test_short_training_lowers_js(loss):
    cfg, run = _run(generator_loss=loss)
    first, last = run.curves[0], run.curves[-1]
    assert [r["step"] for r in run.curves] == [0, 150, 300]
    # intervals do not overlap: the decrease is not Monte Carlo noise
    assert last["js_upper"] < first["js_lower"]
    assert last["js"] < 0.25 * first["js"]
    assert last["js_hist_upper"] < first["js_hist_lower"]
    # the generator's mass moved onto the target's mode
    assert last["count_mode_0"] > 2 * first["count_mode_0"]


def test_step_zero_matches_the_known_starting_law():
    cfg, run = _run()
    first = run.curves[0]
    h = run.bandwidth
    exact_smoothed = js(smoothed_law(cfg.pi_law(), h), smoothed_law(STANDARD_1D, h)).value
    half = first["js_upper"] - first["js"]
    assert abs(first["js"] - exact_smoothed) <= MC_SIGMA * half / Z975 + run.floor.uncertainty.upper
    # smoothing lowers JS (data processing): the estimand is a lower bound of the exact JS(pi, N(0, 1))
    exact = js(Gaussian([2.0], [0.25]), STANDARD_1D).value
    assert exact_smoothed <= exact
    # any discriminator's value is at most 2 JS - ln 4 (D* maximises V): at step 0 mu_G = N(0, 1) exactly
    z = MC_SIGMA / Z975
    v_upper = first["value"] + z * (first["value_upper"] - first["value"])
    assert first["value"] < 2 * exact - np.log(4.0) - 0.1  # the initial discriminator is far from D*
    assert 0.5 * (v_upper + np.log(4.0)) <= exact


def test_runs_are_reproducible_on_cpu():
    _, a = _run(steps=40, eval_every=20)
    _, b = _run(steps=40, eval_every=20)
    for ra, rb in zip(a.curves, b.curves):
        assert {k: v for k, v in ra.items() if k != "seconds"} == {k: v for k, v in rb.items() if k != "seconds"}
    _, c = _run(steps=40, eval_every=20, seed=1)
    assert c.curves[-1]["value"] != a.curves[-1]["value"]


@pytest.mark.gpu
def test_cuda_run_lowers_js():
    cfg = load_gan_config({"gan": {"mode": "train", "pi": PI, **SHORT, "device": "cuda"}}).gan
    run = train_gan(cfg.pi_law(), cfg, device=torch.device("cuda"), dtype=torch.float64)
    assert run.curves[-1]["js_upper"] < run.curves[0]["js_lower"]
