"""The bound atlas: every theorem of :data:`~theorylab.bounds.theorems.THEOREMS` against the exact error of the
sampler it is proved for, and seed 000's proof measured link by link (issue 13).

Targets: :math:`\\pi = N(\\mu\\mathbf 1, \\sigma^2 I_d)` (:data:`GAUSS_MEAN`, :data:`GAUSS_VAR`; the exact route,
:func:`theorylab.laws.law_of_output` with ``method="exact"``, so every measured number is exact to rounding: the
Pierret--Galerne reference) and the seed mixture :math:`\\tfrac12N(-3, \\tfrac14) + \\tfrac12N(3, 1)` (1D grid law).
Score errors: a constant bias :math:`\\varepsilon u` (:class:`~theorylab.scores.BiasedScore`), for which the
:math:`L^2(p_t)` error and the sup-norm error are both exactly :math:`\\varepsilon`, so each theorem is evaluated with
the error notion it assumes and the two notions coincide by construction (stated in the report).

Sweeps (one parameter moves, the others at the base cell): the step :math:`h` (Benton et al.: the schedule parameter
:math:`\\kappa`), the horizon :math:`T`, the dimension :math:`d`, the score error :math:`\\varepsilon`. Each theorem
runs its own sampler (``Theorem.sampler``) on its own grid (``Theorem.grid``) and is compared with its own
divergence. Constants the papers do not give are fitted once per theorem over all its cells
(:func:`~theorylab.bounds.theorems.base.fit_theorem`); :mod:`~theorylab.bounds.theorems.tightness` gives the rates
and verdicts. Output: ``atlas.md``, ``cells.csv``, ``tightness.csv``, ``proof.csv``, ``assumptions.csv`` and one PNG
per swept parameter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PROFILES", "run_atlas"]

GAUSS_MEAN = 0.5
GAUSS_VAR = 0.5
#: Early-stopping time of the Benton et al. grid.
BENTON_DELTA = 0.01

#: Sweep profiles: base cell and the values of each swept parameter. ``quick`` runs in well under a minute on two
#: cores (``theorylab reproduce``); ``full`` (``--full``) extends every axis and d to 256.
PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"base": {"h": 0.05, "T": 4.0, "d": 1, "eps": 0.0},
              "h": [0.2, 0.1, 0.05, 0.025], "T": [1.0, 2.0, 4.0, 8.0], "d": [1, 4, 16, 64],
              "eps": [0.02, 0.04, 0.08, 0.16], "eps_h": 0.01, "mixture_h": [0.2, 0.1, 0.05], "mixture_paths": 2000,
              "proof_h": [0.2, 0.1, 0.05, 0.025], "proof_mixture_h": [0.2, 0.1], "mixture_flow": False},
    "full": {"base": {"h": 0.05, "T": 4.0, "d": 1, "eps": 0.0},
             "h": [0.4, 0.2, 0.1, 0.05, 0.025, 0.0125], "T": [0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
             "d": [1, 2, 4, 16, 64, 256], "eps": [0.01, 0.02, 0.04, 0.08, 0.16, 0.32], "eps_h": 0.005,
             "mixture_h": [0.2, 0.1, 0.05, 0.025], "mixture_paths": 20000,
             "proof_h": [0.4, 0.2, 0.1, 0.05, 0.025, 0.0125], "proof_mixture_h": [0.2, 0.1, 0.05, 0.025],
             "mixture_flow": True},
}


def _gauss(d: int):
    from theorylab.distributions import Gaussian

    return Gaussian(np.full(d, GAUSS_MEAN), GAUSS_VAR * np.eye(d))


def seed_mixture():
    """Seed 000's mixture :math:`\\tfrac12N(-3, \\tfrac14) + \\tfrac12N(3, 1)`."""
    from theorylab.distributions import GaussianMixture

    return GaussianMixture([0.5, 0.5], [[-3.0], [3.0]], [[[0.25]], [[1.0]]])


def _grid(kind: str, T: float, h: float):
    """The theorem's grid: constant step h on [0, T], or Benton et al.'s schedule with parameter kappa = h."""
    from theorylab.samplers import TimeGrid

    if kind == "constant":
        return TimeGrid.constant(T, h)
    # forward times from T down to 1 with steps <= kappa, then geometric (ratio 1 + kappa) down to delta
    times = [T]
    n_lin = max(int(math.ceil((T - 1.0) / h)), 0) if T > 1.0 else 0
    if n_lin:
        times += list(np.linspace(T, 1.0, n_lin + 1)[1:])
    s = min(T, 1.0)
    while s / (1.0 + h) > BENTON_DELTA:
        s = s / (1.0 + h)
        times.append(s)
    times.append(BENTON_DELTA)
    return TimeGrid.from_times(np.array(sorted(set(times))), kind="benton")


