r"""Is a point of the domain a counterexample? High-precision evaluation of a claim's two sides.

A point is a **counterexample** to ``lhs REL rhs`` when, with :math:`d = \mathrm{lhs} - \mathrm{rhs}`,
:math:`s = \max(|\mathrm{lhs}|, |\mathrm{rhs}|)` and :math:`\tau` = :data:`~theorylab.tolerances.USER_CLAIM_RTOL`,

=========  ==========================  ==================================================================
relation   counterexample when          note
=========  ==========================  ==================================================================
``=``      :math:`|d| > \tau s`           entry by entry for matrices
``<=``     :math:`d > \tau s`
``<``      :math:`d \ge -\tau s`          sides within :math:`\tau s` count as equal, so a strict inequality
                                        fails there
``>=``     :math:`d < -\tau s`
``>``      :math:`d \le \tau s`
=========  ==========================  ==================================================================

or when a side is not a finite number there (a division by zero, an infinite value, or a complex value in an
inequality): the statement is then undefined at a point of its stated domain.

Symbolic sides are decided in three stages, so that a near-cancellation cannot manufacture a counterexample:

1. mpmath at :data:`~theorylab.tolerances.USER_CLAIM_DIGITS` (50) significant digits (fast; most points of a true
   claim stop here);
2. a point that fails stage 1 is re-evaluated at :data:`~theorylab.tolerances.USER_CLAIM_CONFIRM_DIGITS` (100):
   a difference produced by lost digits shrinks by ~50 orders of magnitude and the point passes;
3. a point that still fails is evaluated *exactly*: the drawn float64 values become the rationals they are
   (:class:`sympy.Rational`), sums with concrete limits are summed (``doit``), and sympy's ``evalf`` — which raises
   its working precision until the requested 50 digits of the *whole* residual are correct — decides. Only a
   point that fails this stage is a counterexample.

Sides given as Python callables (``.py`` claims) return float64 numbers; there the only stage is a float64
comparison with the claim's ``rtol`` (default :data:`~theorylab.tolerances.USER_CALLABLE_RTOL`).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.printing.pycode import MpmathPrinter

from theorylab.tolerances import USER_CLAIM_CONFIRM_DIGITS, USER_CLAIM_DIGITS, USER_CLAIM_RTOL

__all__ = ["RELATIONS", "PointCheck", "compare", "SymbolicSides", "CallableSides"]

#: The relations a claim may state, and how each is written in reports.
RELATIONS: Mapping[str, str] = {"=": "=", "==": "=", "<=": "<=", "<": "<", ">=": ">=", ">": ">"}


@dataclass(frozen=True)
class PointCheck:
    """The outcome at one point: violated or not, the worst entry's sides and residual, and why."""

    violated: bool
    lhs: complex | float
    rhs: complex | float
    residual: float  #: |lhs - rhs| of the worst entry (nan when undefined)
    reason: str = ""  #: "" | "undefined" | "complex value in an inequality"


def _finite(x: Any) -> bool:
    try:
        return bool(mpmath.isfinite(x))
    except (TypeError, ValueError):
        return False


def compare(lhs: Sequence[Any], rhs: Sequence[Any], relation: str, rtol: float) -> PointCheck:
    """Apply the table of the module docstring to paired entries (mpmath numbers, floats or sympy numbers).

    The arithmetic runs at :data:`~theorylab.tolerances.USER_CLAIM_CONFIRM_DIGITS` + 10 digits, so the inputs'
    own digits are kept.
    """
    worst = PointCheck(False, 0.0, 0.0, 0.0)
    with mpmath.workdps(USER_CLAIM_CONFIRM_DIGITS + 10):
        for a, b in zip(lhs, rhs, strict=True):
            a, b = _mp(a), _mp(b)
            if not (_finite(a) and _finite(b)):
                return PointCheck(True, _py(a), _py(b), math.nan, "undefined")
            complex_value = _is_complex(a) or _is_complex(b)
            if complex_value and relation != "=":
                return PointCheck(True, _py(a), _py(b), math.nan, "complex value in an inequality")
            if not complex_value:
                a, b = mpmath.re(a), mpmath.re(b)
            d = a - b
            tol = rtol * max(abs(a), abs(b))
            violated = {
                "=": abs(d) > tol,
                "<=": d > tol,
                "<": d >= -tol,
                ">=": d < -tol,
                ">": d <= tol,
            }[relation]
            residual = float(abs(d))
            if violated:
                return PointCheck(True, _py(a), _py(b), residual)
            if residual >= worst.residual:
                worst = PointCheck(False, _py(a), _py(b), residual)
    return worst


