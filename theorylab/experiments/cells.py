"""One cell of a sweep: its identity (key), its seed, and the function a worker runs on it.

Identity
    A cell's key is the sha256 hex digest of the canonical JSON of its full validated config
    (``MeasureConfig.model_dump()``: every key, defaults included, so two spellings of one config are one cell):

    .. math:: \\mathrm{key} = \\mathrm{sha256}\\big(\\mathrm{json}(\\mathrm{normalise}(\\mathrm{config}),
              \\text{sorted keys}, \\text{no spaces})\\big)

    ``normalise`` writes an integral float below :math:`2^{53}` as an integer (``1.0`` and ``1`` are one value to
    the validated config; pydantic coerces either way), so the key depends on the configuration only, not on the
    order the keys were written in, the TOML spelling of a number, the sweep's axis order or the Python process.

Seed
    DESIGN.md ("Randomness"): *one integer seed per run; per-cell seeds derived from the cell's configuration, so
    results do not depend on execution order or on how many workers ran them*. The run seed is ``metrics.seed``;
    the cell runs with

    .. math:: \\mathrm{seed}_{\\text{cell}} = \\big\\lfloor \\mathrm{sha256}(\\texttt{"<run seed>:<key>"})_{[0:8]}
              / 2 \\big\\rfloor \\in [0, 2^{63}),

    the first 8 bytes of the digest read big-endian, shifted to 63 bits (valid for numpy and torch generators).
    Cells that differ only in ``metrics.seed`` (replicates) therefore get unrelated streams.

Worker
    :func:`run_cell` takes plain data (the config JSON and the seed) and returns plain data (a dict): it is what
    every executor ships to a worker; workers never touch the results store. Each cell runs with one torch thread
    and one BLAS thread (restored afterwards), so its floating-point reductions, hence its row, are the same
    whichever executor, worker count or machine load ran it.

Status
    ``ok``; ``diverged`` when the output law's mean or covariance, or any metric value, is NaN or infinite (an exact
    infinite divergence, e.g. KL between mutually singular laws, is a value, not a divergence) (the
    sampler blew up: e.g. a predictor-corrector sampler with an absurd ``snr``), or when the computation raised an
    arithmetic overflow (``OverflowError``, ``FloatingPointError``) or refused non-finite input (a message about
    infs/NaNs/non-finite values); ``failed`` for any other exception, with ``Type: message`` on one line.
    RuntimeWarnings (overflow, invalid value) raised while the cell ran are appended to a diverged cell's message.

Provenance
    Every outcome carries a stamp (:func:`theorylab.provenance.make_stamp`): the package version, the sha256 of each
    theorylab source file the worker process had imported when the cell ended, and the hash of the cell's
    :func:`effective_config` (its config with ``metrics.seed`` replaced by the cell's seed: what the numbers were
    computed from). The store keeps it per row and refuses or recomputes rows whose stamp no longer matches the
    tree (:mod:`theorylab.experiments.store`). The file list is what the process imported, so it is conservative: a
    worker that ran a mixture cell before a Gaussian one lists the mixture modules in both stamps.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import socket
import time
import warnings
from collections.abc import Mapping
from typing import Any

from theorylab.errors import ConfigError

__all__ = [
    "STATUSES",
    "canonical_json",
    "cell_key",
    "cell_seed",
    "classify",
    "config_json",
    "effective_config",
    "library_versions",
    "prepare_worker",
    "run_cell",
    "stamp_outcome",
]

#: Statuses of a stored cell; ``ok`` and ``diverged`` are finished (never recomputed), ``failed`` is retried.
STATUSES = ("ok", "diverged", "failed")

#: Longest message stored for a cell (characters); the rest is cut with an ellipsis.
_MESSAGE_CHARS = 1000
_NONFINITE_MESSAGE = re.compile(r"\b(infs? or nans?|non-?finite|not finite|must be finite|contains? (inf|nan))",
                                re.IGNORECASE)


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"config: non-finite value {value} cannot identify a cell")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return str(value)


def canonical_json(value: Any) -> str:
    """Canonical JSON of a config mapping: sorted keys, no spaces, integral floats as integers."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _dump(config: Any) -> Any:
    return config.model_dump(mode="json") if hasattr(config, "model_dump") else config


