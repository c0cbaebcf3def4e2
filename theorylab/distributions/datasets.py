"""Sample-only data sets of the seed review: the 2D "smile" and the 8x8 handwritten digits.

These laws have no density in theorylab: :meth:`SampleDataset.logpdf`, :meth:`~SampleDataset.pdf` and
:meth:`~SampleDataset.score` raise :class:`NotImplementedError`. Divergences against them go through samples
(:mod:`theorylab.divergences.samples`).

* :class:`SmileDataset` — seed 002, slides "Sorriso" / "Sorriso com Ruído": "um dataset com pontos gerados conforme
  a figura (5a)" — two eyes and a mouth. The slides give no generator; the one here is documented below.
* :class:`DigitsDataset` — seed 002, slide "Dígitos escritos a mão": scikit-learn's bundled ``load_digits``
  (1797 images of 8x8 pixels, integer intensities 0..16, labels 0..9). scikit-learn is imported lazily; without it a
  :class:`~theorylab.errors.ConfigError` asks for the ``digits`` extra.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorylab.distributions.base import Distribution
from theorylab.errors import ConfigError

__all__ = ["DigitsDataset", "SampleDataset", "SmileDataset"]


class SampleDataset(Distribution):
    """A law known only through samples: ``sample(n, rng)`` works, densities and scores do not.

    Subclasses set :attr:`dim` and implement :meth:`sample`. :meth:`mean` and :meth:`covariance` are those of the
    fixed data set :attr:`data` (its empirical law).
    """

    name: str = "dataset"

    @property
    def data(self) -> np.ndarray:
        """The fixed data set, shape ``(N, d)``, float64."""
        raise NotImplementedError

    def logpdf(self, x: Any) -> Any:
        raise NotImplementedError(f"{self.name}: a sample-only data set has no density")

    def pdf(self, x: Any) -> Any:
        raise NotImplementedError(f"{self.name}: a sample-only data set has no density")

    def score(self, x: Any) -> Any:
        raise NotImplementedError(f"{self.name}: a sample-only data set has no score")

    def mean(self) -> np.ndarray:
        """Mean of :attr:`data`, shape ``(d,)``."""
        return np.mean(self.data, axis=0)

    def covariance(self) -> np.ndarray:
        """Covariance of :attr:`data` (normalised by ``N``, the empirical law), shape ``(d, d)``."""
        return np.atleast_2d(np.cov(self.data, rowvar=False, bias=True))


def _number(table_value: Any, key: str, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(table_value, bool):
        raise ConfigError(f"{key}: must be a number, got {table_value!r}")
    try:
        value = float(table_value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: must be a number, got {table_value!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{key}: must be finite, got {table_value!r}")
    if positive and not value > 0:
        raise ConfigError(f"{key}: must be > 0, got {table_value!r}")
    if nonneg and not value >= 0:
        raise ConfigError(f"{key}: must be >= 0, got {table_value!r}")
    return value


def _integer(value: Any, key: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{key}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


class SmileDataset(SampleDataset):
    """The 2D "smile" of seed 002 (slides "Sorriso", "Sorriso com Ruído"): two eyes and a mouth, plus noise.

    Generator (a point is drawn as follows, then isotropic noise :math:`\\mathcal N(0, \\text{noise}^2 I_2)` is
    added to it):

    * with probability ``eye_weight`` each, an **eye**: :math:`\\mathcal N((\\pm 1, 1), \\text{eye\\_std}^2 I_2)`
      (left eye at :math:`(-1, 1)`, right eye at :math:`(1, 1)`);
    * with probability :math:`1 - 2\\,\\text{eye\\_weight}`, the **mouth**: a point of the lower arc of the circle of
      centre :math:`(0, c)` and radius :math:`r`,
      :math:`(r\\cos\\theta, c + r\\sin\\theta)`, :math:`\\theta \\sim \\mathcal U[\\pi + \\phi, 2\\pi - \\phi]`.

    Defaults: ``eye_std = 0.1``, ``eye_weight = 0.2``, :math:`c = 0.25` (``mouth_center_y``),
    :math:`r = 1.5` (``mouth_radius``), :math:`\\phi = \\pi/6` (``mouth_margin``: the arc spans 120 degrees, from
    :math:`(-1.30, -0.5)` through :math:`(0, -1.25)` to :math:`(1.30, -0.5)`), ``noise = 0.05``. The slides'
    "Sorriso com Ruído" is the same generator with a larger ``noise`` (e.g. 0.2).

    Parameters
    ----------
    n : int
        Size of the fixed data set :attr:`data` (the "training set"), drawn with ``seed``.
    noise : float
        Standard deviation of the isotropic noise added to every point, ``>= 0``.
    seed : int
        Seed of :attr:`data`. :meth:`sample` draws fresh points from the generator with the caller's ``rng``.
    eye_std, eye_weight, mouth_radius, mouth_center_y, mouth_margin : float
        As above. ``0 < eye_weight < 0.5``, ``0 <= mouth_margin < pi/2``.
    """

    name = "smile"

    def __init__(
        self,
        n: int = 2000,
        noise: float = 0.05,
        seed: int = 0,
        *,
        eye_std: float = 0.1,
        eye_weight: float = 0.2,
        mouth_radius: float = 1.5,
        mouth_center_y: float = 0.25,
        mouth_margin: float = math.pi / 6,
        key: str = "",
    ):
        def k(name: str) -> str:
            return f"{key}.{name}" if key else name

        self.dim = 2
        self.n = _integer(n, k("n"), minimum=1)
        self.noise = _number(noise, k("noise"), nonneg=True)
        self.seed = _integer(seed, k("seed"), minimum=0)
        self.eye_std = _number(eye_std, k("eye_std"), nonneg=True)
        self.eye_weight = _number(eye_weight, k("eye_weight"), positive=True)
        if not self.eye_weight < 0.5:
            raise ConfigError(f"{k('eye_weight')}: must lie in (0, 0.5), got {eye_weight!r}")
        self.mouth_radius = _number(mouth_radius, k("mouth_radius"), positive=True)
        self.mouth_center_y = _number(mouth_center_y, k("mouth_center_y"))
        self.mouth_margin = _number(mouth_margin, k("mouth_margin"), nonneg=True)
        if not self.mouth_margin < math.pi / 2:
            raise ConfigError(f"{k('mouth_margin')}: must lie in [0, pi/2), got {mouth_margin!r}")
        self._data: np.ndarray | None = None

    @property
    def data(self) -> np.ndarray:
        """The fixed data set of ``n`` points drawn with ``seed``, shape ``(n, 2)`` (computed once)."""
        if self._data is None:
            self._data = self.sample(self.n, np.random.default_rng(self.seed))
        return self._data.copy()

    def sample_with_parts(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` points and their part labels (0 left eye, 1 right eye, 2 mouth): ``(n, 2)``, ``(n,)``."""
        n = self._check_sample_args(n, rng)
        p_eye = self.eye_weight
        parts = rng.choice(3, size=n, p=[p_eye, p_eye, 1.0 - 2.0 * p_eye])
        points = np.empty((n, 2))
        eyes = parts < 2
        centres = np.where(parts[eyes, None] == 0, [-1.0, 1.0], [1.0, 1.0])
        points[eyes] = centres + self.eye_std * rng.standard_normal((int(eyes.sum()), 2))
        mouth = ~eyes
        theta = rng.uniform(math.pi + self.mouth_margin, 2.0 * math.pi - self.mouth_margin, size=int(mouth.sum()))
        points[mouth, 0] = self.mouth_radius * np.cos(theta)
        points[mouth, 1] = self.mouth_center_y + self.mouth_radius * np.sin(theta)
        points += self.noise * rng.standard_normal((n, 2))
        return points, parts

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` fresh points from the generator (not from :attr:`data`), shape ``(n, 2)``."""
        return self.sample_with_parts(n, rng)[0]

    def __repr__(self) -> str:
        return f"SmileDataset(n={self.n}, noise={self.noise}, seed={self.seed})"


_SCALES = ("unit", "standard")


class DigitsDataset(SampleDataset):
    """scikit-learn's 8x8 handwritten digits (``sklearn.datasets.load_digits``), seed 002 "Dígitos escritos a mão".

    The law is the empirical measure of the (scaled) images: :meth:`sample` draws rows uniformly **with
    replacement** from :attr:`data`. ``d = 64`` (pixels in row-major order).

    Parameters
    ----------
    scale : {"unit", "standard"}
        ``"unit"`` (default): intensities divided by 16, so every pixel lies in :math:`[0, 1]`.
        ``"standard"``: every pixel centred and divided by its standard deviation over the data set (pixels that
        are constant, e.g. always 0 at the border, are only centred).
    classes : sequence of int, optional
        Keep only these labels (0..9); default all ten.

    Raises
    ------
    ConfigError
        When scikit-learn is not installed (install the ``digits`` extra), or on a bad ``scale``/``classes``.
    """

    name = "digits"

    def __init__(self, scale: str = "unit", classes: Any = None, *, key: str = ""):
        def k(name: str) -> str:
            return f"{key}.{name}" if key else name

        if scale not in _SCALES:
            raise ConfigError(f"{k('scale')}: must be one of {', '.join(_SCALES)}, got {scale!r}")
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise ConfigError(
                f"{k('kind')}: 'digits' needs scikit-learn; install the `digits` extra: pip install 'theorylab[digits]'"
            ) from None
        bunch = load_digits()
        images = np.asarray(bunch.data, dtype=np.float64)
        labels = np.asarray(bunch.target, dtype=np.int64)
        if classes is not None:
            try:
                wanted = [int(c) for c in classes]
            except (TypeError, ValueError):
                raise ConfigError(f"{k('classes')}: must be a list of integers 0..9, got {classes!r}") from None
            if not wanted or any(isinstance(c, bool) or c not in range(10) for c in classes):
                raise ConfigError(f"{k('classes')}: must be a non-empty list of integers 0..9, got {classes!r}")
            keep = np.isin(labels, wanted)
            images, labels = images[keep], labels[keep]
        if scale == "unit":
            images = images / 16.0
        else:
            centred = images - images.mean(axis=0)
            std = images.std(axis=0)
            images = centred / np.where(std > 0.0, std, 1.0)
        self.scale = scale
        self.dim = int(images.shape[1])
        self._data = images
        self._labels = labels

    @property
    def data(self) -> np.ndarray:
        """All (scaled) images, shape ``(N, 64)``, float64."""
        return self._data.copy()

    @property
    def labels(self) -> np.ndarray:
        """Digit labels 0..9 of :attr:`data`, shape ``(N,)``."""
        return self._labels.copy()

    def sample_with_labels(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` rows uniformly with replacement and their labels: ``(n, 64)``, ``(n,)``."""
        n = self._check_sample_args(n, rng)
        index = rng.integers(0, self._data.shape[0], size=n)
        return self._data[index], self._labels[index]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` rows uniformly with replacement from :attr:`data`, shape ``(n, 64)``."""
        return self.sample_with_labels(n, rng)[0]

    def __repr__(self) -> str:
        return f"DigitsDataset(scale={self.scale!r}, n={self._data.shape[0]})"
