"""The exact Gaussian model in each output convention (against Gaussian conditioning computed independently), the
order fit, the audit config's validation and the CLI's bad-input path (no library needed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theorylab.audit.model import GaussianModel
from theorylab.audit.runner import fit_order, parse_config
from theorylab.cli import main
from theorylab.errors import ConfigError
from theorylab.tolerances import LINALG_RTOL

MU = np.array([0.4, -0.7])
SIGMA = np.array([[0.6, 0.2], [0.2, 0.3]])


def conditional_x0(x: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """E[X0 | alpha X0 + sigma Z = x] by the Gaussian conditioning formula (Schur complement), not by Tweedie."""
    C = alpha**2 * SIGMA + sigma**2 * np.eye(2)
    gain = alpha * SIGMA @ np.linalg.inv(C)
    return MU + gain @ (x - alpha * MU)


@pytest.mark.parametrize("alpha,sigma", [(0.9, np.sqrt(1 - 0.81)), (0.1, np.sqrt(0.99)), (1.0, 3.0)])
def test_predictions_are_the_conditional_expectations(alpha, sigma):
    model = GaussianModel(MU, SIGMA)
    x = np.array([0.3, 1.2])
    xt = torch.from_numpy(x)
    x0 = conditional_x0(x, alpha, sigma)
    eps = (x - alpha * x0) / sigma  # E[Z | x]
    got_x0 = model.predict(xt, alpha, sigma, "sample").numpy()
    got_eps = model.predict(xt, alpha, sigma, "epsilon").numpy()
    got_v = model.predict(xt, alpha, sigma, "v_prediction").numpy()
    np.testing.assert_allclose(got_x0, x0, rtol=LINALG_RTOL, atol=LINALG_RTOL)
    np.testing.assert_allclose(got_eps, eps, rtol=LINALG_RTOL, atol=LINALG_RTOL)
    np.testing.assert_allclose(got_v, alpha * eps - sigma * x0, rtol=LINALG_RTOL, atol=LINALG_RTOL)
    if alpha == 1.0:  # the EDM denoiser is the x0-prediction of the VE state
        np.testing.assert_allclose(model.denoiser(xt, sigma).numpy(), x0, rtol=LINALG_RTOL, atol=LINALG_RTOL)


def test_unknown_prediction_type_names_it():
    with pytest.raises(ConfigError, match="prediction_type"):
        GaussianModel(MU, SIGMA).predict(torch.zeros(2), 0.5, 0.5, "score")


def test_fit_order_recovers_a_power_law_and_fails_on_a_different_one():
    steps = [5, 10, 20, 40]
    w2 = [3.0 * n ** -1.5 for n in steps]
    slope, stderr = fit_order(steps, w2)
    assert slope == pytest.approx(1.5, rel=1e-12) and stderr < 1e-10
    assert fit_order(steps, [n ** -1.0 for n in steps])[0] == pytest.approx(1.0, rel=1e-12)


GOOD = {"target": {"mean": [0.0, 0.0], "cov": [[1.0, 0.0], [0.0, 1.0]]}, "audit": {"steps": [4, 8]},
        "scheme": [{"library": "k-diffusion", "sampler": "sample_euler"}]}


@pytest.mark.parametrize("patch,key", [
    ({"target": {"mean": [0.0], "cov": [[1.0, 0.0], [0.0, 1.0]]}}, "target.cov"),
    ({"target": {"mean": [0.0, 0.0], "cov": [[1.0, 2.0], [2.0, 1.0]]}}, "target.cov"),
    ({"audit": {"steps": [8, 4]}}, "audit.steps"),
    ({"audit": {"stepz": [4]}}, "audit.stepz"),
    ({"scheme": [{"library": "torchsde"}]}, "scheme[0].library"),
    ({"scheme": [{"library": "diffusers", "scheduler": "DDIMScheduler", "sigma_max": 3}]}, "scheme[0].sigma_max"),
    ({"scheme": [{"library": "k-diffusion"}]}, "scheme[0].sampler"),
    ({"scheme": [{"library": "k-diffusion", "sampler": "sample_euler", "eta": "one"}]}, "scheme[0].eta"),
    ({"extra": {}}, "extra"),
])
def test_bad_config_names_the_key(patch, key):
    with pytest.raises(ConfigError) as info:
        parse_config({**GOOD, **patch})
    assert str(info.value).startswith(key) and "\n" not in str(info.value)


def test_cli_bad_config_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[target]\nmean = [0.0, 0.0]\ncov = [[1.0, 0.0], [0.0, 1.0]]\n[[scheme]]\nlibrary = "jax"\n')
    assert main(["audit", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scheme[0].library" in err[0]
