"""The two objects every symbolic module returns: a :class:`Derivation` and an :class:`IdentityCheck`.

A *derivation* is a closed form that sympy obtained from a recursion, an ODE or an optimisation (never typed in),
together with a numeric version made by :func:`sympy.lambdify`. An *identity check* is the verdict of sympy on
``lhs == rhs``: proved (the residual simplifies to 0), refuted (a high-precision evaluation at an explicit point
of the stated domain is non-zero: the witness), or only numerically supported (sympy could not simplify the
residual, but it vanishes to 50 digits at every sampled point).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from theorylab.tolerances import SYMBOLIC_NUMERIC_ZERO

__all__ = ["Derivation", "IdentityCheck", "Truth", "check_identity", "simplify_to_zero"]


@dataclass(frozen=True)
class Derivation:
    """A closed form derived by sympy, with its numeric (lambdified) version.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"sigma_k^2"``.
    expr : sympy.Basic
        The derived expression (a scalar expression or a :class:`sympy.Matrix`).
    args : tuple of sympy.Symbol
        The symbols, in the order the numeric version takes them.
    source : str
        Where the seeds state the result: ``"<seed file> / <slide or section title>"``.
    method : str
        How it was derived, e.g. ``"rsolve of m_{k+1} = (1-gamma) m_k, m_0 = 1"``.

    Examples
    --------
    >>> from theorylab.symbolic.result import Derivation
    >>> import sympy as sp
    >>> g, k = sp.symbols("gamma k", positive=True)
    >>> d = Derivation("m_k", (1 - g) ** k, (g, k), "000 / Denoising Score matching", "example")
    >>> float(d(0.5, 2))
    0.25
    """

    name: str
    expr: sp.Basic
    args: tuple[sp.Symbol, ...]
    source: str
    method: str

    @cached_property
    def numeric(self) -> Callable[..., np.ndarray]:
        """The expression as a vectorised numpy function of :attr:`args` (float64)."""
        return sp.lambdify(self.args, self.expr, modules="numpy")

    def __call__(self, *values: float | np.ndarray) -> np.ndarray:
        """Evaluate :attr:`numeric` at float64 arrays broadcast together."""
        arrays = [np.asarray(v, dtype=np.float64) for v in values]
        return np.asarray(self.numeric(*arrays), dtype=np.float64)

    @property
    def latex(self) -> str:
        """LaTeX of the expression."""
        return sp.latex(self.expr)


class Truth(enum.Enum):
    """Outcome of an identity check."""

    PROVED = "proved"  #: the residual simplifies to exactly 0
    NUMERIC = "numeric"  #: not simplified, but 0 to 50 digits at every sampled point
    FAILS = "fails"  #: non-zero at an explicit point of the domain (the witness)


@dataclass(frozen=True)
class IdentityCheck:
    """The result of checking ``lhs == rhs`` on a stated domain.

    Attributes
    ----------
    lhs, rhs : sympy.Basic
        The two sides as given.
    residual : sympy.Basic
        ``lhs - rhs`` after simplification.
    truth : Truth
        Proved, numerically supported, or refuted.
    method : str
        What established the truth value (which simplification, or how many points at what precision).
    witness : dict
        For :attr:`Truth.FAILS`: the point (symbol name -> value) where the residual is non-zero, and the residual's
        value there under the key ``"residual"``.
    """

    lhs: sp.Basic
    rhs: sp.Basic
    residual: sp.Basic
    truth: Truth
    method: str
    witness: Mapping[str, float] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """True when proved or numerically supported; False when refuted."""
        return self.truth is not Truth.FAILS

    @property
    def proved(self) -> bool:
        """True only for an exact symbolic proof."""
        return self.truth is Truth.PROVED

    def summary(self) -> str:
        """One line describing the outcome."""
        if self.truth is Truth.FAILS:
            point = ", ".join(f"{k}={v:.6g}" for k, v in self.witness.items() if k != "residual")
            return f"fails at {point}: residual = {self.witness['residual']:.6g} ({self.method})"
        if self.truth is Truth.PROVED:
            return f"proved: {self.method}"
        residual = " ".join(sp.sstr(self.residual).split())
        return f"{self.truth.value}: residual {residual[:80]} ({self.method})"


_SIMPLIFIERS: tuple[tuple[str, Callable[[sp.Basic], sp.Basic]], ...] = (
    ("expand", sp.expand),
    ("cancel", sp.cancel),
    ("simplify", sp.simplify),
    ("expand(power_base, log)", lambda e: sp.expand(sp.expand_log(sp.powsimp(e, force=True), force=True))),
    ("exp-rewrite + simplify", lambda e: sp.simplify(e.rewrite(sp.exp))),
)


def _is_zero(expr: sp.Basic) -> bool:
    if isinstance(expr, sp.MatrixBase):
        return all(sp.sympify(e) == 0 for e in expr)
    return sp.sympify(expr) == 0


def simplify_to_zero(expr: sp.Basic) -> tuple[sp.Basic, str | None]:
    """Try sympy's simplifications in increasing cost; return the simplest form and the name of the one that
    reached 0 (``None`` if none did)."""
    best = expr
    for name, simplifier in _SIMPLIFIERS:
        if isinstance(expr, sp.MatrixBase):
            candidate = expr.applyfunc(simplifier)
        else:
            candidate = simplifier(expr)
        if _is_zero(candidate):
            return sp.S.Zero if not isinstance(expr, sp.MatrixBase) else candidate, name
        best = candidate
    return best, None


def _default_interval(symbol: sp.Symbol) -> tuple[float, float]:
    if symbol.is_positive or symbol.is_nonnegative:
        return (0.1, 3.0)
    return (-3.0, 3.0)


def check_identity(
    lhs: sp.Basic,
    rhs: sp.Basic,
    *,
    domain: Mapping[sp.Symbol, tuple[float, float]] | None = None,
    n_points: int = 24,
    seed: int = 0,
    digits: int = 50,
) -> IdentityCheck:
    """Check ``lhs == rhs``: symbolically first, then at random points of ``domain`` with ``digits`` precision.

    Parameters
    ----------
    lhs, rhs : sympy.Basic
        Scalar expressions or matrices of the same shape.
    domain : mapping of Symbol to (low, high), optional
        Interval of each free symbol for the numerical search. Symbols absent from it get ``(0.1, 3)`` when declared
        positive and ``(-3, 3)`` otherwise; symbols declared integer get integers in the interval. The stated domain of a claim goes here, so a witness lies inside it.
    n_points : int
        Number of random points (rationals drawn uniformly in the intervals) tried when simplification fails.
    seed : int
        Seed of the point draw (results are reproducible).
    digits : int
        Working precision of the evaluation (mpmath).

    Returns
    -------
    IdentityCheck
        ``PROVED`` when a simplification reaches 0; otherwise ``FAILS`` with the first point where
        ``|residual| > SYMBOLIC_NUMERIC_ZERO * (1 + |lhs|)``, or ``NUMERIC`` when no such point was found.
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        lhs, rhs = sp.Matrix(lhs), sp.Matrix(rhs)
        if lhs.shape != rhs.shape:
            raise ValueError(f"shapes differ: {lhs.shape} vs {rhs.shape}")
    residual = lhs - rhs
    rng = random.Random(seed)
    domain = dict(domain or {})
    # A cheap probe first: a false identity is refuted at a random point before sympy spends minutes trying to
    # simplify a residual that is not 0. Unevaluable residuals (undefined functions) skip the probe.
    try:
        witness = _search_witness(residual, lhs, rhs, domain, _PROBE_POINTS, rng, digits)
    except _Unevaluable:
        witness = None
    if witness is not None:
        return IdentityCheck(lhs, rhs, residual, Truth.FAILS, f"evaluated to {digits} digits", witness)
    simplified, how = simplify_to_zero(residual)
    if how is not None:
        return IdentityCheck(lhs, rhs, simplified, Truth.PROVED, f"sympy {how} of lhs - rhs gives 0")
    try:
        witness = _search_witness(simplified, lhs, rhs, domain, n_points, rng, digits)
    except _Unevaluable as exc:
        raise ValueError(f"cannot decide lhs == rhs: the residual {exc} does not evaluate to a number") from None
    if witness is not None:
        return IdentityCheck(lhs, rhs, simplified, Truth.FAILS, f"evaluated to {digits} digits", witness)
    return IdentityCheck(
        lhs, rhs, simplified, Truth.NUMERIC, f"not simplified to 0; zero to {digits} digits at {n_points} random points"
    )


