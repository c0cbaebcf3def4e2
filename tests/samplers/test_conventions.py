"""The two backward conventions against hand-unrolled numpy loops (2 particles, 3 steps, fixed noise).

``reverse-em`` (seed 000, slide 'En la práctica'):
:math:`Y_{k+1} = Y_k + \\gamma_k(Y_k + 2 s(t_k, Y_k)) + \\sqrt{2\\gamma_k}Z_{k+1}`, :math:`t_k = F_{N-k}`;
``ancestral`` (seed 000, slide '¿Y ahora qué?'):
:math:`X_k = X_{k+1} + \\gamma_k(X_{k+1} + 2\\nabla\\log p_k(X_{k+1})) + \\sqrt{2\\gamma_k}Z_{k+1}`, fed :math:`F_k`.
The numpy loops compute the Gaussian scores by hand (:math:`-\\Sigma^{-1}(x-\\mu)` with the OU / EM-chain moments).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theorylab.distributions import Gaussian
from theorylab.processes import OrnsteinUhlenbeck
from theorylab.samplers import AncestralSampler, ReverseEMSampler, ReverseSDESampler, TimeGrid, get_sampler
from theorylab.scores import ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

MU = np.array([0.5, -1.0])
SIGMA = np.array([[0.7, 0.1], [0.1, 0.3]])
TARGET = Gaussian(MU, SIGMA)
GRIDS = {"constant": TimeGrid.constant(0.9, 0.3), "linear": TimeGrid.linear(0.1, 0.4, 3)}


def _score(x, mean, cov):
    return -np.linalg.solve(cov, (x - mean).T).T


def _ou_moments(t):
    a = math.exp(-t)
    return a * MU, a * a * SIGMA + (1 - a * a) * np.eye(2)


def _chain_moments(steps):
    mean, cov = MU.copy(), SIGMA.copy()
    for g in steps:
        mean, cov = (1 - g) * mean, (1 - g) ** 2 * cov + 2 * g * np.eye(2)
    return mean, cov


def _fixed_inputs():
    rng = np.random.default_rng(7)
    return rng.standard_normal((2, 2)), rng.standard_normal((3, 2, 2))


@pytest.mark.parametrize("kind", GRIDS)
def test_reverse_em_matches_hand_unrolled_loop(kind):
    grid = GRIDS[kind]
    gam = grid.gammas  # forward order: gam[0] nearest the data
    y0, z = _fixed_inputs()
    # hand loop: backward step k uses the forward step gam[N-1-k] and feeds t_k = T - (gam[N-1] + ... + gam[N-k])
    y, states, N = y0.copy(), [y0.copy()], 3
    for k in range(N):
        g = gam[N - 1 - k]
        t_k = grid.T - sum(gam[N - 1 - j] for j in range(k))
        y = y + g * (y + 2 * _score(y, *_ou_moments(t_k))) + np.sqrt(2 * g) * z[k]
        states.append(y.copy())
    out, traj = ReverseEMSampler().sample(ExactScore(TARGET), grid, 2, x_init=torch.tensor(y0),
                                          noise=torch.tensor(z), return_trajectory=True)
    assert np.allclose(out.numpy(), y, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(traj.numpy(), np.stack(states), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    if kind == "constant":  # t_k = T - k gamma = (N - k) gamma, the seed's s((N-k) gamma, Y_k)
        assert np.allclose(grid.forward_times, [0.9, 0.6, 0.3], rtol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("kind", GRIDS)
def test_ancestral_matches_hand_unrolled_loop(kind):
    grid = GRIDS[kind]
    gam = grid.gammas
    x_N, z = _fixed_inputs()
    # hand loop: k = N-1..0, X_k = X_{k+1} + gam_k (X_{k+1} + 2 grad log p_k(X_{k+1})) + sqrt(2 gam_k) Z
    x, states, N = x_N.copy(), [x_N.copy()], 3
    for i, k in enumerate(range(N - 1, -1, -1)):
        g = gam[k]
        x = x + g * (x + 2 * _score(x, *_chain_moments(gam[:k]))) + np.sqrt(2 * g) * z[i]
        states.append(x.copy())
    score = ExactScore(TARGET, convention="ancestral", grid=grid)
    out, traj = AncestralSampler().sample(score, grid, 2, x_init=torch.tensor(x_N), noise=torch.tensor(z),
                                          return_trajectory=True)
    assert np.allclose(out.numpy(), x, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(traj.numpy(), np.stack(states), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_the_two_conventions_differ_only_in_the_time_fed():
    grid = GRIDS["linear"]
    fed = {"reverse-em": [], "ancestral": []}

    def recorder(name):
        def score(t, x):
            fed[name].append(t)
            return -x
        return score

    y0, z = _fixed_inputs()
    outs = {name: get_sampler(name).sample(recorder(name), grid, 2, x_init=torch.tensor(y0), noise=torch.tensor(z))
            for name in fed}
    assert fed["reverse-em"] == grid.forward_times.tolist()
    assert fed["ancestral"] == grid.ancestral_times.tolist()
    # a time-independent score gives identical outputs: nothing else differs
    assert torch.equal(outs["reverse-em"], outs["ancestral"])


def test_reverse_sde_on_ou_is_bit_identical_to_reverse_em():
    grid = TimeGrid.cosine(25, 3.0)
    score = ExactScore(TARGET)
    a = ReverseEMSampler().sample(score, grid, 64, torch.Generator().manual_seed(5))
    b = ReverseSDESampler().sample(score, grid, 64, torch.Generator().manual_seed(5), process=OrnsteinUhlenbeck(3.0))
    assert torch.equal(a, b)


def test_generator_stream_is_the_documented_one():
    grid = GRIDS["constant"]
    score = ExactScore(TARGET)
    out = ReverseEMSampler().sample(score, grid, 4, 11)  # int seed -> torch.Generator().manual_seed(11)
    gen = torch.Generator().manual_seed(11)
    y0 = torch.randn((4, 2), generator=gen, dtype=torch.float64)
    z = torch.stack([torch.randn((4, 2), generator=gen, dtype=torch.float64) for _ in range(grid.N)])
    replay = ReverseEMSampler().sample(score, grid, 4, x_init=y0, noise=z)
    assert torch.equal(out, replay)
