r"""The audit of one library scheme at one number of steps: its exact output law (probing), its exact error to the
target, and the difference to theorylab's own version of the scheme on the same grid.

For a Gaussian target :math:`N(\mu, \Sigma)`, the probe (:func:`~theorylab.audit.probe.probe_affine`) recovers
:math:`Y = Au + b` of the library's run and its law :math:`N(Am + b, ASA^\top)` (exact to the library's rounding).
The row reports

* ``w2``, ``kl``: :math:`W_2` (the distance) and :math:`KL(\text{law}\,\|\,\text{target})` (natural log), closed
  forms (:func:`~theorylab.divergences.gaussian.w2_gaussian`, :func:`~theorylab.divergences.gaussian.kl_gaussian`);
* ``w2_theorylab``: the same for theorylab's scheme (:func:`theorylab.laws.gaussian_output_law` on
  ``TimeGrid.from_times`` of the library's levels, same initial law);
* ``w2_diff``: :math:`W_2` between the library's law and theorylab's, and ``tolerance``: the rounding level it is
  compared with (:data:`~theorylab.tolerances.AUDIT_FLOAT32_RTOL` or :data:`~theorylab.tolerances.AUDIT_FLOAT64_RTOL`
  times the scale :math:`1 + \sqrt{\operatorname{tr}\Sigma}`); ``agrees`` is ``w2_diff <= tolerance``. A
  disagreement is a finding: a convention of the library (or a bug) that theorylab's scheme does not share.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from theorylab.audit.model import GaussianModel
from theorylab.audit.probe import probe_affine
from theorylab.audit.scheme import LibraryScheme
from theorylab.tolerances import AUDIT_FLOAT32_RTOL, AUDIT_FLOAT64_RTOL

__all__ = ["AuditRow", "audit_scheme", "theorylab_law"]


@dataclass(frozen=True)
class AuditRow:
    """One (scheme, steps) cell of the audit (module docstring); NaN where theorylab has no counterpart."""

    library: str
    scheme: str
    steps: int
    noise_draws: int
    affine_residual: float
    w2: float
    kl: float
    w2_theorylab: float
    w2_diff: float
    tolerance: float
    agrees: bool | None
    counterpart: str
    mean: tuple[float, ...]
    cov: tuple[float, ...]

    def as_dict(self) -> dict:
        return asdict(self)


def theorylab_law(scheme: LibraryScheme, model: GaussianModel):
    """The Gaussian output law of theorylab's counterpart of ``scheme``, in the library's output convention:
    ``(mean, cov)`` or None."""
    from theorylab.distributions import Gaussian
    from theorylab.laws import gaussian_output_law
    from theorylab.samplers import TimeGrid, get_sampler
    from theorylab.scores import ExactScore

    cp = scheme.counterpart
    if cp is None:
        return None
    d = model.dim
    target = Gaussian(model.mean, model.cov)
    score = ExactScore(target, process=cp.process)
    grid = TimeGrid.from_times(cp.times)
    initial = Gaussian(np.zeros(d), cp.initial_std ** 2 * np.eye(d))
    out = gaussian_output_law(score, get_sampler(cp.sampler, **cp.options), grid, process=cp.process,
                              initial=initial)
    s = cp.output_scale
    return s * out.law.mean(), s * s * out.law.covariance()


def audit_scheme(scheme: LibraryScheme, model: GaussianModel, steps: int, *, seed: int = 0) -> AuditRow:
    """Probe ``scheme`` and compare its law with the target and with theorylab's scheme (module docstring)."""
    from theorylab.distributions import Gaussian
    from theorylab.divergences.gaussian import kl_gaussian, w2_gaussian

    d = model.dim
    probe = probe_affine(scheme.run, d, scheme.noise_dims, seed=seed)
    rtol = AUDIT_FLOAT32_RTOL if scheme.float32 else AUDIT_FLOAT64_RTOL
    scale = 1.0 + math.sqrt(float(np.trace(model.cov))) + float(np.linalg.norm(model.mean))
    if probe.residual > rtol * scale:
        raise ValueError(f"{scheme.library} {scheme.name}: the run is not affine in its inputs (residual "
                         f"{probe.residual:.3g} > {rtol * scale:.3g}); its law is not Gaussian")
    m = np.zeros(probe.A.shape[1])
    S = probe.input_covariance(scheme.prior_std ** 2 * np.eye(d))
    mean = probe.A @ m + probe.b
    cov = probe.A @ S @ probe.A.T
    cov = 0.5 * (cov + cov.T)
    law = Gaussian(mean, cov)
    target = Gaussian(model.mean, model.cov)
    w2 = w2_gaussian(law, target).value
    kl = kl_gaussian(law, target).value
    ref = theorylab_law(scheme, model)
    if ref is None:
        w2_tl, diff, agrees, name = math.nan, math.nan, None, "none"
    else:
        ref_law = Gaussian(*ref)
        w2_tl = w2_gaussian(ref_law, target).value
        diff = w2_gaussian(law, ref_law).value
        agrees = bool(diff <= rtol * scale)
        cp = scheme.counterpart
        opts = ", ".join(f"{k}={v}" for k, v in cp.options.items())
        name = f"{cp.sampler}({opts})" if opts else cp.sampler
    return AuditRow(scheme.library, scheme.name, int(steps), len(scheme.noise_dims), probe.residual, w2, kl, w2_tl,
                    diff, rtol * scale, agrees, name, tuple(float(v) for v in mean),
                    tuple(float(v) for v in cov.reshape(-1)))
