"""Divergences between laws, grids and samples; every function returns an :class:`Estimate` (value, method,
uncertainty), never a bare float.

Conventions (fixed): TV :math:`= \\tfrac12\\|p-q\\|_1`; KL natural log; JS :math:`= \\tfrac12 KL(P\\|M) +
\\tfrac12 KL(Q\\|M)`, natural log (:math:`\\le \\ln 2`); Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq}` (value :math:`H`);
W2 the distance, not its square.

Modules: :mod:`~theorylab.divergences.estimate` (the result types), :mod:`~theorylab.divergences.gaussian`
(closed forms, exact 1D TV, TV bounds, 2D TV quadrature), :mod:`~theorylab.divergences.quadrature` (1D mixtures),
:mod:`~theorylab.divergences.grid` (densities on grids), :mod:`~theorylab.divergences.samples` (samples, bootstrap
CIs), :mod:`~theorylab.divergences.montecarlo` (known densities, CLT CIs), :mod:`~theorylab.divergences.dispatch`
(best deterministic route between two laws), :mod:`~theorylab.divergences.of_laws` (a sampler's output law against
another law: one estimator per law representation, closed form / grid / samples).

POT (``ot``) is imported inside the functions that solve a transport problem, not at module level: ``import ot``
costs 1.5-2 s beyond torch and scipy (it imports scikit-learn when that is installed), paid otherwise by every CLI
call, test process and sweep worker, most of which never solve one (1D W2 uses the quantile formula).
"""

from theorylab.divergences.dispatch import DIVERGENCES, divergence, hellinger, js, kl, tv, w2
from theorylab.divergences.estimate import UNCERTAINTY_KINDS, Estimate, Uncertainty
from theorylab.divergences.gaussian import (
    hellinger_gaussian,
    js_gaussian,
    kl_gaussian,
    tv_gaussian,
    tv_gaussian_1d,
    tv_gaussian_2d_quad,
    tv_gaussian_bounds,
    w2_gaussian,
)
from theorylab.divergences.grid import hellinger_grid, js_grid, kl_grid, tv_grid, w2_grid_1d
from theorylab.divergences.of_laws import ESTIMATORS, compare, tabulate
from theorylab.divergences.montecarlo import hellinger_monte_carlo, js_monte_carlo, kl_monte_carlo, tv_monte_carlo
from theorylab.divergences.quadrature import hellinger_quad_1d, js_quad_1d, kl_quad_1d, tv_quad_1d, w2_quantile_1d
from theorylab.divergences.samples import hellinger_samples, js_samples, kl_samples, tv_samples, w2_samples

__all__ = [
    "DIVERGENCES",
    "ESTIMATORS",
    "compare",
    "tabulate",
    "Estimate",
    "UNCERTAINTY_KINDS",
    "Uncertainty",
    "divergence",
    "hellinger",
    "hellinger_gaussian",
    "hellinger_grid",
    "hellinger_monte_carlo",
    "hellinger_quad_1d",
    "hellinger_samples",
    "js",
    "js_gaussian",
    "js_grid",
    "js_monte_carlo",
    "js_quad_1d",
    "js_samples",
    "kl",
    "kl_gaussian",
    "kl_grid",
    "kl_monte_carlo",
    "kl_quad_1d",
    "kl_samples",
    "tv",
    "tv_gaussian",
    "tv_gaussian_1d",
    "tv_gaussian_2d_quad",
    "tv_gaussian_bounds",
    "tv_grid",
    "tv_monte_carlo",
    "tv_quad_1d",
    "tv_samples",
    "w2",
    "w2_gaussian",
    "w2_grid_1d",
    "w2_quantile_1d",
    "w2_samples",
]
