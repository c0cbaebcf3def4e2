r"""A library's sampler as a probe-able callable, and theorylab's own version of the same scheme on the same grid.

A :class:`LibraryScheme` is what an adapter (:mod:`.diffusers_adapter`, :mod:`.kdiffusion_adapter`) returns: the
black box ``run(x_T, [z_1, ..., z_K]) -> Y`` for :func:`~theorylab.audit.probe.probe_affine`, the law of ``x_T``
the library starts from (its ``init_noise_sigma`` or first sigma), and a :class:`Counterpart`: theorylab's
registered sampler with its process, a :class:`~theorylab.samplers.TimeGrid` built with ``TimeGrid.from_times``
from the library's own timestep/sigma table, the same initial law and the scale between the two state conventions.

Clocks. The theorylab schemes compared here (``ddpm``, ``ddim``, ``edm``, ``dpm-solver-2``) depend on the process
only through :math:`(\alpha_t, \sigma_t)` at the grid times (and at :meth:`time_of_noise_to_signal` midpoints), so
any process whose noise-to-signal ratio :math:`\tilde\sigma_t = \sigma_t/\alpha_t` covers the library's levels
gives the same law; the clock's top level is the library's first level, so the grid ends at ``T``. Each library level :math:`\tilde\sigma_i` is mapped to the time :math:`t_i` with
:math:`\tilde\sigma_{t_i} = \tilde\sigma_i` (brentq), where the exact score of the target equals the library's
exact model output. :func:`vp_clock` is a VP process (linear :math:`\beta`, Song et al. 2021) whose range covers the
library's largest level; :func:`ve_clock` a VE one (the tests check that the law does not depend on the clock).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from theorylab.errors import ConfigError

__all__ = ["Counterpart", "LibraryScheme", "grid_from_levels", "ve_clock", "vp_clock"]



@dataclass(frozen=True)
class Counterpart:
    """theorylab's version of a library scheme (module docstring).

    Attributes
    ----------
    sampler : str
        Registry name (:func:`theorylab.samplers.get_sampler`).
    options : dict
        Sampler options (e.g. ``{"eta": 1.0}``).
    process : Process
        The clock (:func:`vp_clock` / :func:`ve_clock`).
    times : ndarray
        Forward times :math:`F_0 < \\dots < F_N` of the grid (``TimeGrid.from_times``).
    initial_std : float
        theorylab's state starts from :math:`N(0, \\text{initial\\_std}^2 I)`.
    output_scale : float
        The library's output equals ``output_scale`` times theorylab's (1 unless the library works on the
        scaled state :math:`x/\\alpha` and stops at :math:`t > 0`).
    note : str
        Why this is the same scheme (the identity that makes it so).
    """

    sampler: str
    options: dict
    process: object
    times: np.ndarray
    initial_std: float
    output_scale: float = 1.0
    note: str = ""


@dataclass
class LibraryScheme:
    """A library sampler ready for probing (module docstring).

    Attributes
    ----------
    library, name : str
        E.g. ``"diffusers"``, ``"DDIMScheduler(eta=1)"``.
    run : callable ``run(x_T, noises) -> Y``
        One sampling run with the given initial state and noise draws (numpy float64 in and out).
    state_dim : int
    noise_dims : tuple of int
        Size of each Gaussian draw the library makes (found by a counting run).
    prior_std : float
        The library starts from :math:`x_T \\sim N(0, \\text{prior\\_std}^2 I)`.
    float32 : bool
        Whether the library computes (part of) its update in float32 whatever the state's dtype: its law is then
        exact only to float32 rounding (:data:`~theorylab.tolerances.AUDIT_FLOAT32_RTOL`).
    counterpart : Counterpart or None
        theorylab's own version of the scheme (None: theorylab has none; the report says so).
    levels : list of float
        The library's noise levels :math:`\\tilde\\sigma_i` (for the report).
    notes : list of str
        Conventions found while building the run (e.g. a rounded timestep table).
    """

    library: str
    name: str
    run: Callable[[np.ndarray, list[np.ndarray]], np.ndarray]
    state_dim: int
    noise_dims: tuple[int, ...]
    prior_std: float
    float32: bool
    counterpart: Counterpart | None
    levels: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def vp_clock(top_level: float, beta_min: float = 0.1):
    """A VP process (``T = 1``) whose top noise-to-signal ratio is ``top_level`` (the grid's top time is then T).

    :math:`\\tilde\\sigma_T^2 = e^{B(1)} - 1` with :math:`B(1) = (\\beta_{\\min} + \\beta_{\\max})/2`, so
    :math:`\\beta_{\\max} = 2\\log(1 + \\tilde\\sigma^2) - \\beta_{\\min}` (``ConfigError`` if below ``beta_min``).
    """
    from theorylab.processes import VariancePreserving

    level = float(top_level)
    beta_max = 2.0 * math.log1p(level * level) - beta_min
    if beta_max < beta_min:
        raise ConfigError(f"audit: top noise level {level!r} too small for a VP clock with beta_min={beta_min}")
    return VariancePreserving(beta_min=beta_min, beta_max=beta_max, T=1.0)


def ve_clock(top_level: float, sigma_min: float = 1e-4):
    """A VE process (``T = 1``) with top level :math:`\\sqrt{\\sigma_{\\max}^2 - \\sigma_{\\min}^2}` = ``top_level``."""
    from theorylab.processes import VarianceExploding

    level = float(top_level)
    return VarianceExploding(sigma_min=sigma_min, sigma_max=math.sqrt(level * level + sigma_min * sigma_min), T=1.0)


def grid_from_levels(process, levels: Sequence[float]) -> np.ndarray:
    """Forward times of the library's levels, from the first (highest noise) to the last (0 allowed): returned
    increasing, :math:`F_0` the last level's time, as ``TimeGrid.from_times`` wants."""
    levels = [float(v) for v in levels]
    if any(b >= a for a, b in zip(levels, levels[1:])):
        raise ConfigError(f"audit: the library's noise levels are not decreasing: {levels}")
    times = [process.time_of_noise_to_signal(v) if v > 0 else 0.0 for v in levels]
    times[0] = float(process.T)  # the clock's top level is the first level (vp_clock / ve_clock)
    return np.asarray(times[::-1], dtype=np.float64)
