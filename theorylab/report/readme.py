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

``tests/report/test_readme_generated.py`` checks that every block equals what the artefacts give and that the
sections holding them (the results sections and the Performance section) carry no other typed-in result number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["BLOCK", "block_names", "generated_blocks", "render_block", "update_readme"]

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


def update_readme(readme: str | Path = "README.md", reports: str | Path = "reports",
                  benchmarks: str | Path | None = None) -> int:
    """Rewrite every generated block of ``readme`` from ``reports`` and ``benchmarks`` (default:
    ``benchmarks/results`` beside ``readme``); return the number of blocks rewritten."""
    readme, reports = Path(readme), Path(reports)
    benchmarks = readme.parent / "benchmarks" / "results" if benchmarks is None else Path(benchmarks)
    text = readme.read_text(encoding="utf-8")
    count = 0

    def fill(match: re.Match) -> str:
        nonlocal count
        count += 1
        body = render_block(match["name"], reports, benchmarks)
        return f"<!-- generated:{match['name']} -->\n{body}<!-- /generated -->"

    readme.write_text(BLOCK.sub(fill, text), encoding="utf-8")
    return count
