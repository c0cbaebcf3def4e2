"""The target's spectrum: read from a file (the CIFAR-10 Gaussian), or a documented synthetic stand-in.

What the errors need. For a target :math:`\\mathcal N(\\mu, U\\operatorname{diag}(\\lambda)U^\\top)`, the exact score,
every scheme of the study and an isotropic start act coordinate-wise in the basis :math:`U`, and :math:`W_2` between
laws sharing it is :math:`\\big(\\sum_i (m_i - \\tilde\\mu_i)^2 + (\\sqrt{v_i} - \\sqrt{\\lambda_i})^2\\big)^{1/2}`,
:math:`\\tilde\\mu = U^\\top\\mu`, where each output coordinate mean :math:`m_i` is a multiple of :math:`\\tilde\\mu_i`.
So :math:`\\lambda` and the squared projections :math:`\\tilde\\mu_i^2` are all that is needed, never :math:`U`.
Pierret & Galerne's target is centred (:math:`\\mu = 0`): their ``cifar10.npy`` holds the 3072 eigenvalues only.

File format (:func:`load_spectrum`)
    ``.npz`` with ``eigenvalues`` (shape ``(d,)``) and optionally ``mean_sq`` (shape ``(d,)``, the squared
    projections :math:`\\tilde\\mu_i^2`, default 0: a centred target), or ``.npy`` holding the eigenvalues alone
    (the authors' format). Negative eigenvalues within :data:`~theorylab.tolerances.SPECTRUM_NEGATIVE_RTOL` of the
    largest are float32 round-off and set to 0 (the authors do the same); anything else malformed is a one-line
    ``ConfigError`` naming ``target.eigenvalues_file``.

Synthetic stand-in (:func:`synthetic_spectrum`), used when the file is absent and said so in the report
    A stationary colour image model of side :math:`s` (default 32, :math:`d = 3s^2 = 3072`): per channel, the
    covariance is diagonal in the 2D Fourier basis with the natural-image power law
    :math:`S(f) \\propto (|f|^2 + f_0^2)^{-\\alpha/2}`, :math:`f` in cycles per image on the :math:`s \\times s`
    DFT grid, :math:`\\alpha = 2` (Field 1987, JOSA A 4:2379; van der Schaaf & van Hateren 1996, Vision Res.
    36:2759, measured exponents near 2 over natural scenes), :math:`f_0 = 1` (the image size cuts the
    divergence at :math:`f = 0`); three decorrelated colour channels (a luminance and two opponent axes) with
    *assumed* variance shares 0.90, 0.07, 0.03 (illustrative: luminance carries most of the variance, Ruderman,
    Cronin & Chiao 1998, JOSA A 15:2036); scaled so that the mean pixel variance is 0.25 (pixels in
    :math:`[-1, 1]` with standard deviation ~0.5, as CIFAR-10's per-channel standard deviations ~0.25 in
    :math:`[0, 1]` units give). It is *not* CIFAR-10: it has no blur or compression, so its smallest eigenvalues
    are far larger than those of real downsampled photographs, which drive the published :math:`\\varepsilon`-
    sensitivity of Heun and RK4. Its table shows the schemes' behaviour on an image-like spectrum, nothing more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theorylab.errors import ConfigError
from theorylab.tolerances import SPECTRUM_NEGATIVE_RTOL

__all__ = ["Spectrum", "load_spectrum", "synthetic_spectrum"]

KEY = "target.eigenvalues_file"


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues and squared mean projections of a Gaussian target, with where they came from.

    Attributes
    ----------
    eigenvalues, mean_sq : ndarray, shape (d,)
    source : str
        ``"file"`` or ``"synthetic"``.
    description : str
        One line for the report (file path and sha256, or the synthetic model's parameters).
    clipped : int
        Number of negative round-off eigenvalues set to 0.
    """

    eigenvalues: np.ndarray
    mean_sq: np.ndarray
    source: str
    description: str
    clipped: int = 0

    @property
    def dim(self) -> int:
        return int(self.eigenvalues.size)


