"""The two networks of a GAN (seed 000, 'Planteamiento Funcional del Problema'): a discriminator
:math:`D_{\\theta_d}: \\mathcal X \\to (0, 1)` and a generator :math:`G_{\\theta_g}: \\mathcal Z \\to \\mathcal X`.

* :class:`Discriminator` — an MLP returning the **logit** :math:`\\ell_\\theta(x)`, with
  :math:`D_\\theta = \\operatorname{expit}(\\ell_\\theta)` (sigmoid output). Losses use
  :math:`\\ln D = \\operatorname{logsigmoid}(\\ell)` and :math:`\\ln(1 - D) = \\operatorname{logsigmoid}(-\\ell)`, which
  stay finite where :math:`D` rounds to 0 or 1.
* :class:`Generator` — :math:`G(z) = S z + f_\\theta(z)`, :math:`z \\sim \\mathcal N(0, I_{\\text{latent}})`, where
  :math:`S` keeps the first :math:`d` coordinates of :math:`z` (when ``latent_dim >= d``; otherwise :math:`S = 0`)
  and the last layer of the MLP :math:`f_\\theta` starts at zero. So at initialisation
  :math:`\\mu_G = \\mathcal N(0, I_d)` **exactly** (for ``latent_dim >= d``): the starting point of every training
  run is a known law, and its JS to :math:`\\pi` is computable by quadrature.

Initialisation is seeded: every weight is drawn from a :class:`torch.Generator` (PyTorch's default ``nn.Linear``
scheme: Kaiming-uniform weights with :math:`a = \\sqrt5`, uniform biases in :math:`\\pm 1/\\sqrt{\\text{fan-in}}`),
on the CPU in float64, then moved to the requested device and dtype, so a seed gives the same network everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "Discriminator",
    "Generator",
    "make_optimizer",
    "mlp",
    "resolve_device",
    "resolve_dtype",
    "seeded_generators",
]

#: Activation name -> module factory.
ACTIVATIONS = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "silu": nn.SiLU,
}


def _init_linear(layer: nn.Linear, generator: torch.Generator, zero: bool = False) -> None:
    with torch.no_grad():
        if zero:
            layer.weight.zero_()
            layer.bias.zero_()
            return
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5.0), generator=generator)
        bound = 1.0 / math.sqrt(layer.weight.shape[1])
        layer.bias.uniform_(-bound, bound, generator=generator)


def mlp(in_dim: int, hidden: list[int], out_dim: int, activation: str, generator: torch.Generator, *,
        zero_last: bool = False) -> nn.Sequential:
    """``Linear -> act -> ... -> Linear`` with seeded initialisation (float64, CPU).

    Parameters
    ----------
    in_dim, out_dim : int
    hidden : list of int
        Widths of the hidden layers.
    activation : str
        A key of :data:`ACTIVATIONS`.
    generator : torch.Generator
        CPU generator for the initial weights.
    zero_last : bool
        Start the last layer at zero (the network then outputs 0 everywhere at initialisation).
    """
    layers: list[nn.Module] = []
    widths = [in_dim, *hidden]
    for a, b in zip(widths[:-1], widths[1:]):
        lin = nn.Linear(a, b, dtype=torch.float64)
        _init_linear(lin, generator)
        layers += [lin, ACTIVATIONS[activation]()]
    last = nn.Linear(widths[-1], out_dim, dtype=torch.float64)
    _init_linear(last, generator, zero=zero_last)
    layers.append(last)
    return nn.Sequential(*layers)


class Discriminator(nn.Module):
    """:math:`D_\\theta(x) = \\operatorname{expit}(\\ell_\\theta(x))`; :meth:`forward` returns the logit, shape
    ``(n,)``.

    Parameters
    ----------
    dim : int
        Data dimension :math:`d`.
    hidden : list of int
    activation : str
    generator : torch.Generator
    """

    def __init__(self, dim: int, hidden: list[int], activation: str, generator: torch.Generator):
        super().__init__()
        self.net = mlp(dim, hidden, 1, activation, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logit :math:`\\ell_\\theta(x)`: ``(n, d) -> (n,)``."""
        return self.net(x)[..., 0]

    def prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`D_\\theta(x) = \\operatorname{sigmoid}(\\ell_\\theta(x))`, shape ``(n,)``."""
        return torch.sigmoid(self.forward(x))


class Generator(nn.Module):
    """:math:`G(z) = Sz + f_\\theta(z)` with :math:`f_\\theta(z) = 0` at initialisation (see the module docstring).

    Parameters
    ----------
    latent_dim, dim : int
    hidden : list of int
    activation : str
    generator : torch.Generator
    """

    def __init__(self, latent_dim: int, dim: int, hidden: list[int], activation: str, generator: torch.Generator):
        super().__init__()
        self.latent_dim, self.dim = int(latent_dim), int(dim)
        self.net = mlp(latent_dim, hidden, dim, activation, generator, zero_last=True)
        self.skip = latent_dim >= dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """:math:`G(z)`: ``(n, latent_dim) -> (n, d)``."""
        out = self.net(z)
        return out + z[:, : self.dim] if self.skip else out


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a CUDA device raises ``ConfigError``."""
    from theorylab.errors import ConfigError

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("gan.device: 'cuda' requested but no CUDA device is available")
    return torch.device(device)


def resolve_dtype(dtype: str) -> torch.dtype:
    """``"float64"`` (default: verification numerics) or ``"float32"`` (speed)."""
    return {"float64": torch.float64, "float32": torch.float32}[dtype]


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """``"adam"``: Adam with :math:`\\beta = (0.5, 0.999)` (the usual GAN setting, Radford et al. 2016);
    ``"sgd"``: plain SGD, as on the seed's slide 'Entrenando a tu GAN'."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))
    return torch.optim.SGD(params, lr=lr)


def seeded_generators(*key: int) -> tuple[np.random.Generator, torch.Generator]:
    """A numpy and a torch (CPU) generator derived from the integers ``key`` (e.g. ``(seed, cell, stream)``) through
    :class:`numpy.random.SeedSequence`, so streams of different cells or purposes are independent."""
    ss = np.random.SeedSequence([int(k) for k in key])
    np_seed, torch_seed = ss.spawn(2)
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(torch_seed.generate_state(1, dtype=np.uint64)[0] % (2**63 - 1)))
    return np.random.default_rng(np_seed), gen
