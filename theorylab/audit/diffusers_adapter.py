r"""diffusers schedulers as probe-able black boxes, fed the exact model of a Gaussian target.

Each run is the loop of diffusers' pipelines (``for t in scheduler.timesteps: model_input =
scheduler.scale_model_input(x, t); out = model(model_input, t); x = scheduler.step(out, t, x).prev_sample``) on a
fresh scheduler (``set_timesteps(N)``), with the model replaced by :class:`~theorylab.audit.model.GaussianModel` in
the scheduler's ``prediction_type``:

* integer-timestep schedulers (``DDPMScheduler``, ``DDIMScheduler``, ``DPMSolverMultistepScheduler``): the model
  reads :math:`\bar\alpha_t` = ``scheduler.alphas_cumprod[t]`` (the library's own discrete table, Ho et al. 2020);
* sigma schedulers on the scaled state :math:`\tilde x = x/\sqrt{\bar\alpha}` (``EulerDiscreteScheduler``,
  ``HeunDiscreteScheduler``, ``EulerAncestralDiscreteScheduler``): the model input is
  :math:`\tilde x/\sqrt{\tilde\sigma^2 + 1}` and the level :math:`\tilde\sigma` of a timestep is read from the
  scheduler's own pairs ``(timesteps[i], sigmas[i])`` (no re-interpolation of a float32 timestep);
* ``EDMEulerScheduler`` (VE state, Karras et al. 2022): the network output :math:`F` is solved from the
  scheduler's own preconditioning, :math:`D = c_{skip}x + c_{out}F` (``precondition_outputs``), with :math:`D` the
  exact denoiser.

Noise. Every Gaussian draw of a scheduler comes from ``diffusers.utils.torch_utils.randn_tensor``, imported by name
into each scheduler module; the run replaces that name *in the scheduler's module* for its duration (and restores
it), so the probe supplies every draw; ``DDIMScheduler`` (``eta > 0``) and the SDE variants of
``DPMSolverMultistepScheduler`` take the draw through their documented ``variance_noise`` argument instead. The
number of draws is found by one counting run.

Precision. diffusers builds its tables in float32 (``betas``, ``alphas_cumprod``, ``sigmas``) and some schedulers
cast the sample to float32 inside ``step`` ("upcast to avoid precision issues", a downcast for a float64 sample:
Euler, EDM Euler, DPM-Solver multistep). Their laws are therefore exact only to float32 rounding
(:data:`~theorylab.tolerances.AUDIT_FLOAT32_RTOL`); theorylab's counterpart is built from the same float32 table
values, read in float64.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import sys
from collections.abc import Callable, Iterator

import numpy as np
import torch

from theorylab.audit.model import PREDICTION_TYPES, GaussianModel
from theorylab.audit.scheme import Counterpart, LibraryScheme, grid_from_levels, ve_clock, vp_clock
from theorylab.errors import ConfigError

__all__ = ["DIFFUSERS_SCHEDULERS", "diffusers_available", "diffusers_scheme"]

#: Schedulers with an adapter: kind of model interface, theorylab counterpart (None: none registered).
DIFFUSERS_SCHEDULERS = {
    "DDPMScheduler": "discrete",
    "DDIMScheduler": "discrete",
    "DPMSolverMultistepScheduler": "discrete",
    "EulerDiscreteScheduler": "sigma",
    "HeunDiscreteScheduler": "sigma",
    "EulerAncestralDiscreteScheduler": "sigma",
    "EDMEulerScheduler": "edm",
}

#: Options fixed by the audit unless the config overrides them: clipping the x0-prediction to [-1, 1] (an image
#: convention) makes the sampler non-affine, so it is off; the probe's affinity check catches it if turned on.
AUDIT_DEFAULTS = {"DDPMScheduler": {"clip_sample": False}, "DDIMScheduler": {"clip_sample": False}}


def diffusers_available() -> bool:
    """Whether ``diffusers`` imports (the ``audit`` extra)."""
    try:
        importlib.import_module("diffusers")
    except ImportError:
        return False
    return True


def _import_scheduler(name: str):
    if name not in DIFFUSERS_SCHEDULERS:
        raise ConfigError(f"scheme.scheduler: unknown diffusers scheduler {name!r}; choose one of "
                          f"{sorted(DIFFUSERS_SCHEDULERS)}")
    try:
        diffusers = importlib.import_module("diffusers")
    except ImportError:
        raise ConfigError("scheme.library: diffusers is not installed (pip install -e \".[audit]\")") from None
    cls = getattr(diffusers, name, None)
    if cls is None:
        raise ConfigError(f"scheme.scheduler: diffusers {diffusers.__version__} has no {name}")
    return cls


@contextlib.contextmanager
def _noise_hook(scheduler, draw: Callable[[tuple], torch.Tensor]) -> Iterator[None]:
    """Replace ``randn_tensor`` in the scheduler's module by ``draw(shape)`` (module docstring)."""
    module = sys.modules[type(scheduler).__module__]
    original = getattr(module, "randn_tensor", None)

    def fake(shape, generator=None, device=None, dtype=None, layout=None, **_):
        return draw(tuple(shape))

    module.randn_tensor = fake
    try:
        yield
    finally:
        if original is not None:
            module.randn_tensor = original


