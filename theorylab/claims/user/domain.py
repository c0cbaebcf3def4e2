r"""The domain of a user's claim: where each symbol lives, as sympy assumptions (for the proof) and as a Hypothesis
strategy (for the counterexample search).

Grammar of one entry of ``[claim.domain]`` (``name = spec``):

====================================  =====================================================================
spec                                  meaning
====================================  =====================================================================
``[a, b]`` (a TOML list of numbers)   the **open** real interval (a, b) (the contract's short form)
``"real (a, b]"``                     a real interval; ``(`` ``)`` open, ``[`` ``]`` closed ends; ``a``/``b`` may be
                                      ``-inf``/``inf`` (always open there)
``"(a, b)"``                          same as ``"real (a, b)"``
``"real"`` / ``"positive"``           (-inf, inf) / (0, inf)
``"integer [a, b]"``                  the integers from a to b (finite bounds; an open end excludes it)
``"matrix RxC <scalar spec>"``        an R-by-C matrix whose entries are independent symbols in ``<scalar spec>``
``"symmetric NxN <scalar spec>"``     a symmetric matrix (entries above the diagonal drawn, mirrored below)
``"diagonal NxN <scalar spec>"``      a diagonal matrix (off-diagonal entries are 0)
====================================  =====================================================================

A matrix named ``A`` is an explicit :class:`sympy.Matrix` of entry symbols ``A_i_j`` (1-based; they may be used
in expressions too; a symmetric matrix's entries below the diagonal are the mirrored ``A_j_i``), so sympy proves an
identity entry by entry *for that shape*: a verdict on a 2x2 declaration says nothing about 3x3. Write matrix
expressions with functions (``transpose(A)``, ``inv(A)``, ``det(A)``, ``trace(A)``), since attribute access is
refused by the parser.

Assumptions given to sympy follow from the interval only: every symbol is ``real``; ``integer`` for integer
ranges; ``positive`` when the interval lies in (0, inf), ``nonnegative`` in [0, inf), ``negative`` /
``nonpositive`` symmetrically. Bounds such as ``g < 1`` have no sympy assumption; the prover uses them in its
branch analysis (:mod:`.prove`) and the search draws only inside them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from theorylab.claims.user.expressions import check_identifier
from theorylab.errors import ConfigError

__all__ = ["Interval", "Variable", "Domain", "parse_domain", "parse_spec"]


@dataclass(frozen=True)
class Interval:
    """A real or integer interval with open/closed ends (integer intervals are stored closed)."""

    low: float
    high: float
    closed_low: bool
    closed_high: bool
    integer: bool

    def assumptions(self) -> dict[str, bool]:
        """sympy assumptions implied by the interval."""
        out: dict[str, bool] = {"integer": True} if self.integer else {"real": True}
        if self.low > 0 or (self.low == 0 and not self.closed_low):
            out["positive"] = True
        elif self.low >= 0:
            out["nonnegative"] = True
        if self.high < 0 or (self.high == 0 and not self.closed_high):
            out["negative"] = True
        elif self.high <= 0:
            out["nonpositive"] = True
        return out

    def as_set(self) -> sp.Set:
        """The interval as a sympy set (used to decide Piecewise conditions on the domain)."""
        if self.integer:
            return sp.Range(int(self.low), int(self.high) + 1)
        low = sp.Rational(self.low) if math.isfinite(self.low) else -sp.oo
        high = sp.Rational(self.high) if math.isfinite(self.high) else sp.oo
        return sp.Interval(low, high, left_open=not self.closed_low, right_open=not self.closed_high)

    def strategy(self) -> st.SearchStrategy:
        """Hypothesis strategy drawing inside the interval (float64 for reals; no nan, no inf)."""
        if self.integer:
            return st.integers(int(self.low), int(self.high))
        return st.floats(
            min_value=self.low if math.isfinite(self.low) else None,
            max_value=self.high if math.isfinite(self.high) else None,
            exclude_min=math.isfinite(self.low) and not self.closed_low,
            exclude_max=math.isfinite(self.high) and not self.closed_high,
            allow_nan=False,
            allow_infinity=False,
        )

    def text(self) -> str:
        """E.g. ``integer [1, 200]`` or ``real (0, 1)``."""
        if self.integer:
            return f"integer [{int(self.low)}, {int(self.high)}]"
        left, right = "[" if self.closed_low else "(", "]" if self.closed_high else ")"
        return f"real {left}{_num(self.low)}, {_num(self.high)}{right}"


def _num(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{int(x)}" if float(x).is_integer() else repr(x)


@dataclass(frozen=True)
class Variable:
    """One declared name: a scalar symbol, or a matrix of entry symbols."""

    name: str
    interval: Interval
    shape: tuple[int, int] | None = None  #: None for a scalar
    structure: str = "general"  #: general | symmetric | diagonal (matrices)

    @property
    def symbols(self) -> dict[str, sp.Symbol]:
        """The free scalar symbols of this variable, by name (one per independent entry of a matrix)."""
        a = self.interval.assumptions()
        if self.shape is None:
            return {self.name: sp.Symbol(self.name, **a)}
        rows, cols = self.shape
        out = {}
        for i in range(rows):
            for j in range(cols):
                if self.structure == "symmetric" and j < i or self.structure == "diagonal" and i != j:
                    continue
                name = f"{self.name}_{i + 1}_{j + 1}"
                out[name] = sp.Symbol(name, **a)
        return out

    @property
    def value(self) -> sp.Basic:
        """What the name means in an expression: its symbol, or the explicit matrix of its entry symbols."""
        symbols = self.symbols
        if self.shape is None:
            return symbols[self.name]
        rows, cols = self.shape

        def entry(i: int, j: int) -> sp.Basic:
            if self.structure == "diagonal" and i != j:
                return sp.S.Zero
            if self.structure == "symmetric" and j < i:
                i, j = j, i
            return symbols[f"{self.name}_{i + 1}_{j + 1}"]

        return sp.Matrix(rows, cols, lambda i, j: entry(i, j))

    def text(self) -> str:
        if self.shape is None:
            return f"{self.name} in {self.interval.text()}"
        kind = "matrix" if self.structure == "general" else self.structure
        return f"{self.name}: {kind} {self.shape[0]}x{self.shape[1]}, entries {self.interval.text()}"


@dataclass(frozen=True)
class Domain:
    """The declared variables of a claim."""

    variables: tuple[Variable, ...]

    @property
    def names(self) -> dict[str, sp.Basic]:
        """Name -> sympy value, the ``local_dict`` of the parser: each declared name (symbol or matrix) and the
        entry symbols ``A_i_j`` of each matrix (so ``det(S) = S_1_1*S_2_2 - S_1_2**2`` can be written)."""
        out: dict[str, sp.Basic] = {}
        for v in self.variables:
            if v.shape is not None:
                out.update(v.symbols)
            out[v.name] = v.value
        return out

    @property
    def symbols(self) -> dict[str, sp.Symbol]:
        """Every free scalar symbol (matrix entries included), by name."""
        out: dict[str, sp.Symbol] = {}
        for v in self.variables:
            out.update(v.symbols)
        return out

    def interval_of(self, symbol_name: str) -> Interval:
        """The interval of a scalar symbol (or matrix entry) by its name."""
        for v in self.variables:
            if symbol_name in v.symbols:
                return v.interval
        raise KeyError(symbol_name)

    def strategy(self) -> st.SearchStrategy[dict[str, Any]]:
        """A point of the domain: scalar symbol name -> value, drawn by Hypothesis."""
        return st.fixed_dictionaries({name: self.interval_of(name).strategy() for name in self.symbols})

    def describe_point(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """A point as the user declared it: scalars by name, matrices as nested lists."""
        out: dict[str, Any] = {}
        for v in self.variables:
            if v.shape is None:
                out[v.name] = point[v.name]
            else:
                m = v.value.xreplace({s: point[n] for n, s in v.symbols.items()})
                out[v.name] = [[_plain(m[i, j]) for j in range(v.shape[1])] for i in range(v.shape[0])]
        return out

    def text(self) -> str:
        return "; ".join(v.text() for v in self.variables) or "(no variables)"


def _plain(x: Any) -> Any:
    if isinstance(x, sp.Integer):
        return int(x)
    if isinstance(x, sp.Basic):
        return float(x)
    return x


_NUMBER = r"[-+]?(?:inf|oo|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_SPEC = re.compile(
    rf"^(?:(?P<kind>matrix|symmetric|diagonal)\s+(?P<rows>\d+)\s*x\s*(?P<cols>\d+)\s*)?"
    rf"(?:(?P<type>real|integer|positive)\s*)?"
    rf"(?:(?P<left>[\[(])\s*(?P<low>{_NUMBER})\s*,\s*(?P<high>{_NUMBER})\s*(?P<right>[\])]))?$"
)


def _bound(text: str) -> float:
    return float(text.replace("oo", "inf"))


def parse_spec(name: str, spec: object, where: str) -> Variable:
    """One ``[claim.domain]`` entry -> :class:`Variable`; ConfigError naming ``where`` otherwise."""
    if isinstance(spec, list):
        if len(spec) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in spec):
            raise ConfigError(f"{where}: a list must be two numbers [a, b] (the open interval), got {spec!r}")
        low, high = float(spec[0]), float(spec[1])
        if math.isnan(low) or math.isnan(high) or not low < high:
            raise ConfigError(f"{where}: needs a < b in [a, b], got {spec!r}")
        return Variable(name, Interval(low, high, False, False, False))
    if not isinstance(spec, str):
        raise ConfigError(f"{where}: must be a list [a, b] or a string such as \"integer [1, 10]\", "
                          f"got {type(spec).__name__}")
    m = _SPEC.match(spec.strip())
    if m is None or (m["type"] is None and m["left"] is None):
        raise ConfigError(f"{where}: cannot read {spec!r} (e.g. \"real (0, 1]\", \"integer [1, 200]\", "
                          "\"matrix 2x2 real (-3, 3)\"; see docs/user-claims.md)")
    kind = m["type"] or "real"
    if m["left"] is None:
        if kind == "integer":
            raise ConfigError(f"{where}: an integer range needs finite bounds, e.g. \"integer [1, 200]\"")
        interval = Interval(0.0 if kind == "positive" else -math.inf, math.inf, False, False, False)
    else:
        if kind == "positive":
            raise ConfigError(f"{where}: write \"real (0, b)\" for a bounded positive interval")
        low, high = _bound(m["low"]), _bound(m["high"])
        closed_low, closed_high = m["left"] == "[", m["right"] == "]"
        if kind == "integer":
            if not (math.isfinite(low) and math.isfinite(high) and low.is_integer() and high.is_integer()):
                raise ConfigError(f"{where}: integer bounds must be finite integers, got {spec!r}")
            low, high = low + (not closed_low), high - (not closed_high)
            if low > high:
                raise ConfigError(f"{where}: the integer range {spec!r} is empty")
            interval = Interval(low, high, True, True, True)
        else:
            closed_low &= math.isfinite(low)
            closed_high &= math.isfinite(high)
            if not (low < high or (low == high and closed_low and closed_high)):
                raise ConfigError(f"{where}: the interval {spec!r} is empty (needs a < b)")
            interval = Interval(low, high, closed_low, closed_high, False)
    if m["kind"] is None:
        return Variable(name, interval)
    rows, cols = int(m["rows"]), int(m["cols"])
    if not (1 <= rows <= _MAX_SIDE and 1 <= cols <= _MAX_SIDE):
        raise ConfigError(f"{where}: matrix sides must be between 1 and {_MAX_SIDE}, got {rows}x{cols}")
    if m["kind"] != "matrix" and rows != cols:
        raise ConfigError(f"{where}: a {m['kind']} matrix must be square, got {rows}x{cols}")
    return Variable(name, interval, (rows, cols), "general" if m["kind"] == "matrix" else m["kind"])


#: Largest matrix side accepted: explicit symbolic matrices grow like side^2 symbols (and det like side!).
_MAX_SIDE = 6


def parse_domain(table: object, where: str) -> Domain:
    """The ``[claim.domain]`` table -> :class:`Domain` (names checked, entry symbols must not clash)."""
    if table is None:
        return Domain(())
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table of name = spec")
    variables = []
    seen: set[str] = set()
    for name, spec in table.items():
        check_identifier(name, f"{where}.{name}")
        v = parse_spec(name, spec, f"{where}.{name}")
        clash = (set(v.symbols) | {name}) & seen
        if clash:
            raise ConfigError(f"{where}.{name}: the name {sorted(clash)[0]!r} is declared twice "
                              "(matrix entries are named NAME_i_j)")
        seen |= set(v.symbols) | {name}
        variables.append(v)
    return Domain(tuple(variables))
