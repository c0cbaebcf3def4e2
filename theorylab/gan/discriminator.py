"""A learned discriminator :math:`D_\\theta` against a FIXED generator law, and its gaps to :math:`D^*`.

Seed 000, 'Entrenando a tu GAN', first bullet: the discriminator ascends

.. math:: \\nabla_{\\theta_d}\\ \\frac1m\\sum_{i=1}^m\\big[\\ln D_{\\theta_d}(x^{(i)})
          + \\ln(1 - D_{\\theta_d}(y^{(i)}))\\big],
          \\qquad x^{(i)}\\sim\\pi,\\ y^{(i)} = G(z^{(i)})\\sim\\mu_G,

whose population version is :math:`V(\\mu_G, D_\\theta)`, maximised by :math:`D^* = p/(p+q)` (slide 'Definición
Formal de una GAN'). Here :math:`\\mu_G` is a known law (Gaussian or mixture), so the learned discriminator can be
compared with :math:`D^*` exactly:

* ``sup_gap`` :math:`= \\max_{x\\in R}|D_\\theta(x) - D^*(x)|` over the grid nodes of the region
  :math:`R = \\{x : m(x) \\ge \\tau\\max m\\}`, :math:`m = (p+q)/2`, ``tau = region_threshold`` (a grid maximum: a
  lower bound on the supremum over the continuum of :math:`R`); the :math:`m`-mass of :math:`R` is reported;
* ``l2_gap`` :math:`= \\|D_\\theta - D^*\\|_{L^2(\\pi+\\mu_G)} = (\\int(p+q)(D_\\theta - D^*)^2)^{1/2}` (grid trapezoid,
  refinement error mapped through the square root);
* ``value_gap`` :math:`= V(\\mu_G, D^*) - V(\\mu_G, D_\\theta) = \\int(p+q)\\,KL(\\mathrm{Bern}(D^*)\\|\\mathrm{Bern}
  (D_\\theta)) \\ge 0` — integrated in this KL form (no cancellation between two values);
* ``train_objective``: the empirical objective on the training sample (finite ``n``), which can exceed
  :math:`V(\\mu_G, D^*)` when the discriminator over-fits its sample.

Training uses either a finite data set of ``n`` points from each law (minibatches of ``m`` drawn with
replacement) or fresh samples at every step (``n = None``, "online"). The network runs in float64 by default
(``dtype="float32"`` on request); every gap is computed in float64.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special

from theorylab.gan.exact import log_optimal_discriminator, log_sigmoid, value_at_optimum
from theorylab.gan.grid import EvaluationGrid, trapezoid_with_error
from theorylab.gan.networks import Discriminator, make_optimizer, seeded_generators
from theorylab.gan.quadrature import log_densities

__all__ = ["GapRecord", "DiscriminatorRun", "discriminator_gaps", "train_discriminator"]


@dataclass(frozen=True)
class GapRecord:
    """Gaps of :math:`D_\\theta` to :math:`D^*` at one training step (see the module docstring)."""

    sample_size: int | None
    step: int
    sup_gap: float
    l2_gap: float
    l2_gap_lower: float
    l2_gap_upper: float
    value_gap: float
    value_gap_error: float
    value_theta: float
    train_objective: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["sample_size"] = "online" if self.sample_size is None else self.sample_size
        return out


@dataclass(frozen=True)
class DiscriminatorRun:
    """One training run: its gap curve, the final :math:`D_\\theta` on the grid, and the region's mass."""

    sample_size: int | None
    records: list[GapRecord]
    final_prob: np.ndarray
    region_mass: float


def _logit_on(model: Discriminator, points: np.ndarray, device: torch.device, dtype: torch.dtype) -> np.ndarray:
    flat = points.reshape(-1, points.shape[-1])
    out = np.empty(flat.shape[0])
    with torch.no_grad():
        for start in range(0, flat.shape[0], 200_000):
            x = torch.as_tensor(flat[start:start + 200_000], device=device, dtype=dtype)
            out[start:start + 200_000] = model(x).to(torch.float64).cpu().numpy()
    return out.reshape(points.shape[:-1])


