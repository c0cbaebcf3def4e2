"""Raw function approximators for learned scores and time-dependent classifiers (seed 002, 'Dígitos escritos a mão').

Every network here is called as ``net(tau, x)`` with a *normalised* time ``tau = t / T`` of shape ``(n,)`` in
:math:`[0, 1]` and points ``x`` of shape ``(n, d)`` (digits: flat ``(n, 64)``, reshaped to ``(n, 1, 8, 8)`` inside the
convolutional nets). The networks are raw: :class:`theorylab.learning.model.ScoreModel` turns one into a score,

.. math:: s_\\theta(t, x) = \\mathrm{net}_\\theta(t / T, x) / \\sigma_t

(the noise parameterisation of Song et al. 2021's tutorial), and :class:`TimeClassifier` returns the logits of
:math:`p_t(y \\mid x_t)` (seed 002, 'Geração Condicional').

Time enters through a **Gaussian Fourier embedding** (seed 002, slide on the digits architecture: "Projeções
Gaussianas de Fourier ... transformar o input de tempo em 256 inputs"; Tancik et al. 2020, Song et al. 2021)

.. math:: \\gamma(\\tau) = [\\sin(2\\pi\\tau W), \\cos(2\\pi\\tau W)], \\qquad
          W \\in \\mathbb R^{F/2},\\ W_j \\sim \\mathcal N(0, s^2) \\text{ fixed},

followed by one dense layer, :math:`e(\\tau) = \\mathrm{SiLU}(A\\gamma(\\tau) + a)`, which every network then *adds*
to each hidden layer through its own dense projection (:math:`B_l e`, per unit or per channel), as in Song et al.'s
``ScoreNet``.

Properties every network here has (and :mod:`tests.learning.test_networks` checks):

* **Row-wise.** No batch normalisation or any other layer that mixes rows: the output of row ``i`` is a function of
  ``(tau[i], x[i])`` alone, as a score must be (the score of :math:`p_t` at :math:`x`, not of a batch).
* **Seeded.** Every weight and the Fourier frequencies are drawn from the ``generator`` passed in (PyTorch's default
  schemes: Kaiming-uniform weights with :math:`a=\\sqrt5`, biases uniform in :math:`\\pm 1/\\sqrt{\\text{fan-in}}`),
  in float64 on the CPU. A network is *built in float64 on the CPU*; move it with ``.to(device, dtype)`` (float32
  then holds the rounded float64 draws, so a seed gives the same network in either precision, on either device).
* **Rebuildable.** ``net.spec`` is a plain dict (ints, floats, bools, strings, lists) of the constructor's options,
  including ``kind``; ``build_network(net.spec, dim)`` (``build_classifier`` for classifiers) rebuilds the same
  architecture, and ``load_state_dict`` then gives identical outputs. The Fourier frequencies are a *buffer*: saved in
  the ``state_dict``, never trained.
* **Zero output at initialisation** (``zero_init=True``, the default): the last layer starts at zero, so the initial
  network outputs exactly 0. With the noise parameterisation and weighting :math:`\\lambda(t) = \\sigma_t^2` the DSM
  loss is :math:`\\mathbb E\\|\\mathrm{net} + Z\\|^2`, so training starts from the loss :math:`d` of the best constant
  predictor, whatever the random draws (a checkable number; Ho et al. 2020 and Dhariwal & Nichol 2021 zero their
  output layer too). The earlier layers are random, so the first step's gradient (with respect to the last layer,
  :math:`\\partial\\ell/\\partial W_{\\text{out}} = (\\partial\\ell/\\partial\\,\\mathrm{out})\\,h^\\top \\ne 0`)
  breaks the symmetry at once. A classifier starting at zero logits predicts the uniform law, cross-entropy
  :math:`\\ln K` exactly.

Invalid options raise :class:`~theorylab.errors.ConfigError` naming ``network.<key>`` (``classifier.<key>`` for
classifiers; the prefix is the keyword ``key_prefix``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from theorylab.errors import ConfigError

__all__ = [
    "CLASSIFIERS",
    "NETWORKS",
    "GaussianFourierFeatures",
    "ScoreConvNet",
    "ScoreMLP",
    "TimeClassifier",
    "build_classifier",
    "build_network",
]


# ----------------------------------------------------------------------------------------------------------------------
# argument checks (one-line ConfigErrors naming the key)


def _int(prefix: str, key: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{prefix}.{key}: must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{prefix}.{key}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive_float(prefix: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)) \
            or float(value) <= 0:
        raise ConfigError(f"{prefix}.{key}: must be a finite number > 0, got {value!r}")
    return float(value)


def _bool(prefix: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{prefix}.{key}: must be true or false, got {value!r}")
    return value


def _ints(prefix: str, key: str, value: Any, length: int | None = None) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) == 0:
        raise ConfigError(f"{prefix}.{key}: must be a non-empty list of positive integers, got {value!r}")
    if length is not None and len(value) != length:
        raise ConfigError(f"{prefix}.{key}: must have {length} entries, got {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral) or item < 1:
            raise ConfigError(f"{prefix}.{key}: must be a list of positive integers, got {value!r}")
    return [int(v) for v in value]


def _fourier_features(prefix: str, key: str, value: Any) -> int:
    n = _int(prefix, key, value, minimum=2)
    if n % 2:
        raise ConfigError(f"{prefix}.{key}: must be even (sin and cos halves), got {n}")
    return n


def _check_generator(prefix: str, generator: Any) -> torch.Generator | None:
    if generator is None:
        return None
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise ConfigError(f"{prefix}.generator: must be a CPU torch.Generator (weights are drawn on the CPU), "
                          f"got {generator!r}")
    return generator


def _conv_shape(prefix: str, image_shape: Any, channels: Any) -> tuple[list[int], list[int]]:
    shape = _ints(prefix, "image_shape", image_shape, length=3)
    chans = _ints(prefix, "channels", channels)
    factor = 2 ** (len(chans) - 1)
    if shape[1] % factor or shape[2] % factor:
        raise ConfigError(f"{prefix}.channels: {len(chans)} levels halve the image {len(chans) - 1} times, so its "
                          f"height and width must be multiples of {factor}; image_shape is {shape}")
    return shape, chans


# ----------------------------------------------------------------------------------------------------------------------
# seeded initialisation and input checks


@torch.no_grad()
def _seeded_init(module: nn.Module, generator: torch.Generator | None) -> None:
    """Re-draw every Linear/Conv weight with PyTorch's default scheme from ``generator`` (None: the global stream).

    ``nn.Linear`` and ``nn.Conv2d`` draw from the global stream when built; this repeats their scheme
    (``kaiming_uniform_(a=sqrt(5))``, bias uniform in :math:`\\pm 1/\\sqrt{\\text{fan-in}}` with fan-in computed as
    ``weight.shape[1] * prod(kernel)``, as ``torch.nn.init._calculate_fan_in_and_fan_out`` does) from a generator,
    so a seed fixes the network. Modules are visited in registration order.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5.0), generator=generator)
            if layer.bias is not None:
                fan_in = layer.weight.shape[1] * math.prod(layer.weight.shape[2:])
                bound = 1.0 / math.sqrt(fan_in)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


