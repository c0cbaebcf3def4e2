"""In-place score kernel of a Gaussian mixture whose covariances are all diagonal (every mixture in d = 1).

For :math:`p = \\sum_k w_k \\mathcal N(\\mu_k, \\operatorname{diag}(v_k))`, with precisions :math:`P_k = 1/v_k`
(elementwise),

.. math::

    u_k = P_k \\odot (x - \\mu_k), \\qquad
    \\ell_k(x) = c_k - \\tfrac12 \\textstyle\\sum_i (x - \\mu_k)_i\\,u_{k,i}, \\qquad
    c_k = \\log w_k - \\tfrac12 \\textstyle\\sum_i \\log(2\\pi v_{k,i}),

    \\nabla \\log p(x) = -\\sum_k r_k(x)\\,u_k, \\qquad r = \\operatorname{softmax}_k(\\ell).

This is the formula of :func:`theorylab.distributions.mvn.mixture_score` (the general kernel, through Cholesky
solves) with the triangular solves replaced by elementwise products, which is what a diagonal covariance allows.
With two components the softmax is a pair of logistic functions of the log-odds
:math:`\\lambda = \\ell_1 - \\ell_0`: :math:`r_1 = \\sigma(\\lambda)`, :math:`r_0 = \\sigma(-\\lambda)` (two
:func:`torch.sigmoid`, so that the smaller responsibility keeps its relative accuracy instead of being computed as
:math:`1 - r_1`). The seed mixture :math:`\\tfrac12\\mathcal N(-3, 1/4) + \\tfrac12\\mathcal N(3, 1)` (seed 002,
slide "Mistura de gaussianas") and all its OU marginals take that path.

Why a kernel of our own: torch has no mixture score, and ``torch.distributions.MixtureSameFamily`` evaluates
``log_prob`` only (its score would need autograd, several times slower). Every intermediate is written into a buffer
of a :class:`~theorylab.workspace.Workspace` with ``out=`` / in-place operations, so a sampler that passes the same
workspace at every step allocates nothing (see :mod:`theorylab.workspace` for why that matters on CPU).

Accuracy: equal to the general kernel within :data:`theorylab.tolerances.MIXTURE_KERNEL_RTOL`, relative to the scale
:math:`\\sum_k r_k |u_k|` of the sum (``tests/distributions/test_diagonal_mixture.py``).

Optional compiled path (:func:`compiled_kernel`, or ``THEORYLAB_COMPILE=1`` in the environment): the two-component
formula written once as a tensor expression (:func:`two_component_score`) and compiled by :func:`torch.compile`
(inductor fuses it into one vectorised loop: about 4.6 ns per particle against 6--13 ns for the eager in-place kernel,
``benchmarks/bench_sampler_speed.py``). Compilation takes 20--60 s once per process and shape, so it pays off only for
long runs; it is off by default. Its results equal the eager kernel's within the same tolerance, not bit for bit
(inductor may contract multiply-adds); within one run every route calls the same kernel, so the fused and generic
sampler routes still agree bit for bit. If compilation fails (no C++ compiler), the eager kernel is used and the reason
is kept in :func:`compiled_status`.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator

import numpy as np
import torch

from theorylab.workspace import Workspace

__all__ = ["DiagonalMixtureScore", "compiled_kernel", "compiled_status", "diagonal_variances",
           "two_component_score"]

#: state of the optional compiled path (module docstring)
_COMPILED: dict = {"enabled": os.environ.get("THEORYLAB_COMPILE", "") == "1", "fn": None, "error": None}


def two_component_score(x: torch.Tensor, out: torch.Tensor, means: torch.Tensor, prec: torch.Tensor,
                        log_odds_const: torch.Tensor) -> torch.Tensor:
    """The two-component score (module docstring) as one tensor expression, written into ``out``: the function
    :func:`torch.compile` fuses. ``x``/``out`` ``(n, d)``; ``means``/``prec`` ``(2, d)``; ``log_odds_const`` 0-d
    (:math:`c_1 - c_0`, a tensor so that every time of a run shares one compiled graph)."""
    d0, d1 = x - means[0], x - means[1]
    u0, u1 = d0 * prec[0], d1 * prec[1]
    lam = log_odds_const + 0.5 * (d0 * u0 - d1 * u1).sum(dim=1)
    r1, r0 = torch.sigmoid(lam).unsqueeze(1), torch.sigmoid(-lam).unsqueeze(1)
    out.copy_(-(r0 * u0 + r1 * u1))
    return out


@contextlib.contextmanager
def compiled_kernel(enabled: bool = True) -> Iterator[None]:
    """Within the block, two-component diagonal mixtures use the kernel compiled by :func:`torch.compile` (module docstring)."""
    before = _COMPILED["enabled"]
    _COMPILED["enabled"] = bool(enabled)
    try:
        yield
    finally:
        _COMPILED["enabled"] = before


def compiled_status() -> dict:
    """``{"enabled": bool, "compiled": bool, "error": str | None}`` of the optional compiled path."""
    return {"enabled": _COMPILED["enabled"], "compiled": _COMPILED["fn"] is not None, "error": _COMPILED["error"]}


def _compiled_fn():
    if _COMPILED["fn"] is None and _COMPILED["error"] is None:
        _COMPILED["fn"] = torch.compile(two_component_score, dynamic=False)
    return _COMPILED["fn"]


def diagonal_variances(covs: np.ndarray) -> np.ndarray | None:
    """The diagonals ``(K, d)`` of covariances ``(K, d, d)`` that are exactly diagonal, else None."""
    covs = np.asarray(covs, dtype=np.float64)
    diag = np.diagonal(covs, axis1=-2, axis2=-1)
    off = covs - np.einsum("ki,ij->kij", diag, np.eye(covs.shape[-1]))
    return diag.copy() if not np.any(off) else None


class DiagonalMixtureScore:
    """Score of a Gaussian mixture with diagonal covariances, evaluated in place (module docstring).

    Parameters
    ----------
    log_weights : array_like, shape ``(K,)``
    means : array_like, shape ``(K, d)``
    variances : array_like, shape ``(K, d)``
        Positive diagonal entries :math:`v_k` of the covariances.
    """

    def __init__(self, log_weights, means, variances):
        self.log_weights = np.asarray(log_weights, dtype=np.float64)
        self.means = np.asarray(means, dtype=np.float64)
        self.variances = np.asarray(variances, dtype=np.float64)
        self.n_components, self.dim = self.means.shape
        self.precisions = 1.0 / self.variances
        self.consts = self.log_weights - 0.5 * np.sum(np.log(2.0 * math.pi * self.variances), axis=1)
        self._log_odds_const = float(self.consts[-1] - self.consts[0])  # c_1 - c_0 (used when K = 2)
        self._cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self._odds_cache: dict[torch.device, torch.Tensor] = {}

    def _params(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if device not in self._cache:
            self._cache[device] = tuple(torch.as_tensor(a, dtype=torch.float64, device=device)
                                        for a in (self.means, self.precisions, self.consts))
        return self._cache[device]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The score at ``x`` (float64, shape ``(..., d)``), in a new tensor (temporaries in a fresh workspace)."""
        return self.into(x, torch.empty_like(x), Workspace())

    def into(self, x: torch.Tensor, out: torch.Tensor, work: Workspace) -> torch.Tensor:
        """Write the score at ``x`` into ``out`` (contiguous, ``x``'s shape; may not alias ``x``) and return it.

        ``x`` float64 of shape ``(..., d)``, no gradient. Temporaries are buffers of ``work`` named
        ``"mixture.*"``: 3 of ``x``'s size and up to 2 of its batch size for two components (``out`` holds
        :math:`u_0`), ``2K`` of ``x``'s size and ``K + 1`` of its batch size otherwise.
        """
        d = self.dim
        flat = x.reshape(-1, d)
        res = out.view(-1, d)
        n = flat.shape[0]
        means, prec, consts = self._params(x.device)
        dev, f64 = x.device, torch.float64
        if self.n_components == 2 and _COMPILED["enabled"] and _COMPILED["error"] is None and out.is_contiguous():
            if dev not in self._odds_cache:
                self._odds_cache[dev] = torch.tensor(self._log_odds_const, dtype=f64, device=dev)
            try:
                _compiled_fn()(flat, res, means, prec, self._odds_cache[dev])
                return out
            except Exception as exc:  # noqa: BLE001 - any compiler failure: fall back to the eager kernel
                _COMPILED["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                warnings.warn(f"theorylab: compiled mixture kernel unavailable ({_COMPILED['error']}); "
                              "using the eager kernel", RuntimeWarning, stacklevel=2)
        if self.n_components == 2:
            d0, d1 = work.get("mixture.d0", (n, d), f64, dev), work.get("mixture.d1", (n, d), f64, dev)
            u0, u1 = res, work.get("mixture.u1", (n, d), f64, dev)  # u_0 lives in the output until it is weighted
            torch.sub(flat, means[0], out=d0)
            torch.mul(d0, prec[0], out=u0)
            torch.sub(flat, means[1], out=d1)
            torch.mul(d1, prec[1], out=u1)
            d0.mul_(u0)                      # (x - mu_0) P_0 (x - mu_0), per coordinate
            d0.sub_(d1.mul_(u1))             # minus the same for component 1
            if d == 1:
                lam = d0.view(n)
            else:
                lam = torch.sum(d0, dim=1, out=work.get("mixture.lam", (n,), f64, dev))
            lam.mul_(0.5).add_(self._log_odds_const)  # log-odds ell_1 - ell_0
            r1 = torch.sigmoid(lam, out=work.get("mixture.r1", (n,), f64, dev))
            r0 = torch.sigmoid(lam.neg_(), out=lam)
            res.mul_(r0.unsqueeze(1))        # r_0 u_0, in place in the output
            res.addcmul_(u1, r1.unsqueeze(1))
            return out.neg_()
        K = self.n_components
        diff = work.get("mixture.diff", (K, n, d), f64, dev)
        torch.sub(flat.unsqueeze(0), means.unsqueeze(1), out=diff)
        u = work.get("mixture.u", (K, n, d), f64, dev)
        torch.mul(diff, prec.unsqueeze(1), out=u)
        ell = torch.sum(diff.mul_(u), dim=2, out=work.get("mixture.ell", (K, n), f64, dev))
        ell.mul_(-0.5).add_(consts.unsqueeze(1))
        # softmax over the components, in place: r = exp(ell - max) / sum
        top = torch.amax(ell, dim=0, out=work.get("mixture.top", (n,), f64, dev))
        ell.sub_(top).exp_()
        ell.div_(torch.sum(ell, dim=0, out=top))
        torch.sum(u.mul_(ell.unsqueeze(2)), dim=0, out=res)
        return out.neg_()
