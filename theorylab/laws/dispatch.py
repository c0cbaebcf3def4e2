"""``law_of_output``: the law of a sampler's output by the best route available, saying which and how accurate.

Seed 000, slide "Convergencia de modelos de difusión": the quantity the theorem bounds is
:math:`\\|\\mathcal L(Y_N) - \\pi\\|_{TV}`; this function produces :math:`\\mathcal L(Y_N)`. Routes, in the order
``method="auto"`` tries them:

1. ``"exact"`` -- an affine score (Gaussian target, possibly with a constant bias) and a sampler with a closed form
   (every sampler but ``pc`` with correctors): a Gaussian, exact to rounding
   (:func:`~theorylab.laws.gaussian.gaussian_output_law`);
2. ``"grid"`` -- any score in ``d <= 2`` (every sampler but ``pc`` with correctors): a
   :class:`~theorylab.laws.grid_law.GridLaw` with a refinement TV estimate and the truncated mass
   (:func:`~theorylab.laws.grid_route.grid_output_law`);
3. ``"samples"`` -- otherwise: particles of the torch sampler (:func:`~theorylab.laws.samples.sample_output_law`).

An explicit method that does not apply raises :class:`~theorylab.errors.ConfigError` naming ``metrics.method``.
"""

from __future__ import annotations

from typing import Any

from theorylab.errors import ConfigError
from theorylab.laws.base import NoRouteError, OutputLaw, resolve_sampler
from theorylab.laws.gaussian import gaussian_output_law
from theorylab.laws.grid_route import grid_output_law
from theorylab.laws.samples import sample_output_law

__all__ = ["DEFAULT_GRID_TOL", "LAW_METHODS", "default_score", "law_of_output"]

#: Accepted values of ``method``.
LAW_METHODS = ("auto", "exact", "grid", "samples")

#: Refinement tolerance (TV) of the grid route when ``grid_options`` gives none, per dimension. In 1D the grid
#: reaches it in well under a second for the seed settings (benchmarks/bench_grid_vs_mc.py); in 2D each refinement
#: costs ~16x the previous one, so a single refinement pair is made and its estimate reported.
DEFAULT_GRID_TOL: dict[int, float | None] = {1: 1e-8, 2: None}


def default_score(target: Any, sampler: Any, grid: Any, process: Any = None):
    """The exact score of ``target`` in the sampler's convention: ``ExactScore(target, "ancestral", grid=grid)`` for
    ``ancestral``, else ``ExactScore(target, process=process)`` (continuous-time :math:`\\nabla\\log p_t`)."""
    from theorylab.scores import ExactScore

    if getattr(sampler, "convention", None) == "ancestral":
        return ExactScore(target, convention="ancestral", grid=grid)
    return ExactScore(target, process=process)


def law_of_output(target: Any, score: Any, sampler_name: Any, grid: Any, *, method: str = "auto",
                  n_samples: int = 100_000, seed: int = 0, process: Any = None, initial: Any = None,
                  sampler_options: dict | None = None, grid_options: dict | None = None,
                  device: Any = None) -> OutputLaw:
    """The law of ``sampler_name``'s output with ``score`` on ``grid``, with the method used and its error control.

    Parameters
    ----------
    target : Distribution or None
        The data law (sets the dimension, and the domain of the grid route); with ``score=None`` its exact score
        is used (:func:`default_score`).
    score : callable ``score(t, x)`` or None
    sampler_name : str or Sampler
        A name of :data:`theorylab.samplers.SAMPLERS` (options in ``sampler_options``) or an instance.
    grid : TimeGrid
    method : {"auto", "exact", "grid", "samples"}
    n_samples, seed : int
        Particles and seed of the samples route.
    process : Process, optional
        Forward process (default ``OrnsteinUhlenbeck(grid.T)``).
    initial : Distribution, optional
        Law of the starting points (default the process prior).
    grid_options : dict, optional
        Passed to :func:`~theorylab.laws.grid_route.grid_output_law` (``n``, ``domain``, ``tol``, ``n_std``,
        ``max_nodes``); ``tol`` defaults to :data:`DEFAULT_GRID_TOL`.
    device : torch device, optional
        For the samples route.

    Returns
    -------
    OutputLaw
        ``details["fallbacks"]`` lists why earlier routes were skipped (``method="auto"``).

    Raises
    ------
    ConfigError
        Unknown ``method``, or an explicit method that does not apply (message names ``metrics.method``).
    """
    if method not in LAW_METHODS:
        raise ConfigError(f"metrics.method: must be one of {LAW_METHODS}, got {method!r}")
    sampler = resolve_sampler(sampler_name, sampler_options)
    if score is None:
        if target is None:
            raise ConfigError("score: give a score or a target (whose exact score is then used)")
        score = default_score(target, sampler, grid, process)
    dim = getattr(target, "dim", None)
    if dim is not None and getattr(score, "dim", None) not in (None, dim):
        raise ConfigError(f"score: has dimension {score.dim}, the target has {dim}")
    common = {"process": process, "initial": initial, "dim": dim}
    grid_kw = dict(grid_options or {})
    d = dim if dim is not None else getattr(score, "dim", None)
    if "tol" not in grid_kw and d in DEFAULT_GRID_TOL:
        grid_kw["tol"] = DEFAULT_GRID_TOL[d]
    if method == "exact":
        try:
            return gaussian_output_law(score, sampler, grid, **common)
        except NoRouteError as exc:
            raise ConfigError(f"metrics.method: 'exact' does not apply ({exc}); use 'auto', 'grid' or 'samples'") \
                from None
    if method == "grid":
        try:
            return grid_output_law(score, sampler, grid, target=target, **common, **grid_kw)
        except NoRouteError as exc:
            raise ConfigError(f"metrics.method: 'grid' does not apply ({exc}); use 'auto' or 'samples'") from None
    if method == "samples":
        return sample_output_law(score, sampler, grid, n_samples=n_samples, seed=seed, device=device, **common)
    fallbacks = []
    try:
        return gaussian_output_law(score, sampler, grid, **common)
    except NoRouteError as exc:
        fallbacks.append(f"exact: {exc}")
    try:
        out = grid_output_law(score, sampler, grid, target=target, **common, **grid_kw)
        out.details["fallbacks"] = fallbacks
        return out
    except NoRouteError as exc:
        fallbacks.append(f"grid: {exc}")
    out = sample_output_law(score, sampler, grid, n_samples=n_samples, seed=seed, device=device, **common)
    out.details["fallbacks"] = fallbacks
    return out
