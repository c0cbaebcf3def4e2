"""The samplers' intra-op thread policy (:mod:`theorylab.threads`): how many threads a run uses, that the count is
restored, that an explicit count wins, that bad counts are refused, and that the particles do not depend on it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from theorylab.cost import mixture_score_flops, samples_step_flops
from theorylab.distributions import GaussianMixture
from theorylab.errors import ConfigError
from theorylab.samplers import TimeGrid, get_sampler
from theorylab.samplers.base import run_threads
from theorylab.scores import BiasedScore, ExactScore, SmoothPerturbedScore
from theorylab.threads import MIN_STEP_WORK_PER_THREAD, threads_for, torch_threads

MIXTURE = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
GRID = TimeGrid.constant(0.2, 0.05)
GRAIN = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "thread_grain.json"


class Recording:
    """A score that records the torch thread count it runs under; declares ``work`` per particle (or nothing)."""

    def __init__(self, work: float | None):
        self.exact = ExactScore(MIXTURE)
        self.dim = 1
        self.seen: list[int] = []
        if work is not None:
            self.work_per_particle = lambda: work

    def __call__(self, t, x):
        self.seen.append(torch.get_num_threads())
        return self.exact(t, x)


@pytest.fixture
def two_threads():
    with torch_threads(2):
        yield


def test_threads_for_follows_the_rule():
    W = MIN_STEP_WORK_PER_THREAD
    assert threads_for(None, 8) == 8  # undeclared work: all of them
    assert threads_for(0.0, 8) == 1
    assert threads_for(W - 1, 8) == 1
    assert threads_for(2 * W, 8) == 2
    assert threads_for(2.99 * W, 8) == 2
    assert threads_for(100 * W, 8) == 8
    assert threads_for(100 * W, 1) == 1


def test_the_calibration_points_of_the_docstring():
    # the seed mixture: 2 threads lost up to 4e5 particles and paid at 1e6 (benchmarks/bench_thread_grain.py)
    per = mixture_score_flops(1, 2)
    assert per == 202.0
    assert threads_for(samples_step_flops(400_000, 1, per), 2) == 1
    assert threads_for(samples_step_flops(1_000_000, 1, per), 2) == 2


def test_below_the_switch_point_no_measured_gain_is_forgone():
    # the committed calibration run (benchmarks/bench_thread_grain.py): in every setting where the policy chose one
    # thread, two threads were slower in wall time (paired median ratio 1-thread / 2-thread time below 1); a
    # re-measurement on a machine where a second thread pays earlier fails this test: lower the threshold then
    rows = [r for rows in json.loads(GRAIN.read_text())["by_target"].values() for r in rows]
    chose_one = [r for r in rows if r["policy_threads"] == 1]
    assert chose_one and all(r["step_work"] < 2 * MIN_STEP_WORK_PER_THREAD for r in chose_one)
    gains = {(r["dim"], r["particles"]): r["one_over_two"]["wall"]["median"] for r in chose_one}
    assert all(g < 1.0 for g in gains.values()), gains


def test_torch_threads_restores_the_count_also_on_error():
    before = torch.get_num_threads()
    with torch_threads(before + 1) as n:
        assert n == torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(before + 1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_declared_scores():
    exact = ExactScore(MIXTURE)
    assert exact.work_per_particle() == mixture_score_flops(1, 2)
    assert BiasedScore(exact, 0.5).work_per_particle() == mixture_score_flops(1, 2) + 1
    assert SmoothPerturbedScore(exact, 0.5).work_per_particle() == mixture_score_flops(1, 2) + 10
    assert BiasedScore(lambda t, x: x, 0.5, direction=[1.0]).work_per_particle() is None


@pytest.mark.usefixtures("two_threads")
@pytest.mark.parametrize("work, n, expected", [
    (202.0, 1000, 1),     # a small analytic run: one thread
    (1e6, 1000, 2),       # declared heavy work per particle: both
    (None, 1000, 2),      # undeclared (a network): what the caller gave
])
def test_a_run_uses_the_threads_its_work_is_worth(work, n, expected):
    score = Recording(work)
    get_sampler("reverse-em").sample(score, GRID, n, generator=0)
    assert set(score.seen) == {expected}
    assert run_threads(score, n, 1) == expected  # the decision the benchmarks record is the one sample() took
    assert torch.get_num_threads() == 2  # restored


@pytest.mark.usefixtures("two_threads")
def test_an_explicit_count_wins():
    score = Recording(202.0)
    get_sampler("reverse-em").sample(score, GRID, 100, generator=0, threads=2)
    assert set(score.seen) == {2}


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ConfigError, match="sampler.threads"):
        get_sampler("reverse-em").sample(ExactScore(MIXTURE), GRID, 10, generator=0, threads=bad)


@pytest.mark.parametrize("generator", [3, np.random.default_rng(3)])
def test_the_particles_do_not_depend_on_the_thread_count(generator):
    # 40 000 particles: above torch's grain (32768 elements), so two threads do split the kernels
    sampler = get_sampler("reverse-em")
    state = generator.bit_generator.state if isinstance(generator, np.random.Generator) else None
    one = sampler.sample(ExactScore(MIXTURE), GRID, 40_000, generator=generator, threads=1)
    if state is not None:
        generator.bit_generator.state = state
    two = sampler.sample(ExactScore(MIXTURE), GRID, 40_000, generator=generator, threads=2)
    assert torch.equal(one, two)
