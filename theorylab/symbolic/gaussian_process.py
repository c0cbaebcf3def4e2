"""Process-level (not only marginal) identities for Gaussian processes: mean *and covariance function*.

Two Gaussian processes have the same law iff their mean and covariance functions agree, so a 'closed form of the
process' must match :math:`\\mathrm{Cov}(X_s, X_t)` for s != t, not only each marginal.

* :func:`check_ou_closed_form_covariance` - seed 000, 'Análisis del proceso Ornstein-Uhlenbeck':
  :math:`X_t = e^{-t}X_0 + B_{1-e^{-2t}}` has the OU marginals but not the OU covariance function; the process is
  :math:`e^{-t}X_0 + e^{-t}B_{e^{2t}-1}`;
* :func:`check_reversal_covariance` - seed 000, 'Time Reversal': for Gaussian X_0 the solution of
  :math:`dY = \\{Y + 2\\nabla\\log p_{T-t}(Y)\\}dt + \\sqrt2 dB` started at p_T has the covariance function of
  :math:`X_{T-t}`.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.symbolic.result import IdentityCheck, check_identity

__all__ = ["check_ou_closed_form_covariance", "check_reversal_covariance", "ou_covariance"]

_s, _t, _T = sp.symbols("s t T", positive=True)
_V = sp.Symbol("V", positive=True)  # Var X_0
_DOMAIN = {_s: (0.05, 1.0), _t: (1.1, 3.0), _V: (0.1, 3.0)}  # s < t


@cache
def ou_covariance() -> sp.Expr:
    r""":math:`\mathrm{Cov}(X_s, X_t)`, s <= t, of :math:`dX = -X dt + \sqrt2 dB`, Var X_0 = V, derived by dsolve:
    for t >= s, :math:`\partial_t\mathrm{Cov}(X_s, X_t) = -\mathrm{Cov}(X_s, X_t)` (the noise increment after s is
    independent of X_s), started at :math:`\mathrm{Var}X_s`, itself the solution of v' = -2v + 2, v(0) = V."""
    v, c = sp.Function("v"), sp.Function("c")
    var_s = sp.dsolve(sp.Eq(v(_s).diff(_s), -2 * v(_s) + 2), v(_s), ics={v(0): _V}).rhs
    cov = sp.dsolve(sp.Eq(c(_t).diff(_t), -c(_t)), c(_t), ics={c(_s): var_s}).rhs
    return sp.simplify(cov)


@cache
def check_ou_closed_form_covariance(form: str = "slide") -> IdentityCheck:
    r"""Covariance of the closed form against :func:`ou_covariance` (s < t).

    ``"slide"``: :math:`e^{-t}X_0 + B_{1-e^{-2t}}`, covariance :math:`e^{-s-t}V + \min(1-e^{-2s}, 1-e^{-2t}) =
    e^{-s-t}V + 1 - e^{-2s}`; ``"time-changed"``: :math:`e^{-t}X_0 + e^{-t}B_{e^{2t}-1}`, covariance
    :math:`e^{-s-t}V + e^{-s-t}(e^{2s}-1)` (Brownian covariance min(a, b) of the clock times)."""
    if form == "slide":
        cov = sp.exp(-_s - _t) * _V + sp.Min(1 - sp.exp(-2 * _s), 1 - sp.exp(-2 * _t))
    elif form == "time-changed":
        cov = sp.exp(-_s - _t) * _V + sp.exp(-_s) * sp.exp(-_t) * sp.Min(sp.exp(2 * _s) - 1, sp.exp(2 * _t) - 1)
    else:
        raise ValueError(f"form: 'slide' or 'time-changed', got {form!r}")
    cov = cov.subs(sp.Min(1 - sp.exp(-2 * _s), 1 - sp.exp(-2 * _t)), 1 - sp.exp(-2 * _s)).subs(
        sp.Min(sp.exp(2 * _s) - 1, sp.exp(2 * _t) - 1), sp.exp(2 * _s) - 1)  # s < t
    return check_identity(cov, ou_covariance(), domain=_DOMAIN)


@cache
def check_reversal_covariance() -> dict[str, IdentityCheck]:
    r"""For X_0 ~ N(m, V): :math:`Y_t = X_{T-t}` has, for s <= t, :math:`C(s, t) = \mathrm{Cov}(X_{T-t}, X_{T-s}) =
    e^{-(t-s)}v(T-t)` with :math:`v(u) = 1 + (V-1)e^{-2u}`. The linear SDE :math:`dY = (Y + 2\nabla\log
    p_{T-t}(Y))dt + \sqrt2 dB`, :math:`\nabla\log p_u(y) = -(y - m_u)/v(u)`, has :math:`\partial_t C(s,t) =
    (1 - 2/v(T-t))\,C(s,t)` for t >= s with C(s, s) = Var Y_s = v(T-s) (the marginal identity). Both are checked."""
    v = lambda u: 1 + (_V - 1) * sp.exp(-2 * u)  # noqa: E731 - OU variance from Var X_0 = V
    reversed_cov = sp.exp(-(_t - _s)) * v(_T - _t)
    ode = check_identity(sp.diff(reversed_cov, _t), (1 - 2 / v(_T - _t)) * reversed_cov,
                         domain={_s: (0.05, 0.5), _t: (0.6, 1.0), _T: (1.1, 3.0), _V: (0.1, 3.0)})
    start = check_identity(reversed_cov.subs(_t, _s), v(_T - _s))
    return {"dC/dt of X_{T-t} = (1 - 2/v(T-t)) C (the reverse SDE's covariance ODE)": ode,
            "C(s, s) = v(T - s)": start}