_TQ_CACHE: dict[str, dict[str, float]] = {}


def _target_quantities(target) -> dict[str, float]:
    key = repr(target)
    if key not in _TQ_CACHE:
        _TQ_CACHE[key] = _compute_target_quantities(target)
    return dict(_TQ_CACHE[key])


def _compute_target_quantities(target) -> dict[str, float]:
    from theorylab.bounds.chen import kl_to_standard_normal, score_lipschitz, second_moment
    from theorylab.bounds.theorems.assumptions import fisher_information

    return {"L": float(score_lipschitz(target).value), "m2": second_moment(target),
            "kl_prior": float(kl_to_standard_normal(target, rng=np.random.default_rng(0)).value),
            "fisher": fisher_information(target)[0], "d": float(target.dim)}


def _measure(theorem, target, h: float, T: float, eps: float) -> dict[str, float]:
    """Run the theorem's sampler on its grid with a bias-eps score; exact divergences to the data law."""
    from theorylab.bounds.theorems.pierret_galerne import exact_errors
    from theorylab.laws import law_of_output
    from theorylab.scores import BiasedScore, ExactScore

    grid = _grid(theorem.grid, T, h)
    score = BiasedScore(ExactScore(target), eps)
    out = law_of_output(target, score, theorem.sampler, grid, method="exact")
    delta = float(grid.cumulative_times[0])
    data = target.ou_marginal(delta) if delta > 0 else target
    err = exact_errors(out, data)
    measured = err["tv"] if theorem.divergence == "tv" else err["kl"]
    return {"N": float(grid.N), "h_max": float(np.max(grid.gammas)), "delta": delta,
            "value": float(measured.value), "upper": float(measured.uncertainty.upper),
            "tv": float(err["tv"].value), "kl": float(err["kl"].value), "w2": float(err["w2"].value)}


def gaussian_cells(theorem, profile: dict[str, Any]) -> pd.DataFrame:
    """Every swept cell of one theorem on the Gaussian targets (module docstring)."""
    base = profile["base"]
    rows = []
    tq_cache: dict[int, dict[str, float]] = {}
    for axis in ("h", "T", "d", "eps"):
        for v in profile[axis]:
            cell = dict(base)
            cell[axis] = v
            if axis == "eps":
                cell["h"] = profile["eps_h"]
            d = int(cell["d"])
            target = _gauss(d)
            tq = tq_cache.setdefault(d, _target_quantities(target))
            m = _measure(theorem, target, float(cell["h"]), float(cell["T"]), float(cell["eps"]))
            rows.append({"theorem": theorem.key, "sampler": theorem.sampler, "target": f"gaussian d={d}",
                         "axis": axis, "h": float(cell["h"]), "T": float(cell["T"]), "eps": float(cell["eps"]),
                         "M": float(cell["eps"]), "kappa": float(cell["h"]), **tq, **m})
    return pd.DataFrame(rows)


def _q(df: pd.DataFrame) -> dict[str, np.ndarray]:
    q = {k: df[k].to_numpy(dtype=np.float64) for k in ("T", "N", "d", "eps", "M", "L", "m2", "kl_prior",
                                                       "fisher", "delta", "kappa")}
    q["h"] = df["h_max"].to_numpy(dtype=np.float64)
    q["kappa"] = df["kappa"].to_numpy(dtype=np.float64)
    return q


def mixture_cells(theorems, profile: dict[str, Any]) -> pd.DataFrame:
    """The TV theorems on the seed mixture (1D grid law), step sweep at the base T, exact score."""
    from theorylab.divergences import compare
    from theorylab.laws import law_of_output
    from theorylab.scores import ExactScore

    target = seed_mixture()
    tq = _target_quantities(target)
    T = float(profile["base"]["T"])
    rows = []
    for th in theorems:
        if th.divergence != "tv" or th.grid != "constant":
            continue
        if th.sampler.startswith("pf-ode") and not profile["mixture_flow"]:
            continue  # the flow grid route (Newton-inverted characteristics) takes minutes: full profile only
        for h in profile["mixture_h"]:
            grid = _grid("constant", T, h)
            out = law_of_output(target, ExactScore(target), th.sampler, grid, method="grid")
            est = compare(out, "tv", target)  # divergences.compare: the estimator of the grid representation
            rows.append({"theorem": th.key, "sampler": th.sampler, "target": "seed mixture", "axis": "h", "h": h,
                         "T": T, "eps": 0.0, "M": 0.0, "kappa": h, **tq, "N": float(grid.N), "h_max": h,
                         "delta": 0.0, "value": float(est.value), "upper": float(est.uncertainty.upper),
                         "tv": float(est.value), "kl": math.nan, "w2": math.nan})
    return pd.DataFrame(rows)


