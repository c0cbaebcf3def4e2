r"""k-diffusion samplers as probe-able black boxes, fed the exact EDM denoiser of a Gaussian target.

k-diffusion (Crowson) writes every sampler as one function ``sample_*(model, x, sigmas, ...)`` on the VE state
:math:`x = x_0 + \sigma z` with a denoiser ``model(x, sigma) -> D(x; sigma)`` (Karras et al. 2022, eq. 2). The
adapter passes :meth:`~theorylab.audit.model.GaussianModel.denoiser` and the library's own Karras table
``get_sigmas_karras(N, sigma_min, sigma_max, rho)`` (cast to float64: its values are the library's float32 ones, the
arithmetic is then float64), starts from :math:`x_T \sim N(0, \sigma_0^2 I)` (k-diffusion's ``x = randn *
sigmas[0]``), and supplies the noise of the ancestral sampler through its ``noise_sampler`` argument.

Import. ``k_diffusion/__init__.py`` imports the whole package (training, evaluation: clip, clean-fid, torchvision,
kornia, scikit-image, wandb), whose pip dependencies pull a CUDA torch build of several GB. The samplers need only
``k_diffusion.sampling`` (scipy, torch, torchdiffeq, torchsde, tqdm) and, from ``k_diffusion.utils`` (which imports
torchvision), the one function ``append_dims``. :func:`load_sampling` imports the package normally when it can;
otherwise it imports ``k_diffusion.sampling`` under a bare package object whose ``__path__`` is the installed
package's (so ``__init__`` is not run), with ``k_diffusion.utils`` itself if it imports, else a module holding only
``append_dims`` (:func:`_append_dims`, the same three lines: index with trailing ``None``). That is what the
``audit`` extra gives (``pip install --no-deps k-diffusion==0.1.1.post1``; audited with that version).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import numpy as np
import torch

from theorylab.audit.model import GaussianModel
from theorylab.audit.scheme import Counterpart, LibraryScheme, grid_from_levels, ve_clock
from theorylab.errors import ConfigError

__all__ = ["KDIFFUSION_SAMPLERS", "kdiffusion_available", "kdiffusion_scheme", "load_sampling"]

#: Samplers with an adapter -> (theorylab counterpart, options, why it is the same scheme) or None.
KDIFFUSION_SAMPLERS: dict[str, tuple[str, dict, str] | None] = {
    "sample_euler": ("ddim", {"eta": 0.0}, "Euler in sigma on the VE state is DDIM on VE (Karras et al. 2022, "
                     "section 4)"),
    "sample_euler_ancestral": ("ddim", {"eta": 1.0}, "Euler to sigma_down then sigma_up noise is DDIM with eta "
                               "(sigma_up = eta * posterior std)"),
    "sample_heun": ("edm", {}, "Karras et al. 2022 Algorithm 1/2 (Heun; Euler on the last step to sigma = 0)"),
    "sample_dpm_2": ("dpm-solver-2", {}, "midpoint in log sigma = midpoint in lambda = -log sigma (Lu et al. 2022 "
                     "Algorithm 1, r1 = 1/2); last step to 0 is the denoising step"),
    "sample_dpmpp_2m": None,
}


def _append_dims(x: torch.Tensor, target_dims: int) -> torch.Tensor:
    """k_diffusion.utils.append_dims: trailing singleton dimensions up to ``target_dims``."""
    extra = target_dims - x.ndim
    if extra < 0:
        raise ValueError(f"input has {x.ndim} dims but target_dims is {target_dims}, which is less")
    return x[(...,) + (None,) * extra]


def load_sampling():
    """``k_diffusion.sampling`` (module docstring), or ConfigError if k-diffusion or its sampling deps are missing."""
    try:
        return importlib.import_module("k_diffusion.sampling")
    except ImportError:
        pass
    for key in [k for k in sys.modules if k == "k_diffusion" or k.startswith("k_diffusion.")]:
        if key != "k_diffusion.sampling" and key != "k_diffusion.utils":
            del sys.modules[key]
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("scheme.library: k-diffusion is not installed (pip install --no-deps k-diffusion)")
    stub = types.ModuleType("k_diffusion")
    stub.__path__ = list(spec.submodule_search_locations)
    sys.modules["k_diffusion"] = stub
    try:
        try:
            importlib.import_module("k_diffusion.utils")
        except ImportError:
            utils = types.ModuleType("k_diffusion.utils")
            utils.append_dims = _append_dims
            sys.modules["k_diffusion.utils"] = utils
            stub.utils = utils
        return importlib.import_module("k_diffusion.sampling")
    except ImportError as exc:
        raise ConfigError(f"scheme.library: k_diffusion.sampling does not import ({exc}); install the audit "
                          "extra") from None
    finally:
        if sys.modules.get("k_diffusion") is stub:
            del sys.modules["k_diffusion"]


def kdiffusion_available() -> bool:
    """Whether ``k_diffusion.sampling`` can be loaded."""
    try:
        load_sampling()
    except ConfigError:
        return False
    return True


def kdiffusion_scheme(sampler: str, steps: int, model: GaussianModel, *, sigma_min: float = 0.002,
                      sigma_max: float = 80.0, rho: float = 7.0, eta: float = 1.0) -> LibraryScheme:
    """Adapter for ``k_diffusion.sampling.<sampler>`` on ``get_sigmas_karras(steps, sigma_min, sigma_max, rho)``.

    ``eta`` is ``sample_euler_ancestral``'s (ignored by the others).
    """
    if sampler not in KDIFFUSION_SAMPLERS:
        raise ConfigError(f"scheme.sampler: unknown k-diffusion sampler {sampler!r}; choose one of "
                          f"{sorted(KDIFFUSION_SAMPLERS)}")
    if not (0.0 < sigma_min < sigma_max) or rho <= 0 or int(steps) < 2:
        raise ConfigError(f"scheme: need 0 < sigma_min < sigma_max, rho > 0, steps >= 2; got sigma_min={sigma_min}, "
                          f"sigma_max={sigma_max}, rho={rho}, steps={steps}")
    if sampler == "sample_euler_ancestral" and not (0.0 <= eta <= 1.0):
        raise ConfigError(f"scheme.eta: must be in [0, 1], got {eta!r}")
    ks = load_sampling()
    sigmas = ks.get_sigmas_karras(int(steps), float(sigma_min), float(sigma_max), float(rho)).to(torch.float64)
    fn = getattr(ks, sampler)
    d = model.dim

    def denoise(x, sigma, **_):
        s = float(sigma.reshape(-1)[0])
        return model.denoiser(x, s)

    def one_run(x_T: np.ndarray, noises: list[np.ndarray] | None) -> tuple[np.ndarray, int]:
        x = torch.from_numpy(np.asarray(x_T, dtype=np.float64).copy()).reshape(1, d)
        used = [0]

        def noise_sampler(sigma, sigma_next):
            z = np.zeros(d) if noises is None else noises[used[0]]
            used[0] += 1
            return torch.from_numpy(np.asarray(z, dtype=np.float64).copy()).reshape(1, d)

        kw = {"disable": True}
        if sampler == "sample_euler_ancestral":
            kw.update(noise_sampler=noise_sampler, eta=float(eta))
        y = fn(denoise, x, sigmas, **kw)
        return y.to(torch.float64).reshape(-1).numpy().copy(), used[0]

    _, count = one_run(np.zeros(d), None)

    def run(x_T: np.ndarray, noises: list[np.ndarray]) -> np.ndarray:
        y, used = one_run(x_T, noises)
        if used != len(noises):
            raise RuntimeError(f"audit: {sampler} drew {used} noises, expected {len(noises)}")
        return y

    levels = [float(s) for s in sigmas]
    label = sampler + (f"(eta={eta:g})" if sampler == "sample_euler_ancestral" else "")
    entry = KDIFFUSION_SAMPLERS[sampler]
    counterpart = None
    if entry is not None:
        options = dict(entry[1])
        if sampler == "sample_euler_ancestral":
            options["eta"] = float(eta)
        process = ve_clock(levels[0])
        counterpart = Counterpart(entry[0], options, process, grid_from_levels(process, levels), levels[0], 1.0,
                                  entry[2])
    return LibraryScheme("k-diffusion", label, run, d, (d,) * count, levels[0], False, counterpart, levels, [])
