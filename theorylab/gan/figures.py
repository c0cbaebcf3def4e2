"""Figures of the GAN lab, made **from the stored tables only** (``result.json`` and the CSV files a run writes),
never from live objects, so a report can be re-made without recomputing anything (DESIGN.md, 'Configs, runs and
results').

Matplotlib is used through :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global backend
switch). Each function reads a run folder and writes PNG files next to the tables; :func:`make_figures` dispatches
on the mode recorded in ``result.json``.

=================  ==================================  ========================================================
mode               tables read                         figures written
=================  ==================================  ========================================================
``exact``          ``exact_grid.csv``                  ``exact_discriminator.png`` (densities and :math:`D^*`)
``discriminator``  ``gaps.csv``, ``fit.csv``           ``discriminator_gaps.png``, ``discriminator_fit.png``
``train``          ``curves.csv``, ``samples.csv``,    ``train_curves.png`` (JS, value, modes),
                   ``target_grid.csv``                 ``train_samples.png`` (samples over the target)
=================  ==================================  ========================================================
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["make_figures", "plot_discriminator", "plot_exact", "plot_train"]

LN4 = math.log(4.0)
#: Smallest JS drawn on the log axis (values below, e.g. a negative lower bound, are drawn at it).
_JS_FLOOR_PLOT = 1e-4


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def _levels(density: np.ndarray) -> list[float]:
    """Contour levels at 1 %, 10 % and 50 % of the maximum density (a level at 0 would trace underflow)."""
    top = float(np.max(density))
    return [0.01 * top, 0.1 * top, 0.5 * top]


def _grid_2d(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys = np.unique(df["x"].to_numpy()), np.unique(df["y"].to_numpy())
    table = df.pivot(index="x", columns="y", values=column).reindex(index=xs, columns=ys)
    return xs, ys, table.to_numpy()


def plot_exact(out_dir: Path) -> list[Path]:
    """Densities :math:`p`, :math:`q` and :math:`D^* = p/(p+q)` (1D), or :math:`D^*` with density contours (2D)."""
    out_dir = Path(out_dir)
    result = json.loads((out_dir / "result.json").read_text())
    df = pd.read_csv(out_dir / "exact_grid.csv")
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    title = (f"V(mu_G, D*) = {result['value']:.6f},  2 JS - ln 4 = {result['two_js_minus_log4']:.6f}\n"
             f"difference {result['difference']:.2e} (precision {result['identity']['precision']:.1e})")
    if "y" not in df.columns:
        ax.plot(df["x"], df["p"], label="p (pi)", color="C0")
        ax.plot(df["x"], df["q"], label="q (mu_G)", color="C1")
        ax.set_ylabel("density")
        ax2 = ax.twinx()
        ax2.plot(df["x"], df["d_star"], label="D* = p/(p+q)", color="C2", lw=2)
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_ylabel("D*")
        ax.legend(loc="upper left")
        ax2.legend(loc="upper right")
        ax.set_xlabel("x")
    else:
        xs, ys, d = _grid_2d(df, "d_star")
        mesh = ax.pcolormesh(xs, ys, d.T, shading="auto", cmap="coolwarm", vmin=0.0, vmax=1.0)
        fig.colorbar(mesh, ax=ax, label="D* = p/(p+q)")
        for col, color in (("p", "k"), ("q", "w")):
            _, _, dens = _grid_2d(df, col)
            ax.contour(xs, ys, dens.T, levels=_levels(dens), colors=color, linewidths=0.7)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    ax.set_title(title, fontsize=9)
    return [_save(fig, out_dir / "exact_discriminator.png")]


def plot_discriminator(out_dir: Path) -> list[Path]:
    """Gaps of the learned discriminator against training steps, one line per sample size; and the final
    :math:`D_\\theta` against :math:`D^*`."""
    out_dir = Path(out_dir)
    gaps = pd.read_csv(out_dir / "gaps.csv")
    fig = Figure(figsize=(13, 4))
    panels = (("sup_gap", "sup_R |D_theta - D*|"), ("l2_gap", "||D_theta - D*||_{L2(pi + mu_G)}"),
              ("value_gap", "V(mu_G, D*) - V(mu_G, D_theta)"))
    for i, (col, label) in enumerate(panels):
        ax = fig.add_subplot(1, 3, i + 1)
        for size, rows in gaps.groupby("sample_size", sort=False):
            vals = rows[col].clip(lower=1e-16)
            line, = ax.plot(rows["step"], vals, marker="o", ms=3, label=f"n = {size}")
            if col == "l2_gap":
                ax.fill_between(rows["step"], rows["l2_gap_lower"].clip(lower=1e-16), rows["l2_gap_upper"],
                                color=line.get_color(), alpha=0.2)
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=8)
    paths = [_save(fig, out_dir / "discriminator_gaps.png")]
    fit_path = out_dir / "fit.csv"
    if fit_path.exists():
        fit = pd.read_csv(fit_path)
        columns = [c for c in fit.columns if c.startswith("d_theta_")]
        fig = Figure(figsize=(7.5, 4.5))
        if "y" not in fit.columns:
            ax = fig.add_subplot(1, 1, 1)
            ax.plot(fit["x"], fit["d_star"], color="k", lw=2, label="D*")
            for col in columns:
                ax.plot(fit["x"], fit[col], lw=1, label=f"D_theta, n = {col.removeprefix('d_theta_')}")
            ax.set_xlabel("x")
            ax.set_ylabel("D")
            ax.legend(fontsize=8)
        else:
            ax = fig.add_subplot(1, 1, 1)
            xs, ys, d_star = _grid_2d(fit, "d_star")
            _, _, d_theta = _grid_2d(fit, columns[-1])
            mesh = ax.pcolormesh(xs, ys, (d_theta - d_star).T, shading="auto", cmap="coolwarm", vmin=-1, vmax=1)
            fig.colorbar(mesh, ax=ax, label=f"D_theta - D* (n = {columns[-1].removeprefix('d_theta_')})")
            ax.set_aspect("equal")
        ax.set_title("final learned discriminator against D*", fontsize=9)
        paths.append(_save(fig, out_dir / "discriminator_fit.png"))
    return paths


def plot_train(out_dir: Path) -> list[Path]:
    """Training curves (smoothed and histogram JS with their intervals and the estimator floor; the value of the
    current discriminator with :math:`-\\ln 4`; modes covered) and generator samples over the target."""
    out_dir = Path(out_dir)
    result = json.loads((out_dir / "result.json").read_text())
    curves = pd.read_csv(out_dir / "curves.csv")
    fig = Figure(figsize=(13, 4))
    ax = fig.add_subplot(1, 3, 1)
    ax.plot(curves["step"], curves["js"], color="C0", label=f"smoothed JS_h (h = {result['bandwidth']:.3g})")
    ax.fill_between(curves["step"], curves["js_lower"], curves["js_upper"], color="C0", alpha=0.25)
    ax.plot(curves["step"], curves["js_hist"], color="C1", label="histogram JS")
    ax.fill_between(curves["step"], curves["js_hist_lower"], curves["js_hist_upper"], color="C1", alpha=0.25)
    ax.plot(curves["step"], curves["js_lower_bound_from_value"].clip(lower=_JS_FLOOR_PLOT), color="C2", ls="--",
            label="(V + ln 4)/2 (lower bound)")
    ax.axhline(max(result["js_floor"]["value"], _JS_FLOOR_PLOT), color="gray", ls=":",
               label="estimator floor at mu_G = pi")
    ax.set_xlabel("generator step")
    ax.set_ylabel("JS (nats, 1/2-weighted)")
    ax.set_yscale("log")
    ax.set_ylim(bottom=_JS_FLOOR_PLOT)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 3, 2)
    ax.plot(curves["step"], curves["value"], color="C3", label="V(mu_G, D_theta) (Monte Carlo)")
    ax.fill_between(curves["step"], curves["value_lower"], curves["value_upper"], color="C3", alpha=0.25)
    ax.plot(curves["step"], 2 * curves["js"] - LN4, color="C0", ls="--", label="2 JS_h - ln 4")
    ax.axhline(-LN4, color="k", ls=":", label="-ln 4 (optimum)")
    ax.set_xlabel("generator step")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 3, 3)
    ax.step(curves["step"], curves["modes_covered"], where="post", color="C4", label="modes covered")
    ax.set_ylim(-0.2, result["n_modes"] + 0.5)
    ax.set_xlabel("generator step")
    ax.set_ylabel("modes covered")
    ax2 = ax.twinx()
    ax2.plot(curves["step"], curves["high_quality_fraction"], color="C5", label="high-quality fraction")
    ax2.set_ylim(0, 1.05)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower right", fontsize=7)
    fig.suptitle(f"GAN training ({result['generator_loss']} generator loss, k = {result['k']}, m = {result['m']})",
                 fontsize=10)
    paths = [_save(fig, out_dir / "train_curves.png")]

    samples = pd.read_csv(out_dir / "samples.csv")
    target = pd.read_csv(out_dir / "target_grid.csv")
    steps = list(dict.fromkeys(samples["step"].tolist()))
    fig = Figure(figsize=(4 * len(steps), 3.8))
    for i, step in enumerate(steps):
        ax = fig.add_subplot(1, len(steps), i + 1)
        pts = samples[samples["step"] == step]
        if "y" not in samples.columns:
            ax.plot(target["x"], target["density"], color="k", lw=1.5, label="pi")
            ax.hist(pts["x"], bins=80, density=True, alpha=0.5, color="C0", label="generator")
            ax.set_xlim(target["x"].min(), target["x"].max())
            ax.legend(fontsize=7)
        else:
            xs, ys, dens = _grid_2d(target, "density")
            ax.contour(xs, ys, dens.T, levels=_levels(dens), colors="k", linewidths=0.6)
            ax.scatter(pts["x"], pts["y"], s=2, alpha=0.4, color="C0")
            ax.set_aspect("equal")
            ax.set_xlim(xs.min(), xs.max())
            ax.set_ylim(ys.min(), ys.max())
        ax.set_title(f"step {step}", fontsize=9)
    paths.append(_save(fig, out_dir / "train_samples.png"))
    return paths


_PLOTTERS = {"exact": plot_exact, "discriminator": plot_discriminator, "train": plot_train}


def make_figures(out_dir: Path) -> list[Path]:
    """Re-make every figure of a run folder from its stored tables (mode read from ``result.json``)."""
    out_dir = Path(out_dir)
    mode = json.loads((out_dir / "result.json").read_text())["mode"]
    return _PLOTTERS[mode](out_dir)