@torch.no_grad()
def _zero(layer: nn.Module) -> None:
    layer.weight.zero_()
    if layer.bias is not None:
        layer.bias.zero_()


def _times(tau: Any, x: torch.Tensor, dim: int) -> torch.Tensor:
    """Check ``x`` is ``(n, dim)`` and return ``tau`` as an ``(n,)`` tensor like ``x`` (a scalar is broadcast)."""
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"x must have shape (n, {dim}), got {tuple(x.shape)}")
    tau = torch.as_tensor(tau, dtype=x.dtype, device=x.device)
    if tau.ndim == 0:
        return tau.expand(x.shape[0])
    if tau.shape != (x.shape[0],):
        raise ValueError(f"tau must have shape ({x.shape[0]},) to match x, got {tuple(tau.shape)}")
    return tau


# ----------------------------------------------------------------------------------------------------------------------
# time embedding


class GaussianFourierFeatures(nn.Module):
    """Random Fourier features of time: :math:`\\gamma(\\tau) = [\\sin(2\\pi\\tau W), \\cos(2\\pi\\tau W)]`.

    Seed 002, slide on the digits architecture ("Projeções Gaussianas de Fourier ... transformar o input de tempo em
    256 inputs"); Tancik et al. 2020 (Fourier features let an MLP fit high-frequency functions of a low-dimensional
    input), Song et al. 2021 (``GaussianFourierProjection``).

    .. math:: \\gamma(\\tau)_j = \\sin(2\\pi\\tau W_j),\\quad \\gamma(\\tau)_{F/2 + j} = \\cos(2\\pi\\tau W_j),
              \\qquad W_j \\overset{iid}{\\sim} \\mathcal N(0, s^2),\\ j < F/2.

    ``W`` is fixed: a registered buffer ``frequencies`` (in the ``state_dict``, moved by ``.to``, not a parameter,
    never trained), drawn in float64 on the CPU from ``generator``.

    Parameters
    ----------
    n_features : int
        :math:`F`, even: the output width (``F/2`` frequencies, each giving a sine and a cosine).
    scale : float
        :math:`s > 0`, the standard deviation of the frequencies. With :math:`\\tau \\in [0, 1]` the features
        resolve time variations down to about :math:`1/(2\\pi s)` (Song et al. use 30; 16 here by default).
    generator : torch.Generator, optional
        CPU generator for :math:`W` (None: torch's global stream).
    key_prefix : str
        Prefix of the keys named in errors.

    Shapes
    ------
    ``tau`` of any shape ``(...)`` -> ``(..., F)``, with ``tau``'s dtype promoted to the buffer's.
    """

    def __init__(self, n_features: int = 256, scale: float = 16.0, generator: torch.Generator | None = None, *,
                 key_prefix: str = "network"):
        super().__init__()
        n_features = _fourier_features(key_prefix, "n_features", n_features)
        scale = _positive_float(key_prefix, "scale", scale)
        generator = _check_generator(key_prefix, generator)
        self.n_features, self.scale = n_features, scale
        w = torch.randn(n_features // 2, dtype=torch.float64, generator=generator) * scale
        self.register_buffer("frequencies", w)

    def forward(self, tau: torch.Tensor) -> torch.Tensor:
        """:math:`\\gamma(\\tau)`, shape ``tau.shape + (F,)``."""
        angle = (2.0 * math.pi) * tau.to(self.frequencies.dtype)[..., None] * self.frequencies
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, scale={self.scale}"


class _TimeEmbedding(nn.Module):
    """:math:`e(\\tau) = \\mathrm{SiLU}(A\\gamma(\\tau) + a)`, width ``n_features``."""

    def __init__(self, n_features: int, scale: float, generator: torch.Generator | None, key_prefix: str):
        super().__init__()
        self.fourier = GaussianFourierFeatures(n_features, scale, generator, key_prefix=key_prefix)
        self.dense = nn.Linear(n_features, n_features, dtype=torch.float64)

    def forward(self, tau: torch.Tensor) -> torch.Tensor:
        return F.silu(self.dense(self.fourier(tau)))


class _TimeMLP(nn.Module):
    """:math:`h_0 = x,\\ h_l = \\mathrm{SiLU}(A_l h_{l-1} + a_l + B_l e)` for ``l = 1..depth``; returns ``h_depth``."""

    def __init__(self, in_dim: int, hidden: int, depth: int, embed_dim: int):
        super().__init__()
        widths = [in_dim] + [hidden] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=torch.float64) for a, b in zip(widths[:-1], widths[1:]))
        self.time = nn.ModuleList(nn.Linear(embed_dim, hidden, bias=False, dtype=torch.float64) for _ in range(depth))

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        for layer, time in zip(self.layers, self.time):
            h = F.silu(layer(h) + time(e))
        return h


