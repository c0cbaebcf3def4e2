"""Figures of a sweep's results table (pandas, from the store) with matplotlib's Agg backend.

Each function takes the table, the metric column and an output folder, writes one PNG and returns its file name,
or None when the table has nothing to show for it (e.g. only one value of T). Conventions in the axis labels:
TV = 1/2 ||p - q||_1, W2 the distance.
"""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["error_against", "heatmap_T_gamma", "loglog_gamma", "bound_overlay", "varying_keys"]

NUMERIC_AXES = ("sampler.T", "sampler.gamma", "score.M", "sampler.schedule.N")
_LABELS = {"sampler.T": "horizon T", "sampler.gamma": "step γ", "score.M": "score error M",
           "sampler.schedule.N": "steps N"}


def varying_keys(df: pd.DataFrame) -> list[str]:
    """Config columns (dotted names) that take more than one value among the rows."""
    skip = {"seed", "status", "message", "seconds", "versions", "cell"}
    out = []
    for c in df.columns:
        if "." not in c or c in skip:
            continue
        if df[c].astype(str).nunique(dropna=False) > 1:
            out.append(c)
    return out


def _series(df: pd.DataFrame, x: str):
    others = [c for c in varying_keys(df) if c != x]
    if not others:
        yield "", df
        return
    for key, group in df.groupby(others, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        yield ", ".join(f"{o.split('.')[-1]}={k}" for o, k in zip(others, key, strict=True)), group


def _error_bars(group: pd.DataFrame, metric: str):
    lo, hi = group.get(f"{metric}_lower"), group.get(f"{metric}_upper")
    if lo is None or hi is None:
        return None
    v = group[metric].to_numpy(float)
    return np.vstack([np.clip(v - lo.to_numpy(float), 0, None), np.clip(hi.to_numpy(float) - v, 0, None)])


def error_against(df: pd.DataFrame, metric: str, x: str, out: Path, label: str) -> str | None:
    """Metric against the swept key ``x``, one line per combination of the other swept keys."""
    ok = df[df["status"] == "ok"]
    if x not in ok or ok[x].nunique() < 2:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    markers = cycle("os^vD<>p*h")
    for name, group in _series(ok, x):
        g = group.sort_values(x)
        ax.errorbar(g[x].to_numpy(float), g[metric].to_numpy(float), yerr=_error_bars(g, metric), marker=next(markers),
                    ms=4, capsize=2, label=name or None)
    xs = ok[x].to_numpy(float)
    if np.all(xs > 0) and xs.max() / xs.min() >= 10:
        ax.set_xscale("log")
    if np.all(ok[metric].to_numpy(float) > 0):
        ax.set_yscale("log")
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel(label)
    ax.grid(alpha=0.3, which="both")
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize=7, ncol=2)
    name = f"{metric}_vs_{x.split('.')[-1]}.png"
    fig.tight_layout()
    fig.savefig(out / name, dpi=120)
    plt.close(fig)
    return name


def loglog_gamma(df: pd.DataFrame, metric: str, out: Path, label: str, slope: float | None,
                 stderr: float | None) -> str | None:
    """log-log metric against gamma, with the fitted slope drawn through the data's geometric centre."""
    ok = df[(df["status"] == "ok") & (df[metric] > 0)]
    if "sampler.gamma" not in ok or ok["sampler.gamma"].nunique() < 2:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, group in _series(ok, "sampler.gamma"):
        g = group.sort_values("sampler.gamma")
        ax.loglog(g["sampler.gamma"], g[metric], "o-", ms=4, label=name or None)
    if slope is not None and np.isfinite(slope):
        gam = np.geomspace(ok["sampler.gamma"].min(), ok["sampler.gamma"].max(), 20)
        centre = np.exp(np.mean(np.log(ok[metric].to_numpy(float))))
        g0 = np.exp(np.mean(np.log(ok["sampler.gamma"].to_numpy(float))))
        ax.loglog(gam, centre * (gam / g0) ** slope, "k--", lw=1,
                  label=f"fitted slope {slope:.3f} ± {stderr:.3f}" if stderr is not None else f"slope {slope:.3f}")
        ax.loglog(gam, centre * (gam / g0) ** 0.5, ":", color="grey", lw=1, label="γ^{1/2} (De Bortoli bound)")
    ax.set_xlabel("step γ")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3, which="both")
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    name = f"{metric}_loglog_gamma.png"
    fig.savefig(out / name, dpi=120)
    plt.close(fig)
    return name


def heatmap_T_gamma(df: pd.DataFrame, metric: str, out: Path, label: str) -> str | None:
    """Heatmap of the metric over (T, gamma) (at the smallest M, first value of any other swept key)."""
    ok = df[df["status"] == "ok"]
    if any(k not in ok or ok[k].nunique() < 2 for k in ("sampler.T", "sampler.gamma")):
        return None
    for k in varying_keys(ok):
        if k not in ("sampler.T", "sampler.gamma"):
            ok = ok[ok[k].astype(str) == sorted(ok[k].astype(str).unique())[0]]
    table = ok.pivot_table(index="sampler.gamma", columns="sampler.T", values=metric, aggfunc="mean")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    values = table.to_numpy(float)
    im = ax.imshow(np.log10(np.where(values > 0, values, np.nan)), aspect="auto", origin="lower", cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
    ax.set_xlabel("horizon T")
    ax.set_ylabel("step γ")
    fig.colorbar(im, ax=ax, label=f"log10 {label}")
    fig.tight_layout()
    name = f"{metric}_heatmap_T_gamma.png"
    fig.savefig(out / name, dpi=120)
    plt.close(fig)
    return name


def bound_overlay(df: pd.DataFrame, metric: str, out: Path, label: str, bound_columns: dict[str, str]) -> str | None:
    """Measured metric against T with the bound columns (e.g. fitted De Bortoli, Chen et al.) per gamma."""
    ok = df[df["status"] == "ok"]
    if "sampler.T" not in ok or ok["sampler.T"].nunique() < 2 or not bound_columns:
        return None
    if "score.M" in ok and ok["score.M"].nunique() > 1:
        ok = ok[ok["score.M"] == ok["score.M"].min()]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    groups = ok.groupby("sampler.gamma") if "sampler.gamma" in ok and ok["sampler.gamma"].notna().all() else [("", ok)]
    for gamma, group in groups:
        c = next(colors)
        g = group.sort_values("sampler.T")
        ax.semilogy(g["sampler.T"], g[metric], "o", color=c, ms=4, label=f"measured, γ={gamma}")
        for (name, col), style in zip(bound_columns.items(), ("-", "--", ":"), strict=False):
            ax.semilogy(g["sampler.T"], g[col], style, color=c, lw=1, label=f"{name}, γ={gamma}")
    ax.set_xlabel("horizon T")
    ax.set_ylabel(label)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    name = f"{metric}_bounds.png"
    fig.savefig(out / name, dpi=120)
    plt.close(fig)
    return name
