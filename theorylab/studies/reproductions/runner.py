"""Run one seed-002 experiment in a child process and record its cost (wall time, CPU time, peak memory).

Contract of an experiment module (``theorylab/studies/reproductions/<kind>.py``): a function

``run(cfg: TrainConfig, options: dict, out_dir: pathlib.Path, *, progress: bool) -> dict``

that trains (through :func:`theorylab.learning.training.train`, with ``checkpoint=out_dir / "score.pt"`` unless
``output.checkpoint`` is set), evaluates, writes its figures and ``report.md`` body into ``out_dir``, and returns a
JSON-serialisable dict of its numbers (each estimate as ``{"value", "lower", "upper", "method"}``), with
``"headline"``: a list of one-line strings (the numbers a reader wants first) and ``"device"``. ``options`` is
the ``[experiment]`` table without ``kind``. The runner adds ``cost`` (seconds, CPU seconds, peak resident memory
of the child in MiB, torch threads, device, peak CUDA memory where used), ``config`` and ``profile``, and writes
``result.json``.

Peak memory is ``ru_maxrss`` of the child process (Linux: KiB), i.e. the whole process including the Python
interpreter and imported libraries (~300 MiB of it is torch + scipy + sympy before any work); the baseline of a
child that only imports is measured once and reported beside it.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing as mp
import os
import queue as queue_module
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from theorylab.errors import ConfigError
from theorylab.learning.experiment import load_experiment as _load

__all__ = ["EXPERIMENTS", "load_experiment", "run_experiment"]

#: ``[experiment] kind`` -> module under theorylab.studies.reproductions
EXPERIMENTS = {"seed002-gmm": "gmm", "seed002-smile": "smile", "seed002-digits": "digits"}


def load_experiment(path: str | Path, overrides: list[str] = (), *, full: bool = False):
    """:func:`theorylab.learning.experiment.load_experiment` with ``experiment.kind`` checked against
    :data:`EXPERIMENTS`."""
    return _load(path, overrides, full=full, kinds=EXPERIMENTS)


def _child(kind: str, options: dict, cfg_dump: dict, out_dir: str, threads: int, progress: bool, queue) -> None:
    try:
        import torch

        from theorylab.config import validate
        from theorylab.learning.config import TrainConfig

        torch.set_num_threads(threads)
        module = importlib.import_module(f"theorylab.studies.reproductions.{EXPERIMENTS[kind]}")
        cfg = validate(cfg_dump, TrainConfig)
        wall, cpu = time.perf_counter(), time.process_time()
        numbers = module.run(cfg, options, Path(out_dir), progress=progress)
        from theorylab.provenance import imported_sources

        numbers["_source_files"] = imported_sources()  # the code that made the numbers (stamped by the parent)
        cost = {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "threads": threads, "device": numbers.pop("device", "cpu")}
        if torch.cuda.is_available() and torch.cuda.max_memory_allocated() > 0:
            cost["peak_cuda_mib"] = torch.cuda.max_memory_allocated() / 2**20
        # serialise here: an object the queue's feeder thread cannot pickle would vanish silently
        queue.put(("ok", json.dumps(numbers, default=_plain), cost))
    except ConfigError as exc:
        queue.put(("config", str(exc), None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent on one line plus the traceback file
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        queue.put(("error", f"{type(exc).__name__}: {exc}", None))


def _reused(value: Any) -> bool:
    """Whether the experiment reused a finished checkpoint (a ``*stopped`` field says ``"already trained"``)."""
    if isinstance(value, dict):
        return any((k.endswith("stopped") and v == "already trained") or _reused(v) for k, v in value.items())
    return False


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars/arrays and paths; anything else is an error in the experiment."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"experiment result holds a {type(value).__name__}, not JSON data")


def _import_baseline(queue) -> None:
    import torch  # noqa: F401

    import theorylab.learning.training  # noqa: F401

    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


def _spawn(target, args) -> Any:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    # OpenMP's default (spinning) wait policy makes torch's 2-thread pool 10-50x slower than 1 thread when other
    # jobs hold the cores (benchmarks/bench_training.py); the passive policy sleeps instead. The child inherits the
    # environment at start, before it imports torch.
    previous = os.environ.get("OMP_WAIT_POLICY")
    os.environ["OMP_WAIT_POLICY"] = previous or "PASSIVE"
    try:
        proc.start()
    finally:
        if previous is None:
            del os.environ["OMP_WAIT_POLICY"]
    try:
        while True:  # a child that dies without reporting (killed, out of memory) must not hang the parent
            try:
                out = queue.get(timeout=1.0)
                break
            except queue_module.Empty:
                if not proc.is_alive():
                    raise RuntimeError(f"experiment process died with exit code {proc.exitcode} before reporting")
    except KeyboardInterrupt:
        proc.terminate()
        raise
    proc.join()
    return out


def run_experiment(path: str | Path, *, out_root: str | Path = "reports/learning", full: bool = False,
                   overrides: list[str] = (), threads: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Run the experiment file ``path``; write ``<out_root>/<name>/result.json``; return the result dict."""
    name, kind, options, cfg, raw = load_experiment(path, overrides, full=full)
    out_dir = Path(out_root) / name
    out_dir.mkdir(parents=True, exist_ok=True)
    # [experiment] threads: the small MLPs run faster on 1 thread than on 2 (benchmarks/bench_training.py)
    threads = threads or raw["experiment"]["threads"] or min(2, os.cpu_count() or 1)
    status, numbers, cost = _spawn(_child, (kind, options, cfg.model_dump(), str(out_dir), threads, progress))
    if status == "config":
        raise ConfigError(numbers)
    if status == "ok":
        numbers = json.loads(numbers)
    if status == "error":
        raise RuntimeError(f"experiment {name} failed: {numbers} (traceback in {out_dir / 'error.txt'})")
    cost["import_baseline_rss_mib"] = _spawn(_import_baseline, ())
    cost["training_reused"] = _reused(numbers)
    from theorylab.provenance import make_stamp

    provenance = make_stamp(raw, numbers.pop("_source_files"))  # raw: the effective config (profile, overrides)
    result = {"name": name, "kind": kind, "profile": "full" if full else "quick", "options": options,
              "config": cfg.model_dump(), "cost": cost, "python": sys.version.split()[0],
              "provenance": provenance, **numbers}
    (out_dir / "result.json").write_text(json.dumps(result, indent=2, default=float), encoding="utf-8")
    report = out_dir / "report.md"
    if report.exists():
        from theorylab.studies.reproductions.summary import cost_line

        text = report.read_text(encoding="utf-8")
        report.write_text(text.replace("<!-- cost -->", f"**Cost** ({result['profile']} profile): "
                                                        f"{cost_line(result)}."), encoding="utf-8")
    return result
