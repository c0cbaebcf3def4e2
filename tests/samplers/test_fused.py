"""The torch route's fused in-place path (issue 15 part 2) gives the same particles, bit for bit, as the generic
route ``mean(y) + sqrt(var) * draw()`` that the exact and grid routes read, and keeps the documented random stream."""

from __future__ import annotations

import math

import pytest
import torch

from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.processes import OrnsteinUhlenbeck, VariancePreserving
from theorylab.samplers import TimeGrid, get_sampler
from theorylab.samplers.base import NoiseSource
from theorylab.samplers.em import em_transition
from theorylab.samplers.kernel import Chain, Step, Transition, _draw_into, run_chain
from theorylab.scores import ExactScore

SEED_MIXTURE = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, "Mistura de gaussianas"


def run_both(sampler, score, grid, process, n, seed, dim=1, noise=None):
    """Particles of the fused and of the generic route from the same prior draw and the same stream."""
    out = []
    for fused in (True, False):
        gen = torch.Generator().manual_seed(seed)
        y0 = process.prior_std * NoiseSource(gen, (n, dim), "cpu", torch.float64).draw()
        source = NoiseSource(gen, (n, dim), "cpu", torch.float64, noise=noise,
                             needed=None if noise is None else noise.shape[0])
        traj: list[torch.Tensor] = []
        y = run_chain(sampler.declare(grid, process), score, y0, source.draw, traj, fused=fused)
        out.append((y0, y, torch.stack(traj), gen.get_state()))
    return out


@pytest.mark.parametrize("name, target, process, dim", [
    ("reverse-em", SEED_MIXTURE, OrnsteinUhlenbeck(3.0), 1),
    ("ancestral", Gaussian([0.5, -1.0], [[0.7, 0.1], [0.1, 0.3]]), OrnsteinUhlenbeck(3.0), 2),
    ("reverse-sde", GaussianMixture([0.2, 0.8], [[-1.0, 0.0], [2.0, 1.0]], [[0.3, 0.5], [1.0, 2.0]]),
     VariancePreserving(0.1, 20.0, 1.0), 2),
])
def test_fused_route_equals_generic_bit_for_bit(name, target, process, dim):
    grid = TimeGrid.constant(process.T, process.T / 30)
    score = (ExactScore(target, convention="ancestral", grid=grid) if name == "ancestral"
             else ExactScore(target, process=None if process.name == "ou" else process))
    (y0f, yf, tf, gf), (y0g, yg, tg, gg) = run_both(get_sampler(name), score, grid, process, 1001, 7, dim)
    assert all(tr.fused is not None for tr in get_sampler(name).declare(grid, process).transitions)
    assert torch.equal(yf, yg) and torch.equal(tf, tg)
    assert torch.equal(gf, gg)  # the generator consumed the same draws
    assert torch.equal(y0f, y0g)  # the initial particles are not modified in place


def test_sampler_sample_runs_the_fused_route_with_the_documented_stream():
    """sample(generator=seed) equals a hand replay of the documented stream: prior randn, then one randn per step."""
    grid, n, seed = TimeGrid.constant(3.0, 0.05), 1003, 11  # n not a multiple of 16: torch's randn tail path
    score = ExactScore(SEED_MIXTURE)
    y = get_sampler("reverse-em").sample(score, grid, n, generator=seed)
    gen = torch.Generator().manual_seed(seed)
    draws = torch.stack([torch.randn((n, 1), generator=gen, dtype=torch.float64) for _ in range(grid.N + 1)])
    replay = get_sampler("reverse-em").sample(score, grid, n, x_init=draws[0], noise=draws[1:].clone())
    assert torch.equal(y, replay)
    noise = draws[1:].clone()
    get_sampler("reverse-em").sample(score, grid, n, x_init=draws[0], noise=noise)
    assert torch.equal(noise, draws[1:])  # replayed draws are copied, never scaled in place


def test_draw_into_matches_noise_source():
    for n in (16, 1003):
        a = NoiseSource(torch.Generator().manual_seed(3), (n, 2), "cpu", torch.float64)
        b = NoiseSource(torch.Generator().manual_seed(3), (n, 2), "cpu", torch.float64)
        buf = torch.empty((n, 2), dtype=torch.float64)
        for _ in range(3):
            assert torch.equal(_draw_into(b.draw, buf), a.draw())
        assert a.count == b.count == 3
        assert torch.equal(a.generator.get_state(), b.generator.get_state())


