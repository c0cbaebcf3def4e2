"""``theorylab report DIR``: ``reports/<run>/report.md`` with figures and tables, from the results store alone.

Nothing is recomputed from samplers: the table comes from :func:`theorylab.experiments.results_table`; the bound
fits (:mod:`theorylab.bounds`) and the mixing term TV(p_T, N(0, I)) are cheap functions of the stored cells and of
the target named in the frozen config. Re-running the report after a resumed sweep updates it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from theorylab.errors import ConfigError
from theorylab.report import figures

__all__ = ["make_report"]

_OU_SAMPLERS = {"reverse-em", "ancestral"}
_LABEL = {"tv": "TV = ½‖p − q‖₁", "kl": "KL(output ‖ π)", "js": "JS (½-weighted, nats)",
          "hellinger": "Hellinger H", "w2": "W2 (distance)"}


def _primary_metric(df: pd.DataFrame) -> str:
    for m in ("tv", "w2", "js", "kl", "hellinger"):
        if m in df.columns:
            return m
    raise ConfigError("report: the run has no metric column")


def _target(raw: dict[str, Any]):
    from theorylab.distributions import make_target

    try:
        target = make_target(raw["target"])
    except (ConfigError, KeyError):
        return None
    return target if hasattr(target, "ou_marginal") else None


def _fmt(x: Any) -> str:
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return str(x)


def _table_md(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) if not isinstance(row[c], str) else row[c] for c in cols) + " |")
    return "\n".join(lines)


def _question(raw_config_path: Path) -> str:
    """The experiment's question: the leading comment lines of its TOML, when the run kept them."""
    source = raw_config_path.with_name("source.toml")
    if not source.exists():
        return ""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines)


