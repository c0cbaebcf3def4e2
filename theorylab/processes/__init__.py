"""Forward noising SDEs and their time reversal (layer ``processes``; see ``docs/architecture.md``).

* :class:`OrnsteinUhlenbeck` -- :math:`dX = -X\\,dt + \\sqrt2\\,dB` (seed 000);
* :class:`VariancePreserving` -- linear-:math:`\\beta` VP SDE (seed 002, DDPM);
* :class:`VarianceExploding` -- geometric-:math:`\\sigma` VE SDE (seed 002, SMLD);
* :class:`SubVariancePreserving` -- sub-VP SDE (Song et al. 2021, eq. 11);
* :meth:`Process.reverse` -> :class:`ReverseProcess` (reverse SDE or probability-flow ODE).

``PROCESSES`` maps a registry name to its class: a new process is one file plus one line here.
"""

from theorylab.processes.base import Process
from theorylab.processes.ou import OrnsteinUhlenbeck
from theorylab.processes.reverse import ReverseProcess
from theorylab.processes.subvp import SubVariancePreserving
from theorylab.processes.ve import VarianceExploding
from theorylab.processes.vp import VariancePreserving

PROCESSES: dict[str, type[Process]] = {
    "ou": OrnsteinUhlenbeck,
    "vp": VariancePreserving,
    "ve": VarianceExploding,
    "subvp": SubVariancePreserving,
}

__all__ = [
    "PROCESSES",
    "OrnsteinUhlenbeck",
    "Process",
    "ReverseProcess",
    "SubVariancePreserving",
    "VarianceExploding",
    "VariancePreserving",
]