def test_a_multiply_add_mutant_is_caught():
    """Mutation: an EM step written with ``add_(alpha=)`` (one rounding instead of two) changes the last bits."""
    process, grid = OrnsteinUhlenbeck(3.0), TimeGrid.constant(3.0, 0.1)
    score = ExactScore(SEED_MIXTURE)
    good = get_sampler("reverse-em").declare(grid, process)

    def mutant(tr: Transition, t: float, h: float) -> Transition:
        keep, push, root = 1.0 + h, 2.0 * h, math.sqrt(tr.var)

        def fused(y, ev, z):
            s = ev.score_into(t, y, ev.buffer("em.score", y))
            return y.mul_(keep).add_(s, alpha=push).add_(z, alpha=root)

        return Transition(tr.mean, tr.var, tr.times, fused=fused)

    bad = Chain(tuple(Step((mutant(st.transitions[0], st.t_hi, st.h),), st.t_hi, st.t_lo, st.h)
                      for st in good.steps))
    y0 = torch.randn((2048, 1), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    runs = {}
    for label, chain, fused in (("generic", good, False), ("fused", good, True), ("mutant", bad, True)):
        src = NoiseSource(torch.Generator().manual_seed(1), (2048, 1), "cpu", torch.float64)
        runs[label] = run_chain(chain, score, y0, src.draw, fused=fused)
    assert torch.equal(runs["fused"], runs["generic"])
    assert not torch.equal(runs["mutant"], runs["generic"])


def test_extra_memory_does_not_grow_with_steps():
    """O(n d): the run's workspace holds the same buffers for 10 and for 40 steps."""

    class Recording(ExactScore):
        def score_into(self, t, x, out, work=None):
            self.held = (len(work), work.nbytes())
            return super().score_into(t, x, out, work)

    held = {}
    for N in (10, 40):
        score = Recording(SEED_MIXTURE)
        get_sampler("reverse-em").sample(score, TimeGrid.constant(3.0, 3.0 / N), 5000, generator=2)
        held[N] = score.held
    assert held[10] == held[40]
    assert held[10][1] <= 8 * 5000 * 8  # score + noise buffers + 4 particle- and 2 batch-sized kernel buffers


def test_transition_fused_needs_a_mean_map():
    with pytest.raises(ValueError, match="fused"):
        Transition(None, 0.0, coupled=lambda y, ev, draw: y, fused=lambda y, ev, z: y)
    assert em_transition(OrnsteinUhlenbeck(1.0), 0.5, 0.1).fused is not None


def test_numpy_stream_is_numpys_standard_normal_in_the_documented_order():
    """generator=numpy Generator: the prior then one standard_normal per increment, drawn in place (fused route)
    or allocated (generic route): the same bits, and the same generator state after, as a hand replay."""
    import numpy as np

    grid, n, process = TimeGrid.constant(3.0, 0.1), 1003, OrnsteinUhlenbeck(3.0)
    score = ExactScore(SEED_MIXTURE)
    sampler = get_sampler("reverse-em")
    rng = np.random.default_rng(5)
    y = sampler.sample(score, grid, n, generator=rng)
    replay_rng = np.random.default_rng(5)
    draws = torch.from_numpy(replay_rng.standard_normal((grid.N + 1, n, 1)))
    replay = sampler.sample(score, grid, n, x_init=process.prior_std * draws[0], noise=draws[1:].clone())
    assert torch.equal(y, replay)
    assert rng.bit_generator.state == replay_rng.bit_generator.state
    source = NoiseSource(np.random.default_rng(5), (n, 1), "cpu", torch.float64)
    generic = run_chain(sampler.declare(grid, process), score, process.prior_std * source.draw(), source.draw,
                        fused=False)
    assert torch.equal(generic, y)


def test_numpy_stream_draw_into_equals_draw_and_falls_back_to_a_copy():
    import numpy as np

    a = NoiseSource(np.random.default_rng(2), (17, 2), "cpu", torch.float64)
    b = NoiseSource(np.random.default_rng(2), (17, 2), "cpu", torch.float64)
    buf = torch.empty((17, 2), dtype=torch.float64)
    assert torch.equal(_draw_into(b.draw, buf), a.draw()) and a.count == b.count == 1
    c = NoiseSource(np.random.default_rng(2), (17, 2), "cpu", torch.float32)  # not float64: drawn, then copied
    out = torch.empty((17, 2), dtype=torch.float32)
    assert torch.equal(c.draw_into(out), torch.from_numpy(np.random.default_rng(2).standard_normal((17, 2))).float())
