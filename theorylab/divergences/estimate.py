"""A divergence value **with** its method and its uncertainty: :class:`Estimate` and :class:`Uncertainty`.

DESIGN.md: "A divergence estimate is a value with its method and its uncertainty (exact, grid error, or a confidence
interval), never a bare float from a noisy estimator." Every function of :mod:`theorylab.divergences` returns an
:class:`Estimate`.

Conventions (fixed; repeated in every docstring that shows a number):

* TV :math:`= \\sup_A |P(A) - Q(A)| = \\tfrac12\\|p - q\\|_1` (in :math:`[0, 1]`);
* KL :math:`= \\int p \\log(p/q)`, natural log;
* JS :math:`= \\tfrac12 KL(P\\|M) + \\tfrac12 KL(Q\\|M)`, :math:`M = (P+Q)/2`, natural log, so :math:`JS \\le \\ln 2`;
* Hellinger: :math:`H^2 = 1 - \\int\\sqrt{pq}`; the value reported is the distance :math:`H \\in [0, 1]`;
* W2 is the distance :math:`(\\inf_\\pi E\\|X - Y\\|^2)^{1/2}`, not its square; ``SW2`` is the sliced distance.

Uncertainty kinds:

==============  ===========================================================================================
``exact``       closed form evaluated in float64; ``lower == upper == value`` (round-off only)
``rounding``    a closed form whose float64 evaluation has a stated round-off bound ``[lower, upper]``
``quadrature``  adaptive quadrature; ``[lower, upper] = value -/+`` the reported absolute error estimate
``grid``        grid quadrature; ``[lower, upper] = value -/+`` a refinement (coarser-rule) error estimate
``ci``          a confidence interval at ``level`` (bootstrap or CLT; the note says which)
``bounds``      a rigorous interval from inequalities (the note names them); ``value`` is then a point inside
==============  ===========================================================================================
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Estimate", "UNCERTAINTY_KINDS", "Uncertainty", "exact_estimate", "wilson_interval"]

#: The kinds of :class:`Uncertainty` (``quadrature`` added to the contract's list, for adaptive quadrature).
UNCERTAINTY_KINDS = ("exact", "rounding", "quadrature", "grid", "ci", "bounds")


@dataclass(frozen=True)
class Uncertainty:
    """How far the true value can be from :attr:`Estimate.value`.

    Parameters
    ----------
    kind : str
        One of :data:`UNCERTAINTY_KINDS`.
    lower, upper : float
        The interval believed to contain the true value (for ``ci``: at confidence ``level``).
    level : float or None
        Confidence level of a ``ci`` interval (e.g. 0.95); None for the other kinds.
    note : str
        How the interval was obtained (rule, number of resamples, inequalities used, ...).
    """

    kind: str
    lower: float
    upper: float
    level: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in UNCERTAINTY_KINDS:
            raise ValueError(f"uncertainty kind must be one of {UNCERTAINTY_KINDS}, got {self.kind!r}")
        if not (self.lower <= self.upper or math.isnan(self.lower) or math.isnan(self.upper)):
            raise ValueError(f"uncertainty lower {self.lower!r} exceeds upper {self.upper!r}")
        if self.kind == "ci" and not (self.level is not None and 0.0 < self.level < 1.0):
            raise ValueError(f"a 'ci' uncertainty needs a level in (0, 1), got {self.level!r}")

    @property
    def half_width(self) -> float:
        """Half the width of ``[lower, upper]``."""
        return 0.5 * (self.upper - self.lower)

    def contains(self, value: float, slack: float = 0.0) -> bool:
        """Whether ``lower - slack <= value <= upper + slack``."""
        return self.lower - slack <= value <= self.upper + slack


@dataclass(frozen=True)
class Estimate:
    """A divergence value with its method and uncertainty.

    Parameters
    ----------
    name : str
        ``"TV"``, ``"KL"``, ``"JS"``, ``"Hellinger"``, ``"W2"`` or ``"SW2"`` (conventions in the module docstring).
    value : float
        The estimate.
    method : str
        How it was computed, e.g. ``"closed form (Bures-Wasserstein, POT)"``.
    uncertainty : Uncertainty
    """

    name: str
    value: float
    method: str
    uncertainty: Uncertainty

    @property
    def interval(self) -> tuple[float, float]:
        """``(uncertainty.lower, uncertainty.upper)``."""
        return self.uncertainty.lower, self.uncertainty.upper

    def to_dict(self) -> dict[str, Any]:
        """Flat dictionary (for results stores and tables)."""
        out = {k: v for k, v in asdict(self).items() if k != "uncertainty"}
        out.update({f"uncertainty_{k}": v for k, v in asdict(self.uncertainty).items()})
        return out

    def __str__(self) -> str:
        u = self.uncertainty
        level = f" at {u.level:g}" if u.level is not None else ""
        return f"{self.name} = {self.value:.6g} [{u.lower:.6g}, {u.upper:.6g}] ({u.kind}{level}; {self.method})"


def exact_estimate(name: str, value: float, method: str, note: str = "closed form in float64") -> Estimate:
    """An :class:`Estimate` with an ``exact`` uncertainty (``lower == upper == value``)."""
    value = float(value)
    return Estimate(name, value, method, Uncertainty("exact", value, value, None, note))


def wilson_interval(successes: int, trials: int, level: float) -> tuple[float, float]:
    """Two-sided Wilson score interval of a binomial proportion :math:`\\hat p = k/n` (Wilson 1927), by
    ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.

    Unlike the Wald interval it keeps its coverage near :math:`\\hat p \\in \\{0, 1\\}` and stays inside
    :math:`[0, 1]`; the bounds are widened by round-off only so that they contain :math:`\\hat p` exactly. The one
    binomial interval of the package (interval coverage tests, the seed-002 reproductions' rates).
    """
    from scipy import stats

    k, n = int(successes), int(trials)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return min(float(ci.low), k / n), max(float(ci.high), k / n)
