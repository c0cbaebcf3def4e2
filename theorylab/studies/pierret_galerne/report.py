"""``reports/pierret_galerne/``: the ablation table (Markdown + CSV), the comparison with the published numbers when
the CIFAR-10 spectrum is present, and the measured cost of every cell.

Numbers are formatted as the authors print them (:func:`paper_format`: 0, ``{:.1E}`` below :math:`10^{-2}`,
``{:.2f}`` otherwise) so that the two columns read alike; the CSV keeps every value at full float64 precision
(``repr``). A published number is *reproduced* when the exact value lies in the interval its printed digits stand
for (:func:`~theorylab.studies.pierret_galerne.published.printed_interval`).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from theorylab.studies.pierret_galerne.published import INITS, printed_interval, published
from theorylab.studies.pierret_galerne.study import CIFAR10_DIM, Cell, StudyResult

__all__ = ["compare_cell", "paper_format", "write_report"]

#: The per-cell cost the O(d) route is meant to stay under at d = 3072 (issue 11's brief).
CELL_BUDGET_S = 2.0

UNBLOCK = f"""To compare with the published table, place the CIFAR-10 Gaussian's spectrum at the configured
`target.eigenvalues_file` (default `../shared/data/cifar10_gaussian.npz`, relative to the directory the study is run
from): a `.npz` with `eigenvalues`, shape ({CIFAR10_DIM},), float64 or float32 — the eigenvalues of the empirical
covariance (`torch.cov`, unbiased) of the 50000 CIFAR-10 *training* images normalised to [-1, 1]
(`ToTensor()` then `Normalize((0.5,)*3, (0.5,)*3)`), flattened channel-major to {CIFAR10_DIM} pixels, negative
round-off set to 0 — exactly the authors' `cifar10.npy` (their `vps_Gaussian_cifar10.ipynb`). A `.npy` holding
that array alone is accepted too. The mean is not needed (the paper's target is centred); an optional `mean_sq`
array (squared projections of the mean on the eigenvectors) would add the mean's error."""


def paper_format(x: float | None) -> str:
    """The authors' number format (``formatting_number`` of their notebook); None or inf -> "-"."""
    if x is None or math.isinf(x):
        return "-"
    if x == 0.0:
        return "0"
    if x < 1e-2:
        return f"{x:1.1E}"
    return f"{x:1.2f}"


def compare_cell(cell: Cell) -> tuple[str | None, bool | None]:
    """``(printed, reproduced)``: the published text of the cell (None if the paper prints none) and whether the
    exact value lies in its printing interval (an undefined value matches "-")."""
    text = published(cell.scheme, cell.column, cell.eps, cell.init)
    if text is None:
        return None, None
    lo, hi = printed_interval(text)
    if cell.w2 is None:
        return text, math.isinf(lo)
    return text, bool(lo <= cell.w2 <= hi)


def _cells(result: StudyResult) -> dict[tuple[str, Any, float, str], Cell]:
    return {(c.scheme, c.column, c.eps, c.init): c for c in result.cells}


def _eps_text(eps: float) -> str:
    return "0" if eps == 0 else f"1e{int(round(math.log10(eps)))}" if math.log10(eps).is_integer() else f"{eps:g}"


def _table(result: StudyResult) -> list[str]:
    cfg = result.config.table
    cells = _cells(result)
    columns: list[Any] = (["continuous"] if cfg.continuous else []) + list(cfg.nfe)
    head = ["scheme", "eps"] + [f"{'cont.' if c == 'continuous' else f'NFE {c}'} {i}" for c in columns for i in INITS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label in cfg.schemes:
        for eps in cfg.eps:
            row = [label, _eps_text(eps)]
            for col in columns:
                for init in INITS:
                    cell = cells[(label, col, eps, init)]
                    text = paper_format(cell.w2)
                    if result.compare:
                        printed, ok = compare_cell(cell)
                        if printed is not None:
                            text = text if ok else f"**{text}** (paper {printed})"
                    row.append(text)
            lines.append("| " + " | ".join(row) + " |")
    return lines


def _comparison(result: StudyResult) -> list[str]:
    checked = [(c, *compare_cell(c)) for c in result.cells]
    checked = [(c, printed, ok) for c, printed, ok in checked if printed is not None]
    if not checked:
        return ["No cell of the configured table has a published counterpart."]
    hits = sum(1 for _, _, ok in checked if ok)
    lines = [f"**{hits} of {len(checked)}** published cells are reproduced: the exact value lies in the interval "
             "of half a unit of the last printed digit (cells in bold above are not)."]
    misses = [(c, p) for c, p, ok in checked if not ok]
    if misses:
        lines += ["", "| scheme | column | eps | start | exact W2 | printed |", "|---|---|---|---|---|---|"]
        lines += [f"| {c.scheme} | {c.column} | {_eps_text(c.eps)} | {c.init} | {c.w2!r} | {p} |" for c, p in misses]
    return lines


def _timing(result: StudyResult) -> list[str]:
    cfg = result.config.table
    discrete = [c for c in result.cells if c.column != "continuous"]
    worst = max(discrete, key=lambda c: c.seconds)
    lines = [f"Measured on this run (`time.perf_counter`, d = {result.spectrum.dim}; one cell = one exact law by "
             f"the O(d) route + its W2): slowest cell {worst.seconds:.2f} s ({worst.scheme}, NFE {worst.column}, "
             f"{worst.points} points, eps {_eps_text(worst.eps)}, {worst.init}); "
             f"{sum(1 for c in discrete if c.seconds < CELL_BUDGET_S)} of {len(discrete)} cells under "
             f"{CELL_BUDGET_S:g} s; whole table {result.total_seconds:.1f} s. Times depend on the machine's load (the "
             "development machine's 2 cores are shared): re-run to measure on yours.", "",
             "Per (scheme, NFE): the slowest of its cells / the sum over its "
             f"{len(cfg.eps) * len(INITS)} cells (eps x start), in seconds.", ""]
    head = ["scheme"] + [f"NFE {n}" for n in cfg.nfe]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label in cfg.schemes:
        row = [label]
        for nfe in cfg.nfe:
            group = [c for c in discrete if c.scheme == label and c.column == nfe]
            row.append(f"{max(c.seconds for c in group):.2f} / {sum(c.seconds for c in group):.2f}")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _grid_lines(result: StudyResult) -> list[str]:
    from theorylab.studies.pierret_galerne.conventions import scheme

    lines = ["| row | theorylab sampler | grid points (NFE = n) | score evaluations | paper |", "|---|---|---|---|---|"]
    for label in result.config.table.schemes:
        spec = scheme(label)
        opts = f" {json.dumps(spec.options)}" if spec.options else ""
        pts = "n" if spec.divisor == 1 else f"n/{spec.divisor}"
        evals = f"({pts} - 1) x {spec.evaluations_per_step}"
        lines.append(f"| {label} | `{spec.sampler}`{opts} | {pts} | {evals} | {spec.note} |")
    return lines


def write_report(result: StudyResult, out: str | Path, config_path: str = "") -> dict[str, str]:
    """Write ``report.md`` and ``table.csv`` into ``out``; return their paths."""
    from theorylab.provenance import make_stamp

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = result.config
    csv_path = out / "table.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["scheme", "sampler", "column", "eps", "start", "grid_points", "score_evaluations", "w2",
                         "paper_format", "published", "reproduced", "seconds", "note"])
        for c in result.cells:
            printed, ok = compare_cell(c) if result.compare else (None, None)
            writer.writerow([c.scheme, c.sampler, c.column, repr(c.eps), c.init, c.points, c.evaluations,
                             "" if c.w2 is None else repr(c.w2), paper_format(c.w2), printed or "",
                             "" if ok is None else ok, f"{c.seconds:.4f}", c.note])
    p = cfg.process
    if result.compare:
        status = (f"**Compared with the published table**: the spectrum was read from {result.spectrum.description}. "
                  "Published numbers are in the table where ours differ (bold) and listed below.")
    else:
        status = ("**The published table could not be compared**: no CIFAR-10 spectrum was found at "
                  f"`{cfg.target.eigenvalues_file}`, so the table below is computed on a *synthetic* spectrum: "
                  f"{result.spectrum.description}. Its numbers are not the paper's and must not be read as such.")
        if result.spectrum.source == "file":
            status = (f"**The published table could not be compared**: the spectrum file {result.spectrum.description} "
                      f"has d = {result.spectrum.dim}, not the CIFAR-10 Gaussian's {CIFAR10_DIM}.")
    stamp = make_stamp(cfg.model_dump(mode="json"))
    title = cfg.study.title if result.compare else f"{cfg.study.title} (recomputed on a synthetic spectrum)"
    md = [f"# {title}", "",
          "Source: E. Pierret, B. Galerne, *Diffusion models for Gaussian distributions: exact solutions and "
          "Wasserstein errors*, ICML 2025 (PMLR 267:49355-49381; arXiv:2405.14250). Generated by "
          f"`python -m theorylab study {config_path or 'experiments/pierret_galerne.toml'}` "
          "(`theorylab.studies.pierret_galerne`); re-run to refresh.", "",
          status, "",
          "## What is checked", "",
          "Each cell is the exact W2 distance (not its square) between the law of a scheme's output and the target "
          "N(mu, Sigma), both Gaussian: the output law is theorylab's exact route (the registered sampler's declared "
          "steps run on the moments, O(d) per step in the target's eigenbasis), so the value carries no statistical "
          "error, only float64 rounding (uncertainty kind `exact`). Discrete schemes stopped at eps are compared with "
          "the target itself (their W2 includes the truncation error), as in the paper. *Continuous*: the exact "
          "backward SDE (rows EM, EI, DDPM) or flow ODE (Euler, Heun, RK4) stopped at eps, from the closed forms of "
          "the paper's Props. 2-3. '-': undefined (the score of a singular target at t = 0).", "",
          f"Process: the paper's dx = -beta_t x dt + sqrt(2 beta_t) dw with beta_t = {p.beta_min:g} + "
          f"{p.beta_max - p.beta_min:g} t on [0, {p.T:g}] (theorylab `vp` with beta_min = {2 * p.beta_min:g}, "
          f"beta_max = {2 * p.beta_max:g}: the paper's beta is half of Song et al.'s). Grid: N uniform points from "
          "T down to eps (N - 1 steps), the score fed the upper time of each step. Starts: p_T (exact) and "
          "N_0 = N(0, I). Conventions and the scheme-by-scheme mapping: `theorylab/studies/pierret_galerne/"
          "conventions.py`.", "",
          *_grid_lines(result), "",
          "## Table", "", *_table(result), ""]
    if result.compare:
        md += ["## Comparison with the published numbers", "", *_comparison(result), ""]
    md += ["## Where theorylab's conventions differ from the paper's", "",
           "* **DDPM.** The paper's DDPM uses beta_k = 2 dt beta_{T-t_k} (the Euler increment g^2 h) and adds noise on "
           "every step; theorylab's `ddpm` (Ho et al. 2020, Algorithm 2) reads beta from the marginals, uses the "
           "posterior variance and a noiseless last step. The paper's scheme is the new sampler `ddpm-euler`; the "
           "row 'DDPM (theorylab ddpm, Ho et al.)' shows how far the two conventions are apart on the same grid.",
           "* **Heun's NFE.** The published Heun row runs on N = NFE points (2(NFE - 1) evaluations), not NFE/2: the "
           "authors' table cell overwrites the NFE/2 run (`if ... Heun / if ... RK4 / else`). The row 'Heun' follows "
           "the published table; 'Heun (NFE/2 points)' is the evaluation-matched one.",
           "* EM, EI, Euler, Heun and RK4 are theorylab's `reverse-sde`, `exponential-integrator`, `pf-ode-euler`, "
           "`pf-ode` and `pf-ode-rk4` unchanged (their exact laws equal the paper's covariance recursions to 1e-10: "
           "`tests/studies/test_pierret_galerne.py`).", "",
           "## Cost", "", *_timing(result), "",
           "## Data", "", UNBLOCK, "",
           f"Provenance: theorylab {stamp['package_version']}, source hash {stamp['source_hash'][:16]}, config hash "
           f"{stamp['config_hash'][:16]}."]
    md_path = out / "report.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / "result.json").write_text(json.dumps({"stamp": stamp, "compared": result.compare,
                                                 "spectrum": result.spectrum.description,
                                                 "total_seconds": result.total_seconds}, indent=2) + "\n")
    return {"markdown": str(md_path), "csv": str(csv_path)}
