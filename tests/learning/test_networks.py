"""Tests of theorylab.learning.networks: the raw score networks and time-dependent classifiers.

Independent routes: the Fourier features and every network's forward pass are re-computed in numpy from the
``state_dict`` (the formulas of the docstrings, with convolutions written as sums over kernel taps); gradients are
checked against finite differences (``torch.autograd.gradcheck``); the conv net's receptive field is read off its
Jacobian; row-independence is checked by changing the other rows.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.errors import ConfigError
from theorylab.learning.networks import (
    CLASSIFIERS,
    NETWORKS,
    GaussianFourierFeatures,
    ScoreConvNet,
    ScoreMLP,
    TimeClassifier,
    build_classifier,
    build_network,
)
from theorylab.tolerances import FLOAT32_DEVICE_RTOL, LINALG_RTOL, MC_SIGMA

# --------------------------------------------------------------------------------------------------------------------
# helpers


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def small_nets(seed: int = 0, zero_init: bool = False) -> dict[str, tuple[torch.nn.Module, int]]:
    """Small instances of every network (name -> (net, dim)), random output layers unless ``zero_init``."""
    return {
        "mlp": (ScoreMLP(3, hidden=16, depth=2, fourier_features=8, generator=gen(seed), zero_init=zero_init), 3),
        "conv": (ScoreConvNet(channels=(4, 6), fourier_features=8, generator=gen(seed), zero_init=zero_init), 64),
        "conv3": (ScoreConvNet(image_shape=(2, 4, 8), channels=(3, 4, 5), fourier_features=6, generator=gen(seed),
                               zero_init=zero_init), 64),
        "clf_mlp": (TimeClassifier(3, 4, hidden=16, depth=2, fourier_features=8, generator=gen(seed),
                                   zero_init=zero_init), 3),
        "clf_conv": (TimeClassifier(64, 5, hidden=16, depth=1, fourier_features=8, kind="conv", channels=(4, 6),
                                    generator=gen(seed), zero_init=zero_init), 64),
    }


def inputs(n: int, dim: int, seed: int, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    g = gen(seed)
    return torch.rand(n, generator=g, dtype=dtype), torch.randn(n, dim, generator=g, dtype=dtype)


def rebuild(net: torch.nn.Module, dim: int) -> torch.nn.Module:
    if isinstance(net, TimeClassifier):
        return build_classifier(net.spec, dim)
    return build_network(net.spec, dim)


# numpy reference implementation of the documented formulas (float64)


def silu(z: np.ndarray) -> np.ndarray:
    return z / (1.0 + np.exp(-z))


def fourier_np(tau: np.ndarray, w: np.ndarray) -> np.ndarray:
    angle = 2.0 * np.pi * np.outer(tau, w)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def dense(sd: dict, name: str, h: np.ndarray) -> np.ndarray:
    out = h @ sd[f"{name}.weight"].T
    return out + sd[f"{name}.bias"] if f"{name}.bias" in sd else out


def conv3x3(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """Zero-padded cross-correlation as a sum over the 9 kernel taps, then subsampled by the stride."""
    n, _, height, width = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = sum(np.einsum("nchw,oc->nohw", xp[:, :, a:a + height, c:c + width], w[:, :, a, c])
              for a in range(3) for c in range(3))
    return out[:, :, ::stride, ::stride] + b[None, :, None, None]


def conv_t2x2(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Transposed convolution, kernel 2, stride 2: input pixel (i, j) writes the 2x2 block at (2i, 2j)."""
    n, _, height, width = x.shape
    out = np.zeros((n, w.shape[1], 2 * height, 2 * width))
    for a in range(2):
        for c in range(2):
            out[:, :, a::2, c::2] = np.einsum("nchw,co->nohw", x, w[:, :, a, c])
    return out + b[None, :, None, None]


def embed_np(sd: dict, tau: np.ndarray) -> np.ndarray:
    return silu(dense(sd, "embed.dense", fourier_np(tau, sd["embed.fourier.frequencies"])))


