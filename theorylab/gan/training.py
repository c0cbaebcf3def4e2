"""GAN training by the alternating algorithm of seed 000, slide 'Entrenando a tu GAN', tracked against the known
data law.

One iteration (``step``) of the algorithm:

1. ``k`` times: sample :math:`\\{z^{(i)}\\}_{i=1}^m \\sim \\mu_Z = \\mathcal N(0, I)` and :math:`\\{x^{(i)}\\}_{i=1}^m
   \\sim \\pi`, and **ascend** :math:`\\frac1m\\sum_i[\\ln D(x^{(i)}) + \\ln(1 - D(G(z^{(i)})))]` in :math:`\\theta_d`;
2. sample :math:`\\{z^{(i)}\\}_{i=1}^m` and **descend** the generator loss in :math:`\\theta_g`:

   * ``"minimax"`` (the slide's): :math:`\\frac1m\\sum_i \\ln(1 - D(G(z^{(i)})))`;
   * ``"non-saturating"`` (Goodfellow et al. 2014, §3): :math:`-\\frac1m\\sum_i \\ln D(G(z^{(i)}))` — same fixed
     points, but strong gradients when :math:`D` confidently rejects the samples early in training.

The slide repeats "Entrenar el Discriminador → Entrenar el Generador" with one discriminator update per generator
update; ``k > 1`` is Goodfellow et al.'s Algorithm 1. All log-probabilities are computed from logits
(``logsigmoid``), so the losses stay finite where :math:`D` rounds to 0 or 1.

Every ``eval_every`` steps (and at steps 0 and ``steps``) the run records, from ``n_eval`` fresh generator samples:

* the smoothed :math:`\\mathrm{JS}_h(\\pi, \\mu_G)` with its Monte Carlo interval (:mod:`theorylab.gan.kde`; biased,
  a lower bound on JS up to the floor measured once per run at :math:`\\mu_G = \\pi`), and the histogram JS of
  :func:`theorylab.divergences.js_samples` with its bootstrap interval (also biased: binning and counting noise);
* the value :math:`V(\\mu_G, D_\\theta)` of the current discriminator by Monte Carlo (CLT interval). Since
  :math:`D^*` maximises :math:`V`, :math:`V(\\mu_G, D_\\theta) \\le 2\\mathrm{JS}(\\pi,\\mu_G) - \\ln 4`, i.e.
  :math:`\\mathrm{JS} \\ge (V + \\ln 4)/2`: a second lower bound on JS, from the discriminator;
* mode coverage (:mod:`theorylab.gan.modes`) and the mean losses since the previous evaluation.

Randomness: training draws from streams derived from ``(seed, 0)`` (numpy for :math:`\\pi`, torch CPU for
:math:`z`, so the same numbers are used on any device), evaluation from ``(seed, 1)``: evaluation settings do not
change the training trajectory. On the CPU a seed reproduces a run bit for bit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from theorylab.divergences import js_samples
from theorylab.gan.exact import LN4
from theorylab.gan.kde import smoothed_js, smoothed_js_floor
from theorylab.gan.modes import mode_coverage
from theorylab.gan.networks import Discriminator, Generator, make_optimizer, seeded_generators

__all__ = ["TrainingRun", "train_gan"]


@dataclass
class TrainingRun:
    """Curves and snapshots of one GAN training run.

    Attributes
    ----------
    curves : list of dict
        One row per evaluation: ``step``, ``js`` (smoothed, + ``js_lower``/``js_upper``), ``js_hist`` (+ interval),
        ``value`` (+ interval), ``js_lower_bound_from_value``, ``modes_covered``, ``high_quality_fraction``,
        ``count_mode_<k>``, ``loss_d``, ``loss_g``, ``seconds``.
    snapshots : dict
        ``step -> generator samples (n, d)`` at the snapshot steps.
    floor : Estimate
        The smoothed-JS estimator at :math:`\\mu_G = \\pi` (its finite-``n`` bias).
    bandwidth : float
    seconds : float
        Wall time of the whole run (training + evaluation).
    """

    curves: list[dict[str, Any]] = field(default_factory=list)
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)
    floor: Any = None
    bandwidth: float = math.nan
    seconds: float = math.nan


def _snapshot_steps(steps: int, eval_every: int, count: int) -> set[int]:
    evals = sorted({0, steps, *range(eval_every, steps + 1, eval_every)})
    if count >= len(evals):
        return set(evals)
    picks = np.linspace(0, len(evals) - 1, count).round().astype(int)
    return {evals[i] for i in picks}


def train_gan(pi: Any, cfg: Any, *, device: torch.device, dtype: torch.dtype) -> TrainingRun:
    """Train a GAN on the data law ``pi`` with the options of a validated ``[gan]`` table (mode ``"train"``).

    Parameters
    ----------
    pi : Gaussian or GaussianMixture
        The data law (dimension 1 or 2).
    cfg : theorylab.gan.config.TrainTable
        ``steps``, ``k``, ``m``, ``lr``, ``generator_loss``, ``hidden``, ``activation``, ``optimizer``, ``seed``,
        ``eval_every``, ``n_eval``, ``n_mc``, ``n_boot``, ``mode_radius``, ``mode_fraction``, ``snapshots``, and
        :meth:`~theorylab.gan.config.TrainTable.latent` / :meth:`~theorylab.gan.config.TrainTable.bandwidth`.
    device, dtype
        Where and in which precision the networks run.

    Returns
    -------
    TrainingRun
    """
    start = time.perf_counter()
    rng, gen = seeded_generators(cfg.seed, 0)
    eval_rng, eval_gen = seeded_generators(cfg.seed, 1)
    latent = cfg.latent()
    disc = Discriminator(pi.dim, list(cfg.hidden), cfg.activation, gen).to(device=device, dtype=dtype)
    genr = Generator(latent, pi.dim, list(cfg.hidden), cfg.activation, gen).to(device=device, dtype=dtype)
    opt_d = make_optimizer(cfg.optimizer, disc.parameters(), cfg.lr)
    opt_g = make_optimizer(cfg.optimizer, genr.parameters(), cfg.lr)
    h = cfg.bandwidth()
    run = TrainingRun(bandwidth=h)
    run.floor = smoothed_js_floor(pi, cfg.n_eval, h, cfg.n_mc, eval_rng)
    snap_steps = _snapshot_steps(cfg.steps, cfg.eval_every, cfg.snapshots)
    losses_d: list[float] = []
    losses_g: list[float] = []

    def latent_batch(n: int, g: torch.Generator) -> torch.Tensor:
        return torch.randn(n, latent, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)

    def data_batch(n: int) -> torch.Tensor:
        return torch.as_tensor(pi.sample(n, rng), device=device, dtype=dtype)

    def evaluate(step: int) -> None:
        with torch.no_grad():
            y = genr(latent_batch(cfg.n_eval, eval_gen)).to(torch.float64).cpu().numpy()
            x = pi.sample(cfg.n_eval, eval_rng)
            fx = F.logsigmoid(disc(torch.as_tensor(x, device=device, dtype=dtype))).to(torch.float64).cpu().numpy()
            fy = F.logsigmoid(-disc(torch.as_tensor(y, device=device, dtype=dtype))).to(torch.float64).cpu().numpy()
        value = float(fx.mean() + fy.mean())
        se = math.sqrt(float(fx.var(ddof=1) + fy.var(ddof=1)) / cfg.n_eval)
        z = 1.959963984540054  # normal 97.5 % quantile: a 95 % CLT interval
        js_h = smoothed_js(pi, y, h, cfg.n_mc, eval_rng)
        js_hist = js_samples(y, pi, eval_rng, estimator="histogram", n_boot=cfg.n_boot)
        cov = mode_coverage(pi, y, radius=cfg.mode_radius, fraction=cfg.mode_fraction)
        row: dict[str, Any] = {
            "step": step,
            "js": js_h.value, "js_lower": js_h.uncertainty.lower, "js_upper": js_h.uncertainty.upper,
            "js_hist": js_hist.value, "js_hist_lower": js_hist.uncertainty.lower,
            "js_hist_upper": js_hist.uncertainty.upper,
            "value": value, "value_lower": value - z * se, "value_upper": value + z * se,
            "js_lower_bound_from_value": 0.5 * (value + LN4),
            "modes_covered": cov.n_covered, "high_quality_fraction": cov.high_quality_fraction,
            "loss_d": float(np.mean(losses_d)) if losses_d else math.nan,
            "loss_g": float(np.mean(losses_g)) if losses_g else math.nan,
            "seconds": time.perf_counter() - start,
        }
        row.update({f"count_mode_{k}": c for k, c in enumerate(cov.counts)})
        run.curves.append(row)
        if step in snap_steps:
            run.snapshots[step] = y
        losses_d.clear()
        losses_g.clear()

    evaluate(0)
    for step in range(1, cfg.steps + 1):
        for _ in range(cfg.k):
            x = data_batch(cfg.m)
            with torch.no_grad():
                fake = genr(latent_batch(cfg.m, gen))
            # ascent on mean ln D(x) + ln(1 - D(G(z))) == descent on its negative
            loss_d = -(F.logsigmoid(disc(x)).mean() + F.logsigmoid(-disc(fake)).mean())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            losses_d.append(float(loss_d.item()))
        logits = disc(genr(latent_batch(cfg.m, gen)))
        if cfg.generator_loss == "minimax":
            loss_g = F.logsigmoid(-logits).mean()  # descend mean ln(1 - D(G(z)))
        else:
            loss_g = -F.logsigmoid(logits).mean()  # descend -mean ln D(G(z))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        losses_g.append(float(loss_g.item()))
        if step % cfg.eval_every == 0 or step == cfg.steps:
            evaluate(step)
    run.seconds = time.perf_counter() - start
    return run
