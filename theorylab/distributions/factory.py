"""Build a target law from a ``[target]`` TOML table.

Keys by ``kind`` (all keys are checked; an unknown key or kind raises a one-line
:class:`~theorylab.errors.ConfigError` naming it, e.g. ``"target.covs: covariance 1 is not positive definite"``):

==========  ====================================================================================================
kind        keys
==========  ====================================================================================================
gaussian    ``mean`` (number or list; optional with ``dim``: zeros) and **one** covariance key: ``cov`` (number,
            diagonal list, or matrix; positive semi-definite), ``variances`` (diagonal, zeros allowed),
            ``eigenvalues`` (+ ``rotation_seed``: :math:`U\\operatorname{diag}(\\lambda)U^\\top`, :math:`U` a seeded
            Haar rotation; without the seed :math:`U = I`), or ``spectrum`` (``"flat"``, ``"power:a"``
            :math:`\\lambda_i = i^{-a}`, ``"geometric:r"``; needs ``dim``; + ``rotation_seed``, ``rank``: zero
            eigenvalues beyond it); ``dim`` (integer >= 1) fixes the dimension (a sweep axis); a scalar ``cov``
            with ``dim`` is :math:`sI_d`. Zero eigenvalues give a singular law (no density:
            :class:`~theorylab.distributions.Gaussian`).
gmm         ``weights`` (list, sum 1), ``means`` (list or list of lists), ``covs`` (list of numbers, diagonals or
            matrices); with ``dim``: each mean is padded with zeros to ``dim`` coordinates and scalar covariances
            are isotropic in ``dim``
smile       ``n`` (2000), ``noise`` (0.05), ``seed`` (0), ``eye_std`` (0.1), ``eye_weight`` (0.2),
            ``mouth_radius`` (1.5), ``mouth_center_y`` (0.25), ``mouth_margin`` (pi/6) — see
            :class:`~theorylab.distributions.datasets.SmileDataset`
digits      ``scale`` ("unit" or "standard"), ``classes`` (list of labels) — needs the ``digits`` extra
==========  ====================================================================================================

Example (the mixture of seed 002, slide "Mistura de gaussianas")::

    [target]
    kind = "gmm"
    weights = [0.5, 0.5]
    means = [-3.0, 3.0]
    covs = [0.25, 1.0]

A Gaussian in ``d = 50`` with a power-law spectrum in a random basis (``--set target.dim=...`` sweeps ``d``)::

    [target]
    kind = "gaussian"
    dim = 50
    spectrum = "power:1.0"
    rotation_seed = 0

A new target is one builder function plus one line in :data:`TARGET_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from theorylab.distributions.base import Distribution
from theorylab.distributions.datasets import DigitsDataset, SmileDataset
from theorylab.distributions.gaussian import Gaussian
from theorylab.distributions.mixture import GaussianMixture
from theorylab.distributions.spectral import random_rotation, spectrum
from theorylab.distributions.validation import as_float_array
from theorylab.errors import ConfigError

__all__ = ["TARGET_BUILDERS", "make_target"]

PREFIX = "target"


def _require(table: Mapping[str, Any], key: str) -> Any:
    if key not in table:
        raise ConfigError(f"{PREFIX}.{key}: missing (required for kind '{table['kind']}')")
    return table[key]


_COV_KEYS = ("cov", "variances", "eigenvalues", "spectrum")


def _dim(table: Mapping[str, Any]) -> int | None:
    if "dim" not in table:
        return None
    d = table["dim"]
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ConfigError(f"{PREFIX}.dim: must be an integer >= 1, got {d!r}")
    return d


def _gaussian(table: Mapping[str, Any]) -> Distribution:
    dim = _dim(table)
    given = [k for k in _COV_KEYS if k in table]
    if len(given) != 1:
        what = "missing" if not given else f"give only one of {', '.join(given)}"
        raise ConfigError(f"{PREFIX}.cov: {what} (one of {', '.join(_COV_KEYS)} is required for kind 'gaussian')")
    cov_key = given[0]
    for key in ("rotation_seed", "rank"):
        allowed = ("eigenvalues", "spectrum") if key == "rotation_seed" else ("spectrum",)
        if key in table and cov_key not in allowed:
            raise ConfigError(f"{PREFIX}.{key}: only with {' or '.join(allowed)}, not with {cov_key}")
    if "mean" in table:
        mean = as_float_array(table["mean"], f"{PREFIX}.mean")
        if dim is not None and mean.ndim == 1 and mean.shape[0] != dim:
            raise ConfigError(f"{PREFIX}.mean: has length {mean.shape[0]}, but dim = {dim}")
        if dim is not None and mean.ndim == 0:
            mean = mean.reshape(1)
    elif dim is not None:
        mean = [0.0] * dim
    elif cov_key == "cov":
        raise ConfigError(f"{PREFIX}.mean: missing (required for kind 'gaussian' without dim)")
    else:
        n = len(table[cov_key]) if isinstance(table[cov_key], list) else 1
        mean = [0.0] * n
    d = dim if dim is not None else int(np.atleast_1d(mean).shape[0])
    if cov_key == "cov":
        cov = table["cov"]
        if dim is not None and isinstance(cov, (int, float)) and not isinstance(cov, bool):
            cov = [float(cov)] * dim
        return Gaussian(mean, cov, key=PREFIX, allow_singular=True)
    if cov_key == "variances":
        return Gaussian.from_eigen(mean, table["variances"], None, key=PREFIX, eigenvalues_key="variances")
    if cov_key == "eigenvalues":
        lam = table["eigenvalues"]
    else:
        if dim is None:
            raise ConfigError(f"{PREFIX}.dim: missing (required with spectrum)")
        lam = spectrum(table["spectrum"], dim, f"{PREFIX}.spectrum", rank=table.get("rank"), rank_key=f"{PREFIX}.rank")
    basis = None
    if "rotation_seed" in table:
        basis = random_rotation(int(d), table["rotation_seed"], f"{PREFIX}.rotation_seed")
    return Gaussian.from_eigen(mean, lam, basis, key=PREFIX, eigenvalues_key=cov_key)


def _gmm(table: Mapping[str, Any]) -> Distribution:
    dim = _dim(table)
    means, covs = _require(table, "means"), _require(table, "covs")
    if dim is not None:
        if not isinstance(means, list):
            raise ConfigError(f"{PREFIX}.means: must be a list, got {means!r}")
        rows = [as_float_array(row, f"{PREFIX}.means").reshape(-1) for row in means]
        if any(row.shape[0] > dim for row in rows):
            raise ConfigError(f"{PREFIX}.means: with dim = {dim}, give K numbers or K lists of at most {dim} numbers")
        means = [row.tolist() + [0.0] * (dim - row.shape[0]) for row in rows]
        c = as_float_array(covs, f"{PREFIX}.covs")
        if c.ndim == 1:
            covs = [[float(s)] * dim for s in c]
    return GaussianMixture(_require(table, "weights"), means, covs, key=PREFIX)


def _smile(table: Mapping[str, Any]) -> Distribution:
    options = {k: v for k, v in table.items() if k != "kind"}
    return SmileDataset(**options, key=PREFIX)


def _digits(table: Mapping[str, Any]) -> Distribution:
    return DigitsDataset(table.get("scale", "unit"), table.get("classes"), key=PREFIX)


#: kind -> (builder, allowed keys besides ``kind``).
TARGET_BUILDERS: dict[str, tuple[Callable[[Mapping[str, Any]], Distribution], frozenset[str]]] = {
    "gaussian": (_gaussian, frozenset({"mean", "cov", "dim", "variances", "eigenvalues", "spectrum", "rank",
                                       "rotation_seed"})),
    "gmm": (_gmm, frozenset({"weights", "means", "covs", "dim"})),
    "smile": (
        _smile,
        frozenset({"n", "noise", "seed", "eye_std", "eye_weight", "mouth_radius", "mouth_center_y", "mouth_margin"}),
    ),
    "digits": (_digits, frozenset({"scale", "classes"})),
}


def make_target(table: Mapping[str, Any]) -> Distribution:
    """Build the target law described by a ``[target]`` table (see the module docstring for the keys).

    Parameters
    ----------
    table : mapping
        The parsed ``[target]`` table, e.g. ``{"kind": "gaussian", "mean": [0, 0], "cov": [[1, 0], [0, 1]]}``.

    Returns
    -------
    Distribution
        A :class:`Gaussian`, :class:`GaussianMixture`, :class:`SmileDataset` or :class:`DigitsDataset`.

    Raises
    ------
    ConfigError
        Missing or unknown ``kind``, unknown or missing keys, or invalid values, naming ``target.<key>``.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"{PREFIX}: must be a table, got {type(table).__name__}")
    if "kind" not in table:
        raise ConfigError(f"{PREFIX}.kind: missing (one of {', '.join(TARGET_BUILDERS)})")
    kind = table["kind"]
    if not isinstance(kind, str) or kind not in TARGET_BUILDERS:
        raise ConfigError(f"{PREFIX}.kind: unknown kind {kind!r} (expected one of {', '.join(TARGET_BUILDERS)})")
    builder, allowed = TARGET_BUILDERS[kind]
    for key in table:
        if key != "kind" and key not in allowed:
            raise ConfigError(
                f"{PREFIX}.{key}: unknown key for kind '{kind}' (allowed: {', '.join(sorted(allowed))})"
            )
    return builder(table)
