"""Time grids (step schedules) of the discretised OU process (seed 000, slide 'Ornstein-Uhlenbeck y discretización').

A grid is a sequence of forward steps :math:`\\gamma_0, \\dots, \\gamma_{N-1}` with :math:`\\gamma_0` the step
**nearest the data** (forward step :math:`k` takes the chain from :math:`X_k` to :math:`X_{k+1}`), cumulative forward
times :math:`F_k = \\gamma_0 + \\dots + \\gamma_{k-1}` (:math:`F_0 = 0`, :math:`F_N = T`). Changing the schedule is a
change of clock of the OU process followed by a fixed discretisation (same slide).

Backward indexing (fixed; ``docs/architecture.md``). Backward step :math:`n = 0, \\dots, N-1` goes from forward time
:math:`F_{N-n}` down to :math:`F_{N-1-n}` and uses the forward step adjacent to it, :math:`\\gamma_{N-1-n}`
(``backward_gammas[n]``). The two conventions differ only in which end of that interval is fed to the score:

* ``reverse-em`` (continuous time, seed 000 'En la práctica'): the upper end
  :math:`t_n = F_{N-n} = T - (\\gamma_{N-1} + \\dots + \\gamma_{N-n})` (``forward_times``); for constant steps
  :math:`t_n = T - n\\gamma`. In the contract's formula :math:`Y_{k+1} = Y_k + \\gamma_k(\\dots)`,
  :math:`t_k = T - (\\gamma_0 + \\dots + \\gamma_{k-1})`, the :math:`\\gamma` are therefore the *backward-ordered*
  steps ``backward_gammas``.
* ``ancestral`` (discrete time, seed 000 '¿Y ahora qué?'): the lower end :math:`F_{N-1-n} = F_k` with
  :math:`k = N-1-n`, the forward time of :math:`p_k` (``ancestral_times``); for constant steps :math:`k\\gamma`.
"""

from __future__ import annotations

import math

import numpy as np

from theorylab.errors import ConfigError
from theorylab.processes.base import check_positive
from theorylab.tolerances import GRID_TIME_RTOL

__all__ = ["TimeGrid"]

CONVENTIONS = ("reverse-em", "ancestral")


def positive_int(name: str, value) -> int:
    """``value`` as an int when it is an integer >= 1 (``2.0`` counts, ``2.5`` and ``"2"`` do not); else
    ``ConfigError`` naming ``name``."""
    try:
        ok = int(value) == value and int(value) >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{name}: must be an integer >= 1, got {value!r}")
    return int(value)


def _positive_float(name: str, value, allow_zero: bool = False) -> float:
    return check_positive(name, value, allow_zero=allow_zero)