def _is_complex(x: Any) -> bool:
    return isinstance(x, mpmath.mpc) and x.imag != 0


def _mp(x: Any) -> Any:
    """An mpmath number at the current precision (nan for an undefined or non-numeric value)."""
    if isinstance(x, sp.Basic):
        if not x.is_number or x.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return mpmath.mpf("nan")
        re, im = (sp.Float(part, USER_CLAIM_CONFIRM_DIGITS) for part in sp.N(x, USER_CLAIM_CONFIRM_DIGITS).as_real_imag())
        return mpmath.mpf(re) if im == 0 else mpmath.mpc(mpmath.mpf(re), mpmath.mpf(im))
    if isinstance(x, mpmath.mpf | mpmath.mpc):
        return x
    if isinstance(x, complex):
        return mpmath.mpc(x)
    return mpmath.mpf(x)


def _py(x: Any) -> complex | float:
    if isinstance(x, mpmath.mpc):
        return complex(x)
    return float(x)


def _entries(value: Any) -> list[Any]:
    if isinstance(value, mpmath.matrix):
        return [x for row in value.tolist() for x in row]
    if isinstance(value, sp.MatrixBase):
        return list(value)
    if isinstance(value, np.ndarray):
        return [float(x) for x in value.ravel()]
    return [value]


def _mprange(a: Any, b: Any) -> Iterator[Any]:
    """The integers a..b (inclusive) as mpf, so that a summand such as ``j**(-2)`` stays in mpmath (Python's
    ``int ** -2`` would be a float64)."""
    for i in builtins.range(int(a), int(b) + 1):
        yield mpmath.mpf(i)


class _Printer(MpmathPrinter):
    """sympy's mpmath printer with finite sums and products over mpf indices (:func:`_mprange`)."""

    def _loops(self, expr: sp.Basic) -> str:
        return " ".join(f"for {self._print(i)} in _mprange({self._print(a)}, {self._print(b)})"
                        for i, a, b in expr.limits[::-1])

    def _print_Sum(self, expr: sp.Sum) -> str:
        return f"(builtins.sum({self._print(expr.function)} {self._loops(expr)}))"

    def _print_Product(self, expr: sp.Product) -> str:
        return f"(_mpprod({self._print(expr.function)} {self._loops(expr)}))"


