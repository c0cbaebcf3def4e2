r"""Score-matching training losses: denoising (DSM) and implicit (ISM) score matching, with a time weighting.

Seed 002, slides 'Estimando Scores para a SDE' (equation (1), Teorema 1 and the tractable denoising form with a
weight :math:`\lambda(t)`); seed 000, slides 'Denoising Score matching', 'Implicit Score matching',
'¿Cómo hacemos este Score-Matching?' and 'Ponderación de la función de pérdida'.

For a forward process with Gaussian kernel :math:`X_t = \alpha_t X_0 + \sigma_t Z`
(:func:`theorylab.learning.coefficients.coefficients`), :math:`\nabla_x\log p_{t|0}(X_t|X_0) = -Z/\sigma_t`, and
the per-example losses at a time :math:`t` are

.. math::

    \ell_{\mathrm{DSM}} = \lambda(t)\,\big\|s(t, X_t) + Z/\sigma_t\big\|^2, \qquad
    \ell_{\mathrm{ISM}} = \lambda(t)\,\big(\|s(t, X_t)\|^2 + 2\,\nabla_x\!\cdot s(t, X_t)\big).

**The DSM–ISM gap.** For *any* score model :math:`s` (regular enough for Teorema 1: :math:`p_{t|0}\,s\to0` at
infinity, finite second moments),

.. math::

    \mathbb{E}[\ell_{\mathrm{DSM}}] - \mathbb{E}[\ell_{\mathrm{ISM}}]
    = \mathbb{E}_t\Big[\lambda(t)\,\frac{d}{\sigma_t^2}\Big],
    \qquad\text{at a fixed } t:\ \lambda(t)\,d/\sigma_t^2,

with :math:`d` the event size. Derivation (seed 000, slide 'Implicit Score matching'): expand
:math:`\mathbb{E}\|s - \nabla\log p_{t|0}\|^2 = \mathbb{E}\|s\|^2 - 2\mathbb{E}\langle s, \nabla\log p_{t|0}\rangle
+ \mathbb{E}\|Z\|^2/\sigma_t^2`; the last term is :math:`d/\sigma_t^2`
(:func:`theorylab.symbolic.score_matching.kernel_score_energy`); by Tweedie,
:math:`\mathbb{E}\langle s, \nabla\log p_{t|0}\rangle = \mathbb{E}\langle s, \nabla\log p_t\rangle`, and
integrating by parts against :math:`p_t`, :math:`= -\mathbb{E}\,\nabla\!\cdot s`. Hence both losses have the same
minimiser (the score of :math:`p_t`), and :func:`dsm_ism_gap` gives the constant. The test suite checks it by
Monte Carlo for OU, VP and VE and every weighting.

**Weightings** (:func:`loss_weight`), all functions of :math:`t` only:

* ``"sigma2"``: :math:`\lambda = \sigma_t^2`. The seeds recommend :math:`\lambda\propto 1/\mathbb{E}\|\nabla\log
  p_{t|0}\|^2 = \sigma_t^2/d` (Song et al. 2021; :func:`theorylab.symbolic.score_matching.dsm_weight`); the factor
  :math:`1/d` only rescales the loss and is dropped. The DSM term is then computed as
  :math:`\|\sigma_t s + Z\|^2`, which is finite at :math:`\sigma_t\to0` (no :math:`Z/\sigma_t`).
* ``"constant"``: :math:`\lambda = 1` (equation (1) of seed 002 without a weight).
* ``"likelihood"``: :math:`\lambda = g(t)^2`, with which the time-integrated loss bounds the negative
  log-likelihood (Song, Durkan, Murray & Ermon 2021, "Maximum likelihood training of score-based diffusion
  models", Theorem 1).

**Divergence** (:func:`divergence`), needed by ISM: ``"exact"`` is the trace of the Jacobian by reverse-mode
autograd, one vector–Jacobian product per coordinate; ``"hutchinson"`` is the unbiased estimator
:math:`\mathbb{E}_v[v^\top J v]` with Rademacher probes (Hutchinson 1989); ``"auto"`` takes the exact trace up to
:data:`EXACT_DIVERGENCE_MAX_DIM` coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from theorylab.errors import ConfigError
from theorylab.learning.coefficients import coefficients

__all__ = [
    "DIVERGENCE_METHODS",
    "EXACT_DIVERGENCE_MAX_DIM",
    "REDUCTIONS",
    "WEIGHTINGS",
    "divergence",
    "dsm_ism_gap",
    "dsm_loss",
    "ism_loss",
    "loss_weight",
]

#: Names accepted by ``training.weighting``: :math:`\lambda(t) = \sigma_t^2`, :math:`1`, :math:`g(t)^2`.
WEIGHTINGS: tuple[str, ...] = ("sigma2", "constant", "likelihood")

#: Names accepted by ``training.divergence``.
DIVERGENCE_METHODS: tuple[str, ...] = ("auto", "exact", "hutchinson")

#: ``reduction`` of the losses: the batch mean (a scalar, for training) or the per-example values ``(n,)`` (for
#: Monte Carlo error bars and per-time diagnostics).
REDUCTIONS: tuple[str, ...] = ("mean", "none")

#: Largest event size for which ``divergence(method="auto")`` computes the exact trace. The exact trace costs one
#: backward pass per coordinate; up to 8 coordinates (the 1D/2D/low-dimensional targets of the ledger) that is at
#: most 8 passes on tiny networks, while above it (e.g. digits, d = 64) one Hutchinson probe costs one pass.
EXACT_DIVERGENCE_MAX_DIM: int = 8

#: A batched score function ``fn(t, x)``: ``t`` of shape ``(n,)``, ``x`` of shape ``(n, *event)``, returning a
#: tensor shaped like ``x`` (see /work/notes/learning.md, "Batched score functions").
BatchedScore = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


# ----------------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------------


def _check_choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{key}: must be one of ({', '.join(choices)}), got {value!r}")
    return value


def _check_n_probes(n_probes: Any) -> int:
    if isinstance(n_probes, bool) or not isinstance(n_probes, int) or n_probes < 1:
        raise ConfigError(f"training.n_probes: must be an integer >= 1, got {n_probes!r}")
    return n_probes


def _check_batch(x0: torch.Tensor, t: torch.Tensor) -> None:
    # Shapes are set by the calling code, not typed by a user: a mismatch is a bug, hence ValueError.
    if x0.ndim < 2:
        raise ValueError(f"x0 must have shape (n, *event_shape), at least 2 dimensions, got {tuple(x0.shape)}")
    if t.ndim != 1 or t.shape[0] != x0.shape[0]:
        raise ValueError(f"t must have shape (n,) = ({x0.shape[0]},), got {tuple(t.shape)}")


def _per_example(t: torch.Tensor, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """Reshape a ``(n,)`` coefficient to ``(n, 1, ..., 1)`` so that it broadcasts against ``x``."""
    shape = (t.shape[0],) + (1,) * (x.ndim - 1)
    return lambda c: c.reshape(shape)


def _event_sum(y: torch.Tensor) -> torch.Tensor:
    return y.reshape(y.shape[0], -1).sum(dim=1)


def _reduce(per: torch.Tensor, reduction: str) -> torch.Tensor:
    return per.mean() if reduction == "mean" else per


def _draw_noise(
    shape: torch.Size, like: torch.Tensor, noise: torch.Tensor | None, generator: torch.Generator | None
) -> torch.Tensor:
    """:math:`Z\\sim N(0, I)` shaped ``shape``: ``noise`` if given, else drawn with ``generator`` on the generator's
    device (so that a CPU generator gives the same numbers whatever the model's device) and moved to ``like``'s."""
    if noise is not None:
        if tuple(noise.shape) != tuple(shape):
            raise ValueError(f"noise must have the shape of x0 {tuple(shape)}, got {tuple(noise.shape)}")
        return noise.to(device=like.device, dtype=like.dtype)
    device = generator.device if generator is not None else like.device
    z = torch.randn(shape, generator=generator, device=device, dtype=like.dtype)
    return z.to(like.device)


def _require_positive_sigma(sigma: torch.Tensor, t: torch.Tensor, weighting: str) -> None:
    if bool((sigma <= 0).any()):
        t_bad = float(t[sigma <= 0][0])
        raise ConfigError(
            f"t: sigma_t = 0 at t = {t_bad:g}, where the DSM target -z/sigma_t is undefined under weighting "
            f"{weighting!r}; sample t > 0 (training.t_min) or use weighting 'sigma2'"
        )


# ----------------------------------------------------------------------------------------------------------------
# weighting
# ----------------------------------------------------------------------------------------------------------------


def loss_weight(process: Any, t: torch.Tensor, kind: str) -> torch.Tensor:
    r"""The time weighting :math:`\lambda(t)` of the score-matching losses, shaped like ``t``.

    .. math::

        \lambda(t) = \begin{cases} \sigma_t^2 & \text{"sigma2"} \\ 1 & \text{"constant"} \\
        g(t)^2 & \text{"likelihood"} \end{cases}

    Seed 002, slide 'Estimando Scores para a SDE' (:math:`\lambda\propto 1/\mathbb{E}\|\nabla\log p_{t|0}\|^2 =
    \sigma_t^2/d`; the :math:`1/d` is dropped); seed 000, slide 'Ponderación de la función de pérdida';
    ``"likelihood"`` from Song et al. (2021), "Maximum likelihood training of score-based diffusion models".

    Parameters
    ----------
    process : theorylab.processes.Process
        The forward SDE (OU, VP or VE).
    t : torch.Tensor
        Forward times, any shape.
    kind : {"sigma2", "constant", "likelihood"}
        Which weighting (``training.weighting``).

    Returns
    -------
    torch.Tensor
        :math:`\lambda(t)` with ``t``'s shape, device and dtype.

    Raises
    ------
    ConfigError
        ``kind`` is not one of :data:`WEIGHTINGS`.
    """
    _check_choice("training.weighting", kind, WEIGHTINGS)
    if kind == "constant":
        return torch.ones_like(t)
    coeffs = coefficients(process, t)
    return coeffs.sigma**2 if kind == "sigma2" else coeffs.g2


def dsm_ism_gap(process: Any, t: torch.Tensor, event_size: int, *, weighting: str = "sigma2") -> torch.Tensor:
    r"""The constant :math:`\lambda(t)\,d/\sigma_t^2` by which the expected DSM loss exceeds the expected ISM loss at
    time ``t``, for every score model (see the module docstring for the derivation).

    Seed 000, slide 'Implicit Score matching'; seed 002, Teorema 1. For ``"sigma2"`` it is exactly :math:`d` (also
    at :math:`\sigma_t = 0`, by continuity of :math:`\|\sigma_t s + Z\|^2`).

    Parameters
    ----------
    process : theorylab.processes.Process
        The forward SDE.
    t : torch.Tensor
        Forward times, any shape.
    event_size : int
        :math:`d`, the number of coordinates of one example.
    weighting : {"sigma2", "constant", "likelihood"}
        The weighting :math:`\lambda` (:func:`loss_weight`).

    Returns
    -------
    torch.Tensor
        Shaped like ``t``. Subtract its mean over the batch's times from a mean DSM loss to put it on the ISM scale.
    """
    _check_choice("training.weighting", weighting, WEIGHTINGS)
    if isinstance(event_size, bool) or not isinstance(event_size, int) or event_size < 1:
        raise ValueError(f"event_size must be an integer >= 1, got {event_size!r}")
    if weighting == "sigma2":
        return torch.full_like(t, float(event_size))
    sigma = coefficients(process, t).sigma
    _require_positive_sigma(sigma, t, weighting)
    return loss_weight(process, t, weighting) * event_size / sigma**2


# ----------------------------------------------------------------------------------------------------------------
# divergence
# ----------------------------------------------------------------------------------------------------------------


def _score_and_divergence(
    score_fn: BatchedScore,
    t: torch.Tensor,
    x: torch.Tensor,
    *,
    method: str,
    n_probes: int,
    generator: torch.Generator | None,
    create_graph: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward pass of ``score_fn`` at ``(t, x)`` and the divergence of the result in ``x``: ``(s, div)``."""
    _check_choice("training.divergence", method, DIVERGENCE_METHODS)
    n_probes = _check_n_probes(n_probes)
    n = x.shape[0]
    dim = x[0].numel()
    if method == "auto":
        method = "exact" if dim <= EXACT_DIVERGENCE_MAX_DIM else "hutchinson"
    with torch.enable_grad():
        x_in = x if x.requires_grad else x.detach().requires_grad_(True)
        s = score_fn(t, x_in)
        if s.shape != x.shape:
            raise ValueError(f"score_fn returned shape {tuple(s.shape)}, expected {tuple(x.shape)}")
        div = torch.zeros(n, dtype=x.dtype, device=x.device)
        if not s.requires_grad:  # s does not depend on x (nor on anything differentiable): zero divergence
            return s, div
        flat_s = s.reshape(n, dim)

        def vjp(out: torch.Tensor) -> torch.Tensor | None:
            (grad,) = torch.autograd.grad(out, x_in, create_graph=create_graph, retain_graph=True, allow_unused=True)
            return None if grad is None else grad.reshape(n, dim)

        if method == "exact":
            # Row i of every example's Jacobian at once: the examples of a batch do not interact, so the gradient
            # of sum_k s_i(x_k) in x_k is grad s_i(x_k).
            for i in range(dim):
                grad = vjp(flat_s[:, i].sum())
                if grad is not None:
                    div = div + grad[:, i]
        else:
            device = generator.device if generator is not None else x.device
            bits = torch.randint(0, 2, (n_probes, n, dim), generator=generator, device=device)
            probes = (2 * bits - 1).to(device=x.device, dtype=x.dtype)
            for v in probes:
                grad = vjp((flat_s * v).sum())
                if grad is not None:
                    div = div + (grad * v).sum(dim=1)
            div = div / n_probes
    return s, div


def divergence(
    score_fn: BatchedScore,
    t: torch.Tensor,
    x: torch.Tensor,
    *,
    method: str = "auto",
    n_probes: int = 1,
    generator: torch.Generator | None = None,
    create_graph: bool = True,
) -> torch.Tensor:
    r"""Divergence :math:`\nabla_x\cdot s(t, x) = \operatorname{tr} J_s(t, x)` of a batched score function.

    ``"exact"``: :math:`\sum_i \partial_{x_i} s_i`, by reverse-mode autograd, one vector–Jacobian product per
    coordinate :math:`i` (``torch.autograd.grad`` of :math:`\sum_k s_i(t_k, x_k)`, which yields row :math:`i` of every
    example's Jacobian at once). Written as a loop rather than with ``torch.func.vmap(torch.func.jacrev(...))``:
    both cost :math:`d` reverse passes, but vmap requires the network to be vmap-compatible (no in-place ops, no
    data-dependent control flow, dropout needs ``randomness=`` settings) and computes the full :math:`d\times d`
    Jacobian, whereas only its diagonal is needed and the loop works with any ``nn.Module``.

    ``"hutchinson"``: :math:`\frac1K\sum_{k=1}^K v_k^\top J v_k` with :math:`K` = ``n_probes`` Rademacher probes
    (independent :math:`\pm1` entries; Hutchinson 1989), unbiased since :math:`\mathbb{E}[vv^\top] = I`, with
    variance :math:`\frac1K\sum_{i<j}(J_{ij}+J_{ji})^2` (the diagonal contributes none, as :math:`v_i^2 = 1`;
    :math:`\frac2K\sum_{i\ne j}J_{ij}^2` for a symmetric :math:`J`); one reverse pass per probe.

    ``"auto"``: exact if the event size is at most :data:`EXACT_DIVERGENCE_MAX_DIM`, Hutchinson otherwise.

    Both routes assume that the examples of a batch are processed independently (no batch normalisation).

    Parameters
    ----------
    score_fn : callable
        Batched score function ``fn(t, x)``.
    t : torch.Tensor, shape ``(n,)``
        Forward times.
    x : torch.Tensor, shape ``(n, *event)``
        Points; differentiated through if it already requires grad.
    method : {"auto", "exact", "hutchinson"}
        ``training.divergence``.
    n_probes : int
        Number of Hutchinson probes per example (``training.n_probes``).
    generator : torch.Generator, optional
        Draws the probes, on its own device (then moved to ``x``'s).
    create_graph : bool
        Keep the graph of the derivatives so that a loss containing the divergence can be back-propagated to the
        parameters of ``score_fn`` (ISM training). ``False`` returns a value without graph.

    Returns
    -------
    torch.Tensor, shape ``(n,)``
        The divergence (or its Hutchinson estimate) at each example.

    Raises
    ------
    ConfigError
        Unknown ``method`` (names ``training.divergence``) or ``n_probes < 1`` (``training.n_probes``).
    """
    _, div = _score_and_divergence(
        score_fn, t, x, method=method, n_probes=n_probes, generator=generator, create_graph=create_graph
    )
    return div if create_graph else div.detach()


# ----------------------------------------------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------------------------------------------


def dsm_loss(
    score_fn: BatchedScore,
    x0: torch.Tensor,
    t: torch.Tensor,
    process: Any,
    *,
    weighting: str = "sigma2",
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Denoising score matching loss (seed 000, slide 'Denoising Score matching'; seed 002, the tractable form of
    equation (1)).

    .. math::

        L = \frac1n\sum_{k=1}^n \lambda(t_k)\,\Big\|s(t_k, x_k) + \frac{z_k}{\sigma_{t_k}}\Big\|^2,
        \qquad x_k = \alpha_{t_k} x_{0,k} + \sigma_{t_k} z_k,\quad z_k\sim N(0, I),

    the squared norm summed over the event dimensions. With ``weighting="sigma2"`` each term is computed as
    :math:`\|\sigma_{t_k} s + z_k\|^2` (no division, finite at :math:`\sigma\to0`).

    Parameters
    ----------
    score_fn : callable
        Batched score function ``fn(t, x)``.
    x0 : torch.Tensor, shape ``(n, *event)``
        Data points.
    t : torch.Tensor, shape ``(n,)``
        Forward times, one per example (drawn by the caller), same device and dtype as ``x0``.
    process : theorylab.processes.Process
        The forward SDE.
    weighting : {"sigma2", "constant", "likelihood"}
        :math:`\lambda` (:func:`loss_weight`).
    noise : torch.Tensor, optional
        :math:`z`, shaped like ``x0``; drawn with ``generator`` if omitted.
    generator : torch.Generator, optional
        Draws :math:`z` on its device (then moved to ``x0``'s); the global stream if omitted.
    reduction : {"mean", "none"}
        The batch mean (scalar) or the ``(n,)`` per-example terms.

    Returns
    -------
    torch.Tensor
        Scalar (``"mean"``) or shape ``(n,)`` (``"none"``).

    Raises
    ------
    ConfigError
        Unknown ``weighting`` (``training.weighting``); :math:`\sigma_t = 0` for some example with a weighting
        other than ``"sigma2"`` (the target :math:`-z/\sigma_t` is undefined).
    """
    _check_choice("training.weighting", weighting, WEIGHTINGS)
    _check_choice("reduction", reduction, REDUCTIONS)
    _check_batch(x0, t)
    z = _draw_noise(x0.shape, x0, noise, generator)
    alpha, sigma, _ = coefficients(process, t)
    col = _per_example(t, x0)
    xt = col(alpha) * x0 + col(sigma) * z
    s = score_fn(t, xt)
    if s.shape != x0.shape:
        raise ValueError(f"score_fn returned shape {tuple(s.shape)}, expected {tuple(x0.shape)}")
    if weighting == "sigma2":
        per = _event_sum((col(sigma) * s + z) ** 2)
    else:
        _require_positive_sigma(sigma, t, weighting)
        per = loss_weight(process, t, weighting) * _event_sum((s + z / col(sigma)) ** 2)
    return _reduce(per, reduction)


def ism_loss(
    score_fn: BatchedScore,
    x0: torch.Tensor,
    t: torch.Tensor,
    process: Any,
    *,
    weighting: str = "sigma2",
    divergence: str = "auto",
    n_probes: int = 1,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""Implicit score matching loss (Hyvärinen 2005; seed 002, Teorema 1; seed 000, slide 'Implicit Score
    matching', full form :math:`\|f\|^2 + 2\,\mathrm{div} f`, twice the slide's :math:`\mathrm{ISM}_k`).

    .. math::

        L = \frac1n\sum_{k=1}^n \lambda(t_k)\,\big(\|s(t_k, x_k)\|^2 + 2\,\nabla_x\!\cdot s(t_k, x_k)\big),
        \qquad x_k = \alpha_{t_k} x_{0,k} + \sigma_{t_k} z_k .

    Its expectation is that of :func:`dsm_loss` minus :func:`dsm_ism_gap` (module docstring), so both have the
    score of :math:`p_t` as minimiser. The divergence keeps its graph, so the loss back-propagates.

    Parameters
    ----------
    score_fn, x0, t, process, weighting, noise, reduction
        As in :func:`dsm_loss`.
    divergence : {"auto", "exact", "hutchinson"}
        How the divergence is computed (:func:`divergence`; ``training.divergence``).
    n_probes : int
        Hutchinson probes per example (``training.n_probes``).
    generator : torch.Generator, optional
        Draws :math:`z` and then the probes, on its device.

    Returns
    -------
    torch.Tensor
        Scalar (``"mean"``) or shape ``(n,)`` (``"none"``).

    Raises
    ------
    ConfigError
        Unknown ``weighting`` or ``divergence``, or ``n_probes < 1``, naming the ``training.*`` key.
    """
    _check_choice("training.weighting", weighting, WEIGHTINGS)
    _check_choice("training.divergence", divergence, DIVERGENCE_METHODS)
    _check_n_probes(n_probes)
    _check_choice("reduction", reduction, REDUCTIONS)
    _check_batch(x0, t)
    z = _draw_noise(x0.shape, x0, noise, generator)
    alpha, sigma, _ = coefficients(process, t)
    col = _per_example(t, x0)
    xt = col(alpha) * x0 + col(sigma) * z
    s, div = _score_and_divergence(
        score_fn, t, xt, method=divergence, n_probes=n_probes, generator=generator, create_graph=True
    )
    per = loss_weight(process, t, weighting) * (_event_sum(s**2) + 2 * div)
    return _reduce(per, reduction)
