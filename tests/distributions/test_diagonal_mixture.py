"""The in-place diagonal mixture kernel (issue 15 part 2) against the general Cholesky kernel.

Both compute :math:`\\nabla\\log p(x) = -\\sum_k r_k \\Sigma_k^{-1}(x - \\mu_k)`; they must agree within
:data:`~theorylab.tolerances.MIXTURE_KERNEL_RTOL` of the scale :math:`\\sum_k r_k|\\Sigma_k^{-1}(x-\\mu_k)|`, for any
number of components (the two-component logistic path and the softmax path) and dimension, in the tails too.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.distributions.strategies import MEAN, RAW_WEIGHT, STD
from theorylab.distributions import GaussianMixture
from theorylab.distributions.diagonal_mixture import DiagonalMixtureScore, diagonal_variances
from theorylab.distributions.mvn import mixture_score
from theorylab.scores import ExactScore
from theorylab.tolerances import MIXTURE_KERNEL_RTOL
from theorylab.workspace import Workspace


def reference(gmm: GaussianMixture, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The general kernel's score and the scale sum_k r_k |P_k (x - mu_k)| (float64, independent of the new code)."""
    log_w, means, chols = gmm._params(x.device)
    ref = mixture_score(x, log_w, means, chols)
    prec = torch.linalg.inv(torch.as_tensor(gmm.covs))  # (K, d, d)
    u = torch.einsum("kij,nkj->nki", prec, x.unsqueeze(1) - means.unsqueeze(0))  # (n, K, d)
    resp = gmm.responsibilities(x)  # (n, K)
    return ref, (resp.unsqueeze(-1) * u.abs()).sum(dim=1)


def assert_close(new: torch.Tensor, ref: torch.Tensor, scale: torch.Tensor) -> None:
    err = (new - ref).abs()
    worst = float((err / scale.clamp_min(torch.finfo(torch.float64).tiny)).max())
    assert worst <= MIXTURE_KERNEL_RTOL, worst


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 4), d=st.integers(1, 3), data=st.data())
def test_diagonal_kernel_matches_general(k, d, data):
    weights = np.array([data.draw(RAW_WEIGHT) for _ in range(k)])
    means = np.array([[data.draw(MEAN) for _ in range(d)] for _ in range(k)])
    variances = np.array([[data.draw(STD) ** 2 for _ in range(d)] for _ in range(k)])
    gmm = GaussianMixture(weights / weights.sum(), means, variances if d > 1 else variances[:, 0])
    assert gmm._diagonal is not None
    gen = torch.Generator().manual_seed(k * 10 + d)
    x = 8.0 * torch.randn((256, d), generator=gen, dtype=torch.float64)  # up to ~25: deep tails included
    ref, scale = reference(gmm, x)
    assert_close(gmm.score(x), ref, scale)
    out, work = torch.empty_like(x), Workspace()
    assert gmm.score_into(x, out, work) is out
    assert torch.equal(out, gmm.score(x))  # in place and allocating are the same kernel: same bits


def test_seed_mixture_marginals_take_the_two_component_path_and_match():
    target = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, "Mistura de gaussianas"
    score = ExactScore(target)
    x = torch.linspace(-12.0, 12.0, 4001, dtype=torch.float64).unsqueeze(1)
    for t in (0.0, 0.05, 0.7, 3.0):
        law = score.law(t)
        assert law._diagonal is not None and law._diagonal.n_components == 2
        ref, scale = reference(law, x)
        assert_close(score(t, x), ref, scale)
        out = score.score_into(t, x, torch.empty_like(x), Workspace())
        assert torch.equal(out, score(t, x))


def test_kernel_catches_a_wrong_component():
    """Mutation: dropping a component's precision factor is far outside the tolerance."""
    gmm = GaussianMixture([0.3, 0.7], [-1.0, 2.0], [0.5, 2.0])
    kernel = gmm._diagonal
    x = torch.linspace(-5.0, 5.0, 101, dtype=torch.float64).unsqueeze(1)
    ref, scale = reference(gmm, x)
    mutant = DiagonalMixtureScore(kernel.log_weights, kernel.means, kernel.variances[::-1].copy())
    err = float(((mutant(x) - ref).abs() / scale).max())
    assert err > 1e3 * MIXTURE_KERNEL_RTOL


def test_full_covariances_keep_the_general_kernel_and_batch_shapes():
    full = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[[1.0, 0.3], [0.3, 1.0]], np.eye(2)])
    assert full._diagonal is None
    assert diagonal_variances(np.array([np.eye(2), 2 * np.eye(2)])) == pytest.approx(np.array([[1, 1], [2, 2]]))
    x = torch.randn((3, 5, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = full.score_into(x, torch.empty_like(x))
    assert torch.equal(out, full.score(x))
    diag = GaussianMixture([0.2, 0.3, 0.5], [[0.0, 0.0], [1.0, 1.0], [-2.0, 1.0]], [[1.0, 2.0], [0.5, 0.5], [3.0, 1.0]])
    flat = diag.score(x.reshape(-1, 2)).reshape(3, 5, 2)
    assert torch.equal(diag.score(x), flat)


def test_gradients_still_flow_through_the_general_kernel():
    gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    x = torch.tensor([[0.3], [1.2]], dtype=torch.float64, requires_grad=True)
    s = gmm.score(x)
    (g,) = torch.autograd.grad(s.sum(), x)
    assert s.requires_grad and torch.isfinite(g).all()


def test_workspace_reuses_buffers():
    gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    work = Workspace()
    x = torch.randn((1000, 1), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    out = torch.empty_like(x)
    gmm.score_into(x, out, work)
    held = {name: buf.data_ptr() for name, buf in work._buffers.items()}
    gmm.ou_marginal(0.5).score_into(x, out, work)  # another law, same workspace: nothing new
    assert {name: buf.data_ptr() for name, buf in work._buffers.items()} == held
    assert work.nbytes() <= 6 * x.numel() * 8  # O(n d): 4 particle-sized + 2 batch-sized buffers


def test_compiled_path_falls_back_to_the_eager_kernel(monkeypatch):
    import theorylab.distributions.diagonal_mixture as dm

    def broken(*args):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(dm, "_compiled_fn", lambda: broken)
    monkeypatch.setitem(dm._COMPILED, "error", None)
    gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    x = torch.linspace(-6.0, 6.0, 50, dtype=torch.float64).unsqueeze(1)
    eager = gmm.score(x)
    with dm.compiled_kernel(), pytest.warns(RuntimeWarning, match="no compiler here"):
        out = gmm.score(x)
    assert torch.equal(out, eager)
    assert "no compiler here" in dm.compiled_status()["error"]
    assert dm.compiled_status()["enabled"] is False  # restored on exit


@pytest.mark.slow
def test_compiled_kernel_matches_general():
    """torch.compile of the two-component expression (20-60 s to compile): same tolerance as the eager kernel."""
    import theorylab.distributions.diagonal_mixture as dm

    gmm = GaussianMixture([0.3, 0.7], [[-3.0, 1.0], [3.0, 0.0]], [[0.25, 2.0], [1.0, 0.5]])
    x = 6.0 * torch.randn((4096, 2), generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    ref, scale = reference(gmm, x)
    with dm.compiled_kernel():
        new = gmm.score(x)
    assert dm.compiled_status()["compiled"], dm.compiled_status()
    assert_close(new, ref, scale)