def trunk_np(sd: dict, h: np.ndarray, e: np.ndarray, depth: int) -> np.ndarray:
    for layer in range(depth):
        h = silu(dense(sd, f"trunk.layers.{layer}", h) + dense(sd, f"trunk.time.{layer}", e))
    return h


def encoder_np(sd: dict, x: np.ndarray, e: np.ndarray, levels: int) -> list[np.ndarray]:
    skips, h = [], x
    for i in range(levels):
        h = conv3x3(h, sd[f"encoder.convs.{i}.weight"], sd[f"encoder.convs.{i}.bias"], 1 if i == 0 else 2)
        h = silu(h + dense(sd, f"encoder.time.{i}", e)[:, :, None, None])
        skips.append(h)
    return skips


def reference(net: torch.nn.Module, tau: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The network's documented formula evaluated in numpy from its state_dict."""
    sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    e = embed_np(sd, tau)
    spec = net.spec
    if isinstance(net, ScoreMLP):
        return dense(sd, "out", trunk_np(sd, x, e, spec["depth"]))
    shape = tuple(spec.get("image_shape", ()))
    if isinstance(net, TimeClassifier):
        h = x
        if spec["kind"] == "conv":
            h = encoder_np(sd, x.reshape((-1,) + shape), e, len(spec["channels"]))[-1].reshape(len(x), -1)
        return dense(sd, "out", trunk_np(sd, h, e, spec["depth"]))
    levels = len(spec["channels"])
    skips = encoder_np(sd, x.reshape((-1,) + shape), e, levels)
    u = skips[-1]
    for k, skip in enumerate(reversed(skips[:-1])):
        up = conv_t2x2(u, sd[f"ups.{k}.weight"], sd[f"ups.{k}.bias"])
        u = np.concatenate([silu(up + dense(sd, f"ups_time.{k}", e)[:, :, None, None]), skip], axis=1)
    out = np.einsum("nchw,oc->nohw", u, sd["out.weight"][:, :, 0, 0]) + sd["out.bias"][None, :, None, None]
    return out.reshape(len(x), -1)


# --------------------------------------------------------------------------------------------------------------------
# Gaussian Fourier features


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    half=st.integers(1, 16),  # n_features = 2 * half
    scale=st.floats(0.1, 50.0, allow_nan=False),  # frequencies' standard deviation
    tau=st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=8),  # normalised times
)
def test_fourier_features_equal_the_formula(seed, half, scale, tau):
    ff = GaussianFourierFeatures(2 * half, scale, generator=gen(seed))
    w = ff.frequencies.numpy()
    assert w.shape == (half,)
    got = ff(torch.tensor(tau, dtype=torch.float64)).numpy()
    # angles reach 2 pi * 50 * ~5 ~ 1.6e3 rad: round-off of the two product orders is <= ~1e3 EPS ~ 2e-13 absolute
    np.testing.assert_allclose(got, fourier_np(np.array(tau), w), rtol=0, atol=LINALG_RTOL)
    assert np.allclose(got[:, :half] ** 2 + got[:, half:] ** 2, 1.0)  # sin^2 + cos^2


def test_fourier_frequencies_are_a_fixed_buffer():
    ff = GaussianFourierFeatures(8, 2.0, generator=gen(0))
    assert list(ff.state_dict()) == ["frequencies"]
    assert list(ff.parameters()) == []
    assert not ff.frequencies.requires_grad
    net = ScoreMLP(2, fourier_features=8, generator=gen(0))
    assert "embed.fourier.frequencies" in net.state_dict()
    assert all("frequencies" not in name for name, _ in net.named_parameters())
    # a training step leaves the frequencies untouched
    before = net.embed.fourier.frequencies.clone()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    tau, x = inputs(16, 2, 1)
    net(tau, x).square().sum().backward()
    opt.step()
    assert torch.equal(net.embed.fourier.frequencies, before)
    # and they move with .to(dtype)
    assert net.to(torch.float32).embed.fourier.frequencies.dtype == torch.float32


