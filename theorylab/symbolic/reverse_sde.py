r"""Time reversal of linear SDEs with Gaussian marginals: the reverse-time SDE, the probability-flow ODE and their
discretisations, checked on the Fokker--Planck equation.

Seed 000, slides ''Time Reversal' (reversión temporal)', 'En la práctica' and '¿Y ahora qué?'; seed 002, slides
'Obtendo amostras com a SDE reversa', 'Gerando amostras da SDE reversa' and 'Fluxo de probabilidade e ODEs
neurais'.

Forward SDE (1D): :math:`dx = f(x,t)\,dt + g(t)\,dW` with :math:`f(x,t) = -a(t)x`. Two processes
(:data:`PROCESSES`):

* ``"ou"``: :math:`a = 1`, :math:`g = \sqrt2` (the repository's forward OU, :math:`dX = -X\,dt + \sqrt2\,dB`);
* ``"vp"``: :math:`a = \beta(t)/2`, :math:`g = \sqrt{\beta(t)}`, linear schedule
  :math:`\beta(t) = \beta_0 + \beta_1 t` (seed 002, 'SMLD e DDPM como discretizações de SDEs').

The marginals from :math:`X_0\sim N(\mu_0, v_0)` are :math:`p_t = N(M(t), V(t))`; :func:`moment_odes` derives
:math:`M' = -aM`, :math:`V' = -2aV + g^2` from the Fokker--Planck equation
:math:`\partial_t p = -\partial_x(fp) + \tfrac12 g^2\partial_{xx}p` and :func:`gaussian_marginal` solves them
with ``sympy.dsolve``. Every check below is a PDE residual divided by the (positive) density, simplified by sympy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.backward_kernel import chain_marginal, leading_term
from theorylab.symbolic.result import Derivation, IdentityCheck, Truth, check_identity
from theorylab.tolerances import SYMBOLIC_NUMERIC_ZERO

__all__ = [
    "PROCESSES",
    "REVERSE_READINGS",
    "GaussianMarginal",
    "LinearSDE",
    "StepGap",
    "ancestral_step_gap",
    "check_fokker_planck",
    "check_probability_flow",
    "check_reverse_diffusion_step",
    "check_reverse_sde",
    "check_seed000_continuous_sampler",
    "gaussian_marginal",
    "linear_sde",
    "moment_odes",
    "reverse_diffusion_step_gap",
]

SRC_000 = "000 / 'Time Reversal' (reversión temporal)"
SRC_002_VP = "002 / SMLD e DDPM como discretizações de SDEs"

_t = sp.Symbol("t", nonnegative=True)  # forward time
_s = sp.Symbol("s", nonnegative=True)  # reversed (forward-running) time s = T - t
_T = sp.Symbol("T", positive=True)  # horizon
_x = sp.Symbol("x", real=True)
_mu0 = sp.Symbol("mu0", real=True)
_v0 = sp.Symbol("v0", positive=True)
_beta0, _beta1 = sp.symbols("beta0 beta1", positive=True)

#: Domains of the numerical searches for a witness. The horizon T in (2, 3) and s, t in (0.05, 1.9) keep
#: 0 < s < T; beta0 in (0.1, 3) and beta1 in (0.1, 2) are a positive linear schedule; v0 in (0.1, 3).
DOMAIN = {
    _T: (2.0, 3.0),
    _s: (0.05, 1.9),
    _t: (0.05, 1.9),
    _v0: (0.1, 3.0),
    _beta0: (0.1, 3.0),
    _beta1: (0.1, 2.0),
}


@dataclass(frozen=True)
class LinearSDE:
    r""":math:`dx = -a(t)x\,dt + g(t)\,dW`, with ``a`` and ``g2`` :math:`= g^2` expressions in :data:`t`."""

    name: str
    a: sp.Expr
    g2: sp.Expr

    def drift(self, x: sp.Expr, t: sp.Expr) -> sp.Expr:
        """:math:`f(x, t) = -a(t) x`."""
        return -self.a.subs(_t, t) * x

    def diffusion2(self, t: sp.Expr) -> sp.Expr:
        """:math:`g(t)^2`."""
        return self.g2.subs(_t, t)

    def diffusion(self, t: sp.Expr) -> sp.Expr:
        """:math:`g(t) = \\sqrt{g(t)^2}`."""
        return sp.sqrt(self.diffusion2(t))


_BETA = _beta0 + _beta1 * _t

#: The forward processes: OU (repository convention) and VP with a linear schedule.
PROCESSES: dict[str, LinearSDE] = {
    "ou": LinearSDE("ou", sp.Integer(1), sp.Integer(2)),
    "vp": LinearSDE("vp", _BETA / 2, _BETA),
}


def linear_sde(name: str) -> LinearSDE:
    """The forward process called ``name`` (``"ou"`` or ``"vp"``).

    Raises
    ------
    ConfigError
        For an unknown name.
    """
    if name not in PROCESSES:
        raise ConfigError(f"process: must be one of {', '.join(PROCESSES)}, got {name!r}")
    return PROCESSES[name]


def _gaussian(x: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return sp.exp(-((x - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)


def _fp_residual(density: sp.Expr, drift: sp.Expr, g2: sp.Expr, time: sp.Symbol) -> sp.Expr:
    r""":math:`[\partial_\tau q + \partial_x(bq) - \tfrac12 g^2\partial_{xx}q]/q`: the Fokker--Planck residual,
    forward in ``time``, divided by the density."""
    return (
        sp.diff(density, time) + sp.diff(drift * density, _x) - g2 / 2 * sp.diff(density, _x, 2)
    ) / density


def _check_residual(residual: sp.Expr, *, n_probe: int = 6, seed: int = 0, digits: int = 50) -> IdentityCheck:
    """``check_identity(residual, 0, domain=DOMAIN)``, preceded by a cheap search for a witness.

    :func:`~theorylab.symbolic.result.check_identity` runs all its simplifications before looking for a witness;
    on a non-zero residual of a few thousand operations (the VP schedule with wrong signs) ``cancel`` and
    ``simplify`` do not finish in minutes. A refutation only needs one point, so ``n_probe`` random rational points
    of :data:`DOMAIN` (drawn as ``check_identity`` draws them, same threshold) are evaluated first at ``digits``
    digits; only when all vanish is ``check_identity`` called for the proof.
    """
    rng = random.Random(seed)
    free = sorted(residual.free_symbols, key=lambda sym: sym.name)
    for _ in range(n_probe):
        point = {}
        for sym in free:
            lo, hi = DOMAIN.get(sym, (0.1, 3.0) if sym.is_positive or sym.is_nonnegative else (-3.0, 3.0))
            point[sym] = sp.Rational(rng.randint(0, 10**6), 10**6) * sp.Rational(str(hi - lo)) + sp.Rational(str(lo))
        value = sp.N(residual.subs(point), digits)
        if value.is_real is False or abs(value) > SYMBOLIC_NUMERIC_ZERO * (1 + abs(value)):
            witness = {sym.name: float(v) for sym, v in point.items()}
            witness["residual"] = float(abs(value))
            return IdentityCheck(
                residual, sp.Integer(0), residual, Truth.FAILS, f"evaluated to {digits} digits (before simplifying)",
                witness,
            )
    return check_identity(residual, sp.Integer(0), domain=DOMAIN)


@cache
def moment_odes(name: str = "ou") -> tuple[sp.Eq, sp.Eq]:
    r"""The ODEs of the mean and variance of a Gaussian solution of the Fokker--Planck equation.

    Substituting :math:`p = N(x; M(t), V(t))` (undefined :math:`M, V`) in the Fokker--Planck residual gives a
    polynomial of degree 2 in :math:`x`; ``sympy.solve`` of its coefficients for :math:`(M', V')` gives
    :math:`M' = -a(t)M`, :math:`V' = -2a(t)V + g(t)^2`.
    """
    sde = linear_sde(name)
    mean_f, var_f = sp.Function("M"), sp.Function("V")
    density = _gaussian(_x, mean_f(_t), var_f(_t))
    residual = sp.expand(sp.simplify(_fp_residual(density, sde.drift(_x, _t), sde.g2, _t)))
    dm, dv = sp.Derivative(mean_f(_t), _t), sp.Derivative(var_f(_t), _t)
    sol = sp.solve(sp.Poly(residual, _x).coeffs(), [dm, dv], dict=True)
    if len(sol) != 1:
        raise RuntimeError(f"moment ODEs not unique: {sol}")
    return sp.Eq(dm, sp.factor(sol[0][dm])), sp.Eq(dv, sp.factor(sol[0][dv]))


@dataclass(frozen=True)
class GaussianMarginal:
    """:math:`p_t = N(M(t), V(t))`: Derivations in ``(t, mu0, v0, *schedule parameters)``."""

    mean: Derivation
    variance: Derivation

    def density(self, x: sp.Expr, t: sp.Expr) -> sp.Expr:
        """:math:`p_t(x)` as a sympy expression."""
        return _gaussian(x, self.mean.expr.subs(_t, t), self.variance.expr.subs(_t, t))

    def score(self, x: sp.Expr, t: sp.Expr) -> sp.Expr:
        """:math:`\\nabla\\log p_t(x)` (``sympy.diff``)."""
        y = sp.Dummy("y", real=True)
        return sp.diff(sp.log(self.density(y, t)), y).subs(y, x)


@cache
def gaussian_marginal(name: str = "ou") -> GaussianMarginal:
    r"""Mean and variance of :math:`X_t` from :math:`X_0\sim N(\mu_0, v_0)`: ``sympy.dsolve`` of
    :func:`moment_odes`. OU: :math:`M = \mu_0e^{-t}`, :math:`V = 1 + (v_0-1)e^{-2t}`; VP:
    :math:`M = \mu_0e^{-B(t)/2}`, :math:`V = 1 + (v_0-1)e^{-B(t)}`, :math:`B(t) = \beta_0t + \beta_1t^2/2`."""
    dm_eq, dv_eq = moment_odes(name)
    mean_f, var_f = sp.Function("M"), sp.Function("V")
    mean = sp.dsolve(dm_eq, mean_f(_t), ics={mean_f(0): _mu0}).rhs
    var = sp.dsolve(dv_eq, var_f(_t), ics={var_f(0): _v0}).rhs
    args = (_t, _mu0, _v0) + (() if name == "ou" else (_beta0, _beta1))
    src = SRC_000 if name == "ou" else SRC_002_VP
    return GaussianMarginal(
        Derivation(f"M(t) [{name}]", sp.simplify(mean), args, src, "sympy.dsolve of M' = -a M, M(0) = mu0"),
        Derivation(f"V(t) [{name}]", sp.simplify(var), args, src, "sympy.dsolve of V' = -2 a V + g^2, V(0) = v0"),
    )


@cache
def check_fokker_planck(name: str = "ou") -> IdentityCheck:
    """Sanity check: :func:`gaussian_marginal` solves the forward Fokker--Planck equation (residual / p = 0)."""
    sde, marg = linear_sde(name), gaussian_marginal(name)
    return _check_residual(_fp_residual(marg.density(_x, _t), sde.drift(_x, _t), sde.g2, _t))


@cache
def check_probability_flow(name: str = "ou", form: str = "correct") -> IdentityCheck:
    r"""The probability-flow ODE transports :math:`p_t`: :math:`\partial_tp + \partial_x(u\,p) = 0`.

    ``form="correct"``: :math:`u = f - \tfrac12 g^2\nabla\log p_t` (Song et al. 2021): proved (the continuity
    residual is the Fokker--Planck residual). ``form="seed"``: :math:`u = f - \tfrac12 g\nabla\log p_t` as written
    in seed 002, slide 'Fluxo de probabilidade e ODEs neurais': fails whenever :math:`g \ne g^2`, i.e.
    :math:`g\ne 1` (OU: :math:`g=\sqrt2`; VP: :math:`\beta(t)\ne1`); the residual is
    :math:`-\tfrac12(g - g^2)\,\partial_x(p\nabla\log p)/p`.
    """
    sde, marg = linear_sde(name), gaussian_marginal(name)
    density, score = marg.density(_x, _t), marg.score(_x, _t)
    if form == "correct":
        coeff = sde.g2 / 2
    elif form == "seed":
        coeff = sde.diffusion(_t) / 2
    else:
        raise ConfigError(f"form: must be 'correct' or 'seed', got {form!r}")
    velocity = sde.drift(_x, _t) - coeff * score
    return _check_residual(_fp_residual(density, velocity, sp.Integer(0), _t))


#: Readings of the reverse-time SDE, all checked on the marginals :math:`q_s = p_{T-s}` of :math:`Y_s = X_{T-s}`:
#:
#: * ``"time-reversal"``: :math:`dY = [-f(Y,T-s) + g(T-s)^2\nabla\log p_{T-s}(Y)]ds + g(T-s)dB`, :math:`s` running
#:   forward (Anderson 1982; Haussmann & Pardoux 1986). Proved.
#: * ``"seed000"``: the OU case as seed 000 writes it, :math:`dY = \{Y + 2\nabla\log p_{T-t}(Y)\}dt + \sqrt2 dB`.
#: * ``"song-backward"``: seed 002's equation read as Song et al. write it, :math:`dx = [f(x,t) - g(t)^2\nabla\log
#:   p_t(x)]dt + g(t)d\bar W` with :math:`t` running from :math:`T` down to 0 (:math:`dt<0`); in forward-running
#:   :math:`s = T-t` its drift is :math:`-[f - g^2\nabla\log p]`. Proved (the seed's :math:`p_{T-t}` must then be
#:   read as :math:`p_t`).
#: * ``"seed002-forward"``: seed 002's equation literally, :math:`d\tilde x = [f(\tilde x,t) - g(t)^2
#:   \nabla\log p_{T-t}(\tilde x)]dt + g(t)d\bar W` with :math:`\tilde x(t) = x(T-t)` and :math:`t` running
#:   forward. Fails.
#: * ``"seed002-forward-shifted"``: the same with the time arguments of :math:`f` and :math:`g` corrected to
#:   :math:`T-t`; still fails (the signs of both drift terms are wrong in forward time).
REVERSE_READINGS: tuple[str, ...] = (
    "time-reversal",
    "seed000",
    "song-backward",
    "seed002-forward",
    "seed002-forward-shifted",
)


def _reverse_coefficients(sde: LinearSDE, marg: GaussianMarginal, reading: str) -> tuple[sp.Expr, sp.Expr]:
    """Drift and squared diffusion, in forward-running time ``s``, of the reversed process under ``reading``."""
    back = _T - _s  # the forward time the reversed process is at
    score_back = marg.score(_x, back)
    if reading == "time-reversal":
        return -sde.drift(_x, back) + sde.diffusion2(back) * score_back, sde.diffusion2(back)
    if reading == "seed000":
        if sde.name != "ou":
            raise ConfigError(f"reading: 'seed000' is stated for the OU process only, got process {sde.name!r}")
        return _x + 2 * score_back, sp.Integer(2)
    if reading == "song-backward":
        # dx = b(x, t) dt + g(t) dW-bar with t decreasing: in s = T - t the drift changes sign, the noise does not.
        return -(sde.drift(_x, back) - sde.diffusion2(back) * score_back), sde.diffusion2(back)
    if reading == "seed002-forward":
        return sde.drift(_x, _s) - sde.diffusion2(_s) * score_back, sde.diffusion2(_s)
    if reading == "seed002-forward-shifted":
        return sde.drift(_x, back) - sde.diffusion2(back) * score_back, sde.diffusion2(back)
    raise ConfigError(f"reading: must be one of {', '.join(REVERSE_READINGS)}, got {reading!r}")


@cache
def check_reverse_sde(name: str = "ou", reading: str = "time-reversal") -> IdentityCheck:
    r"""Check that the reversed process under ``reading`` (:data:`REVERSE_READINGS`) has marginals
    :math:`q_s = p_{T-s}`: the Fokker--Planck residual
    :math:`[\partial_sq + \partial_x(bq) - \tfrac12 g^2\partial_{xx}q]/q` vanishes.

    Seed 000, slide ''Time Reversal'' (the OU formula); seed 002, slide 'Obtendo amostras com a SDE reversa'.
    Witnesses lie in :data:`DOMAIN` (:math:`0 < s < T`).
    """
    sde, marg = linear_sde(name), gaussian_marginal(name)
    drift, g2 = _reverse_coefficients(sde, marg, reading)
    density = marg.density(_x, _T - _s)
    return _check_residual(_fp_residual(density, drift, g2, _s))


# ----------------------------------------------------------------------------------------------------------------
# Discretisations
# ----------------------------------------------------------------------------------------------------------------

_h = sp.Symbol("h", positive=True)  # step Delta t (gamma for seed 000)
_y = sp.Symbol("y", real=True)  # current state x_{i+1} / X_{k+1} / Y_k
_score = sp.Symbol("score", real=True)  # value of the score at (y, t_{i+1})
_beta = sp.Symbol("beta", positive=True)  # beta(t_{i+1}) for the DDPM discretisation


def _em_reverse_step(drift_f: sp.Expr, g2: sp.Expr, score: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    r"""One Euler--Maruyama step of the time-reversal SDE (forward-running time, step :math:`h`) from ``_y``:
    conditional mean :math:`y + [-f + g^2\,\text{score}]h` and variance :math:`g^2h`."""
    return _y + (-drift_f + g2 * score) * _h, g2 * _h


@cache
def check_reverse_diffusion_step() -> IdentityCheck:
    r"""Seed 002, 'Gerando amostras da SDE reversa': the reverse-diffusion step
    :math:`x_i = x_{i+1} - f_{i+1}(x_{i+1}) + G_{i+1}G_{i+1}^\top s(x_{i+1}, i+1) + G_{i+1}z_{i+1}` is the
    Euler--Maruyama step of the time-reversal SDE when the forward discretisation
    :math:`x_{i+1} = x_i + f_i(x_i) + G_iz_i` is itself Euler--Maruyama, :math:`f_i = f(\cdot,t_i)\Delta t`,
    :math:`G_i = G(t_i)\sqrt{\Delta t}`: one-step mean and variance, as a 2-vector, coincide for an undefined
    drift :math:`f` and any :math:`G`. Proved.
    """
    f = sp.Function("f")(_y)
    g = sp.Symbol("G", positive=True)
    seed_mean = _y - f * _h + (g * sp.sqrt(_h)) ** 2 * _score
    seed_var = (g * sp.sqrt(_h)) ** 2
    em_mean, em_var = _em_reverse_step(f, g**2, _score)
    return check_identity(sp.Matrix([seed_mean, seed_var]), sp.Matrix([em_mean, em_var]))


@dataclass(frozen=True)
class StepGap:
    """Leading terms, as the step :math:`h\\to0`, of the one-step mean and variance gaps between two samplers.

    ``*_order`` is the power of the step; ``*_coeff`` the coefficient (a sympy expression; 0 with order ``None``
    when the gap vanishes identically).
    """

    mean_order: int | None
    mean_coeff: sp.Expr
    variance_order: int | None
    variance_coeff: sp.Expr


def _gap(mean_gap: sp.Expr, var_gap: sp.Expr, var: sp.Symbol) -> StepGap:
    out: list[object] = []
    for gap in (mean_gap, var_gap):
        if sp.simplify(gap) == 0:
            out += [None, sp.Integer(0)]
        else:
            out += list(leading_term(gap, var))
    return StepGap(*out)  # type: ignore[arg-type]


@cache
def reverse_diffusion_step_gap() -> StepGap:
    r"""The seed-002 reverse-diffusion step with the DDPM discretisation of the VP SDE against the EM step.

    DDPM: :math:`f_i(x) = (\sqrt{1-\beta_i}-1)x`, :math:`G_i = \sqrt{\beta_i}`, :math:`\beta_i = \beta(t_i)h`.
    EM of the VP time reversal: drift :math:`\tfrac12\beta x + \beta\,\text{score}`, variance :math:`\beta h`.
    The one-step variances coincide; the means differ by :math:`\beta^2 y h^2/8 + O(h^3)`
    (``sympy.series``): a first-order match.
    """
    vp = linear_sde("vp")
    beta_i = _beta * _h
    seed_mean = _y - (sp.sqrt(1 - beta_i) - 1) * _y + beta_i * _score
    seed_var = beta_i
    f_now = vp.drift(_y, _t).subs(_beta0, _beta - _beta1 * _t)  # beta(t_{i+1}) = beta
    em_mean, em_var = _em_reverse_step(f_now, _beta, _score)
    return _gap(seed_mean - em_mean, seed_var - em_var, _h)


@cache
def check_seed000_continuous_sampler() -> IdentityCheck:
    r"""Seed 000, 'En la práctica': :math:`Y_{k+1} = Y_k + \gamma\{Y_k + 2s((N-k)\gamma, Y_k)\} +
    \sqrt{2\gamma}Z_{k+1}` is exactly the EM step of :math:`dY = \{Y + 2\nabla\log p_{T-t}(Y)\}dt + \sqrt2 dB`
    at :math:`t = k\gamma`, :math:`T = N\gamma` (one-step mean and variance as a 2-vector). Proved."""
    n, k = sp.symbols("N k", positive=True)
    score = sp.Function("score")
    ou = linear_sde("ou")
    t_now = k * _h
    em_mean, em_var = _em_reverse_step(ou.drift(_y, n * _h - t_now), ou.g2, score(n * _h - t_now, _y))
    seed_mean = _y + _h * (_y + 2 * score((n - k) * _h, _y))
    return check_identity(sp.Matrix([seed_mean, 2 * _h]), sp.Matrix([em_mean, em_var]))


@cache
def ancestral_step_gap(score_law: str = "ou") -> StepGap:
    r"""Seed 000's ancestral step against the EM step of the OU time reversal, one step from :math:`X_{k+1} = y`.

    Ancestral (seed 000, '¿Cómo invertimos el proceso forward?'):
    :math:`X_k = X_{k+1} + \gamma\{X_{k+1} + 2\nabla\log p_k(X_{k+1})\} + \sqrt{2\gamma}Z`. EM of
    :math:`dY = \{Y + 2\nabla\log p_{T-t}(Y)\}dt + \sqrt2dB` from forward time :math:`(k+1)\gamma`:
    :math:`y + \gamma\{y + 2\nabla\log p_{(k+1)\gamma}(y)\} + \sqrt{2\gamma}Z`. Same variance :math:`2\gamma`; the
    means differ by :math:`2\gamma[\nabla\log p_k(y) - \nabla\log p_{(k+1)\gamma}(y)]`, expanded in :math:`\gamma`
    at fixed :math:`t = k\gamma` (series coefficients in ``(y, t, mu0, v0)``):

    * ``score_law="ou"``: :math:`p_k` read as the OU marginal :math:`p_{k\gamma}` (Gaussian data
      :math:`N(\mu_0, v_0)`); gap :math:`-2\gamma^2\partial_t\nabla\log p_t(y) + O(\gamma^3)`;
    * ``score_law="chain"``: :math:`p_k` the law of the EM chain :math:`X_k` (as the slide defines it); its
      variance differs from the OU one by :math:`O(\gamma)` at fixed :math:`t`, and the gap is still
      :math:`O(\gamma^2)`.

    Either way the match is first order: :math:`O(\gamma^2)` per step, :math:`O(\gamma)` over :math:`T/\gamma`
    steps.
    """
    marg = gaussian_marginal("ou")
    em_score = marg.score(_y, _t + _h)
    if score_law == "ou":
        anc_score = marg.score(_y, _t)
    elif score_law == "chain":
        # Law of X_k for X_{k+1} = (1-h) X_k + sqrt(2h) Z, X_0 ~ N(mu0, v0), with k = t/h.
        chain = chain_marginal()
        mu0_c, s_c, gamma_c, k_c = chain.mean.args
        sub = {mu0_c: _mu0, s_c: sp.sqrt(_v0), gamma_c: _h, k_c: _t / _h}
        # (1 - h)^(t/h) = exp(t log(1 - h) / h): rewrite so that sympy.series expands it in h.
        mean, var = (
            e.subs(sub, simultaneous=True).replace(
                lambda z: z.is_Pow and z.base == 1 - _h, lambda z: sp.exp(z.exp * sp.log(1 - _h))
            )
            for e in (chain.mean.expr, chain.variance.expr)
        )
        anc_score = -(_y - mean) / var
    else:
        raise ConfigError(f"score_law: must be 'ou' or 'chain', got {score_law!r}")
    anc_mean = _y + _h * (_y + 2 * anc_score)
    em_mean = _y + _h * (_y + 2 * em_score)
    return _gap(anc_mean - em_mean, sp.Integer(0), _h)
