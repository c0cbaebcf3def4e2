"""Config of ``theorylab likelihood``: the usual ``[target]``, ``[process]``, ``[score]`` tables and ``[likelihood]``.

.. code-block:: toml

    [target]                  # as for `measure` (theorylab.distributions.factory)
    kind = "gaussian"
    mean = [0.0, 0.0]
    cov = [1.0, 0.5]

    [process]                 # "ou" (default) | "vp" | "ve", their parameters (theorylab.config), and the horizon
    kind = "vp"
    T = 1.0                   # horizon of the forward process (default 1)

    [score]                   # as for `measure`: "exact" | "perturbed" (error = "bias" | "smooth", M) | "learned"
    kind = "exact"

    [likelihood]
    method = "exact"          # "exact": exact trace (analytic for affine scores, autograd otherwise)
                              # "hutchinson": Hutchinson's estimator with fixed probes along each ODE path
    probe = "rademacher"      # hutchinson only: "rademacher" | "gaussian"
    probes = 1                # hutchinson only: probes per data point
    n_data = 1000             # data drawn from the target with `seed` (default 1000) ...
    # data = "x.npy"          # ... or an (n, d) array read from a .npy file (relative to the working folder)
    seed = 0                  # the run's one integer seed (data, probes, dequantisation noise)
    eps = 1e-5                # start time of the ODE (score_sde_pytorch's eps)
    rtol = 1e-5               # scipy.integrate.solve_ivp tolerances
    atol = 1e-5
    solver = "RK45"           # "RK45" | "DOP853" | "RK23"
    prior = "process"         # "process": the process's own prior (VE: N(0, sigma_max^2 I)); "standard": N(0, I)
    levels = 0                # 0: continuous data; L > 0: integer codes 0..L-1, uniformly dequantised (see run.py)
    level = 0.95              # level of the interval
    max_cost = 1e10           # refuse runs whose estimated cost d * n_data * probes * nfev exceeds this

Bad keys or values raise :class:`~theorylab.errors.ConfigError` naming the dotted key (CLI exit code 2).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from theorylab.config import ProcessConfig, ScoreConfig, _Strict, kind_table

__all__ = ["LikelihoodConfig", "LikelihoodSection", "LikelihoodProcessConfig"]


class LikelihoodProcessConfig(ProcessConfig):
    """``[process]`` of a likelihood config: a measure config's keys plus the horizon ``T``."""

    T: float = Field(1.0, gt=0)


class LikelihoodSection(_Strict):
    """``[likelihood]`` (see the module docstring)."""

    method: Literal["exact", "hutchinson"] = "exact"
    probe: Literal["rademacher", "gaussian"] | None = None
    probes: int | None = Field(None, ge=1)
    n_data: int | None = Field(None, ge=2)
    data: str | None = None
    seed: int = Field(0, ge=0)
    eps: float = Field(1e-5, ge=0)
    rtol: float = Field(1e-5, gt=0, lt=1)
    atol: float = Field(1e-5, gt=0)
    solver: Literal["RK45", "DOP853", "RK23"] = "RK45"
    prior: Literal["process", "standard"] = "process"
    levels: int = Field(0, ge=0)
    level: float = Field(0.95, gt=0, lt=1)
    max_cost: float = Field(1e10, gt=0)

    @model_validator(mode="after")
    def _consistent(self):
        if self.method != "hutchinson":
            for key in ("probe", "probes"):
                if getattr(self, key) is not None:
                    raise ValueError(f"{key}: only with method = 'hutchinson', not {self.method!r}")
        if self.n_data is not None and self.data is not None:
            raise ValueError("n_data: give either n_data (data drawn from the target) or data = FILE, not both")
        if self.levels == 1:
            raise ValueError("levels: must be 0 (continuous data) or >= 2")
        return self

    @property
    def probe_kind(self) -> str:
        return self.probe or "rademacher"

    @property
    def n_probes(self) -> int:
        return self.probes or 1

    @property
    def n_samples(self) -> int:
        return self.n_data or 1000


class LikelihoodConfig(_Strict):
    """A validated ``likelihood`` config."""

    target: dict[str, Any]
    process: LikelihoodProcessConfig = Field(default_factory=LikelihoodProcessConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    likelihood: LikelihoodSection = Field(default_factory=LikelihoodSection)

    @field_validator("target")
    @classmethod
    def _target_has_kind(cls, v, info):
        return kind_table(v, info.field_name)

    @model_validator(mode="after")
    def _eps_below_T(self):
        if not self.likelihood.eps < self.process.T:
            raise ValueError(f"likelihood.eps: must be < process.T = {self.process.T}, got {self.likelihood.eps}")
        return self