def test_fourier_frequencies_are_seeded_and_gaussian():
    a = GaussianFourierFeatures(64, 16.0, generator=gen(3)).frequencies
    b = GaussianFourierFeatures(64, 16.0, generator=gen(3)).frequencies
    c = GaussianFourierFeatures(64, 16.0, generator=gen(4)).frequencies
    assert torch.equal(a, b) and not torch.equal(a, c)
    # W ~ N(0, s^2): sample mean and standard deviation of m draws within MC_SIGMA standard errors
    m, s = 1_000_000, 16.0  # 5 standard errors of the std: 0.35% of s, so a 1% error in the scale fails
    w = GaussianFourierFeatures(2 * m, s, generator=gen(5)).frequencies.numpy()
    assert abs(w.mean()) <= MC_SIGMA * s / math.sqrt(m)
    assert abs(w.std() - s) <= MC_SIGMA * s / math.sqrt(2 * m)


# --------------------------------------------------------------------------------------------------------------------
# shapes, dtypes, the formulas


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_default_networks_shapes_and_dtypes(dtype):
    cases = [
        (ScoreMLP(1, generator=gen(0)), 1, 1),
        (ScoreMLP(5, generator=gen(0)), 5, 5),
        (ScoreConvNet(generator=gen(0)), 64, 64),
        (TimeClassifier(2, 3, generator=gen(0)), 2, 3),
        (TimeClassifier(64, 10, kind="conv", generator=gen(0)), 64, 10),
    ]
    for net, dim, out_dim in cases:
        assert next(net.parameters()).dtype == torch.float64  # built in float64
        net = net.to(dtype)
        tau, x = inputs(7, dim, 0, dtype)
        out = net(tau, x)
        assert out.shape == (7, out_dim) and out.dtype == dtype
        assert torch.count_nonzero(out) == 0  # zero_init: exactly 0 at initialisation
        # a scalar time is broadcast over the batch
        torch.testing.assert_close(net(tau[0], x), net(tau[0].expand(7), x), rtol=0, atol=0)


def test_zero_init_false_gives_nonzero_output():
    for name, (net, dim) in small_nets().items():
        tau, x = inputs(4, dim, 0)
        assert torch.count_nonzero(net(tau, x)) == net(tau, x).numel(), name


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 6))  # n: batch size
def test_networks_equal_their_formula_in_numpy(seed, n):
    for name, (net, dim) in small_nets(seed).items():
        tau, x = inputs(n, dim, seed + 1)
        got = net(tau, x).detach().numpy()
        want = reference(net, tau.numpy(), x.numpy())
        np.testing.assert_allclose(got, want, rtol=LINALG_RTOL, atol=LINALG_RTOL * np.abs(want).max(), err_msg=name)


def test_conv_receptive_field():
    """Output pixel (3, 3) of the default two-level net depends on exactly the 5x5 patch rows/cols 0..4 of x:
    3x3 through the skip h_0 (rows 2..4), 5x5 through the stride-2 level (coarse row 1 <- h_0 rows 1..3)."""
    net = ScoreConvNet(generator=gen(0), zero_init=False)
    tau, x = inputs(1, 64, 1)
    jac = torch.autograd.functional.jacobian(lambda z: net(tau, z)[0, 3 * 8 + 3], x)[0].reshape(8, 8)
    support = (jac != 0).numpy()
    expected = np.zeros((8, 8), dtype=bool)
    expected[0:5, 0:5] = True
    np.testing.assert_array_equal(support, expected)