class TimeGrid:
    """Forward step schedule :math:`(\\gamma_k)_{k<N}` with its cumulative and backward times.

    Build with :meth:`constant`, :meth:`linear`, :meth:`cosine` or :meth:`from_gammas`.

    Attributes
    ----------
    gammas : numpy.ndarray, shape (N,), float64
        Forward steps, ``gammas[0]`` nearest the data.
    N : int
        Number of steps.
    T : float
        Horizon :math:`\\sum_k \\gamma_k`.
    cumulative_times : numpy.ndarray, shape (N + 1,)
        :math:`F_k = \\gamma_0 + \\dots + \\gamma_{k-1}`, :math:`F_0 = 0`, :math:`F_N = T`.
    backward_gammas : numpy.ndarray, shape (N,)
        Step used at backward step :math:`n`: :math:`\\gamma_{N-1-n}`.
    forward_times : numpy.ndarray, shape (N,)
        Forward time fed to the score at backward step :math:`n` in the ``reverse-em`` convention,
        :math:`F_{N-n}`.
    ancestral_times : numpy.ndarray, shape (N,)
        Same in the ``ancestral`` convention, :math:`F_{N-1-n}`.
    kind : str
        ``"constant"``, ``"linear"``, ``"cosine"`` or ``"custom"``.
    """

    def __init__(self, gammas, kind: str = "custom", cumulative_times=None):
        g = np.asarray(gammas, dtype=np.float64)
        if g.ndim != 1 or g.size == 0:
            raise ConfigError(f"grid.gammas: must be a non-empty 1-D sequence, got shape {g.shape}")
        if not np.all(np.isfinite(g)) or np.any(g <= 0):
            raise ConfigError("grid.gammas: every step must be finite and > 0")
        self.gammas = g
        self.gammas.setflags(write=False)
        self.N = int(g.size)
        if cumulative_times is None:
            cumulative_times = np.concatenate([[0.0], np.cumsum(g)])
        self.cumulative_times = np.asarray(cumulative_times, dtype=np.float64)
        self.cumulative_times.setflags(write=False)
        self.T = float(self.cumulative_times[-1])
        self.kind = kind

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_gammas(cls, gammas) -> TimeGrid:
        """Grid from explicit forward steps (``gammas[0]`` nearest the data)."""
        return cls(gammas, kind="custom")

    @classmethod
    def constant(cls, T: float, gamma: float) -> TimeGrid:
        """Constant step :math:`\\gamma`, :math:`N = T/\\gamma` steps (seed 000, "En la práctica": T = N gamma).

        Refused (``ConfigError``) unless ``T`` is a multiple of ``gamma`` within relative tolerance
        :data:`theorylab.tolerances.GRID_TIME_RTOL`; the message suggests :math:`N = \\text{round}(T/\\gamma)`.
        Cumulative times are exactly :math:`k\\gamma` (``arange(N + 1) * gamma``), and ``T = N * gamma``.
        """
        T = _positive_float("grid.T", T)
        gamma = _positive_float("grid.gamma", gamma)
        ratio = T / gamma
        N = max(int(round(ratio)), 1)
        if abs(N * gamma - T) > GRID_TIME_RTOL * T:
            raise ConfigError(
                f"grid.gamma: T={T!r} is not a multiple of gamma={gamma!r} (T/gamma={ratio:.6g}); "
                f"use N = round(T/gamma) = {N} steps, i.e. gamma = T/N = {T / N!r}"
            )
        return cls(np.full(N, gamma), kind="constant", cumulative_times=np.arange(N + 1) * gamma)

    @classmethod
    def linear(cls, gamma_min: float, gamma_max: float, N: int) -> TimeGrid:
        """Linear schedule :math:`\\gamma_k = \\gamma_{\\min} + (\\gamma_{\\max}-\\gamma_{\\min})(N-k)/N`, k = 0..N-1.

        Seed 000, slide 'Ornstein-Uhlenbeck y discretización' (after Song et al. 2020b). With
        :math:`\\gamma_0` nearest the data this gives the *largest* step :math:`\\gamma_0 = \\gamma_{\\max}` at the
        data end, as the slide's intuition says; note that :math:`\\gamma_{\\min}` itself is never used (the
        smallest step is :math:`\\gamma_{\\min} + (\\gamma_{\\max}-\\gamma_{\\min})/N`).
        """
        gamma_min = _positive_float("grid.gamma_min", gamma_min, allow_zero=True)
        gamma_max = _positive_float("grid.gamma_max", gamma_max)
        if gamma_max < gamma_min:
            raise ConfigError(f"grid.gamma_max: must be >= gamma_min={gamma_min!r}, got {gamma_max!r}")
        N = positive_int("grid.N", N)
        k = np.arange(N, dtype=np.float64)
        return cls(gamma_min + (gamma_max - gamma_min) * (N - k) / N, kind="linear")

    @classmethod
    def cosine(cls, N: int, T: float, s: float = 0.008) -> TimeGrid:
        """Cosine schedule of Nichol & Dhariwal (2021), mapped to OU time (seed 000 cites it among schedules).

        Nichol & Dhariwal set :math:`\\bar\\alpha(u) = f(u)/f(0)`, :math:`f(u) = \\cos^2(\\theta(u))`,
        :math:`\\theta(u) = \\frac{u + s}{1 + s}\\frac{\\pi}{2}`, :math:`u \\in [0, 1]`, with
        :math:`x_u = \\sqrt{\\bar\\alpha(u)}x_0 + \\sqrt{1-\\bar\\alpha(u)}\\varepsilon`. The OU marginal
        :math:`X_\\tau = e^{-\\tau}X_0 + \\sqrt{1-e^{-2\\tau}}Z` has the same law when :math:`e^{-2\\tau} =
        \\bar\\alpha(u)`, i.e. on the OU clock

        .. math::

            \\tau(u) = -\\tfrac12 \\ln\\bar\\alpha(u) = \\ln\\cos\\theta(0) - \\ln\\cos\\theta(u).

        Since :math:`\\tau(1) = \\infty`, the grid keeps the cosine shape but stops at
        :math:`u_{\\max} = \\frac{2(1+s)}{\\pi}\\arccos(e^{-T}\\cos\\theta(0)) - s`, where :math:`\\tau = T`
        (this replaces Nichol & Dhariwal's clipping :math:`\\beta \\le 0.999`). The grid points are
        :math:`F_k = \\tau(k u_{\\max}/N)`, :math:`k = 0..N` (equal steps in :math:`u`), so :math:`F_N = T` and
        :math:`\\gamma_k = F_{k+1} - F_k` is small near the data and large near the prior.
        """
        N = positive_int("grid.N", N)
        T = _positive_float("grid.T", T)
        s = _positive_float("grid.s", s, allow_zero=True)

        def theta(u):
            return (u + s) / (1.0 + s) * (np.pi / 2.0)

        cos0 = math.cos(theta(0.0))
        u_max = (1.0 + s) * (2.0 / np.pi) * math.acos(math.exp(-T) * cos0) - s
        u = u_max * np.arange(N + 1, dtype=np.float64) / N
        F = math.log(cos0) - np.log(np.cos(theta(u)))
        F[0], F[-1] = 0.0, T
        gammas = np.diff(F)
        if np.any(gammas <= 0):  # pragma: no cover - tau is strictly increasing; guards against round-off only
            raise ConfigError(f"grid.N: N={N} too large for T={T}: cosine steps underflow")
        return cls(gammas, kind="cosine", cumulative_times=F)

    @classmethod
    def from_times(cls, times, kind: str = "custom") -> TimeGrid:
        """Grid from explicit forward times :math:`F_0 < F_1 < \\dots < F_N = T` (``F_0`` may be > 0: early
        stopping)."""
        F = np.asarray(times, dtype=np.float64)
        if F.ndim != 1 or F.size < 2 or not np.all(np.isfinite(F)) or F[0] < 0 or np.any(np.diff(F) <= 0):
            raise ConfigError("grid.times: must be an increasing sequence of at least two times >= 0")
        return cls(np.diff(F), kind=kind, cumulative_times=F)

    @classmethod
    def karras(cls, process, N: int, rho: float = 7.0, sigma_min: float = 0.002,
               sigma_max: float | None = None) -> TimeGrid:
        """The noise-level schedule of Karras et al. (2022, eq. 5) on the process's own clock.

        With :math:`\\tilde\\sigma_t = \\sigma_t/\\alpha_t` (:meth:`Process.noise_to_signal`), the levels
        :math:`\\tilde\\sigma_i = (\\sigma_{\\max}^{1/\\rho} + \\tfrac{i}{N-1}(\\sigma_{\\min}^{1/\\rho} -
        \\sigma_{\\max}^{1/\\rho}))^\\rho`, :math:`i = 0..N-1`, followed by :math:`\\tilde\\sigma_N = 0`, are mapped to
        forward times :math:`t_i` with :math:`\\tilde\\sigma_{t_i} = \\tilde\\sigma_i` (brentq), so the grid has
        :math:`N` steps, the last one down to :math:`t = 0`. Default :math:`\\sigma_{\\max} = \\tilde\\sigma_T`
        (the process's horizon), :math:`\\sigma_{\\min} = 0.002` (Karras et al.'s value).
        """
        N = positive_int("grid.N", N)
        if N < 2:
            raise ConfigError(f"grid.N: the Karras schedule needs N >= 2, got {N}")
        rho = _positive_float("grid.rho", rho)
        top = process.noise_to_signal(process.T)
        sigma_max = top if sigma_max is None else _positive_float("grid.sigma_max", sigma_max)
        sigma_min = _positive_float("grid.sigma_min", sigma_min)
        if not sigma_min < sigma_max <= top * (1 + 1e-12):
            raise ConfigError(f"grid.sigma_min: need sigma_min < sigma_max <= sigma_T/alpha_T = {top:.6g}, got "
                              f"sigma_min={sigma_min!r}, sigma_max={sigma_max!r}")
        i = np.arange(N, dtype=np.float64)
        levels = (sigma_max ** (1 / rho) + i / (N - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
        times = [process.time_of_noise_to_signal(v) for v in levels[::-1]]
        times[-1] = process.T if sigma_max == top else times[-1]
        return cls.from_times(np.concatenate([[0.0], times]), kind="karras")

    def early_stopped(self, eps: float) -> TimeGrid:
        """The same schedule mapped affinely onto :math:`[\\epsilon, T]`: :math:`F'_k = \\epsilon +
        F_k(T - \\epsilon)/T` (sampling stops at forward time :math:`\\epsilon`, Song et al. 2021's
        :math:`\\epsilon = 10^{-3}`/:math:`10^{-5}`; seed 000's manifold remark)."""
        eps = _positive_float("sampler.early_stop", eps)
        if not eps < self.T:
            raise ConfigError(f"sampler.early_stop: must be < T = {self.T!r}, got {eps!r}")
        F = eps + (self.cumulative_times - self.cumulative_times[0]) * ((self.T - eps) / (self.T -
                                                                                        self.cumulative_times[0]))
        F[-1] = self.T
        return TimeGrid.from_times(F, kind=self.kind)

    # ------------------------------------------------------------------ backward views
    @property
    def backward_gammas(self) -> np.ndarray:
        return self.gammas[::-1].copy()

    @property
    def forward_times(self) -> np.ndarray:
        return self.cumulative_times[:0:-1].copy()

    @property
    def ancestral_times(self) -> np.ndarray:
        return self.cumulative_times[-2::-1].copy()

    def score_times(self, convention: str) -> np.ndarray:
        """Forward time fed to the score at each backward step, shape (N,), for ``"reverse-em"`` or ``"ancestral"``."""
        if convention == "reverse-em":
            return self.forward_times
        if convention == "ancestral":
            return self.ancestral_times
        raise ConfigError(f"sampler.convention: must be one of {CONVENTIONS}, got {convention!r}")

    def index_of_time(self, t: float, rtol: float = GRID_TIME_RTOL) -> int:
        """Index :math:`k` with :math:`|F_k - t| \\le \\text{rtol}\\cdot T` (ConfigError if none).

        Used to turn the forward time fed to an ``ancestral`` score back into the chain index :math:`k`.
        """
        t = float(t)
        k = int(np.argmin(np.abs(self.cumulative_times - t)))
        if not abs(self.cumulative_times[k] - t) <= rtol * self.T:
            raise ConfigError(
                f"score.t: forward time {t!r} is not on the grid (nearest cumulative time F_{k} = "
                f"{self.cumulative_times[k]!r}, tolerance {rtol * self.T:.3g})"
            )
        return k

    def __len__(self) -> int:
        return self.N

    def __repr__(self) -> str:
        return f"TimeGrid(kind={self.kind!r}, N={self.N}, T={self.T!r})"
