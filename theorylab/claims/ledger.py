"""Run the checks of the claims ledger and render the results (table, JSON, Markdown report).

Every verdict is recomputed by its check on each run. A check that raises is recorded as ``error`` with its
message, the other checks still run, and :func:`run_ledger`'s caller (the CLI) exits non-zero. A refuted claim
is a finding, not an error.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theorylab.claims.model import Claim, Evidence, Outcome
from theorylab.claims.registry import all_claims

__all__ = ["ClaimResult", "run_ledger", "to_json_objects", "render_table", "render_markdown", "render_claim"]


@dataclass(frozen=True)
class ClaimResult:
    """A claim and what its check produced (an outcome, or the error that crashed it)."""

    claim: Claim
    outcome: Outcome | None
    error: str | None
    seconds: float

    @property
    def verdict(self) -> str:
        return "error" if self.outcome is None else self.outcome.verdict.value

    @property
    def one_line(self) -> str:
        return f"check crashed: {self.error}" if self.outcome is None else self.outcome.one_line()


#: Default root of the reports the experiment claims read (``reports/learning/<name>/result.json`` under it).
DEFAULT_REPORTS = Path("reports")


def _takes_reports(check: Callable[..., Outcome]) -> bool:
    return "reports" in inspect.signature(check).parameters


def run_check(claim: Claim, *, reports: Path = DEFAULT_REPORTS) -> ClaimResult:
    """Run one claim's check, capturing a crash as an error result. Checks that read committed artefacts (the
    seed-002 reproductions) take the reports root ``reports``."""
    start = time.perf_counter()
    try:
        outcome = claim.check(reports=Path(reports)) if _takes_reports(claim.check) else claim.check()
    except Exception as exc:  # a crashed check is reported, not raised: the other checks still run
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(tb.filename).name}:{tb.lineno}"
        return ClaimResult(claim, None, f"{type(exc).__name__}: {exc} ({where})", time.perf_counter() - start)
    return ClaimResult(claim, outcome, None, time.perf_counter() - start)


def run_ledger(
    claims: Iterable[Claim] | None = None,
    *,
    on_done: Callable[[ClaimResult], None] | None = None,
    reports: Path = DEFAULT_REPORTS,
) -> list[ClaimResult]:
    """Run the checks of ``claims`` (default: all registered claims) in order; ``reports`` is the root of the
    committed artefacts the experiment claims read (their provenance stamps are checked against this code)."""
    results = []
    for claim in all_claims() if claims is None else claims:
        result = run_check(claim, reports=reports)
        results.append(result)
        if on_done is not None:
            on_done(result)
    return results


def _evidence_json(e: Evidence) -> dict[str, Any]:
    return {"kind": e.kind.value, "scope": e.scope, "summary": e.summary, "supports": e.supports,
            "details": _jsonable(e.details)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def to_json_objects(results: Iterable[ClaimResult]) -> list[dict[str, Any]]:
    """The ``--json`` schema: one object per claim with keys id, source, location, statement, verdict,
    evidence (list), correction (object or null); plus condition, pending_on and seconds."""
    out = []
    for r in results:
        o = r.outcome
        correction = None
        if o is not None and o.correction is not None:
            correction = {
                "statement": o.correction.statement,
                "holds": o.correction.holds,
                "evidence": [_evidence_json(e) for e in o.correction.evidence],
            }
        evidence = (
            [_evidence_json(e) for e in o.evidence]
            if o is not None
            else [{"kind": "error", "scope": None, "summary": r.error, "supports": False, "details": {}}]
        )
        out.append(
            {
                "id": r.claim.id,
                "source": r.claim.source,
                "location": r.claim.location,
                "statement": r.claim.statement,
                "domain": r.claim.domain,
                "verdict": r.verdict,
                "evidence": evidence,
                "correction": correction,
                "condition": None if o is None else o.condition,
                "pending_on": None if o is None else o.pending_on,
                "seconds": round(r.seconds, 3),
            }
        )
    return out


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(results: Iterable[ClaimResult], *, width: int = 100) -> str:
    """Plain-text table: id, source, verdict, one-line evidence; then the count of each verdict."""
    results = list(results)
    id_w = max(len("id"), *(len(r.claim.id) for r in results))
    rows = [f"{'id':<{id_w}}  {'src':<3}  {'verdict':<19}  evidence"]
    for r in results:
        rows.append(f"{r.claim.id:<{id_w}}  {r.claim.source[:3]:<3}  {r.verdict:<19}  {_short(r.one_line, width)}")
    counts = Counter(r.verdict for r in results)
    rows.append("")
    rows.append(f"{len(results)} claims: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    return "\n".join(rows)


def render_claim(result: ClaimResult) -> str:
    """Everything about one claim, as text (``--claim ID``)."""
    c, o = result.claim, result.outcome
    lines = [
        f"id:        {c.id}",
        f"source:    {c.source}",
        f"location:  {c.location}",
        f"statement: {c.statement}",
        f"domain:    {c.domain}",
        f"verdict:   {result.verdict}",
    ]
    if o is None:
        lines.append(f"error:     {result.error}")
        return "\n".join(lines)
    if o.condition:
        lines.append(f"condition: {o.condition}")
    if o.pending_on:
        lines.append(f"pending:   {o.pending_on}")
    lines.append("evidence:")
    for e in o.evidence:
        lines.append(f"  - [{e.kind.value}] {'supports' if e.supports else 'contradicts'}: {e.summary}")
        lines.append(f"      scope: {e.scope}")
        for k, v in e.details.items():
            lines.append(f"      {k}: {_jsonable(v)}")
    if o.correction is not None:
        lines.append(f"correction ({'holds' if o.correction.holds else 'does not hold'}): {o.correction.statement}")
        for e in o.correction.evidence:
            lines.append(f"  - [{e.kind.value}] {'supports' if e.supports else 'contradicts'}: {e.summary}")
            lines.append(f"      scope: {e.scope}")
    return "\n".join(lines)


#: Heading and first line of the ledger's Markdown report.
LEDGER_TITLE = "Claims ledger"
LEDGER_INTRO = "Every mathematical claim of the seed documents, with the verdict computed by its check on this run."


def render_markdown(results: Iterable[ClaimResult], *, title: str = LEDGER_TITLE, intro: str = LEDGER_INTRO) -> str:
    """The readable report ``reports/claims.md``: a summary table, then each claim with its evidence.

    ``title`` and ``intro`` name the collection (a user's claims file instead of the seeds' ledger)."""
    results = list(results)
    counts = Counter(r.verdict for r in results)
    out = [
        f"# {title}",
        "",
        intro,
        "Verdicts: **proved** (symbolic, and the proof's scope is the whole stated domain), **proved-special-case**",
        "(symbolic on a named family or sub-domain only), **verified** (numerical, tolerance and size given),",
        "**consistent** (an existence statement or another paper's result: the data that could refute it did not),",
        "**refuted** (counterexample), **corrected** (false as written; correction proved/verified),",
        "**conditional** (true under a named convention or sub-domain), **pending** (not decided; says what is",
        "missing). Every piece of evidence names its *scope*: the family or sub-domain it covers.",
        "",
        "Summary: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) + f" ({len(results)} claims).",
        "",
        "| id | source | location | verdict | evidence |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        loc = r.claim.location.replace("|", "\\|")
        ev = _short(r.one_line, 140).replace("|", "\\|")
        out.append(f"| [`{r.claim.id}`](#{_anchor(r.claim.id)}) | {r.claim.source[:3]} | {loc} | **{r.verdict}** | {ev} |")
    out.append("")
    for r in results:
        c, o = r.claim, r.outcome
        out += [f"## {c.id}", "", f"*Source:* `{c.source}`, {c.location}", "", "*Statement as written:*", "",
                f"$$ {c.statement} $$", "", f"*Stated domain:* {c.domain}", "", f"**Verdict: {r.verdict}**", ""]
        if o is None:
            out += [f"The check crashed: `{r.error}`", ""]
            continue
        if o.condition:
            out += [f"*Holds:* {o.condition}", ""]
        if o.pending_on:
            out += [f"*Pending:* {o.pending_on}", ""]
        for e in o.evidence:
            out.append(f"- *{e.kind.value}* ({'supports' if e.supports else 'contradicts'}; scope: {e.scope}): "
                       f"{e.summary}")
        if o.correction is not None:
            out += ["", f"*Correction* ({'holds' if o.correction.holds else 'does not hold'}): "
                    f"$ {o.correction.statement} $", ""]
            for e in o.correction.evidence:
                out.append(f"- *{e.kind.value}* ({'supports' if e.supports else 'contradicts'}; scope: {e.scope}): "
                           f"{e.summary}")
        out.append("")
    return "\n".join(out)


def _anchor(claim_id: str) -> str:
    return claim_id.replace(".", "").lower()
