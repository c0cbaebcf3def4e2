"""The claims ledger: every mathematical claim of the seed documents, with a verdict computed by its check.

* :mod:`.model` — Claim, Outcome, Evidence, Verdict;
* :mod:`.verdicts` — verdicts derived from evidence (never typed in);
* :mod:`.registry` — the register; one module per part of a seed declares its claims;
* :mod:`.ledger` — run the checks and render table / JSON / Markdown.
"""

from theorylab.claims.model import Claim, Evidence, EvidenceKind, Outcome, Verdict

__all__ = ["Claim", "Evidence", "EvidenceKind", "Outcome", "Verdict"]
