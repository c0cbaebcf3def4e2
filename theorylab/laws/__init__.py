"""Laws of a sampler's output (layer ``laws``; see ``docs/architecture.md``): closed form, grid, samples.

* :func:`law_of_output` -- the dispatcher: ``"exact"`` (Gaussian, affine score), ``"grid"`` (any score, d <= 2),
  ``"samples"`` (the torch sampler), with the method used and its error control (:class:`OutputLaw`).
* :func:`gaussian_output_law`, :func:`affine_output_map` -- closed forms for every sampler but ``pc`` with
  correctors (:mod:`theorylab.laws.gaussian`, :mod:`theorylab.laws.affine`).
* :func:`grid_output_law`, :class:`GridLaw` -- 1D/2D grid propagation (:mod:`theorylab.laws.grid_route`,
  :mod:`theorylab.laws.em_grid`, :mod:`theorylab.laws.flow_grid`, :mod:`theorylab.laws.grid_law`).
* :func:`sample_output_law`, :class:`SampleLaw` -- particles with standard errors (:mod:`theorylab.laws.samples`).
"""

from theorylab.laws.affine import AffineStep, affine_steps, compose_steps
from theorylab.laws.base import (ErrorControl, NoClosedFormError, NoGridRouteError, NoRouteError, OutputLaw)
from theorylab.laws.dispatch import LAW_METHODS, default_score, law_of_output
from theorylab.laws.gaussian import affine_output_map, flow_map, gaussian_output_law
from theorylab.laws.grid_law import GridLaw
from theorylab.laws.grid_route import auto_domain, grid_output_law
from theorylab.laws.samples import SampleLaw, moment_standard_errors, sample_output_law

__all__ = [
    "LAW_METHODS",
    "AffineStep",
    "ErrorControl",
    "GridLaw",
    "NoClosedFormError",
    "NoGridRouteError",
    "NoRouteError",
    "OutputLaw",
    "SampleLaw",
    "affine_output_map",
    "affine_steps",
    "auto_domain",
    "compose_steps",
    "default_score",
    "flow_map",
    "gaussian_output_law",
    "grid_output_law",
    "law_of_output",
    "moment_standard_errors",
    "sample_output_law",
]