class _ConvEncoder(nn.Module):
    """Levels ``i = 0..L-1``: :math:`h_i = \\mathrm{SiLU}(\\mathrm{conv}_i(h_{i-1}) + B_i e)` (per channel);
    level 0 a 3x3 convolution at full resolution, each later level a 3x3 convolution of stride 2 (halving height and
    width). Returns the list :math:`[h_0, \\dots, h_{L-1}]`."""

    def __init__(self, in_channels: int, channels: list[int], embed_dim: int):
        super().__init__()
        ins = [in_channels] + channels[:-1]
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, 3, stride=1 if i == 0 else 2, padding=1, dtype=torch.float64)
            for i, (a, b) in enumerate(zip(ins, channels)))
        self.time = nn.ModuleList(nn.Linear(embed_dim, c, bias=False, dtype=torch.float64) for c in channels)

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for conv, time in zip(self.convs, self.time):
            h = F.silu(conv(h) + time(e)[:, :, None, None])
            out.append(h)
        return out


def _spec_of(kind: str, **options: Any) -> dict[str, Any]:
    return {"kind": kind, **{k: (list(v) if isinstance(v, (tuple, list)) else v) for k, v in options.items()}}


# ----------------------------------------------------------------------------------------------------------------------
# score networks


class ScoreMLP(nn.Module):
    """An MLP :math:`\\mathbb R^d \\times [0, 1] \\to \\mathbb R^d` with the time embedding added to every layer.

    Seed 002, 'Mistura de gaussianas' and 'Sorriso' ("uma MLP para o score").

    .. math:: h_0 = x,\\quad h_l = \\mathrm{SiLU}(A_l h_{l-1} + a_l + B_l\\, e(\\tau))\\ (l = 1..L),\\quad
              \\mathrm{net}(\\tau, x) = C h_L + c,

    with :math:`e(\\tau)` the embedded Gaussian Fourier features (module docstring). The first layer is exactly an
    MLP layer on the concatenation :math:`(x, e(\\tau))` (:math:`A_1 x + B_1 e = [A_1\\, B_1](x; e)`); the later
    layers receive :math:`e(\\tau)` again. Why per layer rather than concatenation at the input only: the optimal
    noise predictor :math:`-\\mathbb E[Z \\mid X_t = x]` changes *shape* with :math:`t` (for a two-mode mixture it
    is a smooth ramp at large :math:`t` and a near-step between the modes at small :math:`t`), and with one input
    concatenation every later layer sees time only through features mixed with :math:`x`, a bottleneck when
    :math:`d \\ll` ``fourier_features`` (here :math:`d = 1`). Re-injecting :math:`e` is a time-dependent bias in every
    layer (Song et al. 2021's ``ScoreNet`` does the same per block), and costs one ``(F x hidden)`` matmul per layer.

    Cost (``ScoreMLP(1)``, default options, 62,145 parameters; measured as for :class:`ScoreConvNet`): one forward +
    backward at batch 1024 takes ~3.5-4 ms in float32 and ~7-7.5 ms in float64.

    Parameters
    ----------
    dim : int
        :math:`d`, the data dimension.
    hidden : int
        Width of each hidden layer.
    depth : int
        Number :math:`L \\ge 1` of hidden layers.
    fourier_features : int
        :math:`F` (even), width of the Fourier features and of the embedding :math:`e`.
    fourier_scale : float
        Standard deviation :math:`s` of the Fourier frequencies.
    generator : torch.Generator, optional
        CPU generator for every draw (None: torch's global stream).
    zero_init : bool
        Start the output layer :math:`(C, c)` at zero (module docstring).
    key_prefix : str
        Prefix of the keys named in errors (``"network"``).

    Shapes
    ------
    ``tau`` ``(n,)`` (or a scalar), ``x`` ``(n, d)`` -> ``(n, d)``.
    """

    def __init__(self, dim: int, hidden: int = 128, depth: int = 3, fourier_features: int = 64,
                 fourier_scale: float = 16.0, generator: torch.Generator | None = None, *, zero_init: bool = True,
                 key_prefix: str = "network"):
        super().__init__()
        p = key_prefix
        self.dim = _int(p, "dim", dim)
        hidden, depth = _int(p, "hidden", hidden), _int(p, "depth", depth)
        fourier_features = _fourier_features(p, "fourier_features", fourier_features)
        fourier_scale = _positive_float(p, "fourier_scale", fourier_scale)
        zero_init = _bool(p, "zero_init", zero_init)
        generator = _check_generator(p, generator)
        self.spec = _spec_of("mlp", hidden=hidden, depth=depth, fourier_features=fourier_features,
                             fourier_scale=fourier_scale, zero_init=zero_init)
        self.embed = _TimeEmbedding(fourier_features, fourier_scale, generator, p)
        self.trunk = _TimeMLP(self.dim, hidden, depth, fourier_features)
        self.out = nn.Linear(hidden, self.dim, dtype=torch.float64)
        _seeded_init(self, generator)
        if zero_init:
            _zero(self.out)

    def forward(self, tau: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\mathrm{net}(\\tau, x)`, shape ``(n, d)``."""
        tau = _times(tau, x, self.dim)
        return self.out(self.trunk(x, self.embed(tau)))


class ScoreConvNet(nn.Module):
    """A small convolutional U-Net for small images (8x8 digits), time embedding added per channel.

    Seed 002, 'Dígitos escritos a mão': the seed's network (from Song et al.'s repository) interleaves 7 convolutional
    and dense layers after 256 Fourier features; this one is deliberately smaller (two resolution levels by default,
    64 Fourier features) so that training on CPU is cheap. It is not the seed's 7-layer U-Net.

    With channels :math:`c_0, \\dots, c_{L-1}` and the embedding :math:`e = e(\\tau)`:

    .. math::
        h_0 &= \\mathrm{SiLU}(\\mathrm{conv}^{3\\times3}_0(x) + B_0 e), \\qquad
        h_i = \\mathrm{SiLU}(\\mathrm{conv}^{3\\times3,\\ \\text{stride }2}_i(h_{i-1}) + B_i e)\\quad (i = 1..L-1),\\\\
        u_{L-1} &= h_{L-1}, \\qquad
        u_{i-1} = \\big[\\mathrm{SiLU}(\\mathrm{convT}^{2\\times2,\\ \\text{stride }2}_i(u_i) + B'_i e),\\ h_{i-1}\\big]
        \\quad (i = L-1..1,\\ [\\cdot,\\cdot] \\text{ channel concatenation}),\\\\
        \\mathrm{net}(\\tau, x) &= \\mathrm{conv}^{1\\times1}_{\\text{out}}(u_0),

    :math:`B e` added to every pixel of its channel. Convolutions are zero-padded ("same" size, then halved by the
    stride); the transposed convolutions with kernel 2 and stride 2 exactly undo the halving (each input pixel writes
    one 2x2 block). With the defaults an output pixel sees a 3x3 patch of :math:`x` through the skip :math:`h_0` and
    a 5x5 window through the coarse path. No normalisation layers (the network must be row-wise; GroupNorm would be,
    but at 8x8 with two levels it is not needed).

    Why the read-out is 1x1 and not 3x3: torch's CPU convolutions in float64 have no oneDNN kernel and run an
    im2col per example; a 3x3 convolution from the 64 concatenated channels at 8x8 then cost ~90 ms per
    forward + backward at batch 256 (measured, 1 thread), more than the rest of the network, while a 1x1 read-out
    is a single matrix product.

    Cost (default options, 39,457 parameters; torch 2.13 CPU, 1 intra-op thread; CPU time of the calling thread,
    ``time.thread_time``, median of 40 after warm-up, on a shared 2-core machine at load ~7, so an upper bound): one
    forward + backward of a squared-output loss at batch 256 takes ~19-21 ms in float32 and ~35-37 ms in float64.

    Parameters
    ----------
    image_shape : sequence of 3 int
        ``(C, H, W)``; inputs are flat ``(n, C*H*W)``. ``H`` and ``W`` must be multiples of :math:`2^{L-1}`.
    channels : sequence of int
        :math:`c_0, \\dots, c_{L-1}`: channels per resolution level.
    fourier_features, fourier_scale, generator, zero_init, key_prefix
        As in :class:`ScoreMLP` (``zero_init`` zeroes the output convolution).

    Shapes
    ------
    ``tau`` ``(n,)`` (or a scalar), ``x`` ``(n, C*H*W)`` -> ``(n, C*H*W)``.
    """

    def __init__(self, image_shape: Sequence[int] = (1, 8, 8), channels: Sequence[int] = (32, 64),
                 fourier_features: int = 64, fourier_scale: float = 16.0, generator: torch.Generator | None = None,
                 *, zero_init: bool = True, key_prefix: str = "network"):
        super().__init__()
        p = key_prefix
        shape, chans = _conv_shape(p, image_shape, channels)
        fourier_features = _fourier_features(p, "fourier_features", fourier_features)
        fourier_scale = _positive_float(p, "fourier_scale", fourier_scale)
        zero_init = _bool(p, "zero_init", zero_init)
        generator = _check_generator(p, generator)
        self.image_shape = tuple(shape)
        self.dim = math.prod(shape)
        self.spec = _spec_of("conv", image_shape=shape, channels=chans, fourier_features=fourier_features,
                             fourier_scale=fourier_scale, zero_init=zero_init)
        self.embed = _TimeEmbedding(fourier_features, fourier_scale, generator, p)
        self.encoder = _ConvEncoder(shape[0], chans, fourier_features)
        # decoder level i (from L-1 down to 1) maps u_i to c_{i-1} channels at twice the resolution
        ups, ups_time = [], []
        for i in range(len(chans) - 1, 0, -1):
            c_in = chans[i] if i == len(chans) - 1 else 2 * chans[i]
            ups.append(nn.ConvTranspose2d(c_in, chans[i - 1], 2, stride=2, dtype=torch.float64))
            ups_time.append(nn.Linear(fourier_features, chans[i - 1], bias=False, dtype=torch.float64))
        self.ups = nn.ModuleList(ups)
        self.ups_time = nn.ModuleList(ups_time)
        c_last = chans[0] if len(chans) == 1 else 2 * chans[0]
        self.out = nn.Conv2d(c_last, shape[0], 1, dtype=torch.float64)
        _seeded_init(self, generator)
        if zero_init:
            _zero(self.out)

    def forward(self, tau: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\mathrm{net}(\\tau, x)`, flat, shape ``(n, C*H*W)``."""
        tau = _times(tau, x, self.dim)
        e = self.embed(tau)
        skips = self.encoder(x.reshape((x.shape[0],) + self.image_shape), e)
        u = skips[-1]
        for up, time, skip in zip(self.ups, self.ups_time, reversed(skips[:-1])):
            u = torch.cat([F.silu(up(u) + time(e)[:, :, None, None]), skip], dim=1)
        return self.out(u).reshape(x.shape[0], self.dim)


# ----------------------------------------------------------------------------------------------------------------------
# time-dependent classifier


class TimeClassifier(nn.Module):
    """Logits of :math:`p_t(y \\mid x_t)`, a time-dependent classifier for guidance.

    Seed 002, 'Geração Condicional': "Treinamos um classificador que aproxima :math:`p_t(y|x(t))` minimizando uma
    simples entropia cruzada"; its gradient :math:`\\nabla_x \\log p_t(y \\mid x)` is added to the score (Bayes' rule,
    same slide). Softmax of the output gives the class probabilities; the cross-entropy is the caller's.

    * ``kind="mlp"``: :math:`\\mathrm{logits} = C h_L + c` with :math:`h_L` the time-injected MLP trunk of
      :class:`ScoreMLP` on :math:`x`.
    * ``kind="conv"``: the encoder of :class:`ScoreConvNet` (levels ``channels``), its last feature map flattened,
      then the same time-injected MLP trunk (``depth`` layers of width ``hidden``) and the linear read-out.

    Parameters
    ----------
    dim : int
        :math:`d` (``prod(image_shape)`` for ``kind="conv"``).
    n_classes : int
        :math:`K \\ge 2`.
    hidden, depth, fourier_features, fourier_scale, generator, zero_init
        As in :class:`ScoreMLP` (``zero_init``: all logits 0 at initialisation, the uniform law).
    kind : {"mlp", "conv"}
    image_shape, channels : sequence of int, optional
        ``kind="conv"`` only (defaults ``(1, 8, 8)`` and ``(32, 64)``); an error with ``kind="mlp"``.
    key_prefix : str
        Prefix of the keys named in errors (``"classifier"``).

    Shapes
    ------
    ``tau`` ``(n,)`` (or a scalar), ``x`` ``(n, d)`` -> logits ``(n, K)``.
    """

    def __init__(self, dim: int, n_classes: int, hidden: int = 128, depth: int = 2, fourier_features: int = 64,
                 fourier_scale: float = 16.0, generator: torch.Generator | None = None, kind: str = "mlp",
                 image_shape: Sequence[int] | None = None, channels: Sequence[int] | None = None, *,
                 zero_init: bool = True, key_prefix: str = "classifier"):
        super().__init__()
        p = key_prefix
        if kind not in ("mlp", "conv"):
            raise ConfigError(f"{p}.kind: must be one of ['mlp', 'conv'], got {kind!r}")
        self.dim = _int(p, "dim", dim)
        self.n_classes = _int(p, "n_classes", n_classes, minimum=2)
        hidden, depth = _int(p, "hidden", hidden), _int(p, "depth", depth)
        fourier_features = _fourier_features(p, "fourier_features", fourier_features)
        fourier_scale = _positive_float(p, "fourier_scale", fourier_scale)
        zero_init = _bool(p, "zero_init", zero_init)
        generator = _check_generator(p, generator)
        options: dict[str, Any] = dict(n_classes=self.n_classes, hidden=hidden, depth=depth,
                                       fourier_features=fourier_features, fourier_scale=fourier_scale,
                                       zero_init=zero_init)
        self.kind = kind
        self.embed = _TimeEmbedding(fourier_features, fourier_scale, generator, p)
        if kind == "conv":
            shape, chans = _conv_shape(p, (1, 8, 8) if image_shape is None else image_shape,
                                       (32, 64) if channels is None else channels)
            if math.prod(shape) != self.dim:
                raise ConfigError(f"{p}.image_shape: {shape} has {math.prod(shape)} entries but the data dimension "
                                  f"is {self.dim}")
            self.image_shape = tuple(shape)
            options.update(image_shape=shape, channels=chans)
            self.encoder = _ConvEncoder(shape[0], chans, fourier_features)
            factor = 2 ** (len(chans) - 1)
            features = chans[-1] * (shape[1] // factor) * (shape[2] // factor)
        else:
            for key, value in (("image_shape", image_shape), ("channels", channels)):
                if value is not None:
                    raise ConfigError(f"{p}.{key}: only used with kind 'conv', not {kind!r}")
            self.encoder = None
            features = self.dim
        self.spec = _spec_of(kind, **options)
        self.trunk = _TimeMLP(features, hidden, depth, fourier_features)
        self.out = nn.Linear(hidden, self.n_classes, dtype=torch.float64)
        _seeded_init(self, generator)
        if zero_init:
            _zero(self.out)

    def forward(self, tau: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits :math:`\\ell(\\tau, x)` with :math:`p_t(y \\mid x) = \\mathrm{softmax}(\\ell)_y`, shape ``(n, K)``."""
        tau = _times(tau, x, self.dim)
        e = self.embed(tau)
        h = x
        if self.encoder is not None:
            h = self.encoder(x.reshape((x.shape[0],) + self.image_shape), e)[-1].flatten(1)
        return self.out(self.trunk(h, e))


