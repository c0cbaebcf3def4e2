"""Time grids and samplers (layer ``samplers``; see ``docs/architecture.md``).

``SAMPLERS`` maps a registry name to a sampler class; a new sampler is one file plus one line here.

=================  ==========================================================  ======  ========
name               scheme                                                      weak    strong
=================  ==========================================================  ======  ========
reverse-em         EM on reversed OU, score fed :math:`F_{N-n}` (seed 000)      1       1
ancestral          backward EM chain, score fed :math:`F_{N-1-n}` (seed 000)    1       1
reverse-sde        EM on the reverse SDE of OU/VP/VE (Song et al. 2021)         1       1
pf-ode             probability-flow ODE, Heun                                  2       2
pf-ode-adaptive    probability-flow ODE, scipy solve_ivp (RK45)                 5       5
pc                 EM predictor + Langevin corrector (Song et al. 2021)         None    None
=================  ==========================================================  ======  ========
"""

from theorylab.errors import ConfigError
from theorylab.samplers.ancestral import AncestralSampler
from theorylab.samplers.base import Sampler
from theorylab.samplers.grid import TimeGrid
from theorylab.samplers.pc import PredictorCorrectorSampler
from theorylab.samplers.pf_ode import (AdaptivePFODESampler, EulerPFODESampler, HeunPFODESampler,
                                       RK4PFODESampler)
from theorylab.samplers.reverse_em import ReverseEMSampler
from theorylab.samplers.reverse_sde import ReverseSDESampler

SAMPLERS: dict[str, type[Sampler]] = {
    "reverse-em": ReverseEMSampler,
    "ancestral": AncestralSampler,
    "reverse-sde": ReverseSDESampler,
    "pf-ode": HeunPFODESampler,
    "pf-ode-euler": EulerPFODESampler,
    "pf-ode-rk4": RK4PFODESampler,
    "pf-ode-adaptive": AdaptivePFODESampler,
    "pc": PredictorCorrectorSampler,
}


def get_sampler(name: str, **options) -> Sampler:
    """Instantiate the sampler registered as ``name`` with its ``options`` (ConfigError naming the key)."""
    try:
        cls = SAMPLERS[name]
    except KeyError:
        raise ConfigError(f"sampler.name: unknown sampler {name!r}; choose one of {sorted(SAMPLERS)}") from None
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigError(f"sampler.options: invalid options for {name!r}: {exc}") from None


__all__ = [
    "SAMPLERS",
    "AdaptivePFODESampler",
    "AncestralSampler",
    "HeunPFODESampler",
    "PredictorCorrectorSampler",
    "ReverseEMSampler",
    "ReverseSDESampler",
    "Sampler",
    "TimeGrid",
    "get_sampler",
]
