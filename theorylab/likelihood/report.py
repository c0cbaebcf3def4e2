"""The likelihood study behind ``theorylab likelihood experiments/likelihood_bound.toml``: Song et al.'s bound
(Theorem 1) against the exact KLs on Gaussian targets, and the likelihood's gap table -> ``reports/likelihood/``.

``[experiment]`` keys (validated; a bad one is a ConfigError naming it):

* ``T`` -- horizons of the OU rows (list, > 0); VP and VE rows use their schedule on ``[0, 1]``;
* ``lam`` -- variances of the 1D target :math:`N(0, \\lambda)` (list, > 0);
* ``M`` -- bias sizes of the score (list, >= 0);
* ``priors`` -- ``"process"`` (:math:`\\pi` = the process's prior) and/or ``"p_T"`` (no prior mismatch);
* ``gap_config`` -- a likelihood config whose gap table is reported for the exact score and ``gap_M``'s bias.

Writes ``bound.csv``, ``gap.csv``, ``bound.png`` and ``report.md``; the figures and tables come from the CSVs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from theorylab.config import _Strict, apply_overrides, load_toml, validate

__all__ = ["BoundStudyConfig", "run_bound_study"]


class BoundStudyConfig(_Strict):
    kind: Literal["likelihood-bound"] = "likelihood-bound"
    T: list[float] = Field(default_factory=lambda: [0.25, 0.5, 1.0, 2.0, 4.0], min_length=1)
    lam: list[float] = Field(default_factory=lambda: [0.25, 1.0, 4.0], min_length=1)
    M: list[float] = Field(default_factory=lambda: [0.0, 0.1, 0.5, 1.0], min_length=1)
    priors: list[Literal["process", "p_T"]] = Field(default_factory=lambda: ["process", "p_T"], min_length=1)
    ve_sigma_max: float = Field(5.0, gt=0.01)
    gap_config: str = "experiments/likelihood_gaussian.toml"
    gap_M: float = Field(0.5, ge=0)


class _StudyFile(_Strict):
    experiment: BoundStudyConfig


def _check_lists(cfg: BoundStudyConfig) -> None:
    from theorylab.errors import ConfigError

    for key, values, low in (("T", cfg.T, 0.0), ("lam", cfg.lam, 0.0)):
        if any(not (math.isfinite(v) and v > low) for v in values):
            raise ConfigError(f"experiment.{key}: every value must be > 0 and finite, got {values}")
    if any(not (math.isfinite(v) and v >= 0) for v in cfg.M):
        raise ConfigError(f"experiment.M: every value must be >= 0 and finite, got {cfg.M}")


def bound_rows(cfg: BoundStudyConfig) -> list[dict[str, Any]]:
    """One row per (process, T, lam, M, prior)."""
    from theorylab.likelihood.bound import bound_row
    from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving

    processes = [("ou", T, OrnsteinUhlenbeck(T)) for T in cfg.T]
    processes += [("vp", 1.0, VariancePreserving(0.1, 20.0, 1.0)),
                  ("ve", 1.0, VarianceExploding(0.01, cfg.ve_sigma_max, 1.0))]
    rows = []
    for name, T, process in processes:
        for lam in cfg.lam:
            for M in cfg.M:
                for prior in cfg.priors:
                    rows.append({"process": name, "T": T, "lam": lam, "M": M, "prior": prior,
                                 **bound_row(process, lam, M, prior)})
    return rows


def gap_rows(cfg: BoundStudyConfig) -> list[dict[str, Any]]:
    """The likelihood's gap table on ``gap_config``: exact and biased score, exact trace and Hutchinson."""
    from theorylab.likelihood import LikelihoodConfig, likelihood

    raw = load_toml(cfg.gap_config)
    rows = []
    for score in ("exact", f"bias M={cfg.gap_M:g}"):
        for method in ("exact", "hutchinson"):
            sets = [f"likelihood.method={method}"]
            if method == "hutchinson":
                sets.append('likelihood.probe="gaussian"')
            if score != "exact":
                sets += ['score.kind="perturbed"', 'score.error="bias"', f"score.M={cfg.gap_M}"]
            res = likelihood(validate(apply_overrides(raw, sets), LikelihoodConfig))
            row = {"score": score, "method": method, "nll_nats": res.summary.value, "ci_lower": res.summary.lower,
                   "ci_upper": res.summary.upper, "exact_nll_nats": res.exact_nll,
                   "in_ci": bool(res.summary.lower <= res.exact_nll <= res.summary.upper), **res.gap}
            rows.append(row)
    return rows


