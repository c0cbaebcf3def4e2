r"""The counterexample search of a user's claim, by Hypothesis.

:func:`hypothesis.find` draws points of the domain until one is a counterexample, then *shrinks* it: Hypothesis
replaces the point by simpler ones (smaller integers, floats nearer 0 or with fewer significant bits, such as
0.5) for as long as they are still counterexamples, so the witness reported is a minimal one — for
:math:`(1-g)^k = 1 - kg` on :math:`k \in [1, 200]` it is :math:`k = 2`, the smallest failing case. Why Hypothesis
and not random points: its draws favour boundaries and special values, and its shrinking is what makes a witness
readable.

Reproducibility: ``derandomize=True`` (draws seeded from the search itself, not from the clock), no example
database (``database=None``: a previous run cannot change this one), no deadline; so the same file gives the same
witness every time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

__all__ = ["SearchResult", "search_counterexample"]


@dataclass(frozen=True)
class SearchResult:
    """The shrunk witness (None if none was found) and how many points were evaluated."""

    witness: Mapping[str, Any] | None
    draws: int  #: points evaluated before the first counterexample (all of them when none was found)
    evaluations: int  #: all points evaluated, shrinking included


def search_counterexample(
    strategy: st.SearchStrategy[dict[str, Any]], is_counterexample: Callable[[dict[str, Any]], bool],
    max_examples: int,
) -> SearchResult:
    """Draw up to ``max_examples`` points; return the shrunk counterexample, or None."""
    calls = {"n": 0, "first": None}

    def condition(point: dict[str, Any]) -> bool:
        calls["n"] += 1
        found = bool(is_counterexample(point))
        if found and calls["first"] is None:
            calls["first"] = calls["n"]
        return found

    config = settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    try:
        witness = find(strategy, condition, settings=config)
    except NoSuchExample:
        return SearchResult(None, calls["n"], calls["n"])
    return SearchResult(witness, calls["first"] or calls["n"], calls["n"])