def test_input_shapes_are_checked():
    net = ScoreMLP(2, generator=gen(0))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        net(torch.zeros(3), torch.zeros(3, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"tau must have shape \(3,\)"):
        net(torch.zeros(4, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64))


# --------------------------------------------------------------------------------------------------------------------
# rebuild from spec, seeding


def test_spec_round_trip_gives_identical_outputs():
    for name, (net, dim) in small_nets(7).items():
        spec = json.loads(json.dumps(net.spec))  # plain data, as stored in a checkpoint
        assert spec == net.spec
        twin = build_classifier(spec, dim) if isinstance(net, TimeClassifier) else build_network(spec, dim)
        assert type(twin) is type(net), name
        twin.load_state_dict(net.state_dict())
        tau, x = inputs(5, dim, 8)
        assert torch.equal(twin(tau, x), net(tau, x)), name


def test_default_specs_round_trip():
    for net, dim in [(ScoreMLP(1), 1), (ScoreConvNet(), 64), (TimeClassifier(4, 3), 4),
                     (TimeClassifier(64, 10, kind="conv"), 64)]:
        twin = rebuild(net, dim)
        assert type(twin) is type(net) and twin.spec == net.spec
        twin.load_state_dict(net.state_dict())  # same architecture: every key and shape matches


def test_seeded_construction_is_reproducible():
    for (name, (a, dim)), (_, (b, _)), (_, (c, _)) in zip(small_nets(3).items(), small_nets(3).items(),
                                                          small_nets(4).items()):
        sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
        assert all(torch.equal(sa[k], sb[k]) for k in sa), name
        assert any(not torch.equal(sa[k], sc[k]) for k in sa), name
    # the seed gives the same network through build_network, and float32 holds the rounded float64 draws
    net = build_network({"kind": "mlp", "hidden": 8}, 2, generator=gen(11))
    again = ScoreMLP(2, hidden=8, generator=gen(11)).to(torch.float32)
    assert all(torch.equal(again.state_dict()[k], v.to(torch.float32)) for k, v in net.state_dict().items())


# --------------------------------------------------------------------------------------------------------------------
# row independence (no batch coupling)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 8), row=st.integers(0, 7))  # batch size, row kept fixed
def test_rows_are_independent(seed, n, row):
    row = row % n
    for name, (net, dim) in small_nets(seed).items():
        tau, x = inputs(n, dim, seed + 1)
        tau2, x2 = inputs(n, dim, seed + 2)
        tau2[row], x2[row] = tau[row], x[row]  # same row i, every other row changed
        a, b = net(tau, x)[row], net(tau2, x2)[row]
        alone = net(tau[row:row + 1], x[row:row + 1])[0]  # and a batch of one
        scale = a.abs().max()
        assert (a - b).abs().max() <= LINALG_RTOL * scale, name
        assert (a - alone).abs().max() <= LINALG_RTOL * scale, name


# --------------------------------------------------------------------------------------------------------------------
# gradients


def test_gradients_match_finite_differences():
    for name, (net, dim) in small_nets(2).items():
        tau, x = inputs(2, dim, 3)
        tau.requires_grad_(True)
        x.requires_grad_(True)
        assert torch.autograd.gradcheck(lambda t, z: net(t, z), (tau, x)), name


def test_parameter_gradients_are_finite_and_reach_every_trained_tensor():
    for name, (net, dim) in small_nets(5).items():
        tau, x = inputs(32, dim, 6)
        net.zero_grad()
        net(tau, x).square().mean().backward()
        for pname, p in net.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), (name, pname)
            assert torch.count_nonzero(p.grad) > 0, (name, pname)
    # with zero_init only the output layer moves at the first step, and the gradient there is nonzero
    net = ScoreMLP(2, hidden=8, generator=gen(0))
    tau, x = inputs(16, 2, 1)
    (net(tau, x) - x).square().mean().backward()
    assert torch.count_nonzero(net.out.weight.grad) > 0
    assert torch.count_nonzero(net.trunk.layers[0].weight.grad) == 0


# --------------------------------------------------------------------------------------------------------------------
# configuration errors


