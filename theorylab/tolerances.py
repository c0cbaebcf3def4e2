"""Named tolerances for every numerical comparison in theorylab and its tests.

Each constant says what it bounds and why its value is enough. Tests and checks import these names; a bare
``1e-3`` in a comparison is a defect. Values are for float64 arithmetic (machine epsilon ``EPS ~ 2.2e-16``).
"""

from __future__ import annotations

import numpy as np

#: Machine epsilon of float64.
EPS: float = float(np.finfo(np.float64).eps)

#: Relative tolerance when a lambdified closed form is compared with the recursion or ODE it solves, in float64.
#: A recursion of k <= 10^4 steps accumulates at most ~k * EPS ~ 2e-12 relative round-off; 1e-9 leaves a margin
#: of 500x while still catching any wrong coefficient (which shows up at O(1) or O(gamma) >= 1e-6 relative).
CLOSED_FORM_RTOL: float = 1e-9

#: Absolute floor paired with :data:`CLOSED_FORM_RTOL` for quantities that cross zero.
CLOSED_FORM_ATOL: float = 1e-12

#: Number of standard errors allowed between a Monte Carlo mean and its exact value. Under the CLT a 5-sigma
#: deviation has probability ~5.7e-7 per comparison, so a suite of ~10^3 such checks fails spuriously with
#: probability < 1e-3, and seeds are fixed besides.
MC_SIGMA: float = 5.0

#: Absolute tolerance of adaptive quadrature (scipy.integrate.quad) used as an independent route; quad's own
#: error estimate is required to be below this value too.
QUADRATURE_ATOL: float = 1e-9

#: Relative size under which a symbolic residual evaluated at random points counts as round-off, when sympy
#: cannot simplify it to exactly 0. Points are evaluated with 50 significant digits (mpmath), so a true zero
#: leaves residuals ~1e-45; 1e-30 separates round-off from a genuine discrepancy by 15 orders of magnitude.
SYMBOLIC_NUMERIC_ZERO: float = 1e-30

#: Allowed shortfall of a fitted log-log slope below the order a claim predicts. Over step grids spanning two
#: decades (gamma in [1e-3, 1e-1]) the next-order term bends the log-log line by at most ~gamma_max/gamma-ratio,
#: which moves a least-squares slope by < 0.1 for the smooth problems the ledger checks; a real order deficit
#: (e.g. 1/2 instead of 1) is 5x larger than this allowance.
RATE_SLOPE_ATOL: float = 0.1

#: Relative mismatch allowed when a horizon T must be an integer multiple of a step gamma (TimeGrid.constant) and
#: when a forward time fed to a score is matched to a grid's cumulative time. Both sides are sums of at most
#: ~10^4 float64 steps, so honest values agree to ~10^4 * EPS ~ 2e-12 relative; 1e-9 leaves a 500x margin, while
#: a genuinely off-grid time (a step fraction away, >= 1e-6 relative for any usable grid) is refused.
GRID_TIME_RTOL: float = 1e-9

#: Relative shortfall allowed between the maximum of |e| over a dense grid and the claimed sup-norm M of a smooth
#: perturbation M u sin(phase): on a grid of phase spacing delta the maximum is >= M cos(delta/2) >=
#: M (1 - delta^2/8); tests use delta <= 1e-3, i.e. a shortfall <= 1.25e-7, so 1e-6 is safe yet detects any
#: amplitude error (a wrong factor shows up at O(1)).
SUP_ATTAINED_RTOL: float = 1e-6