class SymbolicSides:
    """Two sympy sides, evaluated at points by the three stages of the module docstring.

    Parameters
    ----------
    lhs, rhs : sympy expressions or matrices of one shape
    symbols : mapping of str to Symbol
        The free scalar symbols (a point gives each a value by name).
    """

    def __init__(self, lhs: sp.Basic, rhs: sp.Basic, symbols: Mapping[str, sp.Symbol]):
        self.lhs, self.rhs, self.symbols = lhs, rhs, dict(symbols)
        self._fast = self._lambdify()

    def _lambdify(self) -> Callable[..., tuple[Any, Any]] | None:
        # Every symbol (bound summation indices too) gets a fixed safe name, so no user name can collide with
        # the names of the generated code (builtins, mpmath).
        atoms = set().union(*(sp.sympify(side).atoms(sp.Symbol) for side in (self.lhs, self.rhs)))
        rename = {s: sp.Symbol(f"_s{i}", **s.assumptions0) for i, s in enumerate(sorted(atoms, key=str))}
        args = [rename[s] for s in self.symbols.values() if s in rename]
        self._args = [name for name, s in self.symbols.items() if s in rename]
        try:
            return sp.lambdify(args, (self.lhs.xreplace(rename), self.rhs.xreplace(rename)),
                               modules=[{"_mprange": _mprange, "_mpprod": mpmath.fprod, "mpmath": mpmath}, "mpmath"], printer=_Printer)
        except Exception:  # a construct mpmath's printer does not know: use the exact stage only
            return None

    def mp_values(self, point: Mapping[str, Any], digits: int) -> tuple[list[Any], list[Any]]:
        """Both sides' entries at ``point``, computed by mpmath at ``digits`` digits."""
        if self._fast is None:
            return self.exact_values(point, digits)
        with mpmath.workdps(digits):
            values = [mpmath.mpf(point[name]) for name in self._args]
            try:
                lhs, rhs = self._fast(*values)
            except (ZeroDivisionError, OverflowError, ValueError):
                return [mpmath.mpf("nan")], [mpmath.mpf("nan")]
            return _entries(lhs), _entries(rhs)

    def exact_values(self, point: Mapping[str, Any], digits: int) -> tuple[list[Any], list[Any]]:
        """Both sides at ``point`` from exact rationals and sympy's adaptive ``evalf`` (the residual is evaluated
        as one expression, so its cancellation is resolved; it is returned as ``lhs = rhs + residual``)."""
        exact = {s: (sp.Integer(point[n]) if isinstance(point[n], int) else sp.Rational(point[n]))
                 for n, s in self.symbols.items()}
        lhs = sp.sympify(self.lhs).xreplace(exact).doit()
        rhs = sp.sympify(self.rhs).xreplace(exact).doit()
        out_l, out_r = [], []
        for a, b in zip(_entries(lhs), _entries(rhs), strict=True):
            b_val = sp.N(b, digits)
            residual = sp.N(a - b, digits)
            out_l.append(b_val + residual)
            out_r.append(b_val)
        return out_l, out_r

    def check(self, point: Mapping[str, Any], relation: str, rtol: float = USER_CLAIM_RTOL) -> PointCheck:
        """Three stages: 50 digits, 100 digits, exact; a counterexample must fail all three."""
        first = compare(*self.mp_values(point, USER_CLAIM_DIGITS), relation, rtol)
        if not first.violated:
            return first
        second = compare(*self.mp_values(point, USER_CLAIM_CONFIRM_DIGITS), relation, rtol)
        if not second.violated:
            return second
        return compare(*self.exact_values(point, USER_CLAIM_DIGITS), relation, rtol)


class CallableSides:
    """Sides given as Python callables ``f(**point) -> float | ndarray`` (or a sympy side made numeric).

    ``lhs``/``rhs`` receive the point as keyword arguments (scalars as Python numbers, matrices as float64
    arrays) and return a number or an array; the comparison is in float64 with relative tolerance ``rtol``.
    """

    def __init__(self, lhs: Callable[..., Any], rhs: Callable[..., Any], to_call: Callable[[Mapping[str, Any]],
                 dict[str, Any]]):
        self.lhs, self.rhs, self._to_call = lhs, rhs, to_call

    def check(self, point: Mapping[str, Any], relation: str, rtol: float) -> PointCheck:
        kwargs = self._to_call(point)
        with np.errstate(all="ignore"):
            a = np.asarray(self.lhs(**kwargs), dtype=np.float64)
            b = np.asarray(self.rhs(**kwargs), dtype=np.float64)
        if a.shape != b.shape:
            a, b = np.broadcast_arrays(a, b)
        return compare(_entries(a), _entries(b), relation, rtol)
