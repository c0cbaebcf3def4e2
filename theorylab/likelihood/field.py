"""The probability-flow ODE velocity and its divergence, as the ODE solver of :mod:`theorylab.likelihood.ode` needs.

In forward time the PF-ODE is :math:`\\dot x = u(t, x) = f(t, x) - \\tfrac12 g(t)^2 s(t, x)` (Song et al. 2021,
eq. 13; the negative of ``process.reverse(score, probability_flow=True).drift_at``). A *field* maps ``(t, x)``,
``x`` of shape ``(n, d)`` (numpy float64), to ``(u, div_exact, div_hutch)``: the velocity, the exact divergence
(``None`` if not requested) and the Hutchinson estimate averaged over the fixed probes (``None`` if not requested),
each of shape ``(n,)``.

Two fields:

* :class:`AffineDiagonalField` -- Gaussian target, exact or biased score: the Jacobian is :math:`Q\\,
  \\mathrm{diag}(J(t))\\,Q^\\top` (:mod:`theorylab.likelihood.gaussian`), so the exact trace is analytic and a
  probe costs :math:`O(d)`; fully vectorised (d = 3072 is cheap).
* :class:`TorchField` -- any score callable (mixture, smooth perturbation, trained network): the divergence by
  autograd, one vector-Jacobian product per coordinate (exact) or per probe (Hutchinson), as in score_sde_pytorch's
  ``get_div_fn``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.likelihood.gaussian import DiagonalGaussianFlow

__all__ = ["AffineDiagonalField", "TorchField"]


class AffineDiagonalField:
    """PF-ODE of :class:`DiagonalGaussianFlow`, in the target's eigenbasis.

    Parameters
    ----------
    flow : DiagonalGaussianFlow
    exact : bool
        Return the analytic trace :math:`\\sum_k J_k(t)`.
    probes : ndarray (K, n, d) or None
        Hutchinson probes in the **original** coordinates; they are rotated (:math:`\\eta = Q^\\top\\varepsilon`)
        so the estimator is the one a user computing in the original coordinates gets:
        :math:`\\varepsilon^\\top Q\\,\\mathrm{diag}(J)\\,Q^\\top\\varepsilon = \\sum_k J_k\\eta_k^2`.
    Q : ndarray (d, d) or None
        Eigenvectors of the target covariance (``None``: already diagonal).
    """

    def __init__(self, flow: DiagonalGaussianFlow, *, exact: bool, probes: np.ndarray | None,
                 Q: np.ndarray | None = None):
        self.flow = flow
        self.exact = bool(exact)
        self._eta2 = None if probes is None else (probes if Q is None else probes @ Q) ** 2

    def __call__(self, t: float, z: np.ndarray):
        u = self.flow.velocity(t, z)
        J = self.flow.jacobian_diagonal(t)
        exact = np.full(z.shape[0], float(np.sum(J))) if self.exact else None
        hutch = None if self._eta2 is None else np.mean(self._eta2 @ J, axis=0)
        return u, exact, hutch


class TorchField:
    """PF-ODE velocity of a process and any score ``s(t, x)`` (torch float64), divergence by autograd.

    Parameters
    ----------
    process : Process
    score : callable ``score(t, x)`` accepting a torch tensor that requires grad.
    exact : bool
        Exact divergence: ``d`` vector-Jacobian products per evaluation.
    probes : ndarray (K, n, d) or None
        Hutchinson probes (``K`` vector-Jacobian products per evaluation).
    """

    def __init__(self, process: Any, score: Any, *, exact: bool, probes: np.ndarray | None):
        self.process = process
        self.score = score
        self.exact = bool(exact)
        self._probes = None if probes is None else torch.as_tensor(probes, dtype=torch.float64)

    def velocity(self, t: float, x: torch.Tensor) -> torch.Tensor:
        """:math:`u(t, x) = f(t, x) - \\tfrac12 g(t)^2 s(t, x)`."""
        g2 = float(self.process.diffusion_squared(float(t)))
        return self.process.drift(float(t), x) - 0.5 * g2 * self.score(float(t), x)

    def __call__(self, t: float, x_np: np.ndarray):
        x = torch.as_tensor(x_np, dtype=torch.float64).requires_grad_(True)
        with torch.enable_grad():
            u = self.velocity(t, x)
            n, d = x.shape
            exact = hutch = None
            grads_needed = (d if self.exact else 0) + (0 if self._probes is None else self._probes.shape[0])
            done = 0
            if self.exact:
                div = torch.zeros(n, dtype=torch.float64)
                for j in range(d):
                    done += 1
                    (row,) = torch.autograd.grad(u[:, j].sum(), x, retain_graph=done < grads_needed)
                    div += row[:, j]
                exact = div.detach().numpy()
            if self._probes is not None:
                acc = torch.zeros(n, dtype=torch.float64)
                for eps in self._probes:
                    done += 1
                    (vjp,) = torch.autograd.grad((u * eps).sum(), x, retain_graph=done < grads_needed)
                    acc += (vjp * eps).sum(-1)
                hutch = (acc / self._probes.shape[0]).detach().numpy()
        return u.detach().numpy(), exact, hutch
