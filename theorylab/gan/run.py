"""``run_gan``: one GAN-lab config in, a result (JSON-ready summary) and a run folder of tables and figures out.

This is the entry point the CLI calls (``theorylab gan <config.toml>``): it validates the ``[gan]`` table
(:mod:`theorylab.gan.config`), runs the mode, writes the tables (``result.json`` and CSV files) to the run folder,
and then draws the figures **from those files** (:mod:`theorylab.gan.figures`).

Modes (seed 000, part 'Generative Adversarial Networks'):

* ``exact`` — :math:`D^*`, :math:`V(\\mu_G, D^*)`, :math:`\\mathrm{JS}(\\pi, \\mu_G)` and the identity
  :math:`V = 2\\mathrm{JS} - \\ln 4` by quadrature; the optimality of :math:`D^*` pointwise on a grid and against
  perturbed discriminators (:mod:`theorylab.gan.exact`). Writes ``exact_grid.csv``, ``perturbations.csv``.
* ``discriminator`` — a learned :math:`D_\\theta` against a fixed :math:`\\mu_G`, its gaps to :math:`D^*` over
  training steps for each sample size (:mod:`theorylab.gan.discriminator`). Writes ``gaps.csv``, ``fit.csv``.
* ``train`` — the alternating algorithm of 'Entrenando a tu GAN' with JS, value and mode coverage tracked
  (:mod:`theorylab.gan.training`). Writes ``curves.csv``, ``samples.csv``, ``target_grid.csv``.

Everything runs with one intra-op torch thread (restored afterwards): the densities (torch CPU kernels) are
evaluated on chunks of ~1e5 points and the networks are small, and on a 2-core machine shared with other jobs
torch's thread pool spends more time synchronising than computing (measured: exact mode on the 8-Gaussian ring
against N(0, I) took 30 s with the default pool under load, 8 s with one thread).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from theorylab.divergences import Estimate
from theorylab.distributions import Gaussian
from theorylab.gan.config import DiscriminatorTable, ExactTable, GanConfig, TrainTable, load_gan_config
from theorylab.gan.discriminator import train_discriminator
from theorylab.gan.exact import (
    check_pointwise_optimality,
    check_value_identity,
    js_exact,
    optimal_discriminator,
    perturbation_gaps,
    value_monte_carlo,
)
from theorylab.gan.figures import make_figures
from theorylab.gan.grid import evaluation_grid
from theorylab.gan.kde import smoothed_law
from theorylab.gan.networks import resolve_device, resolve_dtype, seeded_generators
from theorylab.gan.quadrature import log_densities
from theorylab.gan.training import train_gan
from theorylab.threads import torch_threads

__all__ = ["GanResult", "default_out_dir", "run_gan"]

#: Generator samples kept per snapshot in ``samples.csv``.
_SNAPSHOT_POINTS = 1000


@dataclass(frozen=True)
class GanResult:
    """The outcome of :func:`run_gan`.

    Attributes
    ----------
    config : GanConfig
    summary : dict
        The mode's numbers (see :meth:`to_json`).
    out_dir : pathlib.Path
    files : tuple of str
        Files written to ``out_dir`` (tables first, then figures).
    seconds : float
    """

    config: GanConfig
    summary: dict[str, Any]
    out_dir: Path
    files: tuple[str, ...]
    seconds: float

    @property
    def mode(self) -> str:
        return self.config.gan.mode

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary: the summary's keys at the top level, plus ``mode``, ``name``, ``config``,
        ``out_dir``, ``files`` and ``seconds``.

        ``exact``: ``value`` (:math:`V(\\mu_G, D^*)`), ``value_uncertainty``, ``js``, ``js_uncertainty``,
        ``two_js_minus_log4``, ``two_js_minus_log4_uncertainty``, ``difference``, ``identity`` (precision,
        tolerance, holds, slide-form difference), ``value_monte_carlo``, ``pointwise``, ``perturbations``.
        ``discriminator``: ``value_star``, ``final`` (last gaps per sample size), ``region``, ``grid``.
        ``train``: ``js_initial``, ``js_final``, ``js_min``, ``js_floor``, ``js_initial_exact``, ``value_final``,
        ``modes_covered_final``, ``mode_counts_final``, ``high_quality_final``, ``training_seconds``.
        """
        out = dict(self.summary)
        out.update({"mode": self.mode, "name": self.config.gan.name or f"gan_{self.mode}",
                    "config": self.config.model_dump(),
                    "out_dir": str(self.out_dir), "files": list(self.files), "seconds": round(self.seconds, 4)})
        return _jsonable(out)


