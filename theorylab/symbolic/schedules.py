r"""Step-size schedules of the EM discretisation of the OU process, and schedules as time changes.

Seed 000, slide 'Ornstein-Uhlenbeck y discretización':

* the backward step with a schedule is
  :math:`X_k = X_{k+1} + \gamma_k\{X_{k+1} + 2s_\theta(\sum_{j=0}^k\gamma_j, X_{k+1})\} + \sqrt{2\gamma_k}Z_{k+1}`;
* linear scheduling :math:`\gamma_k = \gamma_{\min} + (\gamma_{\max}-\gamma_{\min})(N-k)/N` (citing Song et al.);
* "changing the discretisation schedule is a time change of the OU process followed by a fixed discretisation".

Derived here: the score time :math:`\sum_{j=0}^k\gamma_j` in closed form (``summation``); for a time change
:math:`\tau` (:math:`\tau(0) = 0`, :math:`\tau' > 0`), :math:`Y_u = X_{\tau(u)}` has the moments of
:math:`dY = -\tau'(u)Y\,du + \sqrt{2\tau'(u)}\,dB` (``dsolve`` of that SDE's moment ODEs); and the EM step of size
:math:`\gamma_k` on the OU process *is* the EM step of size :math:`1/N` on the time-changed SDE when
:math:`\tau'(u_k)/N = \gamma_k` (``solve``). The process is isotropic: 1D symbols suffice.

Also the cosine schedule of Nichol & Dhariwal (2021), numerically (:func:`cosine_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic import ou, vp_ve
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = [
    "GAMMA_MAX",
    "GAMMA_MIN",
    "K",
    "N",
    "TAU",
    "U",
    "CosineSchedule",
    "check_em_step_is_time_changed_em",
    "check_time_change",
    "cosine_schedule",
    "linear_schedule",
    "linear_time_change",
    "score_time",
    "score_time_minus_time_change",
]

_SOURCE = "000 / Ornstein-Uhlenbeck y discretización"

#: Step index.
K = sp.Symbol("k", integer=True, nonnegative=True)
#: Number of steps.
N = sp.Symbol("N", integer=True, positive=True)
#: Schedule bounds.
GAMMA_MIN, GAMMA_MAX = sp.symbols("gamma_min gamma_max", positive=True)
#: Time of the time-changed process (the fixed grid is u_k = k/N on [0, 1]).
U = sp.Symbol("u", nonnegative=True)
#: The time change tau(u), a general function with tau(0) = 0.
TAU = sp.Function("tau")

_J = sp.Symbol("j", integer=True, nonnegative=True)
_RATE = sp.Symbol("tau_prime_k", positive=True)  # tau'(u_k)
_GAMMA_K = sp.Symbol("gamma_k", positive=True)
_Y = sp.Symbol("y", real=True)
_Z = sp.Symbol("z", real=True)


@cache
def linear_schedule() -> Derivation:
    r"""The slide's linear schedule :math:`\gamma_k = \gamma_{\min} + (\gamma_{\max}-\gamma_{\min})(N-k)/N`.

    A definition (seed 000), not a derivation: :math:`\gamma_0 = \gamma_{\max}` at the data end and
    :math:`\gamma_N = \gamma_{\min}`.

    Returns
    -------
    Derivation
        Expression in ``(k, N, gamma_min, gamma_max)``.
    """
    expr = GAMMA_MIN + (GAMMA_MAX - GAMMA_MIN) * (N - K) / N
    return Derivation("gamma_k", expr, (K, N, GAMMA_MIN, GAMMA_MAX), _SOURCE, "definition on the slide")


@cache
def score_time() -> Derivation:
    r"""Time fed to the score at step :math:`k`: :math:`t_k = \sum_{j=0}^{k}\gamma_j` for the linear schedule.

    .. math:: t_k = (k+1)\gamma_{\min} + (\gamma_{\max}-\gamma_{\min})\frac{(k+1)(2N-k)}{2N}.

    Returns
    -------
    Derivation
        Expression in ``(k, N, gamma_min, gamma_max)``, by ``summation``.
    """
    total = sp.summation(linear_schedule().expr.subs(K, _J), (_J, 0, K))
    return Derivation(
        "sum_{j=0}^k gamma_j", sp.factor(sp.simplify(total)), (K, N, GAMMA_MIN, GAMMA_MAX), _SOURCE, "summation"
    )


@cache
def check_time_change() -> dict[str, IdentityCheck]:
    r""":math:`Y_u = X_{\tau(u)}` solves :math:`dY = -\tau'(u)Y\,du + \sqrt{2\tau'(u)}\,dB` (in law).

    The moment ODEs of the time-changed SDE (:func:`theorylab.symbolic.vp_ve.affine_moment_odes` with
    :math:`a = -\tau'`, :math:`g^2 = 2\tau'`) are solved by ``dsolve`` from :math:`(x_0, 0)` at :math:`u = 0` with
    :math:`\tau(0) = 0`; they equal the OU transition moments :math:`e^{-t}x_0`, :math:`1 - e^{-2t}` at
    :math:`t = \tau(u)`. Both laws are Gaussian, so they agree.

    Returns
    -------
    dict of str to IdentityCheck
        ``"mean"`` and ``"variance"``, proved.
    """
    m, v = sp.Function("m"), sp.Function("v")
    ode_m, ode_v = vp_ve.affine_moment_odes()
    rate = sp.diff(TAU(U), U)

    def plug(eq: sp.Eq) -> sp.Eq:
        eq = eq.subs(vp_ve.T, U)
        return eq.replace(sp.Function("a"), sp.Lambda(U, -rate)).replace(sp.Function("g2"), sp.Lambda(U, 2 * rate))

    mean = sp.dsolve(plug(ode_m), m(U), ics={m(0): ou.X0}).rhs.subs(TAU(0), 0)
    var = sp.dsolve(plug(ode_v), v(U), ics={v(0): 0}).rhs.subs(TAU(0), 0)
    return {
        "mean": check_identity(mean, ou.mean().expr.subs(ou.T, TAU(U))),
        "variance": check_identity(var, ou.transition_variance().expr.subs(ou.T, TAU(U))),
    }


@cache
def check_em_step_is_time_changed_em() -> IdentityCheck:
    r"""The OU EM step of size :math:`\gamma_k` equals the EM step of size :math:`1/N` of the time-changed SDE.

    OU: :math:`y \mapsto (1-\gamma_k)y + \sqrt{2\gamma_k}z`. Time-changed SDE at :math:`u_k` with step
    :math:`1/N`: :math:`y \mapsto y - \tau'(u_k)y/N + \sqrt{2\tau'(u_k)/N}\,z`. Solving
    :math:`\tau'(u_k)/N = \gamma_k` for :math:`\tau'(u_k)` and substituting gives the same map (proved).
    """
    rate = sp.solve(sp.Eq(_RATE / N, _GAMMA_K), _RATE)[0]
    ou_step = (1 - _GAMMA_K) * _Y + sp.sqrt(2 * _GAMMA_K) * _Z
    changed_step = _Y - _RATE * _Y / N + sp.sqrt(2 * _RATE / N) * _Z
    return check_identity(changed_step.subs(_RATE, rate), ou_step)


@cache
def linear_time_change() -> Derivation:
    r"""The time change of the linear schedule: :math:`\tau(u) = N\int_0^u \gamma(w)\,dw`.

    With :math:`\gamma(u) = \gamma_{\min} + (\gamma_{\max}-\gamma_{\min})(1-u)` (so :math:`\gamma(k/N) = \gamma_k`
    and :math:`\tau'(u_k)/N = \gamma_k`):
    :math:`\tau(u) = N\{\gamma_{\max}u - (\gamma_{\max}-\gamma_{\min})u^2/2\}`.

    Returns
    -------
    Derivation
        Expression in ``(u, N, gamma_min, gamma_max)``, by ``integrate``.
    """
    w = sp.Symbol("w", nonnegative=True)
    gamma_u = linear_schedule().expr.subs(K, N * w)
    expr = sp.expand(sp.integrate(N * gamma_u, (w, 0, U)))
    return Derivation("tau(u)", expr, (U, N, GAMMA_MIN, GAMMA_MAX), _SOURCE, "integrate N gamma(w), w = 0..u")


@cache
def score_time_minus_time_change() -> Derivation:
    r""":math:`\sum_{j=0}^k\gamma_j - \tau((k+1)/N) = (k+1)(\gamma_{\max}-\gamma_{\min})/(2N)`.

    The score time is the left Riemann sum of :math:`\tau'` on the grid :math:`u_j = j/N`, so it overshoots the
    exact time change by half a step per step: the time fed to the score is consistent with the time change only
    up to :math:`O((\gamma_{\max}-\gamma_{\min})k/N)`, which vanishes as :math:`N\to\infty` with fixed bounds.
    """
    expr = sp.factor(sp.simplify(score_time().expr - linear_time_change().expr.subs(U, (K + 1) / N)))
    return Derivation(
        "score time - tau((k+1)/N)", expr, (K, N, GAMMA_MIN, GAMMA_MAX), _SOURCE, "difference of the two closed forms"
    )


@dataclass(frozen=True)
class CosineSchedule:
    r"""The cosine schedule of Nichol & Dhariwal (2021) and its OU times.

    Attributes
    ----------
    betas : numpy.ndarray, shape (N,)
        :math:`\beta_i = \min(1 - \bar\alpha(i/N)/\bar\alpha((i-1)/N), \beta_{\max})`, :math:`i = 1..N`.
    alpha_bar : numpy.ndarray, shape (N + 1,)
        :math:`\bar\alpha_i = \prod_{j\le i}(1-\beta_j)`, :math:`\bar\alpha_0 = 1` (after clipping).
    ou_time : numpy.ndarray, shape (N + 1,)
        :math:`t_i = -\tfrac12\ln\bar\alpha_i`: the DDPM step :math:`\sqrt{1-\beta_i}x + \sqrt{\beta_i}z` is the
        exact OU transition over :math:`\Delta t_i = -\tfrac12\ln(1-\beta_i)`, so :math:`x_i` has the law of
        :math:`X_{t_i}` of :math:`dX = -X\,dt + \sqrt2\,dB`.
    """

    betas: np.ndarray
    alpha_bar: np.ndarray
    ou_time: np.ndarray


def cosine_schedule(n_steps: int, s: float = 0.008, max_beta: float = 0.999) -> CosineSchedule:
    r"""Cosine noise schedule (Nichol & Dhariwal 2021, eq. 17), float64.

    .. math::

        \bar\alpha(\tau) = \frac{f(\tau)}{f(0)},\quad
        f(\tau) = \cos^2\Big(\frac{\tau + s}{1 + s}\cdot\frac{\pi}{2}\Big),\quad
        \beta_i = \min\Big(1 - \frac{\bar\alpha(i/N)}{\bar\alpha((i-1)/N)},\ \beta_{\max}\Big).

    Written here (a few lines of numpy, as in the authors' ``betas_for_alpha_bar``) because none of the installed
    libraries ships it. Seed 000, slide 'Ornstein-Uhlenbeck y discretización' lists cosine schedules.

    Parameters
    ----------
    n_steps : int
        Number of steps N >= 1.
    s : float
        Offset (> 0; 0.008 in the paper) that keeps :math:`\beta_1` from being too small.
    max_beta : float
        Clip in (0, 1] (0.999 in the paper; prevents a singularity at the end).

    Returns
    -------
    CosineSchedule
    """
    if isinstance(n_steps, bool) or int(n_steps) != n_steps or n_steps < 1:
        raise ConfigError(f"n_steps: must be an integer >= 1, got {n_steps}")
    if not np.isfinite(s) or s <= 0:
        raise ConfigError(f"s: must be a finite number > 0, got {s}")
    if not np.isfinite(max_beta) or not 0 < max_beta <= 1:
        raise ConfigError(f"max_beta: must lie in (0, 1], got {max_beta}")
    tau = np.arange(int(n_steps) + 1, dtype=np.float64) / n_steps
    f = np.cos((tau + s) / (1 + s) * np.pi / 2) ** 2
    alpha_bar_raw = f / f[0]
    betas = np.minimum(1.0 - alpha_bar_raw[1:] / alpha_bar_raw[:-1], max_beta)
    alpha_bar = np.concatenate([[1.0], np.cumprod(1.0 - betas)])
    with np.errstate(divide="ignore"):
        ou_time = -0.5 * np.log(alpha_bar) + 0.0  # + 0.0 turns -0.0 at alpha_bar = 1 into 0.0
    return CosineSchedule(betas=betas, alpha_bar=alpha_bar, ou_time=ou_time)