#: Random points tried before any simplification (a false identity is usually refuted at the first one).
_PROBE_POINTS = 3


class _Unevaluable(Exception):
    """The residual does not evaluate to a number at a point (it contains undefined functions, say)."""


def _entries(expr: sp.Basic) -> list[sp.Basic]:
    return list(expr) if isinstance(expr, sp.MatrixBase) else [expr]


def _search_witness(residual, lhs, rhs, domain, n_points: int, rng: random.Random, digits: int):
    """First random point of ``domain`` where ``|residual| > SYMBOLIC_NUMERIC_ZERO * (1 + |lhs|)``, as a witness
    dict (symbol name -> value, plus ``"residual"``), or None."""
    entries, lhs_entries, rhs_entries = _entries(residual), _entries(lhs), _entries(rhs)
    # every free symbol of both sides gets a value (some may have cancelled out of the residual)
    free = sorted(
        set().union(*(sp.sympify(e).free_symbols for e in [*entries, *lhs_entries, *rhs_entries])),
        key=lambda s: s.name,
    )
    for _ in range(n_points):
        point = {}
        for s in free:
            lo, hi = domain.get(s, _default_interval(s))
            if s.is_integer:  # integer symbols (step counts, dimensions) get integer values
                low = max(int(np.ceil(lo)), 1 if s.is_positive else 0 if s.is_nonnegative else int(np.ceil(lo)))
                point[s] = sp.Integer(rng.randint(low, max(low, int(np.floor(hi)))))
            else:
                point[s] = sp.Rational(rng.randint(0, 10**6), 10**6) * sp.Rational(str(hi - lo)) + sp.Rational(str(lo))
        for entry, side in zip(entries, lhs_entries, strict=False):
            value = sp.N(sp.sympify(entry).subs(point), digits)
            side_value = sp.N(sp.sympify(side).subs(point), digits)
            try:  # undefined functions leave symbolic values whose comparison raises TypeError
                nonzero = bool(value.is_real is False or abs(value) > SYMBOLIC_NUMERIC_ZERO * (1 + abs(side_value)))
            except TypeError:
                raise _Unevaluable(sp.sstr(entry)[:80]) from None
            if nonzero:
                witness = {s.name: float(v) for s, v in point.items()}
                witness["residual"] = float(abs(value))
                return witness
    return None