def _jsonable(value: Any) -> Any:
    """Plain JSON types; NaN and infinities become ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    return value


def _estimate_json(e: Estimate) -> dict[str, Any]:
    u = e.uncertainty
    return {"value": e.value, "method": e.method, "kind": u.kind, "lower": u.lower, "upper": u.upper,
            "level": u.level, "note": u.note}


def default_out_dir(cfg: GanConfig) -> Path:
    """``reports/gan/<name>/`` (``name`` from ``[gan] name``, default ``gan_<mode>``), relative to the working
    directory."""
    return Path("reports") / "gan" / (cfg.gan.name or f"gan_{cfg.gan.mode}")


def _torch_threads(device: torch.device) -> contextlib.AbstractContextManager:
    """One torch intra-op thread on CPU (the lab's tensors are small), restored on exit; nothing on a GPU."""
    return torch_threads(1) if device.type == "cpu" else contextlib.nullcontext()


def _grid_frame(points: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    flat = points.reshape(-1, points.shape[-1])
    data = {"x": flat[:, 0]}
    if flat.shape[1] == 2:
        data["y"] = flat[:, 1]
    data.update({k: np.asarray(v).reshape(-1) for k, v in columns.items()})
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------------------------------------------------
# modes
# ---------------------------------------------------------------------------------------------------------------------
def _run_exact(g: ExactTable) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    pi, mu = g.pi_law(), g.generator_law()
    identity = check_value_identity(pi, mu)
    mc = value_monte_carlo(pi, mu, g.n_mc, seeded_generators(g.seed, 2)[0])
    grid = evaluation_grid((pi, mu), g.grid_points or (801 if pi.dim == 1 else 201))
    sizes = tuple(g.perturbations)
    pointwise = check_pointwise_optimality(pi, mu, grid.points, sizes)
    gaps = perturbation_gaps(pi, mu, sizes, seeded_generators(g.seed, 3)[0])
    v, j = identity.value, identity.js
    summary = {
        "value": v.value,
        "value_uncertainty": _estimate_json(v),
        "js": j.value,
        "js_uncertainty": _estimate_json(j),
        "two_js_minus_log4": identity.two_js_minus_log4,
        "two_js_minus_log4_uncertainty": {"lower": identity.two_js_minus_log4_interval[0],
                                          "upper": identity.two_js_minus_log4_interval[1]},
        "difference": identity.difference,
        "identity": {"statement": "V(mu_G, D*) = 2 JS(pi, mu_G) - ln 4 (JS 1/2-weighted, natural log)",
                     "precision": identity.precision, "tolerance": identity.tolerance, "holds": identity.holds,
                     "slide_form_difference": identity.slide_difference,
                     "slide_form_note": "V - (JS - 2 ln 2): the slide's form, equal to JS under the 1/2-weighted "
                                        "convention (true only for the un-halved JS = KL(P||M) + KL(Q||M))"},
        "value_monte_carlo": _estimate_json(mc),
        "pointwise": asdict(pointwise) | {"holds": pointwise.holds},
        "perturbations": [asdict(p) for p in gaps],
        "all_perturbations_lower_the_value": all(p.gap > p.gap_error for p in gaps),
    }
    tables = {
        "exact_grid.csv": _grid_frame(grid.points, {"p": np.exp(log_densities(pi, grid.points)),
                                                     "q": np.exp(log_densities(mu, grid.points)),
                                                     "d_star": optimal_discriminator(pi, mu, grid.points)}),
        "perturbations.csv": pd.DataFrame([asdict(p) for p in gaps]),
    }
    return summary, tables


def _run_discriminator(g: DiscriminatorTable) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    pi, mu = g.pi_law(), g.generator_law()
    device, dtype = resolve_device(g.device), resolve_dtype(g.dtype)
    grid = evaluation_grid((pi, mu), g.grid_points or (2001 if pi.dim == 1 else 301))
    sizes: list[int | None] = [*g.sample_sizes, *([None] if g.online else [])]
    rows, fit, final, region_mass = [], {"d_star": optimal_discriminator(pi, mu, grid.points)}, [], math.nan
    with _torch_threads(device):
        for n in sizes:
            run = train_discriminator(pi, mu, sample_size=n, steps=g.steps, m=g.m, lr=g.lr, hidden=list(g.hidden),
                                      activation=g.activation, optimizer=g.optimizer, eval_every=g.eval_every,
                                      seed=g.seed, grid=grid, region_threshold=g.region_threshold, device=device,
                                      dtype=dtype)
            rows += [r.to_dict() for r in run.records]
            fit[f"d_theta_{'online' if n is None else n}"] = run.final_prob
            final.append(run.records[-1].to_dict())
            region_mass = run.region_mass
    v_star = final[0]["value_theta"] + final[0]["value_gap"]
    summary = {
        "value_star": v_star,
        "final": final,
        "region": {"threshold": g.region_threshold, "mass_of_(p+q)/2": region_mass,
                   "definition": "grid nodes with (p+q)/2 >= threshold * max (p+q)/2"},
        "grid": {"points_per_axis": [len(a) for a in grid.axes], "n_std": grid.n_std, "resolved": grid.resolved,
                 "tail_mass_bound": grid.tail_mass},
        "network": {"hidden": list(g.hidden), "activation": g.activation, "dtype": g.dtype,
                    "device": str(device), "optimizer": g.optimizer, "lr": g.lr, "m": g.m},
    }
    tables = {"gaps.csv": pd.DataFrame(rows), "fit.csv": _grid_frame(grid.points, fit)}
    return summary, tables


def _run_train(g: TrainTable) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    pi = g.pi_law()
    device, dtype = resolve_device(g.device), resolve_dtype(g.dtype)
    with _torch_threads(device):
        run = train_gan(pi, g, device=device, dtype=dtype)
    curves = pd.DataFrame(run.curves)
    first, last = run.curves[0], run.curves[-1]
    best = min(run.curves, key=lambda r: r["js"])
    mix = pi.as_mixture()
    summary: dict[str, Any] = {
        "bandwidth": run.bandwidth,
        "js_convention": "1/2-weighted, natural log; smoothed JS_h = JS(pi * N(0,h^2 I), KDE_h of generator samples)"
                         " by Monte Carlo: biased (<= JS by data processing, + finite-n bias ~ js_floor)",
        "js_initial": {"value": first["js"], "lower": first["js_lower"], "upper": first["js_upper"]},
        "js_final": {"value": last["js"], "lower": last["js_lower"], "upper": last["js_upper"]},
        "js_min": {"step": best["step"], "value": best["js"], "lower": best["js_lower"], "upper": best["js_upper"]},
        "js_hist_initial": first["js_hist"],
        "js_hist_final": last["js_hist"],
        "js_floor": _estimate_json(run.floor),
        "value_initial": first["value"],
        "value_final": {"value": last["value"], "lower": last["value_lower"], "upper": last["value_upper"]},
        "modes_covered_initial": first["modes_covered"],
        "modes_covered_final": last["modes_covered"],
        "mode_counts_final": [last[f"count_mode_{k}"] for k in range(mix.n_components)],
        "mode_rule": f"covered when >= {g.mode_fraction} * w_k of the {g.n_eval} samples lie within "
                     f"{g.mode_radius} standard deviations (Mahalanobis) of component k",
        "high_quality_final": last["high_quality_fraction"],
        "n_modes": mix.n_components,
        "training_seconds": run.seconds,
        "steps": g.steps, "k": g.k, "m": g.m, "generator_loss": g.generator_loss,
        "device": str(device), "dtype": g.dtype,
    }
    if g.latent() >= pi.dim:  # the generator starts at exactly N(0, I_d): its JS to pi is known
        start_law = Gaussian(np.zeros(pi.dim), np.eye(pi.dim))
        smoothed_start = Gaussian(np.zeros(pi.dim), (1.0 + run.bandwidth**2) * np.eye(pi.dim))
        summary["js_initial_exact"] = {
            "law": "N(0, I) (generator at initialisation)",
            "js": js_exact(pi, start_law).value,
            "js_smoothed": js_exact(smoothed_law(pi, run.bandwidth), smoothed_start).value,
        }
    sample_rows = []
    for step, pts in sorted(run.snapshots.items()):
        keep = pts[:_SNAPSHOT_POINTS]
        frame = {"step": np.full(keep.shape[0], step), "x": keep[:, 0]}
        if pi.dim == 2:
            frame["y"] = keep[:, 1]
        sample_rows.append(pd.DataFrame(frame))
    grid = evaluation_grid((pi,), 801 if pi.dim == 1 else 201, n_std=6.0)
    # widen the plotting box to the snapshots' range
    lo = np.minimum([a[0] for a in grid.axes], np.min([s.min(axis=0) for s in run.snapshots.values()], axis=0))
    hi = np.maximum([a[-1] for a in grid.axes], np.max([s.max(axis=0) for s in run.snapshots.values()], axis=0))
    axes = [np.linspace(lo[j], hi[j], len(grid.axes[j])) for j in range(pi.dim)]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    tables = {
        "curves.csv": curves,
        "samples.csv": pd.concat(sample_rows, ignore_index=True),
        "target_grid.csv": _grid_frame(points, {"density": np.exp(log_densities(pi, points))}),
    }
    return summary, tables


_RUNNERS = {"exact": _run_exact, "discriminator": _run_discriminator, "train": _run_train}


def run_gan(raw_config: Mapping[str, Any] | GanConfig, *, out_dir: Path | str | None = None) -> GanResult:
    """Run one GAN-lab config and write its tables and figures.

    Parameters
    ----------
    raw_config : mapping or GanConfig
        The parsed TOML (a ``[gan]`` table; keys in :mod:`theorylab.gan.config`).
    out_dir : path, optional
        Run folder; default :func:`default_out_dir` (``reports/gan/<name>/``). Created if needed.

    Returns
    -------
    GanResult
        With :meth:`~GanResult.to_json`; ``result.json`` in ``out_dir`` holds the same dictionary.

    Raises
    ------
    ConfigError
        On an invalid config (one line naming the dotted key).
    """
    start = time.perf_counter()
    cfg = load_gan_config(raw_config)
    out = Path(out_dir) if out_dir is not None else default_out_dir(cfg)
    with _torch_threads(torch.device("cpu")):  # densities are torch CPU kernels in every mode
        summary, tables = _RUNNERS[cfg.gan.mode](cfg.gan)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, frame in tables.items():
        frame.to_csv(out / name, index=False)
        files.append(name)
    files.append("result.json")
    provisional = GanResult(cfg, summary, out, tuple(files), time.perf_counter() - start)
    (out / "result.json").write_text(json.dumps(provisional.to_json(), indent=2, allow_nan=False))
    files += [p.name for p in make_figures(out)]
    result = GanResult(cfg, summary, out, tuple(files), time.perf_counter() - start)
    (out / "result.json").write_text(json.dumps(result.to_json(), indent=2, allow_nan=False))
    return result
