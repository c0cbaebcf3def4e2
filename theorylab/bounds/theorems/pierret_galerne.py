"""Pierret & Galerne: exact errors of diffusion samplers on Gaussian data, the atlas's reference curve.

Source: E. Pierret, B. Galerne, "Diffusion models for Gaussian distributions: exact solutions and Wasserstein
errors" (ICML 2025, PMLR 267:49355-49381; arXiv:2405.14250). Their conventions, the theorylab scheme each of theirs
is, and their CIFAR-10 ablation table recomputed: :mod:`theorylab.studies.pierret_galerne`. For a Gaussian target
every scheme's output is Gaussian with covariance given by an exact recursion, so the sampler's error is *computed*,
not bounded. Here the same object comes from :func:`theorylab.laws.gaussian_output_law` (the sampler's own declared
steps run on affine values), and its divergences to the target from closed forms
(:mod:`theorylab.divergences.gaussian`): TV (exact in 1D, rigorous interval in :math:`d \\ge 3`), KL in both
directions and :math:`W_2`. Every bound of the atlas is drawn
against these numbers. Not a bound: no constants, no assumptions beyond a Gaussian target and an affine score.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CITATION", "exact_errors"]

CITATION = ("Pierret, Galerne, 'Diffusion models for Gaussian distributions: exact solutions and Wasserstein errors' "
            "(ICML 2025; arXiv:2405.14250): the exact output law of each scheme on Gaussian data")


def exact_errors(output: Any, data: Any) -> dict[str, Any]:
    """Exact divergences between a Gaussian output law and the Gaussian ``data`` law (:math:`\\pi` or
    :math:`q_\\delta`): ``{"tv": Estimate, "kl": KL(data || output), "kl_rev": KL(output || data), "w2": ...}``."""
    from theorylab.divergences import kl_gaussian, tv, w2_gaussian

    law = getattr(output, "law", output)
    return {"tv": tv(law, data), "kl": kl_gaussian(data, law), "kl_rev": kl_gaussian(law, data),
            "w2": w2_gaussian(law, data)}
