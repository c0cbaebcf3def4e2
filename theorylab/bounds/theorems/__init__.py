"""The bound atlas: published convergence theorems as data, checked against exact errors (issue 13).

* :mod:`~theorylab.bounds.theorems.base` -- :class:`Theorem` (statement, assumptions, sampler, terms, constants,
  rates), :func:`fit_constants` / :func:`fit_theorem` (constants the paper does not give, fitted and labelled so).
* One module per theorem (:data:`THEOREMS`): :mod:`debortoli2021` (the seed's), :mod:`chen2023`,
  :mod:`chen_lee_lu2023`, :mod:`benton2024`, :mod:`conforti2023`, :mod:`li2024_pfode`; and
  :mod:`pierret_galerne`, the exact Gaussian errors every bound is drawn against.
* :mod:`~theorylab.bounds.theorems.assumptions` -- the assumptions computed on the target.
* :mod:`~theorylab.bounds.theorems.girsanov` -- the KL between path measures of seed 000's proof, exactly
  (Gaussian) or by Monte Carlo with a CLT interval (mixtures).
* :mod:`~theorylab.bounds.theorems.proof` -- seed 000's proof measured link by link.
* :mod:`~theorylab.bounds.theorems.tightness` -- predicted vs measured exponents, verdicts.
* :mod:`~theorylab.bounds.theorems.atlas` -- the atlas experiment and report (``theorylab reproduce``).
"""

from theorylab.bounds.theorems import (benton2024, chen2023, chen_lee_lu2023, conforti2023, debortoli2021,
                                       li2024_pfode)
from theorylab.bounds.theorems.base import (Assumption, AssumptionCheck, Constant, Term, Theorem, fit_constants,
                                            fit_theorem)
from theorylab.errors import ConfigError

#: Registry of the overlaid theorems (name -> Theorem).
THEOREMS: dict[str, Theorem] = {m.THEOREM.key: m.THEOREM for m in (debortoli2021, chen2023, chen_lee_lu2023,
                                                                   benton2024, conforti2023, li2024_pfode)}


def get_theorem(name: str) -> Theorem:
    """The theorem registered as ``name`` (ConfigError naming ``theorem`` otherwise)."""
    try:
        return THEOREMS[name]
    except KeyError:
        raise ConfigError(f"theorem: unknown theorem {name!r}; choose one of {sorted(THEOREMS)}") from None


__all__ = ["THEOREMS", "Assumption", "AssumptionCheck", "Constant", "Term", "Theorem", "fit_constants",
           "fit_theorem", "get_theorem"]
