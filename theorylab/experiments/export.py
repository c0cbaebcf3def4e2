"""Tables of a sweep's results, read from its results store only (never from live objects; DESIGN.md).

:func:`results_table` gives one row per cell, in expansion order, with

* a column per config key named by its dotted path (``target.kind``, ``sampler.T``, ``sampler.gamma``,
  ``score.M``, ``metrics.seed`` — the run seed —, ...): scalar leaves only; a list is a JSON string
  (``target.mean = "[0.5]"``); an absent sub-table (``sampler.schedule``) is one empty column;
* per metric, named by the metric in lower case: ``tv`` (the value), ``tv_method``, ``tv_uncertainty`` (the
  half-width :math:`(\\text{upper} - \\text{lower})/2` of its uncertainty), ``tv_lower``, ``tv_upper``, ``tv_kind``
  (``exact`` | ``rounding`` | ``grid`` | ``ci`` | ``bounds``) and ``tv_level`` (the CI level, or empty);
  conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`, KL(output || target) and JS in nats, Hellinger
  :math:`H^2 = 1-\\int\\sqrt{pq}`, W2 the distance;
* ``seed`` (the cell's own seed), ``status`` (``ok`` | ``diverged`` | ``failed``, or ``pending`` for a cell not yet
  run), ``stale`` (empty for a row whose provenance stamp matches the current tree and cell, else why not; only
  non-empty when the table was read with ``allow_stale=True``), ``message``, ``seconds``, ``versions`` (JSON),
  ``source`` (the first 12 hex digits of the source hash of the code that computed the row; empty for an unstamped
  row) and ``cell`` (the key).

Stale rows are refused: a store holding any row computed by other code than the current tree (or an unstamped row
of a store made before stamps) raises :class:`~theorylab.experiments.store.StaleRowsError` (one line: the folder,
how many rows, why, and the ``theorylab sweep`` command that recomputes them) unless ``allow_stale=True``
(``--allow-stale`` on the command line); the table read that way carries ``attrs["allow_stale"] = True``, which
:func:`theorylab.bounds.table.read_cells` honours.

:func:`export_results` writes it as CSV or Parquet (every column), or as Markdown or LaTeX (compact by default: the
config columns that vary, each metric's value and uncertainty half-width, ``status``, ``message`` when any cell has
one; the columns that are the same in every row, unless empty, are listed under the table as ``key = value``).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

from theorylab.errors import ConfigError
from theorylab.experiments.store import RunFolder, Store

__all__ = ["FORMATS", "export_results", "render_markdown", "results_table"]

#: Formats of :func:`export_results`.
FORMATS = ("csv", "parquet", "markdown", "latex")

_METRIC_FIELDS = ("method", "uncertainty", "lower", "upper", "kind", "level")


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if not value:
            out[prefix] = "{}"
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, separators=(", ", ": "))
    else:
        out[prefix] = value


def _open(run_dir: str | Path) -> Store:
    folder = RunFolder(run_dir)
    if not folder.db.is_file():
        raise ConfigError(f"{run_dir}: not a sweep run folder (no {RunFolder.DB})")
    return Store(folder.db)


def results_table(run_dir: str | Path, *, allow_stale: bool = False):
    """One row per cell of the sweep in ``run_dir`` (see the module docstring for the columns).

    Parameters
    ----------
    run_dir : path
        The run folder.
    allow_stale : bool
        Read rows whose provenance stamp does not match the current tree (or that have none) instead of refusing
        the store; their ``stale`` column says why.

    Returns
    -------
    pandas.DataFrame
        Rows in expansion order; ``attrs``: ``run_dir``, ``allow_stale``, ``stale`` (how many rows are stale).

    Raises
    ------
    ConfigError
        ``run_dir`` holds no results store.
    StaleRowsError
        (a ConfigError) some stored row is stale and ``allow_stale`` is False.
    """
    import pandas as pd

    with _open(run_dir) as store:
        stale = store.staleness()
        if stale and not allow_stale:
            raise RunFolder(run_dir).refuse_stale(stale, store.stored())
        cells = store.conn.execute(
            "SELECT g.idx, g.cell, g.config, g.seed, r.status, r.message, r.seconds, r.versions, s.source_hash "
            "FROM grid g LEFT JOIN results r ON r.cell = g.cell LEFT JOIN stamps s ON s.id = r.stamp "
            "ORDER BY g.idx").fetchall()
        metric_rows = store.conn.execute(
            "SELECT cell, name, position, value, method, kind, lower, upper, level FROM metrics "
            "ORDER BY cell, position").fetchall()

    metrics: dict[str, dict[str, dict[str, Any]]] = {}
    names: dict[str, None] = {}  # metric names in order of first appearance (expansion order, then position)
    for cell, name, position, value, method, kind, lower, upper, level in metric_rows:
        metrics.setdefault(cell, {})[name] = {
            "": _num(value), "method": method, "lower": _num(lower), "upper": _num(upper), "kind": kind,
            "level": _num(level), "uncertainty": _half_width(lower, upper)}
    rows, config_columns = [], {}
    for idx, cell, config, seed, status, message, seconds, versions, source in cells:
        row: dict[str, Any] = {}
        _flatten(json.loads(config), "", row)
        config_columns.update(dict.fromkeys(row))
        names.update(dict.fromkeys(metrics.get(cell, {})))
        rows.append((idx, cell, seed, status, message, seconds, versions, source, row))

    records = []
    for idx, cell, seed, status, message, seconds, versions, source, row in rows:
        record = {c: row.get(c) for c in config_columns}
        for name in names:
            m = metrics.get(cell, {}).get(name, {})
            record[name] = m.get("", math.nan)
            for f in _METRIC_FIELDS:
                record[f"{name}_{f}"] = m.get(f, math.nan if f not in ("method", "kind") else None)
        record.update(seed=seed, status=status or "pending", stale="; ".join(stale.get(cell, ())),
                      message=message or "", seconds=math.nan if seconds is None else seconds, versions=versions,
                      source=(source or "")[:12], cell=cell)
        records.append(record)
    columns = list(config_columns) + [f"{n}{'_' + f if f else ''}" for n in names for f in ("",) + _METRIC_FIELDS]
    columns += list(_ROW_COLUMNS)
    table = pd.DataFrame.from_records(records, columns=columns)
    table.attrs.update(run_dir=str(run_dir), allow_stale=bool(allow_stale), stale=len(stale))
    return table


#: The per-row columns after the config and metric columns.
_ROW_COLUMNS = ("seed", "status", "stale", "message", "seconds", "versions", "source", "cell")


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _half_width(lower: Any, upper: Any) -> float:
    if lower is None or upper is None:
        return math.nan
    if math.isinf(lower) or math.isinf(upper):
        return math.inf
    return (float(upper) - float(lower)) / 2.0


def _compact(table) -> tuple[Any, list[str]]:
    """Keep what varies (and the numbers); list the constant config/metric columns as ``key = value`` lines."""
    metric_names = [c for c in table.columns if f"{c}_method" in table.columns]
    metric_cols = {f"{n}_{f}" for n in metric_names for f in _METRIC_FIELDS} | set(metric_names)
    config_cols = [c for c in table.columns if c not in metric_cols and c not in _ROW_COLUMNS]
    keep, constant = [], []
    for c in config_cols:
        values = table[c].map(_cell_text)
        if len(table) > 1 and values.nunique() > 1:
            keep.append(c)
        elif len(table) and values.iloc[0]:
            constant.append(f"{c} = {values.iloc[0]}")
    for n in metric_names:
        keep += [n, f"{n}_uncertainty"]
        for f in ("method", "kind", "level"):
            values = table[f"{n}_{f}"].map(_cell_text)
            if len(table) > 1 and values.nunique() > 1:
                keep.append(f"{n}_{f}")
            elif len(table) and values.iloc[0]:
                constant.append(f"{n}_{f} = {values.iloc[0]}")
    keep.append("status")
    for c in ("stale", "message"):
        if (table[c] != "").any():
            keep.append(c)
    return table[keep], constant


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    return str(value)


def render_markdown(table, footer: list[str] = ()) -> str:
    """A GitHub Markdown table (numbers to 6 significant digits, ``|`` escaped), then the footer items on one line.

    Written here rather than through ``DataFrame.to_markdown`` so that the output does not depend on whether the
    optional ``tabulate`` package is installed.
    """
    header = [str(c) for c in table.columns]
    body = [[_cell_text(v).replace("|", "\\|") for v in row] for row in table.itertuples(index=False)]
    numeric = [all(_is_number(v) for v in table[c]) for c in table.columns]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)) + "|"
    lines = [line(header), rule] + [line(r) for r in body]
    if footer:
        lines += ["", "Same in every row: " + "; ".join(f"`{item}`" for item in footer) + "."]
    return "\n".join(lines) + "\n"


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def export_results(run_dir: str | Path, fmt: str, *, path: str | Path | None = None,
                   full: bool | None = None, allow_stale: bool = False) -> str:
    """The results of a sweep as ``csv``, ``parquet``, ``markdown`` or ``latex``.

    Parameters
    ----------
    run_dir : path
        The run folder.
    fmt : str
        One of :data:`FORMATS`.
    path : path, optional
        Also write the text there. Parquet is binary: it is written to ``path`` (default
        ``<run_dir>/results.parquet``) and the path is returned.
    full : bool, optional
        Every column (default for csv and parquet) or the compact table (default for markdown and latex; it shows
        the ``stale`` column when some row is stale).
    allow_stale : bool
        Export rows whose provenance stamp does not match the current tree (:func:`results_table`).

    Returns
    -------
    str
        The table text (csv, markdown, latex) or the path written (parquet).

    Raises
    ------
    ConfigError
        An unknown format (naming ``--format``), a folder without results, stale rows without ``allow_stale``
        (:class:`~theorylab.experiments.store.StaleRowsError`), parquet without ``pyarrow`` (or ``fastparquet``),
        latex without ``jinja2``.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    table = results_table(run_dir, allow_stale=allow_stale)
    if full is None:
        full = fmt in ("csv", "parquet")
    footer: list[str] = []
    if not full:
        table, footer = _compact(table)

    if fmt == "parquet":
        if not any(importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet")):
            raise ConfigError("--format: parquet needs the 'pyarrow' package: pip install pyarrow")
        target = Path(path) if path is not None else Path(run_dir) / "results.parquet"
        table.to_parquet(target, index=False)
        return str(target)
    if fmt == "csv":
        text = table.to_csv(index=False)
    elif fmt == "markdown":
        text = render_markdown(table, footer)
    else:
        if importlib.util.find_spec("jinja2") is None:
            raise ConfigError("--format: latex needs the 'jinja2' package: pip install jinja2")
        formatters = {c: _cell_text for c in table.columns}
        text = "".join(f"% constant: {item}\n" for item in footer)
        text += table.to_latex(index=False, escape=True, formatters=formatters, na_rep="")
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
