"""make_target: every kind from a [target] table, and one-line ConfigErrors naming the key."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from theorylab.distributions import DigitsDataset, Gaussian, GaussianMixture, SmileDataset, make_target
from theorylab.errors import ConfigError

SEED_002_GMM = """
[target]
kind = "gmm"
weights = [0.5, 0.5]
means = [-3.0, 3.0]
covs = [0.25, 1.0]
"""


def test_gmm_from_toml_is_the_seed_mixture():
    law = make_target(tomllib.loads(SEED_002_GMM)["target"])
    assert isinstance(law, GaussianMixture) and law.dim == 1
    assert np.array_equal(law.means[:, 0], [-3.0, 3.0]) and np.array_equal(law.covs[:, 0, 0], [0.25, 1.0])


def test_gaussian_smile_digits():
    g = make_target({"kind": "gaussian", "mean": [0.0, 1.0], "cov": [[1.0, 0.2], [0.2, 2.0]]})
    assert isinstance(g, Gaussian) and g.dim == 2
    s = make_target({"kind": "smile", "n": 100, "noise": 0.2, "seed": 5})
    assert isinstance(s, SmileDataset) and s.data.shape == (100, 2) and s.noise == 0.2
    pytest.importorskip("sklearn")
    d = make_target({"kind": "digits", "scale": "unit", "classes": [3]})
    assert isinstance(d, DigitsDataset) and set(np.unique(d.labels)) == {3}


@pytest.mark.parametrize(
    "table,pattern",
    [
        ({"mean": [0.0]}, r"^target\.kind: missing"),
        ({"kind": "student"}, r"^target\.kind: unknown kind 'student'"),
        ({"kind": "gaussian", "mean": [0.0], "cov": 1.0, "covs": 1.0},
         r"^target\.covs: unknown key for kind 'gaussian'"),
        ({"kind": "gaussian", "mean": [0.0]}, r"^target\.cov: missing"),
        ({"kind": "gaussian", "mean": [0.0, 0.0], "cov": [[1.0, 2.0], [2.0, 1.0]]},
         r"^target\.cov: covariance is not positive semi-definite \(smallest eigenvalue -1\)$"),
        ({"kind": "gmm", "weights": [0.5, 0.5], "means": [0.0, 1.0], "covs": [1.0, -2.0]},
         r"^target\.covs: covariance 1 is not positive definite$"),
        ({"kind": "gmm", "weights": [0.3, 0.6], "means": [0.0, 1.0], "covs": [1.0, 1.0]},
         r"^target\.weights: must sum to 1"),
        ({"kind": "smile", "noise": "big"}, r"^target\.noise: must be a number"),
        ({"kind": "smile", "eyes": 3}, r"^target\.eyes: unknown key for kind 'smile'"),
        ({"kind": "digits", "scale": "log"}, r"^target\.scale: must be one of"),
    ],
)
def test_bad_tables_name_the_key(table, pattern):
    with pytest.raises(ConfigError, match=pattern) as info:
        make_target(table)
    assert "\n" not in str(info.value)


def test_not_a_table():
    with pytest.raises(ConfigError, match=r"^target: must be a table"):
        make_target(["gaussian"])
