"""The forward-SDE abstraction shared by every noising process (seed 002, slide 'Perturbando os dados com SDEs').

A forward process is an Itô SDE with a drift that is linear in the state and a diffusion that depends on time
only,

.. math::

    dX_t = f(t, X_t)\\,dt + g(t)\\,dB_t, \\qquad f(t, x) = a(t)\\,x, \\qquad t \\in [0, T],

so that the transition kernel is Gaussian, :math:`X_t = \\alpha_t X_0 + \\sigma_t Z` with :math:`Z \\sim N(0, I)`
independent of :math:`X_0`. The idea is that of ``sde_lib.SDE`` in score_sde_pytorch (``sde``, ``marginal_prob``,
``prior_sampling``, ``reverse``), with its weaknesses removed: no image shape is assumed (states are any array
of shape ``(..., d)`` or ``(n, c, h, w)``; every coefficient is a scalar that broadcasts), any horizon ``T`` is
allowed, and ``t`` is a plain float (or numpy scalar/array).
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from theorylab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from theorylab.distributions import Distribution
    from theorylab.processes.reverse import ReverseProcess

__all__ = ["Process", "as_time", "check_positive"]


def as_time(t: Any) -> float | np.ndarray:
    """Return ``t`` as a Python float (scalar input) or a float64 numpy array (array input)."""
    arr = np.asarray(t, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Validate a finite positive scalar parameter, raising :class:`ConfigError` naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ConfigError(f"{name}: must be {'>= 0' if allow_zero else '> 0'} and finite, got {value!r}")
    return v


class Process(abc.ABC):
    """Forward SDE :math:`dX_t = f(t, X_t)dt + g(t)dB_t` on :math:`[0, T]` with a Gaussian transition kernel.

    Subclasses implement :meth:`drift`, :meth:`diffusion_squared`, :meth:`marginal_coefficients` and
    :attr:`prior_std`; everything else (``diffusion``, ``marginal``, ``prior``, ``reverse``) is derived.

    Attributes
    ----------
    T : float
        Horizon of the forward process (any positive value; never assumed to be 1).
    name : str
        Registry name (``"ou"``, ``"vp"``, ``"ve"``).
    """

    name: str = "process"
    T: float

    # ------------------------------------------------------------------ coefficients
    @abc.abstractmethod
    def drift(self, t: float, x):
        """Drift :math:`f(t, x)`; same shape, type, device and dtype as ``x`` (numpy array or torch tensor)."""

    @abc.abstractmethod
    def diffusion_squared(self, t: float) -> float:
        """Squared diffusion coefficient :math:`g(t)^2` (a scalar: the noise is additive and isotropic).

        Kept separate from :meth:`diffusion` so that :math:`g^2` is exact where it is a rational number
        (e.g. ``2.0`` for OU, whereas ``sqrt(2)**2 == 2.0000000000000004``).
        """

    def diffusion(self, t: float) -> float | np.ndarray:
        """Diffusion coefficient :math:`g(t) = \\sqrt{g(t)^2}` (scalar, broadcasts over any state shape)."""
        return as_time(np.sqrt(self.diffusion_squared(t)))

    @abc.abstractmethod
    def marginal_coefficients(self, t: float) -> tuple[float, float]:
        """Return :math:`(\\alpha_t, \\sigma_t)`: :math:`X_t = \\alpha_t X_0 + \\sigma_t Z`, :math:`Z \\sim N(0, I)`.

        For a linear drift :math:`f = a(t)x`: :math:`\\alpha_t = \\exp\\int_0^t a`,
        :math:`\\sigma_t^2 = \\int_0^t (\\alpha_t/\\alpha_s)^2 g(s)^2\\,ds`.
        """

    @property
    @abc.abstractmethod
    def prior_std(self) -> float:
        """Standard deviation of the isotropic Gaussian prior that starts the reverse process."""

    # ------------------------------------------------------------------ derived
    def marginal(self, t: float, x0):
        """Mean and standard deviation of :math:`p_{t|0}(\\cdot \\mid x_0) = N(\\alpha_t x_0, \\sigma_t^2 I)`.

        Parameters
        ----------
        t : float
            Forward time in ``[0, T]``.
        x0 : array or tensor, shape ``(..., d)`` (any shape)
            Starting points.

        Returns
        -------
        mean : same type and shape as ``x0``
            :math:`\\alpha_t x_0`.
        std : float
            :math:`\\sigma_t` (the same for every coordinate).
        """
        alpha, sigma = self.marginal_coefficients(t)
        return alpha * x0, sigma

    def prior(self, dim: int) -> Distribution:
        """The law :math:`N(0, \\text{prior\\_std}^2 I_d)` used to start the reverse process.

        Returns a :class:`theorylab.distributions.Gaussian` (imported lazily: ``distributions`` is the layer above).
        """
        from theorylab.distributions import Gaussian

        dim = int(dim)
        if dim < 1:
            raise ConfigError(f"process.dim: must be >= 1, got {dim}")
        return Gaussian.from_eigen(np.zeros(dim), np.full(dim, self.prior_std**2))  # diagonal: no dense d x d

    def drift_rate(self, t: float) -> float:
        """The scalar :math:`a(t)` of the linear drift :math:`f(t, x) = a(t)\\,x` (read off :meth:`drift`)."""
        return float(np.asarray(self.drift(float(t), np.ones(1)), dtype=np.float64)[0])

    def transition_coefficients(self, t_lo: float, t_hi: float) -> tuple[float, float]:
        """:math:`(a, v)` of the forward transition :math:`X_{t_{hi}} = a X_{t_{lo}} + \\sqrt{v}\\,Z`:
        :math:`a = \\alpha_{hi}/\\alpha_{lo}`, :math:`v = \\sigma_{hi}^2 - a^2\\sigma_{lo}^2` (from the marginals,
        since :math:`X_t = \\alpha_t X_0 + \\sigma_t Z` for every t)."""
        a_lo, s_lo = self.marginal_coefficients(float(t_lo))
        a_hi, s_hi = self.marginal_coefficients(float(t_hi))
        a = float(a_hi) / float(a_lo)
        return a, max(float(s_hi) ** 2 - a * a * float(s_lo) ** 2, 0.0)

    def score_integral(self, t_lo: float, t_hi: float) -> float:
        """:math:`\\alpha_{t_{lo}}\\int_{t_{lo}}^{t_{hi}} g(u)^2/\\alpha_u\\,du`, the coefficient of the frozen
        score in the exponential integrator of the reverse SDE (:mod:`theorylab.samplers.exponential`).

        Computed by ``scipy.integrate.quad``; processes with a closed form override it.
        """
        from scipy.integrate import quad

        a_lo = float(self.marginal_coefficients(float(t_lo))[0])
        value, _ = quad(lambda u: float(self.diffusion_squared(u)) / float(self.marginal_coefficients(u)[0]),
                        float(t_lo), float(t_hi), epsabs=0.0, epsrel=1e-13, limit=200)
        return a_lo * value

    def noise_to_signal(self, t: float) -> float:
        """:math:`\\sigma_t/\\alpha_t`, the noise level of the scaled state :math:`X_t/\\alpha_t` (Karras et al.
        2022's :math:`\\sigma`; :math:`e^{-\\lambda_t}` of Lu et al. 2022's half log-SNR :math:`\\lambda_t`)."""
        alpha, sigma = self.marginal_coefficients(float(t))
        return float(sigma) / float(alpha)

    def time_of_noise_to_signal(self, level: float) -> float:
        """The forward time :math:`t \\in [0, T]` with :math:`\\sigma_t/\\alpha_t` = ``level`` (increasing in t;
        ``scipy.optimize.brentq`` to machine precision); ConfigError outside :math:`[\\sigma_0/\\alpha_0,
        \\sigma_T/\\alpha_T]`."""
        from scipy.optimize import brentq

        lo, hi = self.noise_to_signal(0.0), self.noise_to_signal(self.T)
        level = float(level)
        if level <= lo:
            if level < lo * (1.0 - 1e-12):
                raise ConfigError(f"sampler.sigma: noise level {level!r} below sigma_0/alpha_0 = {lo!r}")
            return 0.0
        if level >= hi:
            if level > hi * (1.0 + 1e-12):
                raise ConfigError(f"sampler.sigma: noise level {level!r} above sigma_T/alpha_T = {hi!r}")
            return float(self.T)
        return float(brentq(lambda u: self.noise_to_signal(u) - level, 0.0, self.T, xtol=1e-15, rtol=1e-15,
                            maxiter=500))

    def corrector_alpha(self, t: float, dt: float) -> float:
        """The factor :math:`\\alpha_i` of the Langevin corrector step (score_sde_pytorch ``LangevinCorrector``).

        :math:`\\alpha_i = (\\alpha_{t}/\\alpha_{t-\\Delta t})^2`, the discrete DDPM :math:`1 - \\beta_i =
        \\bar\\alpha_i/\\bar\\alpha_{i-1}` read from the process's own marginals: 1 for VE, :math:`e^{-2\\Delta t}`
        for OU, and the same number for a VP process with the same clock (score_sde_pytorch's
        :math:`1 - \\beta(t)\\Delta t` is its first-order expansion). Written once here so that identical processes
        get identical correctors.
        """
        t, dt = float(t), float(dt)
        a, _ = self.transition_coefficients(max(t - dt, 0.0), t)
        return a * a

    def reverse(self, score, probability_flow: bool = False) -> ReverseProcess:
        """Time reversal in the running time :math:`s = T - t` (Anderson 1982; seed 000, slide 'Time Reversal').

        .. math::

            dY_s = \\big[-f(T-s, Y_s) + c\\, g(T-s)^2\\, \\text{score}(T-s, Y_s)\\big]\\,ds
                   + [\\text{not probability\\_flow}]\\; g(T-s)\\,dB_s,

        with :math:`c = 1` for the reverse SDE and :math:`c = 1/2` (and no noise) for the probability-flow ODE
        (Song et al. 2021, eq. 13). For OU the reverse drift is :math:`y + 2\\,\\text{score}(T-s, y)`.
        """
        from theorylab.processes.reverse import ReverseProcess

        return ReverseProcess(self, score, probability_flow=probability_flow)

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict[str, float]:
        return {"T": self.T}
