r"""``theorylab audit CONFIG.toml``: every scheme of the config at every number of steps, the fitted order of
:math:`W_2` against the steps, and the comparison with theorylab's scheme.

Config keys (one ConfigError line naming the key on bad input)::

    [target]  mean = [...], cov = [[...], ...]          Gaussian target (d = len(mean))
    [audit]   steps = [5, 10, 20, 40]                   numbers of steps (each >= 2, increasing)
              seed = 0                                  seed of the probe's affinity check
              fit_min_steps = 10                        order fitted on the steps >= this
    [[scheme]] library = "diffusers", scheduler = "DDIMScheduler", eta = 0.0, options = {...}, label = "..."
    [[scheme]] library = "k-diffusion", sampler = "sample_euler", sigma_min = 0.002, sigma_max = 80.0, rho = 7.0,
               eta = 1.0, label = "..."

The order is the slope of :math:`\log W_2` against :math:`-\log N` (``scipy.stats.linregress`` through
:func:`theorylab.bounds.rates.fit_slope`, with its standard error), on the steps ``>= fit_min_steps``: the first
few steps of a 1000-level DDPM table are far from the asymptotic regime.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from theorylab.audit.compare import AuditRow, audit_scheme
from theorylab.audit.model import GaussianModel
from theorylab.audit.scheme import LibraryScheme
from theorylab.errors import ConfigError

__all__ = ["SchemeSpec", "fit_order", "parse_config", "run_audit"]

LIBRARIES = ("diffusers", "k-diffusion")
_DIFFUSERS_KEYS = {"library", "scheduler", "eta", "options", "label"}
_KDIFFUSION_KEYS = {"library", "sampler", "sigma_min", "sigma_max", "rho", "eta", "label"}


class SchemeSpec:
    """One ``[[scheme]]`` entry, validated: ``build(steps, model) -> LibraryScheme``."""

    def __init__(self, index: int, table: Mapping[str, Any]):
        key = f"scheme[{index}]"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{key}: must be a table")
        lib = table.get("library")
        if lib not in LIBRARIES:
            raise ConfigError(f"{key}.library: must be one of {LIBRARIES}, got {lib!r}")
        allowed = _DIFFUSERS_KEYS if lib == "diffusers" else _KDIFFUSION_KEYS
        extra = sorted(set(table) - allowed)
        if extra:
            raise ConfigError(f"{key}.{extra[0]}: unknown key for library {lib!r}; allowed {sorted(allowed)}")
        self.library = lib
        self.key = key
        self.table = dict(table)
        name_key = "scheduler" if lib == "diffusers" else "sampler"
        if not isinstance(table.get(name_key), str):
            raise ConfigError(f"{key}.{name_key}: missing (a {lib} {name_key} name)")
        self.name = table[name_key]
        for k in ("eta", "sigma_min", "sigma_max", "rho"):
            if k in table and (isinstance(table[k], bool) or not isinstance(table[k], (int, float))
                               or not math.isfinite(table[k])):
                raise ConfigError(f"{key}.{k}: must be a finite number, got {table[k]!r}")
        if "options" in table and not isinstance(table["options"], Mapping):
            raise ConfigError(f"{key}.options: must be a table of scheduler config keys")
        self.label = str(table.get("label", ""))

    def build(self, steps: int, model: GaussianModel) -> LibraryScheme:
        t = self.table
        try:
            if self.library == "diffusers":
                from theorylab.audit.diffusers_adapter import diffusers_scheme

                scheme = diffusers_scheme(self.name, steps, model, options=dict(t.get("options", {})),
                                          eta=float(t.get("eta", 0.0)))
            else:
                from theorylab.audit.kdiffusion_adapter import kdiffusion_scheme

                kw = {k: float(t[k]) for k in ("sigma_min", "sigma_max", "rho", "eta") if k in t}
                scheme = kdiffusion_scheme(self.name, steps, model, **kw)
        except ConfigError as exc:
            raise ConfigError(f"{self.key}: {exc}") from None
        if self.label:
            scheme.name = self.label
        return scheme


def _number_list(value: Any, key: str) -> list[float]:
    if not isinstance(value, list) or not value or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                                       or not math.isfinite(v) for v in value):
        raise ConfigError(f"{key}: must be a non-empty list of finite numbers, got {value!r}")
    return [float(v) for v in value]


def parse_config(raw: Mapping[str, Any]) -> tuple[GaussianModel, list[int], int, int, list[SchemeSpec]]:
    """``(model, steps, seed, fit_min_steps, schemes)`` from a parsed TOML (module docstring)."""
    extra = sorted(set(raw) - {"target", "audit", "scheme"})
    if extra:
        raise ConfigError(f"{extra[0]}: unknown table; an audit config has [target], [audit], [[scheme]]")
    target = raw.get("target")
    if not isinstance(target, Mapping):
        raise ConfigError("target: missing table (mean = [...], cov = [[...]])")
    mean = _number_list(target.get("mean"), "target.mean")
    cov_raw = target.get("cov")
    if not isinstance(cov_raw, list) or len(cov_raw) != len(mean):
        raise ConfigError(f"target.cov: must be a {len(mean)}x{len(mean)} list of lists")
    cov = np.array([_number_list(row, "target.cov") for row in cov_raw])
    if cov.shape != (len(mean), len(mean)) or not np.allclose(cov, cov.T) or np.min(np.linalg.eigvalsh(cov)) <= 0:
        raise ConfigError(f"target.cov: must be a symmetric positive definite {len(mean)}x{len(mean)} matrix")
    audit = raw.get("audit", {})
    if not isinstance(audit, Mapping):
        raise ConfigError("audit: must be a table")
    unknown = sorted(set(audit) - {"steps", "seed", "fit_min_steps"})
    if unknown:
        raise ConfigError(f"audit.{unknown[0]}: unknown key; allowed ['fit_min_steps', 'seed', 'steps']")
    steps = audit.get("steps", [5, 10, 20, 40])
    if (not isinstance(steps, list) or not steps or any(isinstance(n, bool) or not isinstance(n, int) or n < 2
                                                        for n in steps) or sorted(set(steps)) != steps):
        raise ConfigError(f"audit.steps: must be an increasing list of integers >= 2, got {steps!r}")
    seed = audit.get("seed", 0)
    fit_min = audit.get("fit_min_steps", 0)
    for k, v in (("seed", seed), ("fit_min_steps", fit_min)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ConfigError(f"audit.{k}: must be an integer >= 0, got {v!r}")
    schemes = raw.get("scheme")
    if not isinstance(schemes, list) or not schemes:
        raise ConfigError("scheme: at least one [[scheme]] table is needed")
    return GaussianModel(mean, cov), list(steps), int(seed), int(fit_min), [SchemeSpec(i, t)
                                                                              for i, t in enumerate(schemes)]


def fit_order(steps, w2) -> tuple[float, float]:
    """Slope of :math:`\\log W_2` against :math:`-\\log N` and its standard error (NaN with < 3 points)."""
    from theorylab.bounds.rates import fit_slope

    slope, stderr, _, _ = fit_slope(-np.log(np.asarray(steps, dtype=float)), np.log(np.asarray(w2, dtype=float)))
    return slope, stderr


def run_audit(raw: Mapping[str, Any], progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every scheme at every number of steps; returns ``{"rows": [AuditRow], "summary": [...], "notes":
    {scheme: [...]}, "target": ..., "steps": ...}``."""
    model, steps, seed, fit_min, specs = parse_config(raw)
    rows: list[AuditRow] = []
    summary, notes = [], {}
    for spec in specs:
        per: list[AuditRow] = []
        scheme_notes: list[str] = []
        for n in steps:
            scheme = spec.build(n, model)
            row = audit_scheme(scheme, model, n, seed=seed)
            per.append(row)
            scheme_notes = list(scheme.notes)  # the notes at the largest N (they name that N's table)
            if progress is not None:
                progress(f"{row.library} {row.scheme} N={n}: W2={row.w2:.4g}, diff to theorylab={row.w2_diff:.3g}")
        rows.extend(per)
        fit_rows = [r for r in per if r.steps >= fit_min]
        order, stderr = fit_order([r.steps for r in fit_rows], [r.w2 for r in fit_rows])
        order_tl, stderr_tl = fit_order([r.steps for r in fit_rows], [r.w2_theorylab for r in fit_rows])
        diffs = [r.w2_diff for r in per if not math.isnan(r.w2_diff)]
        agrees = [r.agrees for r in per if r.agrees is not None]
        summary.append({
            "library": per[0].library, "scheme": per[0].scheme, "counterpart": per[0].counterpart,
            "order": order, "order_stderr": stderr, "order_theorylab": order_tl, "order_theorylab_stderr": stderr_tl,
            "w2_last": per[-1].w2, "kl_last": per[-1].kl, "max_w2_diff": max(diffs) if diffs else math.nan,
            "tolerance": per[0].tolerance, "agrees": (all(agrees) if agrees else None),
        })
        notes[per[0].scheme] = scheme_notes
    return {"rows": rows, "summary": summary, "notes": notes, "steps": steps, "fit_min_steps": fit_min,
            "target": {"mean": model.mean.tolist(), "cov": model.cov.tolist()}}
