"""Claims from any paper: a user's ``.toml`` (or ``.py``) file checked with the ledger's machinery and verdicts.

* :mod:`.expressions` — safe parsing of ``lhs``/``rhs`` (a whitelisted syntax tree, never ``eval`` of user text);
* :mod:`.domain` — the domain grammar: sympy assumptions and Hypothesis strategies;
* :mod:`.prove` — the symbolic stage (``doit``, simplification, Piecewise branch analysis, inequality signs);
* :mod:`.numeric` — is a point a counterexample (50 digits, 100 digits, then exact);
* :mod:`.search` — Hypothesis ``find``: a reproducible, shrunk witness;
* :mod:`.check` — the order of evidence and the verdict;
* :mod:`.load` — the file contract (``docs/user-claims.md``).
"""

from theorylab.claims.user.check import UserClaim, check_user_claim
from theorylab.claims.user.load import load_claims, parse_claims

__all__ = ["UserClaim", "check_user_claim", "load_claims", "parse_claims"]