def _vector(value, name: str, path: Path) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number):
        raise ConfigError(f"{KEY}: {path}: {name} must be a non-empty 1-D numeric array, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{KEY}: {path}: {name} has non-finite entries")
    return arr


def load_spectrum(path: str | Path) -> Spectrum:
    """Read a spectrum file (module docstring). ``ConfigError`` naming ``target.eigenvalues_file`` on any defect."""
    path = Path(path)
    if path.suffix not in (".npz", ".npy"):
        raise ConfigError(f"{KEY}: {path}: expected a .npz (eigenvalues, optional mean_sq) or .npy file")
    try:
        raw = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{KEY}: {path}: unreadable ({exc})") from None
    if isinstance(raw, np.lib.npyio.NpzFile):
        with raw:
            if "eigenvalues" not in raw.files:
                raise ConfigError(f"{KEY}: {path}: no 'eigenvalues' array (found {sorted(raw.files)})")
            unknown = set(raw.files) - {"eigenvalues", "mean_sq"}
            if unknown:
                raise ConfigError(f"{KEY}: {path}: unknown arrays {sorted(unknown)}; expected eigenvalues, mean_sq")
            lam = _vector(raw["eigenvalues"], "eigenvalues", path)
            mean_sq = _vector(raw["mean_sq"], "mean_sq", path) if "mean_sq" in raw.files else np.zeros_like(lam)
    else:
        lam = _vector(raw, "eigenvalues", path)
        mean_sq = np.zeros_like(lam)
    if mean_sq.shape != lam.shape:
        raise ConfigError(f"{KEY}: {path}: mean_sq has {mean_sq.size} entries, eigenvalues {lam.size}")
    if np.any(mean_sq < 0):
        raise ConfigError(f"{KEY}: {path}: mean_sq must be >= 0 (squared projections of the mean)")
    top = float(np.max(lam))
    if top <= 0:
        raise ConfigError(f"{KEY}: {path}: the largest eigenvalue must be > 0, got {top!r}")
    negative = lam < 0
    if np.any(lam < -SPECTRUM_NEGATIVE_RTOL * top):
        raise ConfigError(f"{KEY}: {path}: eigenvalue {float(lam.min())!r} is negative beyond round-off "
                          f"({SPECTRUM_NEGATIVE_RTOL:g} x the largest): not a covariance spectrum")
    lam = np.where(negative, 0.0, lam)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Spectrum(lam, mean_sq, "file", f"{path} (sha256 {digest[:16]}..., d = {lam.size})", int(negative.sum()))


def synthetic_spectrum(side: int = 32, channels: int = 3, exponent: float = 2.0, f0: float = 1.0,
                       channel_shares: tuple[float, ...] = (0.90, 0.07, 0.03),
                       pixel_variance: float = 0.25) -> Spectrum:
    """The synthetic natural-image spectrum of the module docstring, largest eigenvalue first, centred."""
    freq = np.fft.fftfreq(side) * side
    fx, fy = np.meshgrid(freq, freq)
    power = (fx.ravel() ** 2 + fy.ravel() ** 2 + f0 * f0) ** (-0.5 * exponent)
    shape = power / power.sum()  # one channel's share of variance over its side^2 Fourier modes
    total = pixel_variance * channels * side * side
    lam = np.sort(np.concatenate([share * total * shape for share in channel_shares]))[::-1]
    desc = (f"synthetic natural-image power law (NOT CIFAR-10): side {side}, {channels} channels (d = {lam.size}), "
            f"S(f) ~ (|f|^2 + {f0:g}^2)^(-{exponent:g}/2), channel shares {list(channel_shares)}, "
            f"mean pixel variance {pixel_variance:g}")
    return Spectrum(lam, np.zeros_like(lam), "synthetic", desc)