def discriminator_gaps(lp: np.ndarray, lq: np.ndarray, logit: np.ndarray, grid: EvaluationGrid,
                       region: np.ndarray) -> dict[str, float]:
    """Gaps of a discriminator with logits ``logit`` on the grid to :math:`D^*` (log-densities ``lp``, ``lq`` on the
    same grid; ``region`` a boolean mask of :math:`R`). Returns ``sup_gap``, ``l2_gap`` (+ interval) and
    ``value_gap`` (+ error)."""
    ell_star = lp - lq
    d_star, d_theta = special.expit(ell_star), special.expit(logit)
    sup_gap = float(np.max(np.abs(d_theta - d_star)[region])) if np.any(region) else math.nan
    weight = np.exp(lp) + np.exp(lq)
    l2sq, l2err = trapezoid_with_error(weight * (d_theta - d_star) ** 2, grid.axes)
    l2err += grid.tail_mass  # (D - D*)^2 <= 1 outside the box
    log_d, log_1md = log_optimal_discriminator(lp, lq)
    kl = np.exp(lp) * (log_d - log_sigmoid(logit)) + np.exp(lq) * (log_1md - log_sigmoid(-logit))
    gap, gap_err = trapezoid_with_error(kl, grid.axes)
    return {
        "sup_gap": sup_gap,
        "l2_gap": math.sqrt(max(l2sq, 0.0)),
        "l2_gap_lower": math.sqrt(max(l2sq - l2err, 0.0)),
        "l2_gap_upper": math.sqrt(max(l2sq + l2err, 0.0)),
        "value_gap": gap,
        "value_gap_error": gap_err,
    }


def train_discriminator(
    pi: Any,
    mu_g: Any,
    *,
    sample_size: int | None,
    steps: int,
    m: int,
    lr: float,
    hidden: list[int],
    activation: str,
    optimizer: str,
    eval_every: int,
    seed: int,
    grid: EvaluationGrid,
    region_threshold: float,
    device: torch.device,
    dtype: torch.dtype,
) -> DiscriminatorRun:
    """Train :math:`D_\\theta` by ascent on the seed's objective against the fixed law ``mu_g``.

    Parameters
    ----------
    pi, mu_g : Gaussian or GaussianMixture
        Data law and fixed generator law.
    sample_size : int or None
        ``n`` points from each law, fixed for the whole run; ``None``: fresh samples at every step.
    steps, m, lr : int, int, float
        Gradient steps, minibatch size, learning rate.
    hidden, activation, optimizer
        Network widths, activation, ``"adam"`` or ``"sgd"``.
    eval_every : int
        Evaluate the gaps at step 0, every ``eval_every`` steps and at the last step.
    seed : int
        The run's seed; the cell's streams are derived from ``(seed, n)`` (``n = 0`` for online), so results do not
        depend on which other sample sizes are run.
    grid : EvaluationGrid
    region_threshold : float
        :math:`\\tau` of the region :math:`R`.
    device, dtype
        Where and in which precision the network runs (the gaps are float64).

    Returns
    -------
    DiscriminatorRun
    """
    rng, gen = seeded_generators(seed, 0 if sample_size is None else int(sample_size), 17)
    model = Discriminator(pi.dim, hidden, activation, gen).to(device=device, dtype=dtype)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    lp, lq = log_densities(pi, grid.points), log_densities(mu_g, grid.points)
    mix = 0.5 * (np.exp(lp) + np.exp(lq))
    region = mix >= region_threshold * float(np.max(mix))
    region_mass, _ = trapezoid_with_error(np.where(region, mix, 0.0), grid.axes)
    v_star = value_at_optimum(pi, mu_g).value
    if sample_size is not None:
        data_x = torch.as_tensor(pi.sample(sample_size, rng), device=device, dtype=dtype)
        data_y = torch.as_tensor(mu_g.sample(sample_size, rng), device=device, dtype=dtype)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        if sample_size is None:
            return (torch.as_tensor(pi.sample(m, rng), device=device, dtype=dtype),
                    torch.as_tensor(mu_g.sample(m, rng), device=device, dtype=dtype))
        ix = torch.as_tensor(rng.integers(0, sample_size, size=m), device=device)
        iy = torch.as_tensor(rng.integers(0, sample_size, size=m), device=device)
        return data_x[ix], data_y[iy]

    records: list[GapRecord] = []
    start = time.perf_counter()

    def evaluate(step: int) -> None:
        logit = _logit_on(model, grid.points, device, dtype)
        gaps = discriminator_gaps(lp, lq, logit, grid, region)
        if sample_size is not None:
            with torch.no_grad():
                obj = float((F.logsigmoid(model(data_x)).mean() + F.logsigmoid(-model(data_y)).mean()).item())
        else:
            obj = math.nan
        records.append(GapRecord(sample_size, step, gaps["sup_gap"], gaps["l2_gap"], gaps["l2_gap_lower"],
                                 gaps["l2_gap_upper"], gaps["value_gap"], gaps["value_gap_error"],
                                 v_star - gaps["value_gap"], obj, time.perf_counter() - start))

    evaluate(0)
    for step in range(1, steps + 1):
        x, y = batch()
        # ascent on mean ln D(x) + ln(1 - D(y)) == descent on its negative
        loss = -(F.logsigmoid(model(x)).mean() + F.logsigmoid(-model(y)).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            evaluate(step)
    final = special.expit(_logit_on(model, grid.points, device, dtype))
    return DiscriminatorRun(sample_size, records, final, float(region_mass))