def cell_key(config: Any) -> str:
    """sha256 hex digest (64 characters) of the canonical JSON of a validated config (or its ``model_dump``)."""
    return hashlib.sha256(canonical_json(_dump(config)).encode("ascii")).hexdigest()


def cell_seed(key: str, run_seed: int) -> int:
    """The cell's seed in :math:`[0, 2^{63})` from the run seed and the cell key (see the module docstring)."""
    digest = hashlib.sha256(f"{int(run_seed)}:{key}".encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def config_json(config: Any) -> str:
    """The config as stored in a run: the schema's key order (target, process, sampler, score, metrics), values as
    validated (``1.0`` stays a float). Not the identity: :func:`cell_key` hashes the canonical form."""
    return json.dumps(_dump(config), separators=(",", ":"))


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Versions of theorylab and the numerical libraries a cell's numbers depend on (in this process).

    POT and sympy are read from the installed distributions' metadata rather than imported: a cell that does not
    use them should not pay their import (``import ot`` alone is 1.5-2 s, see :mod:`theorylab.divergences`).
    """
    from importlib import metadata

    import numpy
    import scipy
    import torch

    import theorylab

    return {"theorylab": theorylab.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "torch": torch.__version__, "sympy": metadata.version("sympy"), "pot": metadata.version("POT")}


@contextlib.contextmanager
def _one_thread():
    """One torch intra-op thread and (when threadpoolctl is installed) one BLAS thread, restored on exit."""
    from theorylab.threads import torch_threads

    with torch_threads(1):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - optional; numpy's BLAS calls here are tiny anyway
            limits = contextlib.nullcontext()
        else:
            limits = threadpool_limits(limits=1)
        with limits:
            yield


#: glibc's ``mallopt`` parameters and the values :func:`prepare_worker` restores: the largest mmap threshold glibc's
#: own dynamic rule reaches on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX`` = 32 MiB) and twice it for trimming
#: (the same rule's ratio).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 2**20
_prepared = False


def prepare_worker() -> None:
    """Once per worker process: undo the side effect of ``MALLOC_TRIM_THRESHOLD_`` on allocation-heavy cells.

    Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``,
    so that workers give memory back to the OS). Setting it freezes glibc's mmap threshold at 128 KiB, so every
    torch tensor of a samples-route step (10**5 particles: 800 KB) is a fresh ``mmap`` whose pages fault in and
    are zeroed: measured on one heavy cell, 2.7 s of system time instead of 0.3 s, a cell 1.5-2x more CPU than in
    a process pool (``benchmarks/bench_sweep_scaling.py``). Raising the mmap and trim thresholds to glibc's own
    dynamic maxima gives the pool's CPU time back; memory above 64 MiB is still returned to the OS. Nothing is done
    where the variable is unset or the C library is not glibc.
    """
    global _prepared
    if _prepared:
        return
    _prepared = True
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


def classify(law: Mapping[str, Any] | None, metrics: list[Mapping[str, Any]]) -> list[str]:
    """What is non-finite in a result: ``["law covariance", "kl", ...]`` (empty when all is finite)."""
    import numpy as np

    bad = []
    for part in ("mean", "covariance"):
        value = None if law is None else law.get(part)
        if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=float))):
            bad.append(f"law {part}")
    # an exact +inf (KL or TV-type divergences between mutually singular laws: uncertainty kind "exact" with both ends
    # infinite) is the true value, not a divergence of the computation
    bad += [m["name"] for m in metrics if m["value"] is None or not (
        math.isfinite(m["value"]) or (m["value"] == math.inf and m.get("kind") == "exact"
                                      and m.get("lower") == m.get("upper") == math.inf))]
    return bad


def _metric_row(estimate: Mapping[str, Any]) -> dict[str, Any]:
    u = estimate["uncertainty"]
    return {"name": str(estimate["name"]).lower(), "value": float(estimate["value"]), "method": estimate["method"],
            "kind": u["kind"], "lower": float(u["lower"]), "upper": float(u["upper"]),
            "level": None if u["level"] is None else float(u["level"]), "note": u.get("note")}


def effective_config(config: str, seed: int) -> dict[str, Any]:
    """The config a cell's numbers are computed from: its stored config JSON with ``metrics.seed`` = the cell's seed.

    What :func:`run_cell` measures and what its provenance stamp hashes (``config_hash``); readers rebuild it from
    the store's ``grid`` row (config, seed) to check that a stored row belongs to the current cell. A config that is
    not a JSON table with a ``metrics`` table (which the driver never sends) is kept as ``{"config": text, "seed":
    seed}``, so the function never raises.
    """
    try:
        raw = json.loads(config)
    except ValueError:
        raw = None
    if not isinstance(raw, dict) or not isinstance(raw.get("metrics"), dict):
        return {"config": str(config), "seed": int(seed)}
    raw["metrics"]["seed"] = int(seed)
    return raw


def stamp_outcome(config: str, seed: int) -> dict[str, Any]:
    """The provenance stamp of a cell computed now by this process (see the module docstring, "Provenance")."""
    from theorylab.provenance import make_stamp

    return make_stamp(effective_config(config, seed))


def run_cell(config: str, seed: int) -> dict[str, Any]:
    """Run :func:`theorylab.measure.measure` on one cell; plain data in, plain data out (what workers execute).

    Parameters
    ----------
    config : str
        The cell's validated config as JSON (its ``metrics.seed`` is the run seed; it is replaced by ``seed``).
    seed : int
        The cell's seed (:func:`cell_seed`).

    Returns
    -------
    dict
        ``status`` (``ok`` | ``diverged`` | ``failed``), ``message`` (one line, empty when ok), ``seconds``
        (wall time of the measurement), ``cpu_seconds`` (CPU time of the worker process during it; not stored,
        passed to progress callbacks), ``started``/``finished`` (Unix times), ``metrics`` (list of dicts: name
        lower-case, value, method, kind, lower, upper, level, note), ``law`` (method, error control, mean,
        covariance; None when failed), ``versions`` (:func:`library_versions`), ``worker`` (host:pid) and ``stamp``
        (:func:`theorylab.provenance.make_stamp` of :func:`effective_config`, taken when the cell ended, so it lists
        every theorylab source file the worker had imported by then).
    """
    from theorylab.config import validate
    from theorylab.measure import measure

    prepare_worker()
    started = time.time()
    clock, cpu = time.perf_counter(), time.process_time()
    outcome: dict[str, Any] = {"status": "failed", "message": "", "metrics": [], "law": None}
    with _one_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = json.loads(config)
            raw["metrics"]["seed"] = int(seed)  # = effective_config(config, seed), which the stamp hashes
            result = measure(validate(raw), limits=None)  # the driver checked the cell's cost
            data = result.to_json()
            outcome["law"] = data["law"]
            outcome["metrics"] = [_metric_row(e) for e in data["metrics"]]
            bad = classify(outcome["law"], outcome["metrics"])
            if bad:
                outcome["status"] = "diverged"
                outcome["message"] = "non-finite " + ", ".join(bad)
            else:
                outcome["status"] = "ok"
        except (OverflowError, FloatingPointError) as exc:
            outcome["status"], outcome["message"] = "diverged", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - any error of one cell is recorded, the sweep goes on
            message = f"{type(exc).__name__}: {exc}"
            outcome["status"] = "diverged" if _NONFINITE_MESSAGE.search(str(exc)) else "failed"
            outcome["message"] = message
    if outcome["status"] == "diverged":
        runtime = sorted({f"{w.category.__name__}: {w.message}" for w in caught
                          if issubclass(w.category, RuntimeWarning)})
        if runtime:
            outcome["message"] += " (" + "; ".join(runtime) + ")"
    outcome["message"] = one_line(outcome["message"])
    outcome["seconds"] = time.perf_counter() - clock
    outcome["cpu_seconds"] = time.process_time() - cpu
    outcome["started"], outcome["finished"] = started, time.time()
    outcome["versions"] = library_versions()
    outcome["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    outcome["stamp"] = stamp_outcome(config, seed)
    return outcome