def proof_cells(profile: dict[str, Any]) -> pd.DataFrame:
    """Seed 000's proof on the 1D Gaussian and the seed mixture (reverse-em, exact score), step sweep."""
    from theorylab.bounds.theorems.proof import proof_chain
    from theorylab.scores import ExactScore

    T = float(profile["base"]["T"])
    rows = []
    for name, target in (("gaussian d=1", _gauss(1)), ("seed mixture", seed_mixture())):
        hs = profile["proof_h"] if name.startswith("gaussian") else profile["proof_mixture_h"]
        for h in hs:
            pc = proof_chain(target, ExactScore(target), "reverse-em", _grid("constant", T, h),
                             n_paths=int(profile["mixture_paths"]))
            rows.append({"target": name, "h": h, "T": T, **pc.to_dict()})
    return pd.DataFrame(rows)


def _figure(cells: pd.DataFrame, axis: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, div in zip(axes, ("tv", "kl")):
        sub = cells[(cells["axis"] == axis) & (cells["divergence"] == div) & cells["target"].str.startswith("gauss")]
        for i, (key, g) in enumerate(sub.groupby("theorem", sort=True)):
            g = g.sort_values(axis)
            color = f"C{i}"
            ax.plot(g[axis], g["bound"], "-", color=color, label=f"{key} bound ({g['sampler'].iloc[0]})")
            ax.plot(g[axis], g["value"], "o--", color=color, ms=4, alpha=0.8, label=f"exact error, {key}'s sampler")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel({"h": "step h (Benton: kappa)", "T": "horizon T", "d": "dimension d",
                       "eps": "score error eps (L2 = sup)"}[axis])
        ax.set_ylabel("TV = 1/2 ||p - q||_1" if div == "tv" else "KL(data || output), nats")
        ax.set_title(f"{div.upper()} theorems vs {axis} (Gaussian target, fitted constants)")
        ax.legend(fontsize=6)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_atlas(out_dir: str | Path = "reports/atlas", *, full: bool = False,
              log: Callable[[str], None] = print) -> Path:
    """Run the atlas and write its report; returns the path of ``atlas.md``."""
    from theorylab.bounds.theorems import THEOREMS, fit_theorem
    from theorylab.bounds.theorems.pierret_galerne import CITATION
    from theorylab.bounds.theorems.tightness import rate_row

    start = time.perf_counter()
    profile = PROFILES["full" if full else "quick"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames, rates, constants, assumptions = [], [], [], []
    for th in THEOREMS.values():
        log(f"atlas: {th.key} on {th.sampler} ...")
        cells = gaussian_cells(th, profile)
        mix = mixture_cells([th], profile)
        allc = pd.concat([cells, mix], ignore_index=True) if len(mix) else cells
        c, bound, scanned = fit_theorem(th, _q(allc), allc["upper"].to_numpy())
        allc["bound"] = bound
        allc["divergence"] = th.divergence
        for name, vals in th.term_values({**_q(allc), **scanned}).items():
            allc[f"term {name}"] = vals
        allc["ratio"] = allc["bound"] / allc["value"]
        frames.append(allc)
        constants.append({"theorem": th.key, "constants": ", ".join(f"{k.name} = {v:.4g} ({k.kind})"
                                                                   for k, v in zip(th.constants, c)),
                          "scanned": ", ".join(f"{k} = {v:g}" for k, v in scanned.items())})
        for axis in ("h", "T", "d", "eps"):
            g = allc[(allc["axis"] == axis) & allc["target"].str.startswith("gauss")]
            rates.append(rate_row(th.key, axis, th.exponents.get(axis), g[axis], g["value"], g["bound"]).to_dict())
        g = allc[allc["target"] == "seed mixture"]
        if len(g):
            rates.append(rate_row(th.key, "h (mixture)", th.exponents.get("h"), g["h"], g["value"],
                                  g["bound"]).to_dict())
        for tname, target in (("gaussian d=1", _gauss(1)), ("seed mixture", seed_mixture())):
            for chk in th.check_assumptions(target):
                assumptions.append({"theorem": th.key, "target": tname, "assumption": chk.name, "holds": chk.holds,
                                    "value": chk.value, "detail": chk.detail})
    cells = pd.concat(frames, ignore_index=True)
    tight = pd.DataFrame(rates)
    log("atlas: seed 000's proof, link by link ...")
    t0 = time.perf_counter()
    proof = proof_cells(profile)
    log(f"atlas: proof cells in {time.perf_counter() - t0:.1f} s")
    cells.to_csv(out / "cells.csv", index=False)
    tight.to_csv(out / "tightness.csv", index=False)
    proof.to_csv(out / "proof.csv", index=False)
    pd.DataFrame(assumptions).to_csv(out / "assumptions.csv", index=False)
    for axis in ("h", "T", "d", "eps"):
        _figure(cells, axis, out / f"atlas_{axis}.png")
    elapsed = time.perf_counter() - start
    md = _markdown(THEOREMS, cells, tight, proof, pd.DataFrame(constants), pd.DataFrame(assumptions), profile,
                   full, elapsed, CITATION)
    path = out / "atlas.md"
    path.write_text(md, encoding="utf-8")
    return path


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if not math.isfinite(v) else f"{v:.3g}"
    return "n/a" if v is None else str(v)


def _table(df: pd.DataFrame, cols: list[str]) -> list[str]:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return lines


def _markdown(theorems, cells, tight, proof, constants, assumptions, profile, full, elapsed, citation) -> str:
    lines = ["# The bound atlas", "",
             f"Profile: {'full' if full else 'quick'}; {len(cells)} theorem cells and {len(proof)} proof cells in "
             f"{elapsed:.0f} s. Gaussian target N({GAUSS_MEAN}·1, {GAUSS_VAR}·I_d); seed mixture "
             "½N(−3, ¼) + ½N(3, 1) (1D grid law). TV = ½‖p − q‖₁; KL natural log, data law first. Exact errors: "
             f"{citation}.", "",
             "Score error: a constant bias ε·u, whose L²(p_t) error and sup-norm error are both exactly ε, so every "
             "theorem is evaluated with the error notion it assumes (L² for the modern theorems, sup-norm M for De "
             "Bortoli's) at the same number. Constants the papers do not give are **fitted** (one per `≲`, over all "
             "cells of the theorem at once); the verdicts rest on the rates, which a constant cannot change.", "",
             "## Theorems overlaid", "",
             "| theorem | where | divergence | compared with | sampler | error | statement | source |",
             "|---|---|---|---|---|---|---|---|"]
    for th in theorems.values():
        lines.append(f"| {th.key} | {th.where} | {th.divergence.upper()} | {th.compared_with} | `{th.sampler}` | "
                     f"{th.error_notion} | {th.statement} | {th.statement_source} |")
    lines += ["", "Citations: " + "; ".join(f"**{t.key}**: {t.citation}" for t in theorems.values()), "",
              "## Fitted constants", ""] + _table(constants, ["theorem", "constants", "scanned"])
    lines += ["", "## Tightness: predicted vs measured exponents", "",
              "Measured exponent: slope of log(exact error) on log(parameter) ± standard error (scipy.stats."
              "linregress); ratio = fitted bound / exact error at the shipped cells; verdict from the slope of "
              "log(ratio) (theorylab.bounds.theorems.tightness).", ""]
    tcols = ["theorem", "parameter", "predicted", "measured", "measured_se", "bound_slope", "ratio_min",
             "ratio_median", "ratio_max", "verdict"]
    lines += _table(tight, tcols)
    lines += ["", "## Seed 000's proof, link by link (reverse-em, exact score)", "",
              "(1) triangle + data processing: (approximation + mixing) / total; (2) Pinsker: √(KL_marg/2) / "
              "approximation; (3) path → marginal: √(KL_path/2) / √(KL_marg/2); overall: (mixing + √(KL_path/2)) / "
              "total. KL_path by Girsanov (exact for the Gaussian, Monte Carlo with a 95% CLT interval for the "
              "mixture).", ""]
    lines += _table(proof, ["target", "h", "T", "total", "approximation", "mixing", "kl_marginal", "kl_path",
                            "kl_path_lower", "kl_path_upper", "ratio (1) triangle+DP", "ratio (2) Pinsker",
                            "ratio (3) path->marginal", "ratio overall"])
    for name, g in proof.groupby("target"):
        from theorylab.bounds.theorems.tightness import rate_row

        r3 = rate_row("proof", "h", None, g["h"], g["pinsker_marginal"], g["pinsker_path"])
        rt = rate_row("proof", "h", None, g["h"], g["total"], g["pinsker_path"])
        lines += ["", f"- {name}: total TV ∝ h^{rt.measured:.2f} (± {rt.measured_se:.2g}); the proof's "
                  f"√(KL_path/2) ∝ h^{rt.bound_slope:.2f}; link (3) ratio ∝ h^{r3.ratio_slope:+.2f}: the path KL is "
                  "first order in h while the marginal KL is second order, so the γ^{1/2} of the theorem is the "
                  "price of bounding a marginal by a path measure."]
    lines += ["", "## Assumptions, computed on the targets", ""]
    lines += _table(assumptions, ["theorem", "target", "assumption", "holds", "value", "detail"])
    lines += ["", "## Figures", ""] + [f"![{a}](atlas_{a}.png)" for a in ("h", "T", "d", "eps")]
    lines += ["", "Tables: [cells.csv](cells.csv), [tightness.csv](tightness.csv), [proof.csv](proof.csv), "
              "[assumptions.csv](assumptions.csv).", ""]
    return "\n".join(lines)
