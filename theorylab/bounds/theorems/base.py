"""What a convergence theorem is, as data: its statement, assumptions, sampler, terms, constants and rates.

Every overlay of :mod:`theorylab.bounds.theorems` is one :class:`Theorem`. A theorem states a bound

.. math:: D(\\text{law}_1, \\text{law}_2) \\le \\sum_j c_j\\,f_j(T, h, N, d, \\varepsilon, \\dots)

for one divergence :math:`D` (``divergence``), one sampler (``sampler``, a registry name of
:data:`theorylab.samplers.SAMPLERS`) and one notion of score error (``error_notion``: ``"sup"`` for the seed's
:math:`\\sup_{t,x}\\|s - \\nabla\\log p_t\\| \\le M`, ``"L2"`` for :math:`E_{p_t}\\|s - \\nabla\\log p_t\\|^2 \\le
\\varepsilon^2`). Each term :math:`f_j` is a :class:`Term`; its constant :math:`c_j` is a :class:`Constant`, explicit
when the paper gives it and otherwise **fitted** (labelled so: :func:`fit_constants`, the smallest constants that keep
the bound above every measured upper limit). A fitted constant says nothing about the theorem's level; the rate
comparison (:mod:`theorylab.bounds.theorems.tightness`) is what tests the theorem.

``statement_source`` says how the statement in the module was obtained: ``"read"`` (read from the paper or from a
stored copy of it in this project), or ``"recalled"`` (not read in full in the session that wrote the module: the
structure is stated from the abstract and from memory of the published version, and flagged so in the report).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from theorylab.errors import ConfigError

__all__ = ["Assumption", "AssumptionCheck", "Constant", "Term", "Theorem", "fit_constants", "fit_theorem"]

#: Cell quantities a term may read (arrays broadcast together): T (horizon), h (largest step), N (steps), d
#: (dimension), eps (L2 score error, root-mean over the grid times), M (sup-norm score error), L (Lipschitz constant
#: of the scores), m2 (second-moment root), kl_prior (KL(pi || N(0, I))), fisher (relative Fisher information
#: I(pi | N(0, I))), delta (early-stopping time), kappa (step parameter of Benton et al.).
QUANTITIES = ("T", "h", "N", "d", "eps", "M", "L", "m2", "kl_prior", "fisher", "delta", "kappa")


@dataclass(frozen=True)
class AssumptionCheck:
    """The outcome of checking one assumption on a target: computed, not assumed.

    Attributes
    ----------
    name : str
    holds : bool or None
        ``None`` when the check is not decidable by the route available (stated in ``detail``).
    value : float
        The number the check computed (a Lipschitz constant, a moment, a Fisher information, ...).
    detail : str
        How it was computed (exact, rigorous bound, grid estimate).
    """

    name: str
    holds: bool | None
    value: float
    detail: str


@dataclass(frozen=True)
class Assumption:
    """One hypothesis of a theorem: its wording and the function that checks it on a target."""

    name: str
    statement: str
    check: Callable[[Any], AssumptionCheck]


@dataclass(frozen=True)
class Constant:
    """A constant of a bound: ``kind`` is ``"explicit"`` (the paper's value), ``"fitted"`` (the paper hides it in
    :math:`\\lesssim` or asserts existence only; fitted to measured cells) or ``"unspecified"`` (not yet fitted)."""

    name: str
    value: float | None
    kind: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("explicit", "fitted", "unspecified"):
            raise ValueError(f"Constant.kind must be explicit, fitted or unspecified, got {self.kind!r}")


@dataclass(frozen=True)
class Term:
    """One term :math:`f_j` of a bound, without its constant: ``shape(q)`` with ``q`` a dict of cell quantities
    (:data:`QUANTITIES`) returns an array; ``formula`` is its written form."""

    name: str
    formula: str
    shape: Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Theorem:
    """A published convergence bound, as data (module docstring).

    Attributes
    ----------
    key : str
        Registry name (``theorylab.bounds.theorems.THEOREMS``).
    citation : str
        Authors, title, venue, year, arXiv number.
    where : str
        Theorem / equation number in the paper.
    statement : str
        The bound as published (plain text with the paper's symbols, mapped to this project's in ``notes``).
    statement_source : str
        ``"read"`` or ``"recalled"`` (module docstring), with a sentence on what was read.
    divergence : str
        ``"tv"`` or ``"kl"`` (and in which direction, in ``compared_with``).
    compared_with : str
        The measured quantity the bound is drawn against (e.g. ``"KL(q_delta || output)"``).
    sampler : str
        The registry name of the sampler the theorem is proved for; :meth:`check_sampler` refuses any other.
    error_notion : str
        ``"sup"`` or ``"L2"``: which score error the bound takes.
    grid : str
        The time grid the theorem is stated on: ``"constant"`` (step h, horizon T) or ``"benton"``
        (exponential-then-linear steps with early stopping).
    assumptions : tuple of Assumption
    terms : tuple of Term
    constants : tuple of Constant
        One per term, in order.
    exponents : dict
        The theorem's rate in each swept parameter (``"h"``, ``"T"``, ``"d"``, ``"eps"``): the exponent of the
        power law of its dominant term in that parameter, all others fixed (``None`` where the bound is not a power
        law in it, e.g. :math:`e^{DT}`).
    notes : str
    shared_constant : bool
        ``True`` for a bound written :math:`\\lesssim` (one absolute constant multiplies the whole right-hand side,
        so one constant is fitted, never one per term: a per-term fit could absorb a wrong rate).
    scan : dict
        Non-linear parameters of the bound (De Bortoli's :math:`D`) and the grid of values :func:`fit_theorem`
        searches; each value is passed to the terms as ``q[name]``.
    """

    key: str
    citation: str
    where: str
    statement: str
    statement_source: str
    divergence: str
    compared_with: str
    sampler: str
    error_notion: str
    grid: str
    assumptions: tuple[Assumption, ...]
    terms: tuple[Term, ...]
    constants: tuple[Constant, ...]
    exponents: dict[str, float | None] = field(default_factory=dict)
    notes: str = ""
    shared_constant: bool = False
    scan: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.shared_constant and len(self.constants) != 1:
            raise ValueError(f"{self.key}: a shared constant is one constant")
        if not self.shared_constant and len(self.terms) != len(self.constants):
            raise ValueError(f"{self.key}: one constant per term ({len(self.terms)} terms, {len(self.constants)} "
                             "constants)")
        if self.divergence not in ("tv", "kl", "w2"):
            raise ValueError(f"{self.key}: divergence must be tv, kl or w2")
        if self.error_notion not in ("sup", "L2", "none"):
            raise ValueError(f"{self.key}: error_notion must be sup, L2 or none")

    # ------------------------------------------------------------------ scope
    def check_sampler(self, sampler: Any) -> None:
        """Refuse a sampler the theorem is not proved for (:class:`~theorylab.errors.ConfigError` naming
        ``sampler.name``)."""
        name = getattr(sampler, "name", sampler)
        if name != self.sampler:
            raise ConfigError(f"sampler.name: {self.key} ({self.where}) is proved for the {self.sampler!r} sampler "
                              f"only, not {name!r}; its overlay is not drawn on other samplers")

    def check_assumptions(self, target: Any) -> list[AssumptionCheck]:
        """Every assumption checked on ``target`` (each check computes its number)."""
        return [a.check(target) for a in self.assumptions]

    # ------------------------------------------------------------------ evaluation
    def term_matrix(self, q: dict[str, Any]) -> np.ndarray:
        """The terms :math:`f_j` at the cells, shape ``(n_cells, n_terms)`` (constants not applied)."""
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in q.items()}
        cols = [np.asarray(t.shape(arrays), dtype=np.float64) for t in self.terms]
        cols = np.broadcast_arrays(*cols)
        F = np.stack([np.ravel(c) for c in cols], axis=1)
        return F.sum(axis=1, keepdims=True) if self.shared_constant else F

    def term_values(self, q: dict[str, Any]) -> dict[str, np.ndarray]:
        """Each term by name (constants not applied): which term dominates where."""
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in q.items()}
        return {t.name: np.ravel(np.asarray(t.shape(arrays), dtype=np.float64)) for t in self.terms}

    def evaluate(self, q: dict[str, Any], constants: np.ndarray | None = None) -> np.ndarray:
        """:math:`\\sum_j c_j f_j` at the cells; ``constants`` default to the theorem's own (every one must then be
        known)."""
        if constants is None:
            if any(c.value is None for c in self.constants):
                raise ConfigError(f"constants: {self.key} has unspecified constants; fit them first "
                                  "(fit_constants) or pass constants=")
            constants = np.array([c.value for c in self.constants], dtype=np.float64)
        return self.term_matrix(q) @ np.asarray(constants, dtype=np.float64)

    def summary(self) -> str:
        """One line: what, where, for which sampler and error notion."""
        return (f"{self.key}: {self.citation}, {self.where}; {self.divergence.upper()} vs {self.compared_with}; "
                f"sampler {self.sampler}; score error {self.error_notion}; statement {self.statement_source}")


def fit_constants(theorem: Theorem, q: dict[str, Any], upper: Any) -> tuple[np.ndarray, np.ndarray]:
    """The tightest non-negative constants of ``theorem``'s unknown (non-explicit) terms such that the bound is at
    least ``upper`` (the measured values' upper limits) at every cell.

    The bound is linear in the constants, :math:`b_i = \\sum_j c_j f_{ij}`; explicit constants are held fixed and
    the others solve the linear programme (``scipy.optimize.linprog``, HiGHS)

    .. math:: \\min_{c \\ge 0}\\ \\frac1n\\sum_i \\frac{b_i}{u_i} \\quad\\text{s.t.}\\quad b_i \\ge u_i,

    the mean ratio of bound to measurement (scale-free, as :func:`theorylab.bounds.fit_debortoli` argues), rows
    divided by :math:`u_i` and columns by their largest entry; the result is then scaled by the smallest factor
    :math:`\\ge 1` that makes every :math:`b_i \\ge u_i` hold in float64. Cells with :math:`u_i \\le 0` constrain
    nothing.

    Returns
    -------
    constants : numpy.ndarray, shape ``(n_terms,)``
    bound : numpy.ndarray, shape ``(n_cells,)``

    Raises
    ------
    ConfigError
        A cell with :math:`u_i > 0` where every fitted term vanishes and the explicit ones fall short (no constants
        cover it), or non-finite inputs. (When every constant is explicit nothing is fitted, and a cell above the
        bound is returned as it is: a violation of the theorem, visible as a ratio below 1.)
    """
    F = theorem.term_matrix(q)
    u = np.ravel(np.asarray(upper, dtype=np.float64))
    if u.size != F.shape[0]:
        raise ConfigError(f"upper: {u.size} values for {F.shape[0]} cells")
    if not (np.all(np.isfinite(F)) and np.all(np.isfinite(u))):
        raise ConfigError(f"upper: non-finite terms or measurements for {theorem.key}")
    fixed = np.array([c.kind == "explicit" for c in theorem.constants])
    c = np.array([c.value if c.kind == "explicit" else 0.0 for c in theorem.constants], dtype=np.float64)
    base = F[:, fixed] @ c[fixed] if fixed.any() else np.zeros(u.size)
    need = u - base
    rows = need > 0.0
    free = ~fixed
    if rows.any() and free.any():
        G = F[rows][:, free] / need[rows, None]
        scale = np.max(np.abs(G), axis=0)
        if np.any(np.all(G <= 0.0, axis=1)):
            raise ConfigError(f"upper: {theorem.key}: a cell where every fitted term vanishes exceeds the bound")
        scale[scale == 0.0] = 1.0
        Gs = G / scale
        res = optimize.linprog(Gs.mean(axis=0), A_ub=-Gs, b_ub=-np.ones(Gs.shape[0]), bounds=(0, None),
                               method="highs")
        if not res.success:  # pragma: no cover - feasible whenever every row has a positive entry
            raise RuntimeError(f"fit_constants: {theorem.key}: linprog failed: {res.message}")
        x = res.x / scale
        cover = G @ x
        factor = max(1.0, float(np.max(1.0 / cover[cover > 0.0]))) if np.any(cover > 0.0) else 1.0
        while np.any(G @ (x * factor) < 1.0):  # float64 rounding: nudge until exact
            factor = math.nextafter(factor, math.inf) * (1.0 + 1e-15)
        c[free] = x * factor
    # with only explicit constants nothing is fitted: a cell above the bound shows as a ratio < 1 (a violation)
    return c, F @ c


def fit_theorem(theorem: Theorem, q: dict[str, Any], upper: Any) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """:func:`fit_constants`, with the theorem's non-linear parameters (``theorem.scan``) chosen on their grid to
    minimise the mean ratio bound / ``upper``. Returns ``(constants, bound, scanned_values)``."""
    u = np.ravel(np.asarray(upper, dtype=np.float64))
    if not theorem.scan:
        c, b = fit_constants(theorem, q, u)
        return c, b, {}
    import itertools

    names = list(theorem.scan)
    best = None
    for values in itertools.product(*(theorem.scan[n] for n in names)):
        qq = dict(q)
        qq.update({n: float(v) for n, v in zip(names, values)})
        c, b = fit_constants(theorem, qq, u)
        pos = u > 0.0
        score = float(np.mean(b[pos] / u[pos])) if pos.any() else 0.0
        if best is None or score < best[0]:
            best = (score, c, b, dict(zip(names, map(float, values))))
    return best[1], best[2], best[3]
