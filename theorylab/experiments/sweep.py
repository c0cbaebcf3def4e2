"""The ``[sweep]`` table of a measure config: which config keys become grids, and their expansion into cells.

A sweep turns any key of a measure config (:mod:`theorylab.config`) into a list of values. Keys are dotted paths of
config keys; the cells are the cartesian product of the lists by default, or zipped lists on request.

.. code-block:: toml

    [sweep]
    "sampler.gamma" = [0.1, 0.05, 0.025]   # a quoted dotted key ...
    score.M = [0.0, 0.1]                   # ... or an unquoted one (TOML nests it; both mean the same path)

    [sweep.zip]                            # optional: these lists vary together (equal lengths), as ONE axis
    "sampler.T" = [1.0, 2.0]               #   of the product: (T=1, N=10), (T=2, N=20)
    "sampler.schedule.N" = [10, 20]

Rules (each violation is a :class:`~theorylab.errors.ConfigError` naming the key):

* every value is a non-empty list; each element is one value of that key (a list-valued key such as
  ``"metrics.names"`` is swept with a list of lists, a table such as ``"target"`` with a list of tables);
* ``mode = "product"`` (default): the cartesian product of the top-level lists (and of each ``[sweep.zip]``
  group, as one axis), axes in the order written, the last varying fastest;
* ``mode = "zip"``: all top-level lists are zipped (they must have equal lengths); ``[sweep.zip]`` is then
  refused as redundant;
* several zipped groups: ``[[sweep.zip]]`` (an array of tables), each group one axis of the product;
* a path must name a key of the config schema (``sweep.sampler.gama: unknown config key``); under ``target``
  (a free table, checked by :func:`theorylab.distributions.make_target`) any key is accepted here and checked when
  the cell is validated;
* a path may not be given twice, nor be a prefix of another swept path (``sampler.schedule`` and
  ``sampler.schedule.N``: the order of assignment would decide the cell);
* every expanded cell is validated (:func:`theorylab.config.validate`, then
  :func:`theorylab.measure.build_setup`) before anything runs, so a bad grid fails at once, the message naming
  the key and the cell (``sampler.gamma: must lie in (0, 1), got 1.5 (sweep cell 3/4: sampler.gamma=1.5)``).

Cells with the same full configuration (e.g. a value listed twice) are one cell (same key, see
:mod:`theorylab.experiments.cells`); the later copies are dropped and counted.

DESIGN.md ("Configs, runs and results": *a ``[sweep]`` table turns keys into grids*).
"""

from __future__ import annotations

import itertools
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from theorylab.config import SamplerConfig, sampler_option_names, MeasureConfig, deep_copy, validate
from theorylab.errors import ConfigError
from theorylab.experiments.cells import cell_key, cell_seed, config_json
from theorylab.limits import DEFAULT_LIMITS, Limits

__all__ = ["Axis", "Cell", "SweepSpec", "expand", "parse_sweep", "set_path"]

_MODES = ("product", "zip")


@dataclass(frozen=True)
class Axis:
    """One axis of the product: one path (a plain list) or several zipped paths, with the value tuples."""

    paths: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class SweepSpec:
    """A parsed ``[sweep]`` table: the base config (without ``sweep``) and the axes of the product."""

    base: dict[str, Any]
    axes: tuple[Axis, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p for axis in self.axes for p in axis.paths)

    @property
    def size(self) -> int:
        n = 1
        for axis in self.axes:
            n *= len(axis.rows)
        return n


@dataclass(frozen=True)
class Cell:
    """One configuration of a sweep.

    Attributes
    ----------
    index : int
        Position in the expanded list (0-based, expansion order).
    key : str
        sha256 hex digest of the canonical JSON of the validated config (:func:`~theorylab.experiments.cells.cell_key`).
    sweep : dict
        The swept values of this cell, by dotted path.
    config : MeasureConfig
        The validated config (``metrics.seed`` is the run's seed).
    seed : int
        The cell's own seed, derived from the run seed and ``key`` (:func:`~theorylab.experiments.cells.cell_seed`).
    """

    index: int
    key: str
    sweep: dict[str, Any]
    config: MeasureConfig = field(repr=False)
    seed: int

    @property
    def config_json(self) -> str:
        return config_json(self.config)

    def label(self) -> str:
        """``sampler.gamma=0.1, score.M=0`` (the swept values; ``(no sweep)`` for a single cell)."""
        return describe(self.sweep)


def describe(assignments: Mapping[str, Any]) -> str:
    if not assignments:
        return "(no sweep)"
    return ", ".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in assignments.items())


def parse_sweep(raw: Mapping[str, Any]) -> SweepSpec:
    """Split a raw config into its base (everything but ``sweep``) and the axes of its ``[sweep]`` table.

    Raises
    ------
    ConfigError
        One line naming the offending ``sweep.*`` key (see the module docstring for the rules).
    """
    base = {k: deep_copy(v) for k, v in raw.items() if k != "sweep"}
    table = raw.get("sweep")
    if table is None:
        return SweepSpec(base, ())
    if not isinstance(table, Mapping):
        raise ConfigError(f"sweep: must be a table of dotted keys = lists of values, got {table!r}")

    mode = table.get("mode", "product")
    if mode not in _MODES:
        raise ConfigError(f"sweep.mode: must be 'product' or 'zip', got {mode!r}")
    if mode == "zip" and "zip" in table:
        raise ConfigError("sweep.zip: not allowed with mode = 'zip' (all lists are zipped already)")

    axes: list[Axis] = []
    zipped_top: dict[str, list] = {}
    for key, value in table.items():
        if key == "mode":
            continue
        if key == "zip":
            groups = value if isinstance(value, list) else [value]
            for i, group in enumerate(groups):
                where = "sweep.zip" if not isinstance(value, list) else f"sweep.zip[{i}]"
                if not isinstance(group, Mapping):
                    raise ConfigError(f"{where}: must be a table of dotted keys = lists of values, got {group!r}")
                axes.append(_zip_axis(_flatten(group, where), where))
            continue
        for path, values in _flatten({key: value}, "sweep").items():
            if mode == "zip":
                zipped_top[path] = values
            else:
                axes.append(Axis((path,), tuple((v,) for v in values)))
    if zipped_top:
        axes.append(_zip_axis(zipped_top, "sweep"))

    seen: dict[str, str] = {}
    for axis in axes:
        for path in axis.paths:
            if path in seen:
                raise ConfigError(f"sweep.{path}: given twice")
            _check_path(path)
            seen[path] = path
    for p, q in itertools.permutations(seen, 2):
        if q.startswith(p + "."):
            raise ConfigError(f"sweep.{q}: overlaps the swept table sweep.{p} (sweep one or the other)")
    return SweepSpec(base, tuple(axes))


