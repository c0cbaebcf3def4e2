r"""Score-matching losses (theorylab.learning.losses) against independent routes.

* the minimiser of the empirical DSM loss over affine models at a fixed time (one Newton step: the loss is an exact
  quadratic in the parameters) is the score of :math:`p_t` for a Gaussian target, within a Monte Carlo band made
  of the least-squares standard errors (sandwich estimator) of the same sample; the exact score comes from sympy
  (:func:`theorylab.symbolic.score_matching.affine_minimiser`, 1D) and from
  :class:`theorylab.scores.ExactScore` (1D and 2D);
* the empirical ISM minimiser over affine models is, exactly, the score of the sample's own Gaussian fit;
* loss values against sympy's population DSM/ISM of affine models (``dsm_affine``, ``ism_affine``);
* the DSM-ISM gap :math:`\lambda(t)d/\sigma_t^2` (seed 000, 'Implicit Score matching'; seed 002, Teorema 1) for OU,
  VP, VE and every weighting, with a small random MLP, and with Hutchinson divergence above the exact-trace size;
* exact divergence against hand-derived Jacobian traces; Hutchinson's mean and variance against
  :math:`\operatorname{tr}J` and :math:`\sum_{i<j}(J_{ij}+J_{ji})^2`;
* gradients against hand-derived gradients (the divergence keeps its graph), and ConfigError for bad keys.

Monte Carlo comparisons allow ``MC_SIGMA`` standard errors estimated from the same sample; deterministic ones
``LINALG_RTOL`` (float64 round-off of the same quantity through autograd vs. a hand formula / a linear solve, on
systems with condition number <= ~1e6: round-off <= 1e6 * EPS ~ 2e-10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.distributions import Gaussian
from theorylab.errors import ConfigError
from theorylab.learning.coefficients import coefficients
from theorylab.learning.losses import (
    EXACT_DIVERGENCE_MAX_DIM,
    WEIGHTINGS,
    divergence,
    dsm_ism_gap,
    dsm_loss,
    ism_loss,
    loss_weight,
)
from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.scores import ExactScore
from theorylab.symbolic.score_matching import affine_minimiser, dsm_affine, ism_affine
from theorylab.tolerances import LINALG_RTOL, MC_SIGMA

DTYPE = torch.float64

# The three forward processes. VE with sigma_min = 0.05 so that sigma_t >= ~0.04 on t >= 0.05 T: the 'constant'
# weighting's DSM target z / sigma_t keeps a variance that still lets the Monte Carlo bands discriminate.
PROCESSES = {
    "ou": OrnsteinUhlenbeck(T=1.0),
    "vp": VariancePreserving(beta_min=0.1, beta_max=20.0, T=1.0),
    "ve": VarianceExploding(sigma_min=0.05, sigma_max=5.0, T=1.0),
}

# ---------------------------------------------------------------------------------------------------- strategies
PROCESS_NAME = st.sampled_from(sorted(PROCESSES))
WEIGHTING = st.sampled_from(WEIGHTINGS)
# t / T in [0.05, 1]: away from t = 0, where sigma_t -> 0 and the DSM target z / sigma_t blows up
T_FRACTION = st.floats(min_value=0.05, max_value=1.0, allow_nan=False, allow_infinity=False)
# 1D Gaussian target N(mu, v): mean within a few units, variance over a decade and a half
MEAN = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
VARIANCE = st.floats(min_value=0.1, max_value=3.0, allow_nan=False, allow_infinity=False)
# 2D covariance eigenvalues and rotation: condition number <= 30
EIGEN = st.floats(min_value=0.1, max_value=3.0, allow_nan=False, allow_infinity=False)
ANGLE = st.floats(min_value=0.0, max_value=math.pi, allow_nan=False, allow_infinity=False)
# affine model coefficients (slope, intercept) of moderate size
COEF = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
SEED = st.integers(min_value=0, max_value=2**31 - 1)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def times(process, frac: float, n: int) -> torch.Tensor:
    return torch.full((n,), frac * process.T, dtype=DTYPE)


def affine_model(A: torch.Tensor, b: torch.Tensor):
    """s(t, x) = A x + b on (n, d)."""
    return lambda t, x: x @ A.T + b


def assert_mc_close(values: torch.Tensor, expected: float) -> None:
    """Mean of i.i.d. ``values`` within MC_SIGMA CLT standard errors of ``expected``, plus a round-off floor
    LINALG_RTOL |expected| for degenerate draws whose values are all equal (e.g. ISM of a constant model)."""
    v = values.detach().to(DTYPE)
    se = float(v.std() / math.sqrt(v.numel()))
    err = abs(float(v.mean()) - expected)
    band = MC_SIGMA * se + LINALG_RTOL * abs(expected)
    assert err <= band, f"mean {float(v.mean())} vs {expected}: |err| = {err} > {MC_SIGMA} x SE {se} + round-off"


class TinyScore(torch.nn.Module):
    """A small random time-dependent MLP s(t, x) (tanh: smooth, growth at most linear, so Teorema 1 applies)."""

    def __init__(self, d: int, width: int = 16, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(d + 1, width), torch.nn.Tanh(), torch.nn.Linear(width, width), torch.nn.Tanh(),
            torch.nn.Linear(width, d),
        ).to(DTYPE)

    def forward(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, t[:, None]], dim=1))


# ------------------------------------------------------------------------------------- 1. DSM minimiser = score
def newton_minimiser(loss_of_theta, dim_theta: int) -> torch.Tensor:
    """The minimiser of an exactly quadratic loss: one Newton step from 0 (Hessian and gradient by autograd)."""
    theta0 = torch.zeros(dim_theta, dtype=DTYPE, requires_grad=True)
    hess = torch.autograd.functional.hessian(loss_of_theta, theta0)
    (grad,) = torch.autograd.grad(loss_of_theta(theta0), theta0)
    return (theta0 - torch.linalg.solve(hess, grad)).detach()


def sandwich_se(features: torch.Tensor, residuals: torch.Tensor) -> torch.Tensor:
    """Heteroskedasticity-robust (HC0) standard errors of least-squares coefficients, one column per output:
    ``(p, d_out)`` for features ``(n, p)`` and residuals ``(n, d_out)``."""
    bread = torch.linalg.inv(features.T @ features)
    cols = []
    for j in range(residuals.shape[1]):
        meat = features.T @ (features * residuals[:, j : j + 1] ** 2)
        cols.append(torch.sqrt(torch.diagonal(bread @ meat @ bread)))
    return torch.stack(cols, dim=1)


def fit_affine_dsm(process, weighting, frac, x0, seed):
    """Empirical DSM minimiser over s(x) = A x + b at t = frac T; returns (A, b, standard errors of [A^T; b^T])."""
    n, d = x0.shape
    t = times(process, frac, n)
    z = torch.randn(x0.shape, generator=gen(seed + 1), dtype=DTYPE)

    def loss(theta):
        A, b = theta[: d * d].reshape(d, d), theta[d * d :]
        return dsm_loss(affine_model(A, b), x0, t, process, weighting=weighting, noise=z)

    theta = newton_minimiser(loss, d * d + d)
    A, b = theta[: d * d].reshape(d, d), theta[d * d :]
    # the same fit as ordinary least squares of the target -z / sigma on [x_t, 1] (an independent linear solve)
    alpha, sigma, _ = coefficients(process, t[:1])
    xt = alpha * x0 + sigma * z
    features = torch.cat([xt, torch.ones(n, 1, dtype=DTYPE)], dim=1)
    target = -z / sigma
    ols = torch.linalg.lstsq(features, target).solution  # (d + 1, d): rows [A^T; b^T]
    np.testing.assert_allclose(torch.cat([A.T, b[None]]).numpy(), ols.numpy(), rtol=LINALG_RTOL, atol=LINALG_RTOL)
    se = sandwich_se(features, target - features @ ols)
    return A, b, se


def assert_within_se(estimate: torch.Tensor, exact: np.ndarray, se: torch.Tensor) -> None:
    err = np.abs(estimate.numpy() - exact)
    assert np.all(err <= MC_SIGMA * se.numpy()), f"estimate {estimate.numpy()} vs exact {exact}, SE {se.numpy()}"


@settings(max_examples=15, deadline=None)
@given(PROCESS_NAME, WEIGHTING, T_FRACTION, MEAN, VARIANCE, SEED)
def test_dsm_affine_minimiser_is_the_score_1d(name, weighting, frac, mu, v, seed):
    process = PROCESSES[name]
    n = 4000
    x0 = mu + math.sqrt(v) * torch.randn(n, 1, generator=gen(seed), dtype=DTYPE)
    A, b, se = fit_affine_dsm(process, weighting, frac, x0, seed)
    alpha, sigma = process.marginal_coefficients(frac * process.T)
    # route 1: sympy's minimiser of the population DSM of ax + b (seed 000, 'Score matching')
    a_star, b_star = (float(f(mu, math.sqrt(v), alpha, sigma)) for f in affine_minimiser("dsm"))
    # route 2: ExactScore's affine form of grad log p_t (Gaussian pushforward / OU marginal)
    A_ex, b_ex = ExactScore(Gaussian(np.array([mu]), np.array([[v]])), process=process).affine(frac * process.T)
    np.testing.assert_allclose([a_star, b_star], [A_ex[0, 0], b_ex[0]], rtol=LINALG_RTOL)
    assert_within_se(torch.stack([A[0, 0], b[0]]), np.array([a_star, b_star]), se[:, 0])


@settings(max_examples=8, deadline=None)
@given(PROCESS_NAME, WEIGHTING, T_FRACTION, st.tuples(MEAN, MEAN), EIGEN, EIGEN, ANGLE, SEED)
def test_dsm_affine_minimiser_is_the_score_2d(name, weighting, frac, mean, e1, e2, angle, seed):
    process = PROCESSES[name]
    n = 4000
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    cov = rot @ np.diag([e1, e2]) @ rot.T
    chol = torch.from_numpy(np.linalg.cholesky(cov))
    x0 = torch.tensor(mean, dtype=DTYPE) + torch.randn(n, 2, generator=gen(seed), dtype=DTYPE) @ chol.T
    A, b, se = fit_affine_dsm(process, weighting, frac, x0, seed)
    A_ex, b_ex = ExactScore(Gaussian(np.array(mean), cov), process=process).affine(frac * process.T)
    # se rows: coefficient of x_1, x_2, 1; columns: output coordinate. A^T has the same layout as se[:2].
    assert_within_se(A.T, A_ex.T, se[:2])
    assert_within_se(b, b_ex, se[2])


@settings(max_examples=10, deadline=None)
@given(PROCESS_NAME, WEIGHTING, T_FRACTION, st.sampled_from([1, 2]), SEED)
def test_ism_affine_minimiser_is_the_score_of_the_sample_gaussian_fit(name, weighting, frac, d, seed):
    # minimising mean ||A x + b||^2 + 2 tr A gives A = -S^{-1}, b = S^{-1} xbar (S the 1/n sample covariance of
    # x_t): the empirical ISM is the Gaussian-fit score, exactly.
    process = PROCESSES[name]
    n = 500
    x0 = 1.0 + torch.randn(n, d, generator=gen(seed), dtype=DTYPE)
    t = times(process, frac, n)
    z = torch.randn(n, d, generator=gen(seed + 1), dtype=DTYPE)

    def loss(theta):
        A, b = theta[: d * d].reshape(d, d), theta[d * d :]
        return ism_loss(affine_model(A, b), x0, t, process, weighting=weighting, divergence="exact", noise=z)

    theta = newton_minimiser(loss, d * d + d)
    A, b = theta[: d * d].reshape(d, d), theta[d * d :]
    alpha, sigma, _ = coefficients(process, t[:1])
    xt = (alpha * x0 + sigma * z).numpy()
    xbar = xt.mean(axis=0)
    S = (xt - xbar).T @ (xt - xbar) / n
    np.testing.assert_allclose(A.numpy(), -np.linalg.inv(S), rtol=LINALG_RTOL)
    np.testing.assert_allclose(b.numpy(), np.linalg.solve(S, xbar), rtol=LINALG_RTOL)


# --------------------------------------------------------------------- 2. loss values and the DSM - ISM gap
@settings(max_examples=15, deadline=None)
@given(PROCESS_NAME, WEIGHTING, T_FRACTION, MEAN, VARIANCE, COEF, COEF, SEED)
def test_affine_losses_match_sympy_and_the_gap(name, weighting, frac, mu, v, a, b, seed):
    process = PROCESSES[name]
    n = 20000
    x0 = mu + math.sqrt(v) * torch.randn(n, 1, generator=gen(seed), dtype=DTYPE)
    t = times(process, frac, n)
    z = torch.randn(n, 1, generator=gen(seed + 1), dtype=DTYPE)
    model = affine_model(torch.tensor([[a]], dtype=DTYPE), torch.tensor([b], dtype=DTYPE))
    alpha, sigma = process.marginal_coefficients(frac * process.T)
    lam = float(loss_weight(process, t[:1], weighting))
    dsm = dsm_loss(model, x0, t, process, weighting=weighting, noise=z, reduction="none")
    ism = ism_loss(model, x0, t, process, weighting=weighting, noise=z, reduction="none")
    # population values of ax + b by sympy.stats.E (lambda = 1), scaled by the constant weight at this t
    assert_mc_close(dsm, lam * float(dsm_affine()(a, b, mu, math.sqrt(v), alpha, sigma)))
    assert_mc_close(ism, lam * float(ism_affine("full")(a, b, mu, math.sqrt(v), alpha, sigma)))
    gap = dsm_ism_gap(process, t[:1], 1, weighting=weighting)
    assert_mc_close(dsm - ism, float(gap))
    np.testing.assert_allclose(float(gap), lam / sigma**2, rtol=LINALG_RTOL)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_dsm_ism_gap_for_an_mlp(name, weighting):
    # one time per example, uniform on [0.05 T, T]: each example carries its own constant lambda(t) d / sigma_t^2
    process = PROCESSES[name]
    n, d = 20000, 2
    g = gen(7)
    x0 = torch.tensor([1.0, -0.5], dtype=DTYPE) + torch.randn(n, d, generator=g, dtype=DTYPE) @ torch.tensor(
        [[0.8, 0.0], [0.3, 0.5]], dtype=DTYPE
    )
    t = process.T * (0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE))
    z = torch.randn(n, d, generator=g, dtype=DTYPE)
    model = TinyScore(d)
    with torch.no_grad():  # the losses need no parameter graph here; ISM's divergence builds its own
        dsm = dsm_loss(model, x0, t, process, weighting=weighting, noise=z, reduction="none")
    ism = ism_loss(model, x0, t, process, weighting=weighting, noise=z, reduction="none")
    assert_mc_close(dsm - ism - dsm_ism_gap(process, t, d, weighting=weighting), 0.0)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_dsm_ism_gap_with_hutchinson_divergence(weighting):
    # event size above EXACT_DIVERGENCE_MAX_DIM: "auto" takes Hutchinson, unbiased, so the gap still holds in mean
    process = PROCESSES["ou"]
    n, d = 20000, EXACT_DIVERGENCE_MAX_DIM + 2
    g = gen(11)
    x0 = 0.5 + torch.randn(n, d, generator=g, dtype=DTYPE)
    t = process.T * (0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE))
    z = torch.randn(n, d, generator=g, dtype=DTYPE)
    model = TinyScore(d, seed=3)
    dsm = dsm_loss(model, x0, t, process, weighting=weighting, noise=z, reduction="none")
    ism = ism_loss(model, x0, t, process, weighting=weighting, noise=z, generator=gen(12), reduction="none")
    assert_mc_close(dsm - ism - dsm_ism_gap(process, t, d, weighting=weighting), 0.0)


# -------------------------------------------------------------------------------- weights and loss mechanics
@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_loss_weight_against_the_process(name):
    process = PROCESSES[name]
    t = torch.linspace(0.05, 1.0, 7, dtype=DTYPE) * process.T
    _, sigma = process.marginal_coefficients(t.numpy())
    np.testing.assert_allclose(loss_weight(process, t, "sigma2").numpy(), sigma**2, rtol=LINALG_RTOL)
    np.testing.assert_allclose(
        loss_weight(process, t, "likelihood").numpy(), process.diffusion_squared(t.numpy()), rtol=LINALG_RTOL
    )
    assert torch.equal(loss_weight(process, t, "constant"), torch.ones_like(t))


def test_ou_weights_closed_form():
    # OU (dX = -X dt + sqrt 2 dB): sigma_t^2 = 1 - e^{-2t}, g^2 = 2, typed from the SDE, not from the process class
    t = torch.tensor([0.05, 0.3, 1.0, 2.5], dtype=DTYPE)
    ou = OrnsteinUhlenbeck(T=3.0)
    np.testing.assert_allclose(loss_weight(ou, t, "sigma2").numpy(), -np.expm1(-2 * t.numpy()), rtol=LINALG_RTOL)
    np.testing.assert_allclose(loss_weight(ou, t, "likelihood").numpy(), 2.0, rtol=LINALG_RTOL)


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_weightings_rescale_the_same_per_example_loss(name):
    # sigma2 is computed as ||sigma s + z||^2: it must equal sigma^2 ||s + z / sigma||^2 example by example
    process = PROCESSES[name]
    n, d = 64, 3
    g = gen(5)
    x0 = torch.randn(n, d, generator=g, dtype=DTYPE)
    t = process.T * (0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE))
    model = TinyScore(d)
    per = {w: dsm_loss(model, x0, t, process, weighting=w, generator=gen(9), reduction="none") for w in WEIGHTINGS}
    for w in ("sigma2", "likelihood"):
        np.testing.assert_allclose(
            per[w].detach().numpy(), (loss_weight(process, t, w) * per["constant"]).detach().numpy(), rtol=LINALG_RTOL
        )
    mean_loss = dsm_loss(model, x0, t, process, weighting="constant", generator=gen(9))
    np.testing.assert_allclose(per["constant"].mean().item(), mean_loss.item(), rtol=LINALG_RTOL)


def test_noise_from_the_generator_and_event_shapes():
    process = PROCESSES["vp"]
    n = 50
    g = gen(1)
    x0 = torch.randn(n, 2, 3, generator=g, dtype=DTYPE)
    t = 0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE)
    flat = TinyScore(6)

    def shaped(t_, x):  # the same model on (n, 2, 3) events
        return flat(t_, x.reshape(x.shape[0], 6)).reshape(x.shape)

    z = torch.randn(x0.shape, generator=gen(2), dtype=DTYPE)
    for weighting in WEIGHTINGS:
        by_gen = dsm_loss(shaped, x0, t, process, weighting=weighting, generator=gen(2))
        by_noise = dsm_loss(flat, x0.reshape(n, 6), t, process, weighting=weighting, noise=z.reshape(n, 6))
        assert torch.equal(by_gen, by_noise)
        ism_shaped = ism_loss(shaped, x0, t, process, weighting=weighting, divergence="exact", noise=z)
        ism_flat = ism_loss(flat, x0.reshape(n, 6), t, process, weighting=weighting, divergence="exact",
                            noise=z.reshape(n, 6))
        np.testing.assert_allclose(ism_shaped.item(), ism_flat.item(), rtol=LINALG_RTOL)


def test_sigma_zero():
    # at t = 0, sigma_t = 0: 'sigma2' gives ||z||^2 (finite); the others have no target -z/sigma and refuse
    process = PROCESSES["ou"]
    x0 = torch.randn(8, 2, generator=gen(0), dtype=DTYPE)
    t = torch.zeros(8, dtype=DTYPE)
    z = torch.randn(8, 2, generator=gen(1), dtype=DTYPE)
    model = TinyScore(2)
    loss = dsm_loss(model, x0, t, process, noise=z)
    np.testing.assert_allclose(loss.item(), (z**2).sum(1).mean().item(), rtol=LINALG_RTOL)
    for weighting in ("constant", "likelihood"):
        with pytest.raises(ConfigError, match=r"^t: "):
            dsm_loss(model, x0, t, process, weighting=weighting, noise=z)
    assert torch.equal(dsm_ism_gap(process, t, 2, weighting="sigma2"), torch.full_like(t, 2.0))


# ------------------------------------------------------------------------------------------- 3. divergence
def quadratic_field(d: int, seed: int):
    """s_i(t, x) = t (sum_jk Q_ijk x_j x_k + sum_j A_ij x_j + c_i) and its Jacobian, by hand:
    J_ij = t (sum_k (Q_ijk + Q_ikj) x_k + A_ij)."""
    g = gen(seed)
    Q = torch.randn(d, d, d, generator=g, dtype=DTYPE)
    A = torch.randn(d, d, generator=g, dtype=DTYPE)
    c = torch.randn(d, generator=g, dtype=DTYPE)

    def field(t, x):
        return t[:, None] * (torch.einsum("ijk,nj,nk->ni", Q, x, x) + x @ A.T + c)

    def jacobian(t, x):
        return t[:, None, None] * (torch.einsum("ijk,nk->nij", Q + Q.transpose(1, 2), x) + A)

    return field, jacobian


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=EXACT_DIVERGENCE_MAX_DIM + 3), SEED)  # d in [1, 11]
def test_exact_divergence_is_the_trace(d, seed):
    field, jacobian = quadratic_field(d, seed)
    g = gen(seed + 1)
    x = torch.randn(16, d, generator=g, dtype=DTYPE)
    t = torch.rand(16, generator=g, dtype=DTYPE) + 0.5
    trace = torch.diagonal(jacobian(t, x), dim1=1, dim2=2).sum(1)
    np.testing.assert_allclose(divergence(field, t, x, method="exact").detach().numpy(), trace.numpy(),
                               rtol=LINALG_RTOL, atol=LINALG_RTOL * float(trace.abs().max()))
    if d <= EXACT_DIVERGENCE_MAX_DIM:  # "auto" is the exact trace, bit for bit
        assert torch.equal(divergence(field, t, x), divergence(field, t, x, method="exact"))
    else:  # "auto" is Hutchinson with the same probes
        assert torch.equal(divergence(field, t, x, generator=gen(3)),
                           divergence(field, t, x, method="hutchinson", generator=gen(3)))


@pytest.mark.parametrize("n_probes", [1, 4])
def test_hutchinson_mean_and_variance(n_probes):
    d, n = 5, 20000
    field, jacobian = quadratic_field(d, 21)
    x = torch.randn(1, d, generator=gen(22), dtype=DTYPE).expand(n, d).clone()  # one point, n independent estimates
    t = torch.full((n,), 0.7, dtype=DTYPE)
    J = jacobian(t[:1], x[:1])[0]
    trace = float(torch.trace(J))
    # Rademacher v: v^T J v = tr J + sum_{i<j} (J_ij + J_ji) v_i v_j, the products v_i v_j (i<j) being uncorrelated
    # with variance 1; K probes divide the variance by K.
    upper = torch.triu(J + J.T, diagonal=1)
    variance = float((upper**2).sum()) / n_probes
    est = divergence(field, t, x, method="hutchinson", n_probes=n_probes, generator=gen(23), create_graph=False)
    assert_mc_close(est, trace)
    centred = (est - est.mean()) ** 2
    assert_mc_close(centred, variance)  # E[(X - mean)^2] = Var (the 1/n bias is far below the band)


def test_hutchinson_is_exact_for_a_diagonal_jacobian():
    # v_i^2 = 1, so any Rademacher probe returns the trace exactly when J is diagonal
    d, n = 12, 32
    scale = torch.linspace(-1.0, 2.0, d, dtype=DTYPE)
    x = torch.randn(n, d, generator=gen(4), dtype=DTYPE)
    t = torch.ones(n, dtype=DTYPE)
    est = divergence(lambda t_, x_: torch.tanh(x_) * scale, t, x, method="hutchinson", generator=gen(5))
    exact = ((1 - torch.tanh(x) ** 2) * scale).sum(1)
    np.testing.assert_allclose(est.detach().numpy(), exact.numpy(), rtol=LINALG_RTOL)


def test_divergence_of_a_field_constant_in_x():
    t = torch.ones(4, dtype=DTYPE)
    x = torch.randn(4, 3, generator=gen(0), dtype=DTYPE)
    b = torch.tensor([1.0, 2.0, 3.0], dtype=DTYPE, requires_grad=True)
    zero = torch.zeros(4, dtype=DTYPE)
    for method in ("exact", "hutchinson"):
        assert torch.equal(divergence(lambda t_, x_: b.expand_as(x_), t, x, method=method), zero)
        assert torch.equal(divergence(lambda t_, x_: torch.zeros_like(x_), t, x, method=method), zero)


# ------------------------------------------------------------------------------------------- 4. gradients
@pytest.mark.parametrize("method", ["exact", "hutchinson"])
@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_ism_gradient_matches_hand_derivation(method, weighting):
    # 1D s = a x + b: d/da mean lam ((a x + b)^2 + 2a) = mean lam (2 (a x + b) x + 2); d/db = mean lam 2 (a x + b).
    # Hutchinson is exact in 1D (v^2 = 1). Without create_graph the "+2" from the divergence would be missing.
    process = PROCESSES["vp"]
    n = 200
    g = gen(31)
    x0 = torch.randn(n, 1, generator=g, dtype=DTYPE)
    t = 0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE)
    z = torch.randn(n, 1, generator=g, dtype=DTYPE)
    a = torch.tensor(-0.7, dtype=DTYPE, requires_grad=True)
    b = torch.tensor(0.3, dtype=DTYPE, requires_grad=True)
    loss = ism_loss(lambda t_, x: a * x + b, x0, t, process, weighting=weighting, divergence=method, noise=z,
                    generator=gen(32))
    loss.backward()
    alpha, sigma, _ = coefficients(process, t)
    x = (alpha[:, None] * x0 + sigma[:, None] * z)[:, 0]
    lam = loss_weight(process, t, weighting)
    s = a.detach() * x + b.detach()
    np.testing.assert_allclose(a.grad.item(), (lam * (2 * s * x + 2)).mean().item(), rtol=LINALG_RTOL)
    np.testing.assert_allclose(b.grad.item(), (lam * 2 * s).mean().item(), rtol=LINALG_RTOL)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_dsm_gradient_matches_hand_derivation(weighting):
    # 1D s = a x + b: d/da mean lam (a x + b + z/sigma)^2 = mean lam 2 (a x + b + z/sigma) x
    process = PROCESSES["ve"]
    n = 200
    g = gen(41)
    x0 = torch.randn(n, 1, generator=g, dtype=DTYPE)
    t = 0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE)
    z = torch.randn(n, 1, generator=g, dtype=DTYPE)
    a = torch.tensor(-0.2, dtype=DTYPE, requires_grad=True)
    b = torch.tensor(0.1, dtype=DTYPE, requires_grad=True)
    dsm_loss(lambda t_, x: a * x + b, x0, t, process, weighting=weighting, noise=z).backward()
    alpha, sigma, _ = coefficients(process, t)
    x = (alpha[:, None] * x0 + sigma[:, None] * z)[:, 0]
    resid = a.detach() * x + b.detach() + z[:, 0] / sigma
    lam = loss_weight(process, t, weighting)
    np.testing.assert_allclose(a.grad.item(), (lam * 2 * resid * x).mean().item(), rtol=LINALG_RTOL)
    np.testing.assert_allclose(b.grad.item(), (lam * 2 * resid).mean().item(), rtol=LINALG_RTOL)


@pytest.mark.parametrize(
    "loss_name, kwargs", [("dsm", {}), ("ism", {"divergence": "exact"}), ("ism", {"divergence": "hutchinson"})]
)
def test_gradients_flow_to_every_parameter(loss_name, kwargs):
    process = PROCESSES["ou"]
    n, d = 128, 3
    g = gen(51)
    x0 = torch.randn(n, d, generator=g, dtype=DTYPE)
    t = 0.05 + 0.95 * torch.rand(n, generator=g, dtype=DTYPE)
    model = TinyScore(d, seed=1)
    fn = dsm_loss if loss_name == "dsm" else ism_loss
    fn(model, x0, t, process, generator=gen(52), **kwargs).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().max() > 0, name


# ------------------------------------------------------------------------------------------- 5. config errors
def test_bad_keys_raise_config_error():
    process = PROCESSES["ou"]
    x0 = torch.randn(4, 2, dtype=DTYPE)
    t = torch.full((4,), 0.5, dtype=DTYPE)
    model = TinyScore(2)
    for call in (
        lambda: loss_weight(process, t, "sigma"),
        lambda: dsm_loss(model, x0, t, process, weighting="uniform"),
        lambda: ism_loss(model, x0, t, process, weighting=None),
        lambda: dsm_ism_gap(process, t, 2, weighting="g2"),
    ):
        with pytest.raises(ConfigError, match=r"^training\.weighting: must be one of \(sigma2, constant, likelihood\)"):
            call()
    for call in (
        lambda: divergence(model, t, x0, method="trace"),
        lambda: ism_loss(model, x0, t, process, divergence="skilling"),
    ):
        with pytest.raises(ConfigError, match=r"^training\.divergence: must be one of \(auto, exact, hutchinson\)"):
            call()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match=r"^training\.n_probes: "):
            divergence(model, t, x0, method="hutchinson", n_probes=bad)
        with pytest.raises(ConfigError, match=r"^training\.n_probes: "):
            ism_loss(model, x0, t, process, n_probes=bad)


@pytest.mark.gpu
def test_cpu_generator_gives_the_same_loss_on_cuda():
    # noise and probes are drawn on the generator's device (CPU) and moved: the same numbers on any device
    process = PROCESSES["vp"]
    n, d = 64, EXACT_DIVERGENCE_MAX_DIM + 1
    x0 = torch.randn(n, d, generator=gen(61), dtype=DTYPE)
    t = 0.05 + 0.95 * torch.rand(n, generator=gen(62), dtype=DTYPE)
    model = TinyScore(d, seed=2)
    cpu = [dsm_loss(model, x0, t, process, generator=gen(63)), ism_loss(model, x0, t, process, generator=gen(63))]
    model = model.cuda()
    x0, t = x0.cuda(), t.cuda()
    gpu = [dsm_loss(model, x0, t, process, generator=gen(63)), ism_loss(model, x0, t, process, generator=gen(63))]
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_allclose(a.item(), b.item(), rtol=LINALG_RTOL)
