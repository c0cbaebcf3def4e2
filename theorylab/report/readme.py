"""The README's result numbers, generated from the committed artefacts (never typed in).

Blocks in ``README.md`` between ``<!-- generated:NAME -->`` and ``<!-- /generated -->`` are rewritten by
:func:`update_readme` (called by ``theorylab reproduce``) from:

* ``ledger-counts`` - the summary line of ``reports/claims.md``;
* ``ledger-findings`` - the claims of ``reports/claims.md`` whose verdict is not ``proved``/``verified``, with
  their one-line evidence;
* ``reproductions`` - one table row per ``reports/learning/<name>/result.json`` (its headline, profile and cost);
* ``samplers`` - the sampler registry (:func:`theorylab.samplers.sampler_table`: name, declared orders, processes,
  scheme), so the README's table is never a second list of names;
* ``perf-...`` - the Performance section, one bullet per benchmark, from ``benchmarks/results/*.json`` and
  ``reports/reproduce_timing.json`` (:mod:`theorylab.report.benchmarks`; a missing file renders as "not measured
  yet").

The same call rewrites the ``<!-- generated:bench-... -->`` blocks of ``benchmarks/README.md`` (the benchmarks'
methods document: each benchmark's README bullet, rendered by the same function, and its detail tables;
:data:`theorylab.report.benchmarks.DOC_BLOCKS`), so one command refreshes both documents
(``tests/report/test_benchmarks_readme.py`` checks that document).

``tests/report/test_readme_generated.py`` checks that every block equals what the artefacts give and that the
sections holding them (the results sections and the Performance section) carry no other typed-in result number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["BLOCK", "block_names", "generated_blocks", "render_bench_block", "render_block",
           "update_benchmarks_readme", "update_readme"]

#: A generated block: its name and its body.
BLOCK = re.compile(r"<!-- generated:(?P<name>[a-z0-9-]+) -->\n(?P<body>.*?)<!-- /generated -->", re.S)

_SUMMARY = re.compile(r"^Summary: (?P<counts>.*) \((?P<total>\d+) claims\)\.$", re.M)
_ROW = re.compile(r"^\| \[`(?P<id>[^`]+)`\]\(#[^)]*\) \| (?P<src>\d+) \| (?P<loc>.*?) \| \*\*(?P<verdict>[a-z-]+)\*\* \| "
                  r"(?P<evidence>.*) \|$", re.M)


def _claims(reports: Path) -> str:
    path = reports / "claims.md"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: run `theorylab verify` (or `theorylab reproduce`) first")
    return path.read_text(encoding="utf-8")


def _ledger_counts(reports: Path) -> str:
    match = _SUMMARY.search(_claims(reports))
    if match is None:
        raise ValueError(f"{reports / 'claims.md'} has no 'Summary:' line")
    return f"{match['total']} claims: {match['counts']} (from `reports/claims.md`)"


def _ledger_findings(reports: Path) -> str:
    rows = [m for m in _ROW.finditer(_claims(reports)) if m["verdict"] not in ("proved", "verified")]
    return "\n".join(f"- `{m['id']}` **{m['verdict']}**: {m['evidence']}" for m in rows)


def _reproductions(reports: Path) -> str:
    lines = ["| experiment | profile | result (95% intervals) | wall time |", "|---|---|---|---|"]
    for path in sorted((reports / "learning").glob("*/result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        cost = result.get("cost", {})
        headline = "; ".join(result.get("headline", []))
        lines.append(f"| `{result['name']}` | {result['profile']} | {headline} | "
                     f"{cost.get('seconds', float('nan')):.0f} s ({cost.get('threads', '?')} thread(s)) |")
    return "\n".join(lines)


def _samplers(reports: Path) -> str:
    from theorylab.samplers import sampler_table

    return sampler_table()


_GENERATORS: dict[str, Callable[[Path], str]] = {
    "samplers": _samplers,
    "ledger-counts": _ledger_counts,
    "ledger-findings": _ledger_findings,
    "reproductions": _reproductions,
}


def _benchmark_blocks() -> dict:
    from theorylab.report.benchmarks import BENCHMARKS

    return BENCHMARKS


def block_names() -> list[str]:
    """The names of every block this module can render."""
    return [*_GENERATORS, *_benchmark_blocks()]


def render_block(name: str, reports: Path, benchmarks: Path | None = None) -> str:
    """The body of block ``name`` from the artefacts under ``reports`` and, for the ``perf-...`` blocks, the
    benchmark results under ``benchmarks`` (default: ``benchmarks/results`` beside ``reports``)."""
    reports = Path(reports)
    if name in _GENERATORS:
        return _GENERATORS[name](reports) + "\n"
    if name in _benchmark_blocks():
        from theorylab.report.benchmarks import render

        benchmarks = reports.parent / "benchmarks" / "results" if benchmarks is None else Path(benchmarks)
        return render(name, benchmarks, reports) + "\n"
    raise KeyError(f"unknown generated block {name!r} (known: {', '.join(block_names())})")


def generated_blocks(text: str) -> list[tuple[str, str]]:
    """``(name, body)`` of every generated block of ``text``, in order."""
    return [(m["name"], m["body"]) for m in BLOCK.finditer(text)]


def _rewrite(path: Path, render: Callable[[str], str]) -> int:
    """Rewrite every generated block of the file ``path`` with ``render(name)``; return how many there were."""
    count = 0

    def fill(match: re.Match) -> str:
        nonlocal count
        count += 1
        return f"<!-- generated:{match['name']} -->\n{render(match['name'])}<!-- /generated -->"

    text = BLOCK.sub(fill, path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return count


def render_bench_block(name: str, benchmarks: Path, reports: Path) -> str:
    """The body of block ``name`` (``bench-...``) of ``benchmarks/README.md`` from the JSON files under
    ``benchmarks`` (:data:`theorylab.report.benchmarks.DOC_BLOCKS`)."""
    from theorylab.report.benchmarks import DOC_BLOCKS, render_doc

    if name not in DOC_BLOCKS:
        raise KeyError(f"unknown generated block {name!r} of benchmarks/README.md (known: {', '.join(DOC_BLOCKS)})")
    return render_doc(name, benchmarks, reports) + "\n"


def update_benchmarks_readme(document: str | Path = "benchmarks/README.md", reports: str | Path = "reports",
                             benchmarks: str | Path | None = None) -> int:
    """Rewrite every generated block of the benchmarks' methods document (``benchmarks/README.md``) from the JSON
    files under ``benchmarks`` (default: ``results`` beside ``document``); return the number of blocks rewritten."""
    document = Path(document)
    benchmarks = document.parent / "results" if benchmarks is None else Path(benchmarks)
    return _rewrite(document, lambda name: render_bench_block(name, benchmarks, Path(reports)))


def update_readme(readme: str | Path = "README.md", reports: str | Path = "reports",
                  benchmarks: str | Path | None = None) -> int:
    """Rewrite every generated block of ``readme`` from ``reports`` and ``benchmarks`` (default:
    ``benchmarks/results`` beside ``readme``), and those of ``benchmarks/README.md`` beside ``readme`` when it is
    there (:func:`update_benchmarks_readme`, from the same ``benchmarks``), so that one command refreshes both
    documents; return the number of blocks rewritten in both."""
    readme, reports = Path(readme), Path(reports)
    benchmarks = readme.parent / "benchmarks" / "results" if benchmarks is None else Path(benchmarks)
    count = _rewrite(readme, lambda name: render_block(name, reports, benchmarks))
    document = readme.parent / "benchmarks" / "README.md"
    if document.is_file():
        count += update_benchmarks_readme(document, reports, benchmarks)
    return count
