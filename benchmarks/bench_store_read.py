"""Reading a large sweep store: ``results_table`` on a 10⁴-row store, with and without provenance stamps.

Run: ``python benchmarks/bench_store_read.py [--rows 10000] [--repeats 3] [--label after]`` from the repository root.
Builds ``--rows`` cells of the shipped γ sweep's 1D Gaussian config (distinct ``sampler.gamma`` values, two metrics
each) straight through :class:`theorylab.experiments.store.Store` (no sampler runs), every row stamped as
``run_cell`` stamps it when the code has stamps (one file list for the whole run, as in a real run), then times
``results_table`` (median of ``--repeats``; the first call, which pays the one-off digests of the stamped files, is
reported separately). Writes ``benchmarks/results/store_read_<label>.json`` and prints a summary; the same script
runs on the code before stamps (``--label before``), which ignores the stamp.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorylab.experiments import cells as cells_module  # noqa: E402
from theorylab.experiments import expand, parse_sweep, results_table  # noqa: E402
from theorylab.experiments.cells import cell_key, library_versions  # noqa: E402
from theorylab.experiments.store import RunFolder, Store  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CONFIG = {"target": {"kind": "gaussian", "mean": [0.5], "cov": [[0.4]]},
          "sampler": {"kind": "reverse-em", "T": 1.0, "gamma": 0.1},
          "score": {"kind": "perturbed", "error": "bias", "M": 0.0},
          "metrics": {"names": ["tv", "w2"], "method": "exact", "seed": 3}}


def build(run_dir: Path, rows: int) -> bool:
    """A store of ``rows`` ok cells; True when the rows carry stamps (the code has them)."""
    import theorylab.measure  # noqa: F401 - what a worker imports, so the stamp lists a realistic file set

    (template,), _ = expand(parse_sweep(CONFIG))
    dump = json.loads(template.config_json)
    stamped = hasattr(cells_module, "effective_config")
    if stamped:
        from theorylab.provenance import imported_sources, make_stamp

        files = imported_sources()
    grid = []
    for i in range(rows):
        dump["sampler"]["gamma"] = 0.1 * (1.0 + i / rows)
        text = json.dumps(dump, separators=(",", ":"))
        key = cell_key(json.loads(text))
        grid.append(SimpleNamespace(index=i, key=key, config_json=text, seed=i, sweep={"sampler.gamma": 0.1},
                                    label=lambda: ""))
    folder = RunFolder(run_dir)
    folder.freeze({**CONFIG, "sweep": {"sampler.gamma": [0.1]}}, [])
    now = time.time()
    with Store(folder.db) as store:
        store.set_grid(grid)
        run = store.begin_run("bench", 1, rows)
        for cell in grid:
            metrics = [{"name": n, "value": 0.01 * (1 + cell.index % 7), "method": "closed form", "kind": "exact",
                        "lower": 0.01, "upper": 0.02, "level": None, "note": None} for n in ("tv", "w2")]
            outcome = {"status": "ok", "message": "", "metrics": metrics, "law": None, "seconds": 0.001,
                       "started": now, "finished": now, "versions": library_versions(), "worker": "bench:0"}
            if stamped:
                outcome["stamp"] = make_stamp(cells_module.effective_config(cell.config_json, cell.seed), files)
            store.record(cell, outcome, run)
        store.end_run(run, "completed")
    return stamped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        t0 = time.perf_counter()
        stamped = build(run_dir, args.rows)
        build_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in run_dir.iterdir() if p.name.startswith("results.sqlite"))
        times = []
        for _ in range(args.repeats + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            df = results_table(run_dir)
            times.append((time.perf_counter() - t0, time.process_time() - c0))
        assert len(df) == args.rows and (df["status"] == "ok").all()
    first, rest = times[0], times[1:]
    result = {"label": args.label, "rows": args.rows, "stamped": stamped, "build_seconds": build_s,
              "store_bytes": size, "first_read_seconds": first[0],
              "read_seconds_median": statistics.median(t for t, _ in rest),
              "read_cpu_seconds_median": statistics.median(c for _, c in rest),
              "reads": [t for t, _ in times], "python": platform.python_version(),
              "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"store_read_{args.label}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{args.label}: {args.rows} rows (stamped: {stamped}), store {size / 2**20:.2f} MiB; results_table "
          f"first {first[0]:.2f} s, median {result['read_seconds_median']:.2f} s wall / "
          f"{result['read_cpu_seconds_median']:.2f} s CPU over {args.repeats}")


if __name__ == "__main__":
    main()