# ----------------------------------------------------------------------------------------------------------------------
# registries and builders

#: ``[network] kind`` -> score network class (built by :func:`build_network`).
NETWORKS: dict[str, type[nn.Module]] = {"mlp": ScoreMLP, "conv": ScoreConvNet}

#: ``[classifier] kind`` -> the trunk of a :class:`TimeClassifier` (built by :func:`build_classifier`).
CLASSIFIERS: tuple[str, ...] = ("mlp", "conv")

_NETWORK_KEYS = {
    "mlp": ("hidden", "depth", "fourier_features", "fourier_scale", "zero_init"),
    "conv": ("image_shape", "channels", "fourier_features", "fourier_scale", "zero_init"),
}
_CLASSIFIER_KEYS = ("n_classes", "hidden", "depth", "fourier_features", "fourier_scale", "zero_init", "image_shape",
                    "channels")


def _split_kind(spec: Any, choices: Sequence[str], prefix: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{prefix}: must be a table with a 'kind' key, got {type(spec).__name__}")
    options = dict(spec)
    if "kind" not in options:
        raise ConfigError(f"{prefix}.kind: missing (one of {list(choices)})")
    kind = options.pop("kind")
    if kind not in choices:
        raise ConfigError(f"{prefix}.kind: must be one of {list(choices)}, got {kind!r}")
    return kind, options


def _reject_unknown(options: Mapping[str, Any], allowed: Sequence[str], prefix: str, kind: str) -> None:
    for key in options:
        if key not in allowed:
            raise ConfigError(f"{prefix}.{key}: unknown key for kind {kind!r} (known: {', '.join(allowed)})")


def build_network(spec: Mapping[str, Any], dim: int, *, generator: torch.Generator | None = None,
                  key_prefix: str = "network") -> nn.Module:
    """A score network from a spec: ``{"kind": "mlp" | "conv", **options}`` (e.g. a ``[network]`` table, ``net.spec``).

    Parameters
    ----------
    spec : Mapping
        ``kind`` (a key of :data:`NETWORKS`) and the keyword options of that class (:class:`ScoreMLP`:
        ``hidden, depth, fourier_features, fourier_scale, zero_init``; :class:`ScoreConvNet`: ``image_shape,
        channels, fourier_features, fourier_scale, zero_init``).
    dim : int
        Data dimension :math:`d`; for ``conv`` it must equal ``prod(image_shape)``.
    generator : torch.Generator, optional
        CPU generator for the initial weights.
    key_prefix : str
        Prefix of the keys named in errors.

    Returns
    -------
    torch.nn.Module
        Float64, on the CPU, called as ``net(tau, x)``.

    Raises
    ------
    ConfigError
        ``network.kind`` unknown or missing, ``network.<key>: unknown key``, or an invalid value.
    """
    kind, options = _split_kind(spec, list(NETWORKS), key_prefix)
    _reject_unknown(options, _NETWORK_KEYS[kind], key_prefix, kind)
    dim = _int(key_prefix, "dim", dim)
    if kind == "mlp":
        return ScoreMLP(dim, generator=generator, key_prefix=key_prefix, **options)
    net = ScoreConvNet(generator=generator, key_prefix=key_prefix, **options)
    if net.dim != dim:
        raise ConfigError(f"{key_prefix}.image_shape: {list(net.image_shape)} has {net.dim} entries but the data "
                          f"dimension is {dim}")
    return net


def build_classifier(spec: Mapping[str, Any], dim: int, *, n_classes: int | None = None,
                     generator: torch.Generator | None = None, key_prefix: str = "classifier") -> TimeClassifier:
    """A :class:`TimeClassifier` from a spec: ``{"kind": "mlp" | "conv", **options}`` (e.g. ``clf.spec``).

    Parameters
    ----------
    spec : Mapping
        ``kind`` and the keyword options of :class:`TimeClassifier` (``n_classes, hidden, depth, fourier_features,
        fourier_scale, zero_init``; ``image_shape, channels`` with ``conv``).
    dim : int
        Data dimension :math:`d`.
    n_classes : int, optional
        Number of classes when the spec does not say; if both do, they must agree.
    generator : torch.Generator, optional
        CPU generator for the initial weights.
    key_prefix : str
        Prefix of the keys named in errors.

    Raises
    ------
    ConfigError
        Unknown kind or key, a missing or conflicting ``n_classes``, or an invalid value.
    """
    kind, options = _split_kind(spec, CLASSIFIERS, key_prefix)
    _reject_unknown(options, _CLASSIFIER_KEYS, key_prefix, kind)
    if n_classes is not None:
        if "n_classes" in options and options["n_classes"] != n_classes:
            raise ConfigError(f"{key_prefix}.n_classes: the spec says {options['n_classes']!r} but the data has "
                              f"{n_classes} classes")
        options["n_classes"] = n_classes
    if "n_classes" not in options:
        raise ConfigError(f"{key_prefix}.n_classes: missing")
    return TimeClassifier(dim, generator=generator, kind=kind, key_prefix=key_prefix, **options)
