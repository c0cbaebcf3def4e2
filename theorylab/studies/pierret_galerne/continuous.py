"""The table's *Continuous* columns: the law of the exact backward SDE / flow ODE stopped at forward time
:math:`\\varepsilon`, started from :math:`\\mathcal N(m_0, S_0)` at :math:`T` (Pierret & Galerne 2025, Props. 2-3;
the notebook's eqs. (7)-(8)).

Per eigen-coordinate of a Gaussian target :math:`\\mathcal N(\\mu, \\lambda)` with :math:`p_t = \\mathcal N(\\alpha_t\\mu,
v_t)`, :math:`v_t = \\alpha_t^2\\lambda + \\sigma_t^2`, both dynamics are linear and map :math:`p_T` to :math:`p_t`;
a start off :math:`p_T` is carried by the homogeneous flow :math:`\\Phi_t` of the mean equation:

.. math::

    \\text{law at } t = \\mathcal N\\big(\\alpha_t\\mu + \\Phi_t(m_0 - \\alpha_T\\mu),\\;
                                   v_t + \\Phi_t^2(S_0 - v_T)\\big),
    \\qquad
    \\Phi^{\\text{SDE}}_t = \\frac{\\alpha_T}{\\alpha_t}\\frac{v_t}{v_T}, \\qquad
    \\Phi^{\\text{ODE}}_t = \\sqrt{v_t / v_T}.

(SDE: the drift :math:`-a y + g^2 s` has homogeneous rate :math:`-a - g^2/v`, and
:math:`\\tfrac{d}{dt}\\log(v_t/\\alpha_t) = g^2/v_t + a`; ODE: the flow of :math:`-a y + \\tfrac12 g^2 s` maps the
standard deviation :math:`\\sqrt{v_T}` to :math:`\\sqrt{v_t}`.) For :math:`\\mu = 0`, :math:`S_0 = 1`,
:math:`\\alpha_t = e^{-B_t}` these are the paper's :math:`\\tilde\\lambda_t = \\lambda_t + e^{-2(B_T-B_t)}
\\lambda_t^2\\lambda_T^{-1}(\\lambda_T^{-1} - 1)` and :math:`\\hat\\lambda_t = \\lambda_t/\\lambda_T`. Why closed forms
and not ``pf-ode-adaptive``: its exact route integrates a :math:`d \\times d` flow map (:math:`d^2 = 9.4\\cdot10^6`
unknowns at :math:`d = 3072`); the test checks these forms against theorylab's fine-grid exponential integrator
and RK4 instead.
"""

from __future__ import annotations

import numpy as np

__all__ = ["continuous_law"]


def continuous_law(process, eigenvalues: np.ndarray, mean: np.ndarray, eps: float, family: str,
                   start_mean: np.ndarray, start_var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, variances)`` at forward time ``eps`` in the target's eigenbasis (module docstring).

    Parameters
    ----------
    process : Process
        A linear-drift process with ``marginal_coefficients`` (theorylab's VP for the paper).
    eigenvalues, mean : ndarray, shape (d,)
        The target's eigenvalues and mean coordinates in its eigenbasis.
    eps : float
        Stopping time (0 allowed).
    family : {"sde", "ode"}
    start_mean, start_var : ndarray, shape (d,)
        The start law at ``process.T`` in the same coordinates.
    """
    a_T, s_T = (float(v) for v in process.marginal_coefficients(process.T))
    a_t, s_t = (float(v) for v in process.marginal_coefficients(eps))
    v_T = a_T * a_T * eigenvalues + s_T * s_T
    v_t = a_t * a_t * eigenvalues + s_t * s_t
    if family == "sde":
        phi = (a_T / a_t) * v_t / v_T
    elif family == "ode":
        phi = np.sqrt(v_t / v_T)
    else:
        raise ValueError(f"family must be 'sde' or 'ode', got {family!r}")
    out_mean = a_t * mean + phi * (start_mean - a_T * mean)
    out_var = v_t + phi * phi * (start_var - v_T)
    return out_mean, np.maximum(out_var, 0.0)