def _figure(bound: "Any", path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ou = bound[(bound.process == "ou") & (bound.prior == "p_T") & (bound.M > 0)]
    for lam, group in ou[ou.M == ou.M.max()].groupby("lam"):
        axes[0].plot(group["T"], group["tightness"], "o-", label=f"lambda = {lam:g}")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("horizon T (OU)")
    axes[0].set_ylabel("KL(p_data || p_SDE) / bound")
    axes[0].set_title(f"Theorem 1 tightness, M = {ou.M.max():g}, prior p_T")
    axes[0].axhline(1.0, color="k", lw=0.5)
    axes[0].legend()
    sel = bound[(bound.process == "ou") & (bound.prior == "p_T") & (bound.lam == 1.0) & (bound.M == ou.M.max())]
    axes[1].plot(sel["T"], sel["bound"], "k-", label="bound J_SM + KL(p_T||pi)")
    axes[1].plot(sel["T"], sel["kl_sde"], "o-", label="KL(p_data || p_SDE)")
    axes[1].plot(sel["T"], sel["kl_ode"], "s--", label="KL(p_data || q_ODE)")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("horizon T (OU), lambda = 1")
    axes[1].set_ylabel("nats")
    axes[1].set_title("the bound holds for the SDE model, not the ODE model")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _markdown(bound: "Any", gap: "Any") -> str:
    pos = bound[bound.bound > 1e-8]  # rows with M = 0 and pi ~ p_T have a bound at round-off level
    tight = pos.loc[pos.tightness.idxmax()]
    loose = pos.loc[pos.tightness.idxmin()]
    ode_violations = bound[bound.kl_ode > bound.bound * (1 + 1e-9) + 1e-12]
    sde_violations = bound[bound.kl_sde > bound.bound * (1 + 1e-9) + 1e-12]
    lines = [
        "# Likelihood: Song et al. (2021) Theorem 1 and the PF-ODE likelihood, checked exactly",
        "",
        "Made by `theorylab likelihood experiments/likelihood_bound.toml` (`theorylab.likelihood.report`); tables: "
        "`bound.csv`, `gap.csv`; figure: `bound.png`.",
        "",
        "## Theorem 1: KL(p_data || p_SDE) <= J_SM(theta; g^2) + KL(p_T || pi)",
        "",
        "1D targets N(0, lambda), score = exact + M (constant bias); every number is exact (closed forms, 1D "
        "quadrature and a linear moment ODE at rtol 1e-12; `theorylab.likelihood.bound`).",
        "",
        f"* rows: {len(bound)}; the bound holds for the SDE model in every row: "
        f"{'yes' if sde_violations.empty else f'NO ({len(sde_violations)} rows)'}.",
        "* ratio KL / bound over the rows with bound > 1e-8 nats:",
        f"* tightest: {tight.process} T = {tight['T']:g}, lambda = {tight.lam:g}, M = {tight.M:g}, prior "
        f"{tight.prior}: KL = {tight.kl_sde:.4g} vs bound {tight.bound:.4g} (ratio {tight.tightness:.3f}).",
        f"* loosest: {loose.process} T = {loose['T']:g}, lambda = {loose.lam:g}, M = {loose.M:g}, prior "
        f"{loose.prior}: KL = {loose.kl_sde:.4g} vs bound {loose.bound:.4g} (ratio {loose.tightness:.3g}).",
        "* Where it is loose: the bound is the KL between path measures; the time-0 projection forgets what the "
        "contraction of the reverse drift undoes. For OU with lambda = 1 the ratio is 2(1 - e^{-T})^2 / T exactly: "
        "-> 0 as T -> 0 (the bias has no time to move the mean, yet J_SM counts it) and ~2/T for large T (the "
        "early bias is contracted away, J_SM keeps growing linearly). It is tightest near T ~ 1.26 (0.81). Prior "
        "mismatch alone (M = 0) is bounded by KL(p_T || pi), which the reverse SDE contracts further.",
        f"* The PF-ODE model (the likelihood `theorylab likelihood` reports) is **not** covered: KL(p_data || q_ODE) "
        f"exceeds the SDE bound in {len(ode_violations)} of {len(bound)} rows (e.g. OU, T = 4, lambda = 1, M = 0.5: "
        "2.0 nats vs 1.0). Theorem 1 is about the SDE model; the ODE model equals it only when the score is "
        "the exact score of the marginals it transports (Song et al. 2021, sec. 4).",
        "",
        "| process | T | lambda | M | prior | J_SM | KL(p_T‖π) | bound | KL SDE | KL ODE | KL SDE / bound |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    show = bound[(bound.lam == 1.0) & (bound.M.isin([0.0, 0.5]))]
    for _, r in show.iterrows():
        lines.append(f"| {r.process} | {r['T']:g} | {r.lam:g} | {r.M:g} | {r.prior} | {r.j_sm:.4g} | "
                     f"{r.prior_kl:.3g} | {r.bound:.4g} | {r.kl_sde:.4g} | {r.kl_ode:.4g} | "
                     f"{'—' if not r.bound > 0 else f'{r.tightness:.3f}'} |")
    lines += [
        "",
        "![bound](bound.png)",
        "",
        "## The likelihood's gap table (nats per sample)",
        "",
        "Reported NLL against the closed form of the continuous PF-ODE model (`exact_nll_nats`), split cause by "
        "cause (`theorylab.likelihood.run`): the closed-form chain entropy -> score error -> prior mismatch -> "
        "eps-truncation, then the measured data sampling, ODE discretisation and Hutchinson noise (Gaussian "
        "probes; Rademacher probes are exact on this diagonal target). Config: "
        f"`{gap.attrs.get('config', '')}`.",
        "",
        "| score | method | NLL | 95% CI | exact | in CI | score err | prior | eps | data | ODE | Hutchinson |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in gap.iterrows():
        lines.append(f"| {r.score} | {r.method} | {r.nll_nats:.4f} | [{r.ci_lower:.4f}, {r.ci_upper:.4f}] | "
                     f"{r.exact_nll_nats:.4f} | {r.in_ci} | {r.score_error:.3g} | {r.prior_mismatch:.3g} | "
                     f"{r.eps_truncation:.3g} | {r.data_sampling:.3g} | {r.ode_discretisation:.3g} | "
                     f"{r.hutchinson_noise:.3g} |")
    return "\n".join(lines) + "\n"


def run_bound_study(raw: dict[str, Any], *, out: Path) -> dict[str, Any]:
    """Compute the study of ``raw`` (a TOML with an ``[experiment]`` table), write ``out/``; return a summary."""
    import pandas as pd

    cfg = validate(raw, _StudyFile).experiment
    _check_lists(cfg)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(bound_rows(cfg)).to_csv(out / "bound.csv", index=False)
    pd.DataFrame(gap_rows(cfg)).to_csv(out / "gap.csv", index=False)
    bound = pd.read_csv(out / "bound.csv")  # figures and tables from the stored tables only
    gap = pd.read_csv(out / "gap.csv")
    gap.attrs["config"] = cfg.gap_config
    _figure(bound, out / "bound.png")
    text = _markdown(bound, gap)
    (out / "report.md").write_text(text, encoding="utf-8")
    holds = bool((bound.kl_sde <= bound.bound * (1 + 1e-9) + 1e-12).all())
    return {"rows": int(len(bound)), "bound_holds_for_sde": holds,
            "ode_rows_above_bound": int((bound.kl_ode > bound.bound * (1 + 1e-9) + 1e-12).sum()),
            "gap_all_in_ci": bool(gap.in_ci.all()),
            "files": [str(out / f) for f in ("report.md", "bound.csv", "gap.csv", "bound.png")],
            "text": f"wrote {out / 'report.md'} ({len(bound)} bound rows; bound holds for the SDE model: {holds})"}
