"""Build a target law from a ``[target]`` TOML table.

Keys by ``kind`` (all keys are checked; an unknown key or kind raises a one-line
:class:`~theorylab.errors.ConfigError` naming it, e.g. ``"target.covs: covariance 1 is not positive definite"``):

==========  ====================================================================================================
kind        keys
==========  ====================================================================================================
gaussian    ``mean`` (number or list), ``cov`` (number, diagonal list, or matrix)
gmm         ``weights`` (list, sum 1), ``means`` (list or list of lists), ``covs`` (list of numbers, diagonals or
            matrices)
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

A new target is one builder function plus one line in :data:`TARGET_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from theorylab.distributions.base import Distribution
from theorylab.distributions.datasets import DigitsDataset, SmileDataset
from theorylab.distributions.gaussian import Gaussian
from theorylab.distributions.mixture import GaussianMixture
from theorylab.errors import ConfigError

__all__ = ["TARGET_BUILDERS", "make_target"]

PREFIX = "target"


def _require(table: Mapping[str, Any], key: str) -> Any:
    if key not in table:
        raise ConfigError(f"{PREFIX}.{key}: missing (required for kind '{table['kind']}')")
    return table[key]


def _gaussian(table: Mapping[str, Any]) -> Distribution:
    return Gaussian(_require(table, "mean"), _require(table, "cov"), key=PREFIX)


def _gmm(table: Mapping[str, Any]) -> Distribution:
    return GaussianMixture(
        _require(table, "weights"), _require(table, "means"), _require(table, "covs"), key=PREFIX
    )


def _smile(table: Mapping[str, Any]) -> Distribution:
    options = {k: v for k, v in table.items() if k != "kind"}
    return SmileDataset(**options, key=PREFIX)


def _digits(table: Mapping[str, Any]) -> Distribution:
    return DigitsDataset(table.get("scale", "unit"), table.get("classes"), key=PREFIX)


#: kind -> (builder, allowed keys besides ``kind``).
TARGET_BUILDERS: dict[str, tuple[Callable[[Mapping[str, Any]], Distribution], frozenset[str]]] = {
    "gaussian": (_gaussian, frozenset({"mean", "cov"})),
    "gmm": (_gmm, frozenset({"weights", "means", "covs"})),
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
