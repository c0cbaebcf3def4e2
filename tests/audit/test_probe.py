"""Probing a black-box linear-Gaussian sampler recovers its exact output law (hand-written DDIM on a Gaussian
target, against an independent mean/covariance recursion), and a non-affine sampler is detected."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.audit import probe_affine
from theorylab.tolerances import LINALG_RTOL, PROBE_AFFINE_RTOL

MU = np.array([1.0, -0.5])
SIGMA = np.array([[0.6, 0.2], [0.2, 0.3]])
T = 40
ALPHA_BAR = np.concatenate([[1.0], np.cumprod(1.0 - np.linspace(1e-3, 0.2, T))])  # abar_0 = 1, ..., abar_T


def eps_affine(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact noise prediction of the Gaussian target at step t: eps(x) = E x + e, E = sqrt(1-abar) C^-1,
    C = abar SIGMA + (1 - abar) I (Ho et al. 2020: eps = -sqrt(1 - abar) * score)."""
    a = ALPHA_BAR[t]
    C_inv = np.linalg.inv(a * SIGMA + (1 - a) * np.eye(2))
    E = np.sqrt(1 - a) * C_inv
    return E, -E @ (np.sqrt(a) * MU)


def ddim_sigma(t: int, eta: float) -> float:
    a, ap = ALPHA_BAR[t], ALPHA_BAR[t - 1]
    return eta * np.sqrt((1 - ap) / (1 - a)) * np.sqrt(1 - a / ap)


def ddim(eta: float, clip: bool = False):
    """A hand-written DDIM loop (Song, Meng & Ermon 2021, eq. (12)) with the exact eps: run(x_T, [z_T..z_1])."""

    def run(x: np.ndarray, noises: list[np.ndarray]) -> np.ndarray:
        for t, z in zip(range(T, 0, -1), noises, strict=True):
            E, e = eps_affine(t)
            eps = E @ x + e
            a, ap = ALPHA_BAR[t], ALPHA_BAR[t - 1]
            x0 = (x - np.sqrt(1 - a) * eps) / np.sqrt(a)
            if clip:
                x0 = np.clip(x0, -1.0, 1.0)  # what image samplers do: not affine
            s = ddim_sigma(t, eta)
            x = np.sqrt(ap) * x0 + np.sqrt(1 - ap - s**2) * eps + s * z
        return x

    return run


def recursion_law(eta: float) -> tuple[np.ndarray, np.ndarray]:
    """Independent route: each DDIM step as x -> M x + c + s z, pushed through mean and covariance."""
    m, P = np.zeros(2), np.eye(2)
    for t in range(T, 0, -1):
        E, e = eps_affine(t)
        a, ap, s = ALPHA_BAR[t], ALPHA_BAR[t - 1], ddim_sigma(t, eta)
        k = np.sqrt(1 - ap - s**2)
        M = np.sqrt(ap / a) * (np.eye(2) - np.sqrt(1 - a) * E) + k * E
        c = -np.sqrt(ap / a) * np.sqrt(1 - a) * e + k * e
        m, P = M @ m + c, M @ P @ M.T + s**2 * np.eye(2)
    return m, P


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_probed_ddim_law_equals_the_mean_covariance_recursion(eta):
    probe = probe_affine(ddim(eta), state_dim=2, noise_dims=[2] * T, seed=1)
    assert probe.affine and probe.residual <= PROBE_AFFINE_RTOL
    mean, cov = probe.law(np.zeros(2), np.eye(2))
    ref_mean, ref_cov = recursion_law(eta)
    np.testing.assert_allclose(mean, ref_mean, rtol=LINALG_RTOL, atol=LINALG_RTOL)
    np.testing.assert_allclose(cov, ref_cov, rtol=LINALG_RTOL, atol=LINALG_RTOL)
    if eta == 0.0:
        assert np.all(probe.A[:, 2:] == 0)  # deterministic DDIM ignores its noises


def test_probed_law_detects_a_wrong_step():
    """Mutation: a loop with sigma_t^2 where sigma_t belongs gives a different law, so the check has teeth."""
    good = probe_affine(ddim(1.0), 2, [2] * T).law(np.zeros(2), np.eye(2))[1]
    global ddim_sigma
    original = ddim_sigma
    try:
        ddim_sigma = lambda t, eta: original(t, eta) ** 2  # noqa: E731
        bad = probe_affine(ddim(1.0), 2, [2] * T).law(np.zeros(2), np.eye(2))[1]
    finally:
        ddim_sigma = original
    assert np.max(np.abs(bad - good)) > 1e3 * LINALG_RTOL


def test_known_affine_map_and_its_law():
    probe = probe_affine(lambda x, z: 2 * x + 3 * z[0] + 1, state_dim=1, noise_dims=[1])
    np.testing.assert_array_equal(probe.A, [[2.0, 3.0]])
    np.testing.assert_array_equal(probe.b, [1.0])
    mean, cov = probe.law(np.array([0.5]), np.array([[4.0]]))
    np.testing.assert_allclose(mean, [2.0], rtol=LINALG_RTOL)  # 2 * 0.5 + 1
    np.testing.assert_allclose(cov, [[25.0]], rtol=LINALG_RTOL)  # 2^2 * 4 + 3^2


def test_clipped_sampler_is_reported_not_affine():
    probe = probe_affine(ddim(1.0, clip=True), 2, [2] * T, seed=0)
    assert not probe.affine and probe.residual > 1e3 * PROBE_AFFINE_RTOL
    with pytest.raises(ValueError, match="not affine"):
        probe.law(np.zeros(2), np.eye(2))
