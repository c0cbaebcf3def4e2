r"""Perturbation kernels of the VP and VE SDEs for general schedules, and DDPM / SMLD as their discretisations.

Seed 002, slide 'SMLD e DDPM como discretizações de SDEs' (after Song et al. 2021):

.. math::

    \text{VP:}\quad dx = -\tfrac12\beta(t)\,x\,dt + \sqrt{\beta(t)}\,dW, \qquad
    \text{VE:}\quad dx = \sqrt{\frac{d\sigma^2(t)}{dt}}\,dW.

Both have affine drift, so :math:`x(t)\mid x(t_0)` is Gaussian with mean and variance solving the moment ODEs
:math:`m' = a(t)m`, :math:`v' = 2a(t)v + g(t)^2` (from the generator, for drift :math:`a(t)x` and diffusion
:math:`g(t)`). They are solved here by ``dsolve`` for **general** :math:`\beta(t)` and :math:`\sigma(t)` (sympy
functions; :math:`\beta` is written as :math:`B'` with :math:`B` an antiderivative so that ``dsolve`` can apply the
initial condition, then :math:`B(t) - B(t_0) = \int_{t_0}^t \beta`):

.. math::

    \text{VP:}\ \ m = x_0 e^{-\frac12\int_0^t\beta},\ \ v = 1 - e^{-\int_0^t\beta};\qquad
    \text{VE:}\ \ m = x_0,\ \ v = \sigma^2(t) - \sigma^2(0).

The seed writes the VP mean as :math:`x_0 e^{-\int_0^t\beta}`, missing the :math:`\tfrac12`
(:func:`check_vp_mean` refutes it); its VP variance :math:`1 - e^{-\int\beta}` and VE kernel are right.
The laws are isotropic, so 1D scalar symbols suffice (covariances are :math:`v I_d`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import sympy as sp

from theorylab.symbolic.ou import gaussian_expectation
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity, simplify_to_zero

__all__ = [
    "BETA",
    "BETA_MAX",
    "BETA_MIN",
    "DEFAULT_CHECK_DOMAIN",
    "H",
    "HORIZON",
    "S",
    "SIGMA",
    "SIGMA_MAX",
    "SIGMA_MIN",
    "T",
    "T0",
    "X0",
    "StepMatch",
    "affine_moment_odes",
    "check_ve_variance",
    "check_vp_mean",
    "check_vp_variance",
    "ddpm_step_match",
    "linear_beta",
    "smld_step_match",
    "specialise_geometric_sigma",
    "specialise_linear_beta",
    "ve_mean",
    "ve_variance",
    "vp_mean",
    "vp_variance",
]

_SOURCE = "002 / SMLD e DDPM como discretizações de SDEs"

#: Time.
T = sp.Symbol("t", nonnegative=True)
#: Initial time of a transition kernel (0 for the perturbation kernel p_{0t}).
T0 = sp.Symbol("t0", nonnegative=True)
#: Integration variable.
S = sp.Symbol("s", nonnegative=True)
#: Step size of a discretisation.
H = sp.Symbol("h", positive=True)
#: Horizon T of the SDE (Song et al. use T = 1; kept general).
HORIZON = sp.Symbol("T", positive=True)
#: Initial point.
X0 = sp.Symbol("x0", real=True)
#: Schedule parameters of the linear VP schedule.
BETA_MIN, BETA_MAX = sp.symbols("beta_min beta_max", positive=True)
#: Schedule parameters of the geometric VE schedule.
SIGMA_MIN, SIGMA_MAX = sp.symbols("sigma_min sigma_max", positive=True)
#: The VP noise rate beta(t), a general function.
BETA = sp.Function("beta")
#: The VE noise level sigma(t), a general function.
SIGMA = sp.Function("sigma")

_B = sp.Function("B")  # antiderivative of beta
_A = sp.Function("a")  # drift coefficient a(t) of dx = a(t) x dt + g(t) dW
_G2 = sp.Function("g2")  # squared diffusion g(t)^2
_X = sp.Symbol("x", real=True)
_Z = sp.Symbol("Z", real=True)
_MEAN = sp.Symbol("m", real=True)
_VAR = sp.Symbol("v", positive=True)

#: Domain of the witness search for the linear-schedule specialisation: t in (0, T) because t < 1 < T, and the
#: schedule ranges of Song et al. (beta_min = 0.1, beta_max = 20) inside the intervals.
DEFAULT_CHECK_DOMAIN: dict[sp.Symbol, tuple[float, float]] = {
    T: (0.01, 1.0),
    HORIZON: (1.0, 2.0),
    BETA_MIN: (0.01, 1.0),
    BETA_MAX: (5.0, 20.0),
    X0: (-3.0, 3.0),
    SIGMA_MIN: (0.01, 0.1),
    SIGMA_MAX: (5.0, 50.0),
}


@cache
def affine_moment_odes() -> tuple[sp.Eq, sp.Eq]:
    r"""Moment ODEs of :math:`dx = a(t)\,x\,dt + g(t)\,dW` from the generator :math:`a x f' + \tfrac12 g^2 f''`.

    :math:`m' = E[\mathcal{A}x] = a m` and :math:`v' = E[\mathcal{A}x^2] - 2mm' = 2av + g^2` (expectations over a
    Gaussian with mean :math:`m`, variance :math:`v`; only two moments enter).

    Returns
    -------
    tuple of sympy.Eq
        In the functions ``m(t)``, ``v(t)``, ``a(t)``, ``g2(t)`` (``g2 = g^2``).
    """
    m, v = sp.Function("m")(T), sp.Function("v")(T)

    def gen(f: sp.Expr) -> sp.Expr:
        return _A(T) * _X * sp.diff(f, _X) + sp.Rational(1, 2) * _G2(T) * sp.diff(f, _X, 2)

    law = _MEAN + sp.sqrt(_VAR) * _Z
    dm = gaussian_expectation(gen(_X).subs(_X, law), [_Z])
    dv = sp.expand(gaussian_expectation(gen(_X**2).subs(_X, law), [_Z]) - 2 * _MEAN * dm)
    return sp.Eq(m.diff(T), dm.subs({_MEAN: m, _VAR: v})), sp.Eq(v.diff(T), dv.subs({_MEAN: m, _VAR: v}))


def _solve_kernel(a: sp.Expr, g2: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """dsolve the moment ODEs from (x0, 0) at time t0, for drift a(t) x and squared diffusion g2(t)."""
    m, v = sp.Function("m"), sp.Function("v")
    ode_m, ode_v = affine_moment_odes()

    def plug(eq: sp.Eq) -> sp.Eq:
        return eq.replace(_A, sp.Lambda(S, a.subs(T, S))).replace(_G2, sp.Lambda(S, g2.subs(T, S))).doit()

    mean = sp.dsolve(plug(ode_m), m(T), ics={m(T0): X0}).rhs
    var = sp.dsolve(plug(ode_v), v(T), ics={v(T0): 0}).rhs
    return mean, var


def _integral_of_beta(expr: sp.Expr, start: sp.Expr = T0) -> sp.Expr:
    """Replace B(t) by B(t0) + int_{t0}^t beta(s) ds and simplify (B(t0) cancels)."""
    replaced = expr.subs(_B(T), _B(start) + sp.Integral(BETA(S), (S, start, T)))
    return sp.simplify(sp.powsimp(sp.expand(replaced)))


@cache
def _vp_kernel_b() -> tuple[sp.Expr, sp.Expr]:
    beta_b = sp.diff(_B(T), T)
    return _solve_kernel(-beta_b / 2, beta_b)


@cache
def vp_mean() -> Derivation:
    r"""VP kernel mean :math:`x_0\exp(-\tfrac12\int_0^t\beta(s)ds)` for general :math:`\beta`.

    Returns
    -------
    Derivation
        Expression in ``(t, x0)`` containing the undefined function ``beta``: use
        :func:`specialise_linear_beta` for a numeric version.
    """
    expr = _integral_of_beta(_vp_kernel_b()[0]).subs(T0, 0)
    return Derivation("VP mean", expr, (T, X0), _SOURCE, "dsolve of m' = -beta m / 2, m(0) = x0 (beta = B')")


@cache
def vp_variance() -> Derivation:
    r"""VP kernel variance :math:`1 - \exp(-\int_0^t\beta(s)ds)` (initial variance 0), general :math:`\beta`."""
    expr = _integral_of_beta(_vp_kernel_b()[1]).subs(T0, 0)
    return Derivation("VP variance", expr, (T,), _SOURCE, "dsolve of v' = -beta v + beta, v(0) = 0 (beta = B')")


@cache
def _ve_kernel() -> tuple[sp.Expr, sp.Expr]:
    return _solve_kernel(sp.S.Zero, sp.diff(SIGMA(T) ** 2, T))


@cache
def ve_mean() -> Derivation:
    r"""VE kernel mean :math:`x_0` (the VE SDE has no drift)."""
    expr = _ve_kernel()[0].subs(T0, 0)
    return Derivation("VE mean", expr, (T, X0), _SOURCE, "dsolve of m' = 0, m(0) = x0")


@cache
def ve_variance() -> Derivation:
    r"""VE kernel variance :math:`\sigma^2(t) - \sigma^2(0)`, general :math:`\sigma`."""
    expr = _ve_kernel()[1].subs(T0, 0)
    return Derivation("VE variance", expr, (T,), _SOURCE, "dsolve of v' = d(sigma^2)/dt, v(0) = 0")


def linear_beta() -> sp.Lambda:
    r"""Linear VP schedule :math:`\beta(t) = \beta_{\min} + \tfrac{t}{T}(\beta_{\max}-\beta_{\min})` on
    :math:`[0, T]` (Song et al. 2021 take :math:`T = 1`, :math:`\beta_{\min}=0.1`, :math:`\beta_{\max}=20`)."""
    return sp.Lambda(S, BETA_MIN + S / HORIZON * (BETA_MAX - BETA_MIN))


@cache
def specialise_linear_beta(derivation: Derivation) -> Derivation:
    r"""Substitute the linear schedule into a derivation that contains ``beta`` and evaluate the integrals.

    E.g. the VP mean becomes
    :math:`x_0\exp\{-\tfrac12\beta_{\min}t - \tfrac{t^2}{4T}(\beta_{\max}-\beta_{\min})\}`.

    Returns
    -------
    Derivation
        Expression in the original arguments plus ``(beta_min, beta_max, T)``.
    """
    expr = sp.simplify(derivation.expr.replace(BETA, linear_beta()).doit())
    return Derivation(
        derivation.name + " (linear beta)",
        expr,
        (*derivation.args, BETA_MIN, BETA_MAX, HORIZON),
        derivation.source,
        derivation.method + "; beta(t) = beta_min + t (beta_max - beta_min) / T, integrated",
    )


@cache
def specialise_geometric_sigma(derivation: Derivation) -> Derivation:
    r"""Substitute the geometric VE schedule :math:`\sigma(t) = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^{t/T}`
    (Song et al. 2021, SMLD) into a derivation that contains ``sigma``.

    Returns
    -------
    Derivation
        Expression in the original arguments plus ``(sigma_min, sigma_max, T)``.
    """
    geometric = sp.Lambda(S, SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** (S / HORIZON))
    expr = sp.simplify(derivation.expr.replace(SIGMA, geometric).doit())
    return Derivation(
        derivation.name + " (geometric sigma)",
        expr,
        (*derivation.args, SIGMA_MIN, SIGMA_MAX, HORIZON),
        derivation.source,
        derivation.method + "; sigma(t) = sigma_min (sigma_max/sigma_min)^(t/T)",
    )


def _check_general(candidate: sp.Expr, derived: Derivation, specialise) -> IdentityCheck:
    """Prove for general schedules when sympy can; otherwise check on the specialised schedule (witness there)."""
    candidate = sp.sympify(candidate)
    _, how = simplify_to_zero(candidate - derived.expr)
    if how is not None:
        return check_identity(candidate, derived.expr)
    special_candidate = sp.simplify(specialise(Derivation("c", candidate, derived.args, "", "")).expr)
    special_derived = specialise(derived).expr
    # check_identity draws values only for the residual's free symbols but also evaluates |lhs| at that point;
    # when symbols cancel in the residual (e.g. sigma(t)^2 - (sigma(t)^2 - sigma(0)^2)) |lhs| stays symbolic.
    # Checking the residual against 0 avoids that; the two sides are put back afterwards.
    residual, _ = simplify_to_zero(special_candidate - special_derived)
    verdict = check_identity(residual, sp.S.Zero, domain=DEFAULT_CHECK_DOMAIN)
    return replace(verdict, lhs=special_candidate, rhs=special_derived)


def check_vp_mean(candidate: sp.Expr) -> IdentityCheck:
    r"""Check a candidate VP kernel mean (in ``t``, ``x0`` and ``beta``) against :func:`vp_mean`.

    Proved for general :math:`\beta` when sympy simplifies the difference to 0; otherwise both sides are
    specialised to the linear schedule (:func:`specialise_linear_beta`) and a witness is searched on
    :data:`DEFAULT_CHECK_DOMAIN`. The seed's :math:`x_0\exp(-\int_0^t\beta)` fails there (a schedule is a special
    case, so a witness for the linear one refutes the general claim).
    """
    return _check_general(candidate, vp_mean(), specialise_linear_beta)


def check_vp_variance(candidate: sp.Expr) -> IdentityCheck:
    r"""Check a candidate VP kernel variance against :func:`vp_variance` (as :func:`check_vp_mean`)."""
    return _check_general(candidate, vp_variance(), specialise_linear_beta)


def check_ve_variance(candidate: sp.Expr) -> IdentityCheck:
    r"""Check a candidate VE kernel variance (in ``t`` and ``sigma``) against :func:`ve_variance`; specialised to
    the geometric schedule when sympy cannot prove it in general."""
    return _check_general(candidate, ve_variance(), specialise_geometric_sigma)


@dataclass(frozen=True)
class StepMatch:
    r"""One step of a discretisation against the exact SDE kernel over :math:`[t, t+h]`, as series in :math:`h`.

    Attributes
    ----------
    mean_step, mean_exact : sympy.Expr
        Series (up to :math:`h^2`, order term removed) of the one-step mean coefficient of the scheme and of the
        exact kernel.
    var_step, var_exact : sympy.Expr
        The same for the one-step variance.
    mean_first_order, var_first_order : IdentityCheck
        The :math:`h^0` and :math:`h^1` coefficients of scheme and exact kernel agree (proved when the scheme is a
        first-order discretisation).
    mean_h2_gap, var_h2_gap : sympy.Expr
        Coefficient of :math:`h^2` of (scheme - exact): non-zero when the match is only first order.
    """

    mean_step: sp.Expr
    mean_exact: sp.Expr
    var_step: sp.Expr
    var_exact: sp.Expr
    mean_first_order: IdentityCheck
    var_first_order: IdentityCheck
    mean_h2_gap: sp.Expr
    var_h2_gap: sp.Expr


def _b_to_beta(expr: sp.Expr) -> sp.Expr:
    """Replace derivatives of the antiderivative B by beta and its derivatives (highest order first)."""
    for n in (4, 3, 2):
        expr = expr.subs(sp.Derivative(_B(T), (T, n)), sp.Derivative(BETA(T), (T, n - 1)))
    return expr.subs(sp.Derivative(_B(T), T), BETA(T))


def _series(expr: sp.Expr) -> sp.Expr:
    return sp.expand(_b_to_beta(sp.series(expr, H, 0, 3).removeO().doit()))


def _match(mean_step: sp.Expr, mean_exact: sp.Expr, var_step: sp.Expr, var_exact: sp.Expr) -> StepMatch:
    ms, me, vs, ve = (_series(e) for e in (mean_step, mean_exact, var_step, var_exact))

    def upto1(e: sp.Expr) -> sp.Expr:
        return e.coeff(H, 0) + e.coeff(H, 1) * H

    return StepMatch(
        mean_step=ms,
        mean_exact=me,
        var_step=vs,
        var_exact=ve,
        mean_first_order=check_identity(upto1(ms), upto1(me)),
        var_first_order=check_identity(upto1(vs), upto1(ve)),
        mean_h2_gap=sp.simplify((ms - me).coeff(H, 2)),
        var_h2_gap=sp.simplify((vs - ve).coeff(H, 2)),
    )


@cache
def ddpm_step_match() -> StepMatch:
    r"""DDPM :math:`x_i = \sqrt{1-\beta_i}\,x_{i-1} + \sqrt{\beta_i}\,z` against the VP kernel over one step.

    With step :math:`h` and :math:`\beta_i = \beta(t+h)\,h` (Song et al. 2021: :math:`\beta_i = \bar\beta_i/N`,
    :math:`\bar\beta_i = \beta(i/N)`, the end of the step), the one-step mean coefficient
    :math:`\sqrt{1-\beta_i}` and variance :math:`\beta_i` agree with the exact VP kernel
    :math:`e^{-\frac12\int_t^{t+h}\beta}`, :math:`1 - e^{-\int_t^{t+h}\beta}` up to :math:`O(h^2)`; the
    :math:`h^2` coefficients differ (:math:`-\tfrac14(\beta' + \beta^2)` and :math:`\tfrac12(\beta'+\beta^2)`),
    so DDPM is a first-order discretisation of the VP SDE (seed 002).
    """
    exact_mean_b, exact_var_b = _vp_kernel_b()
    # The kernel from t0 to t, shifted to the step [t, t + h] (simultaneous substitution).
    mean_exact = exact_mean_b.subs(X0, 1).subs({T: T + H, T0: T}, simultaneous=True)
    var_exact = exact_var_b.subs({T: T + H, T0: T}, simultaneous=True)
    beta_i = BETA(T + H) * H
    return _match(sp.sqrt(1 - beta_i), mean_exact, beta_i, var_exact)


@cache
def smld_step_match() -> StepMatch:
    r"""SMLD :math:`x_i = x_{i-1} + \sqrt{\sigma_i^2 - \sigma_{i-1}^2}\,z` against the VE kernel over one step.

    With :math:`\sigma_i = \sigma(t+h)`, :math:`\sigma_{i-1} = \sigma(t)` the step is the exact VE kernel from
    :math:`t` to :math:`t+h` (mean coefficient 1, variance :math:`\sigma^2(t+h)-\sigma^2(t)`), so all orders match
    (:math:`h^2` gaps 0); to first order both are the Euler--Maruyama step :math:`g^2 h = (\sigma^2)'(t)h`.
    """
    _, var_kernel = _ve_kernel()
    var_exact = var_kernel.subs({T: T + H, T0: T}, simultaneous=True)
    var_step = SIGMA(T + H) ** 2 - SIGMA(T) ** 2
    return _match(sp.S.One, sp.S.One, var_step, var_exact)
