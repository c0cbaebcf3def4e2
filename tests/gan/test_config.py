"""The [gan] table: defaults, and bad configs refused with a one-line ConfigError naming the dotted key."""

from __future__ import annotations

import math

import pytest

from theorylab.errors import ConfigError
from theorylab.gan.config import load_gan_config

PI = {"kind": "gmm", "weights": [0.5, 0.5], "means": [-3.0, 3.0], "covs": [0.25, 1.0]}
GEN = {"kind": "gaussian", "mean": 0.0, "cov": 1.0}


def train(**kw):
    return {"gan": {"mode": "train", "pi": PI, **kw}}


def exact(**kw):
    return {"gan": {"mode": "exact", "pi": PI, "generator": GEN, **kw}}


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"gan": {"mode": "wgan", "pi": PI}}, "gan.mode"),
        ({"gan": {"pi": PI}}, "gan.mode"),
        (train(steps=-5), "gan.steps"),
        (train(steps=0), "gan.steps"),
        (train(steps=True), "gan.steps"),
        (train(generator_loss="wasserstein"), "gan.generator_loss"),
        (train(k=0), "gan.k"),
        (train(lr=-1e-3), "gan.lr"),
        (train(lr=math.nan), "gan.lr"),
        (train(hidden=[64, 0]), "gan.hidden.1"),
        (train(device="tpu"), "gan.device"),
        (train(mode_fraction=1.5), "gan.mode_fraction"),
        (train(foo=1), "gan.foo"),
        (train(generator=GEN), "gan.generator"),  # a fixed generator law has no meaning in train mode
        (exact(k=3), "gan.k"),  # a train key in exact mode
        ({"gan": {"mode": "exact", "pi": PI}}, "gan.generator"),
        ({"gan": {"mode": "train", "pi": {"kind": "gaussian", "mean": 0.0, "cov": -1.0}}}, "gan.pi.cov"),
        ({"gan": {"mode": "train", "pi": {"kind": "gaussian", "mean": 0.0}}}, "gan.pi.cov"),
        ({"gan": {"mode": "train", "pi": {**PI, "weights": [0.5, 0.4]}}}, "gan.pi.weights"),
        ({"gan": {"mode": "train", "pi": {**PI, "covs": [0.25, -1.0]}}}, "gan.pi.covs"),
        ({"gan": {"mode": "train", "pi": {**PI, "colour": "red"}}}, "gan.pi.colour"),
        ({"gan": {"mode": "train", "pi": {"kind": "smile"}}}, "gan.pi.kind"),
        ({"gan": {"mode": "train", "pi": {"kind": "gaussian", "mean": [0.0, 0.0, 0.0], "cov": 1.0}}}, "gan.pi"),
        ({"gan": {"mode": "train"}}, "gan.pi"),
        (exact(generator={"kind": "gaussian", "mean": [0.0, 0.0], "cov": 1.0}), "gan.generator"),
        (exact(generator={"kind": "gaussian", "mean": 0.0, "cov": 0.0}), "gan.generator.cov"),
        ({"gan": {"mode": "discriminator", "pi": PI, "generator": GEN, "sample_sizes": [], "online": False}},
         "gan.sample_sizes"),
        ({"gan": train()["gan"], "sampler": {}}, "sampler"),
        ({}, "gan"),
    ],
)
def test_bad_configs_are_refused_naming_the_key(raw, key):
    with pytest.raises(ConfigError) as info:
        load_gan_config(raw)
    message = str(info.value)
    assert "\n" not in message
    assert message.split(":", 1)[0] == key, message


def test_defaults_and_derived_options():
    cfg = load_gan_config(train()).gan
    assert (cfg.steps, cfg.k, cfg.m, cfg.generator_loss, cfg.latent()) == (2000, 1, 64, "non-saturating", 1)
    # default bandwidth: a quarter of the smallest component standard deviation in 1D (sqrt(0.25) = 0.5)
    assert cfg.bandwidth() == 0.5 / 4
    ring = {"kind": "gmm", "weights": [0.5, 0.5], "means": [[2.0, 0.0], [-2.0, 0.0]], "covs": [0.0025, 0.0025]}
    cfg2 = load_gan_config({"gan": {"mode": "train", "pi": ring, "js_bandwidth": 0.3}}).gan
    assert cfg2.bandwidth() == 0.3 and cfg2.latent() == 2
    cfg3 = load_gan_config({"gan": {"mode": "train", "pi": ring}}).gan
    assert cfg3.bandwidth() == pytest.approx(0.05 / 2)
    ex = load_gan_config(exact()).gan
    assert ex.pi_law().dim == ex.generator_law().dim == 1