def make_report(run_dir: str | Path, reports_root: str | Path = "reports", *, allow_stale: bool = False) -> Path:
    """Write ``<reports_root>/<run name>/report.md`` (+ PNG figures, ``results.md``, ``results.csv``); return its
    path.

    The report states the provenance of its numbers (the source hashes of the code that computed the rows). A store
    holding rows computed by other code than the current tree is refused
    (:class:`~theorylab.experiments.store.StaleRowsError`, naming the ``theorylab sweep`` command that refreshes it)
    unless ``allow_stale`` (``--allow-stale``), in which case the report says, at its top, how many rows are stale
    and why, and its tables carry the ``stale`` column.
    """
    from theorylab.bounds import chen_table, fit_debortoli, mixing_term, rates
    from theorylab.experiments import export_results, results_table
    from theorylab.experiments.store import RunFolder

    run_dir = Path(run_dir)
    for name in ("results.sqlite", "config.json"):
        if not (run_dir / name).is_file():
            raise ConfigError(f"{run_dir}: not a run folder (no {name})")
    df = results_table(run_dir, allow_stale=allow_stale)
    raw = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    out = Path(reports_root) / run_dir.name
    out.mkdir(parents=True, exist_ok=True)
    metric = _primary_metric(df)
    label = _LABEL.get(metric, metric)
    ok = df[df["status"] == "ok"]
    counts = df["status"].value_counts().to_dict()

    (out / "results.csv").write_text(export_results(run_dir, "csv", allow_stale=allow_stale), encoding="utf-8")
    (out / "results.md").write_text(export_results(run_dir, "markdown", allow_stale=allow_stale), encoding="utf-8")

    sections: list[str] = []
    figs: list[tuple[str, str]] = []
    varying = figures.varying_keys(df)
    for x in figures.NUMERIC_AXES:
        if x in varying:
            name = figures.error_against(df, metric, x, out, label)
            if name:
                figs.append((f"{metric.upper()} against {x}", name))

    swept = set(varying)
    ou_only = "sampler.kind" not in df or set(ok["sampler.kind"].astype(str)) <= _OU_SAMPLERS
    rate_table = None
    if {"sampler.gamma", "sampler.T"} <= set(df.columns) and ok["sampler.gamma"].notna().all() and len(ok) >= 3:
        try:
            rate_table = rates(df, columns=_columns(metric))
        except (ConfigError, ValueError):
            rate_table = None
    slope = stderr = None
    if rate_table is not None:
        row = rate_table[rate_table["quantity"] == "gamma exponent"]
        if len(row) and np.isfinite(row["fitted"].iloc[0]):
            slope, stderr = float(row["fitted"].iloc[0]), float(row["stderr"].iloc[0])
    if "sampler.gamma" in swept:
        name = figures.loglog_gamma(df, metric, out, label, slope, stderr)
        if name:
            figs.append((f"log-log {metric.upper()} against γ", name))
    name = figures.heatmap_T_gamma(df, metric, out, label)
    if name:
        figs.append((f"{metric.upper()} over (T, γ)", name))

    fit = None
    bound_cols: dict[str, str] = {}
    overlay = df.copy()
    if metric == "tv" and ou_only and {"sampler.T", "sampler.gamma"} <= swept:
        try:
            fit = fit_debortoli(df, columns=_columns(metric))
            overlay["De Bortoli (fitted)"] = fit.cells["bound"]
            bound_cols["De Bortoli, fitted B, C, D"] = "De Bortoli (fitted)"
        except (ConfigError, ValueError):
            fit = None
    target = _target(raw)
    chen = None
    if metric == "tv" and target is not None and {"sampler.T", "sampler.gamma"} <= set(df.columns):
        try:
            chen = chen_table(df, target, columns=_columns(metric))
        except (ConfigError, ValueError, NotImplementedError):
            chen = None
        if chen is not None and len(chen) and (chen["value"] > 0).any():
            overlay.loc[chen.index, "Chen et al. 2022"] = chen["chen"]
            bound_cols["Chen et al. 2022 (constant 1)"] = "Chen et al. 2022"
        else:
            chen = None
    name = figures.bound_overlay(overlay, metric, out, label, bound_cols)
    if name:
        figs.append(("measured error and bounds against T", name))

    # -- the document ---------------------------------------------------------------------------------------------
    question = _question(run_dir / "config.json")
    sections += [f"# {run_dir.name}", ""]
    if question:
        sections += [f"*Question:* {question}", ""]
    stale = df[df["stale"] != ""]
    if len(stale):
        why = "; ".join(f"{n}: {text}" for text, n in stale["stale"].value_counts().items())
        sections += [f"**Stale rows: {len(stale)} of {len(df)} rows were computed by other code than the current "
                     f"tree ({why}); read with --allow-stale. Refresh them with "
                     f"`{RunFolder(run_dir).refresh_command()}`.**", ""]
    sources = sorted(set(df["source"]) - {""})
    sections += [
        f"Run folder `{run_dir}`; {len(df)} cells: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ".",
        f"Metric: {label}. Swept: {', '.join(f'`{k}`' for k in varying) or 'nothing'}.",
        "Figures and tables are made from the results store only (`theorylab report` re-makes them).",
        f"Provenance: theorylab {_version()}; rows computed by code with source hash "
        f"{', '.join(f'`{h}`' for h in sources) or '(none stamped)'} (the `source` column of results.csv: the first "
        "12 hex digits of the sha256 over the theorylab files the worker had imported).", "",
    ]
    for title, name in figs:
        sections += [f"## {title}", "", f"![{title}]({name})", ""]
    if rate_table is not None:
        sections += ["## Empirical rates (least squares, standard error from the residuals)", "",
                     _table_md(rate_table[["quantity", "fitted", "stderr", "bound_exponent", "n_cells", "note"]]), ""]
    if fit is not None:
        sections += ["## De Bortoli et al.: TV ≤ B e^{−T} + C(M + γ^{1/2}) e^{DT}", "", fit.summary, ""]
    if chen is not None:
        note = chen.attrs.get("note", "")
        worst = float(np.nanmin(chen["chen"] / chen["value"].where(chen["value"] > 0)))
        sections += ["## Chen et al. 2022 (Theorem 2), absolute constant taken as 1", "",
                     f"Smallest ratio bound / measured over the cells: {worst:.3g}. {note}", ""]
    if target is not None and "sampler.T" in df.columns:
        rows = []
        for T in sorted(ok["sampler.T"].dropna().unique()):
            try:
                e = mixing_term(target, float(T))
            except (NotImplementedError, ConfigError):
                break
            rows.append({"T": T, "mixing TV(p_T, N(0,I))": e.value, "method": e.method,
                         "uncertainty": e.uncertainty.half_width})
        if rows:
            sections += ["## Mixing term of the decomposition", "",
                         "TV(p_T, N(0, I)), the part of the error the horizon alone controls (seed 000, "
                         "'Esquema de la Demostración'):", "", _table_md(pd.DataFrame(rows)), ""]
    sections += ["## Results", "", "Full table: [results.csv](results.csv). Compact:", "",
                 (out / "results.md").read_text(encoding="utf-8"), ""]
    path = out / "report.md"
    path.write_text("\n".join(sections), encoding="utf-8")
    return path


def _version() -> str:
    import theorylab

    return theorylab.__version__


def _columns(metric: str) -> dict[str, str]:
    return {"value": metric, "lower": f"{metric}_lower", "upper": f"{metric}_upper"}
