"""Sample-only data sets of seed 002: the smile ("Sorriso") and scikit-learn's digits ("Dígitos escritos a mão")."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

from theorylab.distributions import DigitsDataset, SampleDataset, SmileDataset
from theorylab.errors import ConfigError
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA


def test_smile_parts_follow_the_documented_generator():
    smile = SmileDataset(noise=0.0, eye_std=0.0)
    x, parts = smile.sample_with_parts(20_000, np.random.default_rng(0))
    assert x.shape == (20_000, 2)
    # without noise, eyes sit exactly at (-1, 1) and (1, 1) ...
    assert np.array_equal(np.unique(x[parts == 0], axis=0), [[-1.0, 1.0]])
    assert np.array_equal(np.unique(x[parts == 1], axis=0), [[1.0, 1.0]])
    # ... and the mouth lies on the circle of centre (0, 0.25) and radius 1.5, on the arc below its centre
    mouth = x[parts == 2]
    radius = np.hypot(mouth[:, 0], mouth[:, 1] - 0.25)
    np.testing.assert_allclose(radius, 1.5, rtol=CLOSED_FORM_RTOL)
    angle = np.arctan2(mouth[:, 1] - 0.25, mouth[:, 0]) % (2 * math.pi)
    assert angle.min() >= math.pi + math.pi / 6 - CLOSED_FORM_ATOL
    assert angle.max() <= 2 * math.pi - math.pi / 6 + CLOSED_FORM_ATOL
    # part frequencies: 0.2, 0.2, 0.6 within MC_SIGMA binomial standard errors
    freq = np.bincount(parts, minlength=3) / parts.size
    p = np.array([0.2, 0.2, 0.6])
    assert np.all(np.abs(freq - p) <= MC_SIGMA * np.sqrt(p * (1 - p) / parts.size))


def test_smile_noise_is_isotropic_with_the_stated_std():
    noisy = SmileDataset(noise=0.3, eye_std=0.0)
    clean = SmileDataset(noise=0.0, eye_std=0.0)
    x_noisy, parts = noisy.sample_with_parts(40_000, np.random.default_rng(1))
    eyes = x_noisy[parts == 0] - [-1.0, 1.0]  # left eye: a point mass plus noise
    n = eyes.shape[0]
    var = eyes.var(axis=0)
    # the sample variance of a normal sample has standard error sigma^2 sqrt(2 / n)
    assert np.all(np.abs(var - 0.09) <= MC_SIGMA * 0.09 * math.sqrt(2.0 / n))
    assert clean.sample(3, np.random.default_rng(2)).shape == (3, 2)


def test_smile_data_is_fixed_by_its_seed_and_densities_are_refused():
    a, b = SmileDataset(n=50, seed=3), SmileDataset(n=50, seed=3)
    assert np.array_equal(a.data, b.data) and a.data.shape == (50, 2)
    assert not np.array_equal(a.data, SmileDataset(n=50, seed=4).data)
    assert isinstance(a, SampleDataset)
    with pytest.raises(NotImplementedError):
        a.logpdf(np.zeros((1, 2)))
    with pytest.raises(NotImplementedError):
        a.score(np.zeros((1, 2)))
    np.testing.assert_allclose(a.mean(), a.data.mean(axis=0))


@pytest.mark.parametrize(
    "kwargs,pattern",
    [({"noise": -1.0}, r"^noise: must be >= 0"), ({"n": 0}, r"^n: must be an integer >= 1"),
     ({"eye_weight": 0.6}, r"^eye_weight: must lie in \(0, 0\.5\)"), ({"seed": 1.5}, r"^seed: must be an integer")],
)
def test_smile_parameters_are_validated(kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        SmileDataset(**kwargs)


def test_digits_unit_scale_and_labels():
    pytest.importorskip("sklearn")
    digits = DigitsDataset()
    assert digits.data.shape == (1797, 64) and digits.dim == 64
    assert digits.data.min() == 0.0 and digits.data.max() == 1.0
    assert set(np.unique(digits.labels)) == set(range(10))
    x, y = digits.sample_with_labels(10, np.random.default_rng(0))
    # every sampled row is a row of the data set with its own label
    for row, label in zip(x, y):
        idx = np.nonzero(np.all(digits.data == row, axis=1))[0]
        assert idx.size >= 1 and label in digits.labels[idx]


def test_digits_standard_scale_and_class_filter():
    pytest.importorskip("sklearn")
    digits = DigitsDataset("standard", classes=[0, 1])
    assert set(np.unique(digits.labels)) == {0, 1}
    data = digits.data
    np.testing.assert_allclose(data.mean(axis=0), 0.0, atol=CLOSED_FORM_ATOL)
    std = data.std(axis=0)
    assert np.all((np.abs(std - 1.0) < CLOSED_FORM_RTOL) | (std == 0.0))


def test_digits_without_sklearn_asks_for_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ConfigError, match=r"`digits` extra"):
        DigitsDataset()


def test_digits_bad_scale():
    with pytest.raises(ConfigError, match=r"^scale: must be one of unit, standard"):
        DigitsDataset("minmax")