class _Stream:
    """The noise draws of one run: the probe's vectors in order, or zeros while counting."""

    def __init__(self, noises: list[np.ndarray] | None, dim: int):
        self.noises, self.dim, self.count = noises, dim, 0

    def __call__(self, shape: tuple) -> torch.Tensor:
        if int(np.prod(shape)) != self.dim:
            raise RuntimeError(f"audit: the scheduler drew noise of shape {shape}, expected {self.dim} numbers")
        if self.noises is None:
            z = np.zeros(self.dim)
        else:
            z = self.noises[self.count]
        self.count += 1
        return torch.from_numpy(np.asarray(z, dtype=np.float64).copy()).reshape(shape)


def _level_of_alpha_bar(a: float) -> float:
    return math.sqrt(max(1.0 - a, 0.0) / a)


def diffusers_scheme(scheduler: str, steps: int, model: GaussianModel, *, options: dict | None = None,
                     eta: float = 0.0) -> LibraryScheme:
    """Adapter for the diffusers scheduler ``scheduler`` with ``steps`` inference steps (module docstring).

    Parameters
    ----------
    scheduler : str
        A key of :data:`DIFFUSERS_SCHEDULERS`.
    steps : int
        ``num_inference_steps``.
    model : GaussianModel
        The exact model of the target.
    options : dict, optional
        Scheduler config (passed to its constructor; e.g. ``prediction_type``, ``timestep_spacing``,
        ``set_alpha_to_one``, ``variance_type``, ``algorithm_type``, ``solver_order``, ``use_karras_sigmas``).
    eta : float
        ``DDIMScheduler.step``'s ``eta`` (only for DDIM).
    """
    cls = _import_scheduler(scheduler)
    kind = DIFFUSERS_SCHEDULERS[scheduler]
    config = {**AUDIT_DEFAULTS.get(scheduler, {}), **(options or {})}
    if eta and scheduler != "DDIMScheduler":
        raise ConfigError(f"scheme.eta: only DDIMScheduler takes eta, not {scheduler}")
    try:
        cls(**config)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"scheme.options: {scheduler} refused {config}: {exc}") from None
    prediction = config.get("prediction_type", "epsilon")
    if prediction not in PREDICTION_TYPES:
        raise ConfigError(f"scheme.options.prediction_type: must be one of {PREDICTION_TYPES}, got {prediction!r}")
    d = model.dim

    def fresh():
        sched = cls(**config)
        sched.set_timesteps(int(steps))
        return sched

    probe_sched = fresh()
    timesteps = [float(t) for t in probe_sched.timesteps]
    sigma_of: dict[float, float] = {}
    if kind in ("sigma", "edm"):
        sig = [float(s) for s in probe_sched.sigmas]
        sigma_of = {float(t): s for t, s in zip(timesteps, sig)}
    alpha_bar = probe_sched.alphas_cumprod.double().numpy() if kind == "discrete" else None
    variance_kw = (scheduler == "DDIMScheduler" and eta > 0) or (
        scheduler == "DPMSolverMultistepScheduler" and str(config.get("algorithm_type", "")).startswith("sde"))

    def call_model(sched, x_in: torch.Tensor, t) -> torch.Tensor:
        t = float(t)
        if kind == "discrete":
            if t != int(t):
                raise RuntimeError(f"audit: {scheduler} fed a non-integer timestep {t}")
            a = float(alpha_bar[int(t)])
            return model.predict(x_in, math.sqrt(a), math.sqrt(1.0 - a), prediction)
        s = sigma_of[t]
        if kind == "sigma":  # model input = x~/sqrt(s^2+1), the VP state
            alpha = 1.0 / math.sqrt(1.0 + s * s)
            return model.predict(x_in, alpha, s * alpha, prediction)
        # EDM: input c_in x; network output F with D = c_skip x + c_out F
        c_in = float(sched._get_conditioning_c_in(s))
        x = x_in / c_in
        skip = sched.precondition_outputs(x, torch.zeros_like(x), s)
        c_out = float(sched.precondition_outputs(torch.zeros(1, dtype=torch.float64),
                                                 torch.ones(1, dtype=torch.float64), s))
        return (model.denoiser(x, s) - skip) / c_out

    def one_run(x_T: np.ndarray, stream: _Stream) -> np.ndarray:
        sched = fresh()
        x = torch.from_numpy(np.asarray(x_T, dtype=np.float64).copy()).reshape(1, d)
        with _noise_hook(sched, stream):
            for t in sched.timesteps:
                x_in = sched.scale_model_input(x, t)
                out = call_model(sched, x_in.to(torch.float64), t)
                kw = {}
                if scheduler == "DDIMScheduler":
                    kw["eta"] = eta
                if variance_kw:
                    kw["variance_noise"] = stream((1, d))
                x = sched.step(out, t, x, **kw).prev_sample.to(torch.float64)
        return x.reshape(-1).numpy().copy()

    counter = _Stream(None, d)
    one_run(np.zeros(d), counter)
    noise_dims = (d,) * counter.count

    def run(x_T: np.ndarray, noises: list[np.ndarray]) -> np.ndarray:
        stream = _Stream(noises, d)
        y = one_run(x_T, stream)
        if stream.count != len(noises):
            raise RuntimeError(f"audit: {scheduler} drew {stream.count} noises, expected {len(noises)}")
        return y

    prior_std = float(probe_sched.init_noise_sigma)
    notes: list[str] = []
    label = scheduler + (f"(eta={eta:g})" if scheduler == "DDIMScheduler" else "")
    counterpart = None
    if scheduler in ("DDIMScheduler", "DDPMScheduler"):
        ratio = int(config.get("num_train_timesteps", 1000)) // int(steps)
        if any(a - b != ratio for a, b in zip(timesteps, timesteps[1:])):
            notes.append(f"step() goes from t to t - num_train_timesteps // N = t - {ratio}, which is not the next "
                         f"entry of its timestep table {[int(t) for t in timesteps][:6]}...: the law is not the "
                         "scheme on the library's own timesteps (the table is what the model is fed)")
    if scheduler == "DDPMScheduler" and config.get("variance_type") == "fixed_large":
        notes.append("no noise on the last step (Ho et al. Algorithm 2: z = 0 at t = 1); theorylab's "
                     "ddpm(variance='forward') adds N(0, beta_1) there")
    if scheduler == "DPMSolverMultistepScheduler" and config.get("use_karras_sigmas"):
        notes.append("the model is fed round(t(sigma)) (an integer timestep) while the update uses the Karras "
                     "sigma itself: the model's noise level is not the step's")
    if kind == "discrete":
        levels = [_level_of_alpha_bar(float(alpha_bar[int(t)])) for t in timesteps]
        if scheduler == "DDIMScheduler":
            final = float(probe_sched.final_alpha_cumprod)
        elif scheduler == "DDPMScheduler":
            final = 1.0
        else:
            final = None
        if scheduler == "DPMSolverMultistepScheduler":
            # the update uses the scheduler's sigma table (which may differ from the model's timesteps' levels)
            levels_update = [float(s) for s in probe_sched.sigmas]
            levels = levels_update
        else:
            levels = levels + [_level_of_alpha_bar(final)]
        if len(set(levels)) < len(levels):
            # a step between equal levels is the identity for DDPM/DDIM (no change of level, zero variance)
            notes.append(f"a null step between equal noise levels (level {levels[-1]:.6g}) is dropped from the grid")
            levels = [v for i, v in enumerate(levels) if i == 0 or v != levels[i - 1]]
        process = vp_clock(levels[0])
        times = grid_from_levels(process, levels)
        if scheduler == "DDPMScheduler":
            variance = {"fixed_small": "posterior", "fixed_large": "forward"}.get(
                config.get("variance_type", "fixed_small"))
            if variance is not None:
                counterpart = Counterpart("ddpm", {"variance": variance}, process, times, prior_std, 1.0,
                                          "Ho et al. 2020 Algorithm 2 with beta_t = 1 - abar_t/abar_prev (the library's"
                                          " table) and the posterior/forward variance")
        elif scheduler == "DDIMScheduler":
            counterpart = Counterpart("ddim", {"eta": float(eta)}, process, times, prior_std, 1.0,
                                      "Song et al. 2021 eq. 12 on the library's timestep table")
        elif int(config.get("solver_order", 2)) == 1 and config.get("algorithm_type", "dpmsolver++") in (
                "dpmsolver++", "dpmsolver"):
            counterpart = Counterpart("ddim", {"eta": 0.0}, process, times, prior_std, 1.0,
                                      "first-order DPM-Solver(++) is DDIM (Lu et al. 2022, section 4.1)")
    elif kind == "sigma":
        levels = [float(s) for s in torch.unique_consecutive(probe_sched.sigmas)]
        process = vp_clock(levels[0])
        times = grid_from_levels(process, levels)
        a_top = 1.0 / math.sqrt(1.0 + levels[0] ** 2)
        a_end = 1.0 / math.sqrt(1.0 + levels[-1] ** 2)
        name = {"EulerDiscreteScheduler": ("ddim", {"eta": 0.0}, "Euler in sigma~ on x/alpha is DDIM "
                                           "(Karras et al. 2022, section 4; Song et al. 2021 eq. 14)"),
                "EulerAncestralDiscreteScheduler": ("ddim", {"eta": 1.0}, "Euler to sigma_down plus sigma_up noise "
                                                    "(k-diffusion's ancestral step) is DDIM with eta = 1"),
                "HeunDiscreteScheduler": ("edm", {}, "Karras et al. 2022 Algorithm 1 (Heun, Euler on the last "
                                          "step to sigma = 0)")}[scheduler]
        counterpart = Counterpart(name[0], name[1], process, times, prior_std * a_top, 1.0 / a_end, name[2])
        if config.get("use_karras_sigmas") or config.get("use_exponential_sigmas"):
            notes.append("the model is fed the timestep interpolated from the sigma table")
    else:
        levels = [float(s) for s in probe_sched.sigmas]
        process = ve_clock(levels[0])
        times = grid_from_levels(process, levels)
        counterpart = Counterpart("ddim", {"eta": 0.0}, process, times, prior_std, 1.0,
                                  "Euler in sigma on the VE state is DDIM on VE (Karras et al. 2022 Algorithm 1 "
                                  "without the Heun correction)")
        if abs(prior_std - levels[0]) > 1e-6 * levels[0]:
            notes.append(f"init_noise_sigma = {prior_std:.6g} = sqrt(sigma_max^2 + 1), not sigma_max = "
                         f"{levels[0]:.6g} (EDM's prior is N(0, sigma_max^2 I))")
    return LibraryScheme("diffusers", label, run, d, noise_dims, prior_std, True, counterpart, levels, notes)