@pytest.mark.parametrize("spec, dim, key", [
    ({"kind": "resnet"}, 2, "network.kind"),
    ({"hidden": 3}, 2, "network.kind"),
    ({"kind": "mlp", "widht": 3}, 2, "network.widht"),
    ({"kind": "mlp", "channels": [4]}, 2, "network.channels"),  # a conv key on an MLP
    ({"kind": "conv", "hidden": 4}, 64, "network.hidden"),
    ({"kind": "mlp", "hidden": 0}, 2, "network.hidden"),
    ({"kind": "mlp", "hidden": 64.0}, 2, "network.hidden"),
    ({"kind": "mlp", "depth": True}, 2, "network.depth"),
    ({"kind": "mlp", "fourier_features": 7}, 2, "network.fourier_features"),
    ({"kind": "mlp", "fourier_scale": -1.0}, 2, "network.fourier_scale"),
    ({"kind": "mlp", "fourier_scale": float("inf")}, 2, "network.fourier_scale"),
    ({"kind": "mlp", "zero_init": 1}, 2, "network.zero_init"),
    ({"kind": "mlp"}, 0, "network.dim"),
    ({"kind": "conv"}, 63, "network.image_shape"),
    ({"kind": "conv", "image_shape": [8, 8]}, 64, "network.image_shape"),
    ({"kind": "conv", "channels": []}, 64, "network.channels"),
    ({"kind": "conv", "channels": [4, 4, 4, 4, 4]}, 64, "network.channels"),  # 8 cannot be halved 4 times
])
def test_bad_network_specs_name_the_key(spec, dim, key):
    with pytest.raises(ConfigError, match=rf"^{key}: "):
        build_network(spec, dim)


@pytest.mark.parametrize("spec, dim, kwargs, key", [
    ({"kind": "svm", "n_classes": 3}, 2, {}, "classifier.kind"),
    ({"kind": "mlp"}, 2, {}, "classifier.n_classes"),
    ({"kind": "mlp", "n_classes": 1}, 2, {}, "classifier.n_classes"),
    ({"kind": "mlp", "n_classes": 3}, 2, {"n_classes": 4}, "classifier.n_classes"),
    ({"kind": "mlp", "n_classes": 3, "channels": [4]}, 2, {}, "classifier.channels"),
    ({"kind": "mlp", "n_classes": 3, "lr": 0.1}, 2, {}, "classifier.lr"),
    ({"kind": "conv", "n_classes": 3}, 16, {}, "classifier.image_shape"),
])
def test_bad_classifier_specs_name_the_key(spec, dim, kwargs, key):
    with pytest.raises(ConfigError, match=rf"^{key}: "):
        build_classifier(spec, dim, **kwargs)


def test_constructor_errors_and_generator():
    with pytest.raises(ConfigError, match=r"^network\.n_features: "):
        GaussianFourierFeatures(3)
    with pytest.raises(ConfigError, match=r"^network\.scale: "):
        GaussianFourierFeatures(4, 0.0)
    with pytest.raises(ConfigError, match=r"^network\.generator: "):
        ScoreMLP(2, generator=np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"^classifier\.kind: "):
        TimeClassifier(2, 3, kind="cnn")
    # registries list exactly the kinds the builders accept
    assert set(NETWORKS) == {"mlp", "conv"} and set(CLASSIFIERS) == {"mlp", "conv"}
    assert build_classifier({"kind": "mlp"}, 2, n_classes=3).n_classes == 3


# --------------------------------------------------------------------------------------------------------------------
# CUDA


@pytest.mark.gpu
def test_cuda_output_equals_cpu():
    """CUDA vs CPU: float64 within LINALG_RTOL, float32 within FLOAT32_DEVICE_RTOL (TF32 disabled), relative to the
    output's max."""
    for dtype, rtol in [(torch.float64, LINALG_RTOL), (torch.float32, FLOAT32_DEVICE_RTOL)]:
        nets = {**small_nets(9), "default_conv": (ScoreConvNet(generator=gen(9), zero_init=False), 64),
                "default_mlp": (ScoreMLP(1, generator=gen(9), zero_init=False), 1)}
        for name, (net, dim) in nets.items():
            net = net.to(dtype)
            tau, x = inputs(64, dim, 10, dtype)
            want = net(tau, x).detach()
            with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
                gpu = net.to("cuda")
                got = gpu(tau.cuda(), x.cuda()).detach().cpu()
            assert gpu.embed.fourier.frequencies.device.type == "cuda"
            assert (got - want).abs().max() <= rtol * want.abs().max(), (name, dtype)