def _flatten(table: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, list]:
    """``{"sampler": {"gamma": [..]}, "score.M": [..]}`` -> ``{"sampler.gamma": [..], "score.M": [..]}``."""
    out: dict[str, list] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            for sub, values in _flatten(value, where, f"{path}.").items():
                if sub in out:
                    raise ConfigError(f"{where}.{sub}: given twice")
                out[sub] = values
            continue
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{where}.{path}: must be a non-empty list of values, got {value!r}")
        if path in out:
            raise ConfigError(f"{where}.{path}: given twice")
        out[path] = value
    return out


def _zip_axis(group: dict[str, list], where: str) -> Axis:
    if not group:
        raise ConfigError(f"{where}: an empty zip group")
    paths = list(group)
    n = len(group[paths[0]])
    for path in paths[1:]:
        if len(group[path]) != n:
            raise ConfigError(
                f"{where}.{path}: has {len(group[path])} values but {where}.{paths[0]} has {n} "
                "(zipped lists must have equal lengths)"
            )
    return Axis(tuple(paths), tuple(zip(*(group[p] for p in paths))))


def _check_path(path: str, model: type[BaseModel] = MeasureConfig) -> None:
    """Refuse a dotted path that names no key of the config schema."""
    parts = path.split(".")
    if not all(parts):
        raise ConfigError(f"sweep.{path}: malformed dotted key")
    node: Any = model
    for i, part in enumerate(parts):
        if node is dict:  # a free table (target): its keys are checked when each cell is validated
            return
        if node is None:
            raise ConfigError(f"sweep.{path}: unknown config key ({'.'.join(parts[:i])} is a value, not a table)")
        fields = node.model_fields
        if part not in fields and node is SamplerConfig and i == len(parts) - 1 and part in sampler_option_names():
            return  # an option of some sampler: checked against the chosen sampler when each cell is validated
        if part not in fields:
            raise ConfigError(f"sweep.{path}: unknown config key")
        node = _table_of(fields[part].annotation)


def _table_of(annotation: Any) -> Any:
    """The sub-model of a field (pydantic model), ``dict`` for a free mapping, ``None`` for a value."""
    candidates = [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        candidates = list(typing.get_args(annotation))
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
        if c is dict or typing.get_origin(c) in (dict, Mapping):
            return dict
    return None


def set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """Set ``config[a][b][c] = value`` for ``path = "a.b.c"`` (tables created as needed; in place)."""
    parts = path.split(".")
    node = config
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"sweep.{path}: {'.'.join(parts[: i + 1])} is not a table in the config")
        node = child
    node[parts[-1]] = deep_copy(value)


def expand(spec: SweepSpec, *, check_setup: bool = True, limits: Limits | None = DEFAULT_LIMITS) \
        -> tuple[list[Cell], int]:
    """Every cell of ``spec``, validated, keyed and seeded; and the number of duplicate cells dropped.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`parse_sweep`.
    check_setup : bool
        Also build each cell's objects (:func:`theorylab.measure.build_setup`: target, process, grid, sampler,
        score) so that errors only found there (an unknown ``target`` key, a sampler defined for OU only on a VP
        process) fail before anything runs. Cheap (sub-millisecond per cell after the first, which imports torch).
    limits : Limits or None
        The sweep's size (``limits.max_cells``, checked before expanding) and each cell's cost estimate
        (:func:`theorylab.cost.check_measure`, checked before its objects are built); None checks neither.

    Raises
    ------
    ConfigError
        The validation message (naming the key) followed by the cell: ``(sweep cell i/n: key=value, ...)``.
    """
    from theorylab.cost import check_measure, check_sweep_size
    from theorylab.measure import build_setup

    n = spec.size
    if limits is not None:
        check_sweep_size(n, limits)
    cells: list[Cell] = []
    seen: set[str] = set()
    duplicates = 0
    for i, combo in enumerate(itertools.product(*(axis.rows for axis in spec.axes))):
        assignments: dict[str, Any] = {}
        for axis, row in zip(spec.axes, combo):
            assignments.update(zip(axis.paths, row))
        raw = deep_copy(spec.base)
        where = f"(sweep cell {i + 1}/{n}: {describe(assignments)})"
        try:
            for path, value in assignments.items():
                set_path(raw, path, value)
            cfg = validate(raw)
            if limits is not None:
                check_measure(cfg, limits)
            if check_setup:
                build_setup(cfg)
        except ConfigError as exc:
            raise ConfigError(f"{exc} {where}" if assignments else str(exc)) from None
        key = cell_key(cfg)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        cells.append(Cell(len(cells), key, assignments, cfg, cell_seed(key, cfg.metrics.seed)))
    return cells, duplicates


