r"""The symbolic stage of a user's claim: can sympy *prove* it on the whole stated domain?

For ``lhs = rhs`` the residual :math:`r = \mathrm{lhs} - \mathrm{rhs}` (entry by entry for matrices) is first put
through ``doit`` (``Sum``/``Product``/``Integral`` with symbolic limits become closed forms by ``summation``,
``product`` and ``integrate``) and then through simplifications of increasing cost (``expand``, ``cancel``,
``simplify``, power/log expansion, exponential rewrite: the sequence of
:func:`theorylab.symbolic.result.simplify_to_zero`). Symbols carry the assumptions of their domain (real, integer,
positive, ...; :mod:`.domain`).

``summation`` often answers with a ``Piecewise`` (a geometric sum is ``k`` when its ratio is 1, the closed form
otherwise). Bounds such as :math:`g < 1` have no sympy assumption, so the *branch analysis* decides each branch's
condition on the declared intervals (:meth:`sympy.logic.boolalg.Boolean.as_set` intersected with the interval of
its one free symbol): a branch whose condition cannot hold on the domain is dropped, and the claim is proved when
every remaining branch simplifies to 0. A condition with several free symbols is kept (conservatively).

For an inequality ``lhs <= rhs`` the difference :math:`\mathrm{rhs} - \mathrm{lhs}` must be shown nonnegative
(positive for ``<``) by sympy's assumption system, first with the declared assumptions and then after mapping each
bounded real interval onto :math:`(0, \infty)` (:math:`x = a + (b-a)\,u/(1+u)`, :math:`u > 0`; a half-bounded one
by :math:`x = a + u`), which lets the assumption system see bounds it cannot otherwise express. Most true
inequalities are not proved this way; they are then *verified* numerically, never reported as proved.

Every proof attempt runs under a time limit (:data:`PROOF_SECONDS`): sympy's ``simplify`` can take minutes on a
residual that is not 0. Hitting the limit is "not proved", never "refuted".
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sympy as sp

from theorylab.claims.user.domain import Domain
from theorylab.symbolic.result import simplify_to_zero

__all__ = ["PROOF_SECONDS", "ProofAttempt", "try_prove"]

#: Time limit of one proof attempt, in seconds (wall clock, main thread only).
PROOF_SECONDS: float = 20.0


@dataclass(frozen=True)
class ProofAttempt:
    """What the symbolic stage achieved."""

    proved: bool
    method: str  #: how it was proved, or why not


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_Timeout` after ``seconds`` (SIGALRM; a no-op outside the main thread or on Windows)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def handler(signum, frame):  # noqa: ARG001 - signal API
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, handler)
    start = time.monotonic()
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:  # an outer timer (e.g. a test timeout) keeps running, minus the time spent here
            left = max(outer_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def _entries(expr: sp.Basic) -> list[sp.Basic]:
    return list(expr) if isinstance(expr, sp.MatrixBase) else [expr]


def _reachable(condition: sp.Basic, domain: Domain) -> bool:
    """False only when ``condition`` provably cannot hold anywhere on the domain."""
    if condition is sp.true:
        return True
    if condition is sp.false:
        return False
    free = condition.free_symbols
    if len(free) != 1:
        return True
    (symbol,) = free
    try:
        interval = domain.interval_of(symbol.name)
    except KeyError:
        return True
    try:
        where = condition.as_set().intersect(interval.as_set())
    except Exception:  # as_set is not implemented for every condition
        return True
    return where is not sp.S.EmptySet


def _zero_on_domain(entry: sp.Basic, domain: Domain) -> str | None:
    """The name of the simplification that reaches 0 (with branch analysis for Piecewise), or None."""
    folded = sp.piecewise_fold(entry)
    if not isinstance(folded, sp.Piecewise):
        return simplify_to_zero(entry)[1]
    dropped, hows = 0, set()
    for branch, condition in folded.args:
        if not _reachable(condition, domain):
            dropped += 1
            continue
        how = simplify_to_zero(branch)[1]
        if how is None:
            return None
        hows.add(how)
    return f"{' / '.join(sorted(hows))} + Piecewise branch analysis ({dropped} branch(es) impossible on the domain)"


def _prove_equality(residual: sp.Basic, domain: Domain) -> ProofAttempt:
    methods = set()
    for entry in _entries(residual):
        how = _zero_on_domain(entry, domain)
        if how is None:
            return ProofAttempt(False, "sympy did not reduce lhs - rhs to 0")
        methods.add(how)
    return ProofAttempt(True, f"sympy {' / '.join(sorted(methods))} of lhs - rhs gives 0")


def _to_half_line(domain: Domain) -> dict[sp.Symbol, sp.Basic]:
    """Substitutions mapping each bounded real interval onto u > 0 (see the module docstring)."""
    out = {}
    for name, symbol in domain.symbols.items():
        iv = domain.interval_of(name)
        if iv.integer:
            continue
        u = sp.Symbol(f"u_{name}", positive=True)
        low = sp.Rational(iv.low) if math.isfinite(iv.low) else None
        high = sp.Rational(iv.high) if math.isfinite(iv.high) else None
        if low is not None and high is not None:
            out[symbol] = low + (high - low) * u / (1 + u)
        elif low is not None:
            out[symbol] = low + u
        elif high is not None:
            out[symbol] = high - u
    return out


def _sign_known(expr: sp.Basic, strict: bool) -> bool:
    for candidate in (expr, sp.factor(sp.simplify(expr))):
        value = candidate.is_positive if strict else candidate.is_nonnegative
        if value:
            return True
    return False


def _prove_inequality(gap: sp.Basic, strict: bool, domain: Domain) -> ProofAttempt:
    """``gap`` must be >= 0 (> 0 if strict) on the domain."""
    what = "positive" if strict else "nonnegative"
    if _sign_known(gap, strict):
        return ProofAttempt(True, f"sympy's assumptions show the gap is {what} on the domain")
    substitution = _to_half_line(domain)
    if substitution and _sign_known(gap.xreplace(substitution), strict):
        return ProofAttempt(True, f"after mapping the intervals onto u > 0, sympy's assumptions show the gap is {what}")
    return ProofAttempt(False, f"sympy could not show the gap is {what}")


def try_prove(lhs: sp.Basic, rhs: sp.Basic, relation: str, domain: Domain,
              seconds: float = PROOF_SECONDS) -> ProofAttempt:
    """Try to prove ``lhs relation rhs`` on ``domain`` (see the module docstring); never raises on a hard case."""
    attempt: Callable[[], ProofAttempt]
    try:
        with _time_limit(seconds):
            lhs_done, rhs_done = sp.sympify(lhs).doit(), sp.sympify(rhs).doit()
            if relation == "=":
                attempt = lambda: _prove_equality(lhs_done - rhs_done, domain)  # noqa: E731
            elif relation in ("<=", "<"):
                attempt = lambda: _prove_inequality(rhs_done - lhs_done, relation == "<", domain)  # noqa: E731
            else:
                attempt = lambda: _prove_inequality(lhs_done - rhs_done, relation == ">", domain)  # noqa: E731
            return attempt()
    except _Timeout:
        return ProofAttempt(False, f"sympy found no proof within {seconds:g} s")
    except Exception as exc:  # sympy raising on an unusual expression is "not proved", not a crash
        return ProofAttempt(False, f"sympy failed ({type(exc).__name__}: {' '.join(str(exc).split())[:80]})")
