"""Exact laws in high dimension (issue 12): the eigenbasis route equals the dense one, stays O(d) (no dense
covariance is built), sweep rows stay O(d), and an exact infinite divergence is a value, not a divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theorylab.config import validate
from theorylab.distributions import Gaussian
from theorylab.experiments.cells import classify
from theorylab.laws import gaussian_output_law
from theorylab.measure import LAW_JSON_MAX_DIM, measure
from theorylab.processes import VariancePreserving
from theorylab.samplers import TimeGrid
from theorylab.scores import BiasedScore, ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL


class _DenseOnly(ExactScore):
    """The same exact score without its eigen form: the exact route falls back to the dense recursion."""

    def eigenbasis(self):
        return False, None


def _rotated_target(d: int) -> Gaussian:
    rng = np.random.default_rng(7)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return Gaussian.from_eigen(rng.standard_normal(d), np.linspace(0.05, 2.0, d), basis=q * np.sign(np.diag(r)))


@pytest.mark.parametrize("name", ["exponential-integrator", "ddpm", "pf-ode", "dpm-solver-2", "edm", "reverse-sde"])
def test_the_eigenbasis_route_equals_the_dense_route(name):
    target = _rotated_target(6)
    process = VariancePreserving(0.1, 12.0, 1.0)
    grid = TimeGrid.constant(1.0, 0.05).early_stopped(1e-3)
    score = BiasedScore(ExactScore(target, process=process), 0.3, direction=np.ones(6))
    fast = gaussian_output_law(score, name, grid, process=process)
    assert fast.details["basis"] == "target eigenbasis"
    slow = gaussian_output_law(BiasedScore(_DenseOnly(target, process=process), 0.3, direction=np.ones(6)),
                               name, grid, process=process)
    assert "basis" not in slow.details
    assert np.allclose(fast.mean(), slow.mean(), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(fast.covariance(), slow.covariance(), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_a_diagonal_target_in_d_2000_never_builds_a_dense_covariance():
    cfg = validate({"target": {"kind": "gaussian", "dim": 2000, "spectrum": "power:1.0"}, "process": {"kind": "vp"},
                    "sampler": {"kind": "exponential-integrator", "T": 1.0, "gamma": 0.05},
                    "metrics": {"names": ["kl", "w2", "hellinger"], "method": "exact"}})
    result = measure(cfg)
    assert result.output.law._cov_dense is None  # O(d) memory: the law is kept as (mean, eigenvalues)
    assert all("O(d)" in e.method for e in result.estimates)
    row = result.to_json()["law"]
    assert 2000 > LAW_JSON_MAX_DIM and row["covariance"] is None and len(row["variances"]) == 2000
    assert np.allclose(row["variances"], result.output.law.eigen_parts()[0])


def test_an_exact_infinite_divergence_is_a_value_not_a_diverged_cell():
    exact_inf = {"name": "kl", "value": math.inf, "kind": "exact", "lower": math.inf, "upper": math.inf}
    assert classify(None, [exact_inf]) == []
    assert classify(None, [{**exact_inf, "kind": "ci"}]) == ["kl"]  # an interval that blew up is a divergence
    assert classify(None, [{**exact_inf, "value": math.nan}]) == ["kl"]
