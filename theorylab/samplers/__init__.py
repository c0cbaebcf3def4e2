"""Time grids and samplers (layer ``samplers``; see ``docs/architecture.md`` and ``docs/extending.md``).

``SAMPLERS`` maps a registry name to a sampler class; a new sampler is one file plus one line here. Each sampler
declares its scheme once (:mod:`theorylab.samplers.kernel`); the torch sampler, the exact law and the grid law read
that declaration. :func:`sampler_table` renders the registry (names, schemes, orders, processes) for the docs and
``--help``.
"""

from theorylab.errors import ConfigError
from theorylab.samplers.ancestral import AncestralSampler
from theorylab.samplers.ddim import DDIMSampler
from theorylab.samplers.ddpm import DDPMSampler
from theorylab.samplers.ddpm_euler import DDPMEulerSampler
from theorylab.samplers.dpm_solver import DPMSolver2Sampler
from theorylab.samplers.edm import EDMSampler
from theorylab.samplers.exponential import ExponentialIntegratorSampler
from theorylab.samplers.langevin import AnnealedLangevinSampler
from theorylab.samplers.base import Sampler
from theorylab.samplers.grid import TimeGrid
from theorylab.samplers.pc import PredictorCorrectorSampler
from theorylab.samplers.pf_ode import (AdaptivePFODESampler, EulerPFODESampler, HeunPFODESampler,
                                       RK4PFODESampler)
from theorylab.samplers.reverse_diffusion import ReverseDiffusionSampler
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
    "exponential-integrator": ExponentialIntegratorSampler,
    "ddpm": DDPMSampler,
    "ddpm-euler": DDPMEulerSampler,
    "ddim": DDIMSampler,
    "reverse-diffusion": ReverseDiffusionSampler,
    "annealed-langevin": AnnealedLangevinSampler,
    "edm": EDMSampler,
    "dpm-solver-2": DPMSolver2Sampler,
}


def sampler_summary(name: str) -> str:
    """The first paragraph of the sampler class's docstring (its scheme)."""
    import re

    doc = " ".join((SAMPLERS[name].__doc__ or "").strip().split("\n\n")[0].split())
    doc = re.sub(r":math:`([^`]*)`", r"\1", doc)  # plain text for tables and --help
    return re.sub(r"``([^`]*)``", r"`\1`", doc)


def sampler_table() -> str:
    """A Markdown table of the registry: name, default orders, processes, scheme (generated, never typed)."""
    rows = ["| sampler | weak order | strong order | processes | scheme |", "|---|---|---|---|---|"]
    for name, cls in SAMPLERS.items():
        inst = cls()
        allowed = "any" if cls.processes is None else ", ".join(cls.processes)
        rows.append(f"| `{name}` | {inst.weak_order} | {inst.strong_order} | {allowed} | {sampler_summary(name)} |")
    return "\n".join(rows)


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
    "sampler_summary",
    "sampler_table",
]
