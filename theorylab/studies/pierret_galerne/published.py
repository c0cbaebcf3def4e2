"""Pierret & Galerne's published :math:`W_2` errors on the CIFAR-10 Gaussian, as printed, and the interval each
printed number stands for.

Provenance. The ablation of initialisation (:math:`p_T` or :math:`\\mathcal N_0`), truncation (:math:`\\varepsilon`)
and discretisation (NFE) errors, "Table 1" of the ICML 2025 paper (arXiv:2405.14250v5; the paper's text: "We propose
in Table 1 an ablation study ... for the CIFAR-10 example"), transcribed from the full table the authors publish with
their code: ``Figures_readme/table.png`` of github.com/emilePi/Diffusion-models-for-Gaussian-distributions-Exact-
solutions-and-Wasserstein-errors (commit 8d02029, July 2025; its README calls it "Table 5 of the article", the
appendix version). The stored copy of the arXiv HTML holds only the paper's opening, so which cells the main-text
Table 1 keeps could not be checked; every number here is the authors' own output for the CIFAR-10 spectrum.
Columns: *Continuous* (printed for the EM and Euler rows only: the backward SDE and the flow ODE), NFE = 50, 250,
500, 1000, each for the start :math:`p_T` and :math:`\\mathcal N_0`. "-" is printed where the value is infinite (Heun
and RK4 at :math:`\\varepsilon = 0` evaluate the score of the singular target at :math:`t = 0`).

Format. The authors' ``formatting_number``: 0 as "0", values below :math:`10^{-2}` as ``{:1.1E}``, others as
``{:1.2f}``. A printed number therefore stands for the interval of half a unit in its last digit
(:func:`printed_interval`); an exact value agrees with it when it lies in that interval.
"""

from __future__ import annotations

import math

__all__ = ["NFE", "EPS", "PUBLISHED", "published", "printed_interval"]

NFE: tuple[int, ...] = (50, 250, 500, 1000)
EPS: tuple[float, ...] = (0.0, 1e-5, 1e-4, 1e-3)

# One line per (scheme, eps): NFE = 50, 250, 500, 1000, each as "p_T N_0".
_ROWS: dict[str, tuple[str, ...]] = {
    "EM": ("4.78 4.78 0.65 0.66 0.32 0.32 0.16 0.16",
           "4.77 4.77 0.66 0.66 0.32 0.32 0.16 0.16",
           "4.76 4.76 0.66 0.66 0.32 0.32 0.17 0.17",
           "4.68 4.68 0.70 0.70 0.40 0.40 0.27 0.27"),
    "EI": ("2.81 2.81 0.57 0.57 0.30 0.30 0.16 0.16",
           "2.81 2.81 0.57 0.57 0.30 0.30 0.16 0.16",
           "2.82 2.82 0.58 0.58 0.31 0.31 0.17 0.17",
           "2.91 2.91 0.67 0.67 0.41 0.41 0.29 0.29"),
    "DDPM": ("6.82 6.82 0.97 0.97 0.47 0.47 0.23 0.23",
             "6.82 6.82 0.97 0.97 0.47 0.47 0.24 0.23",
             "6.81 6.81 0.98 0.98 0.47 0.47 0.24 0.24",
             "6.74 6.74 1.00 1.00 0.53 0.53 0.32 0.32"),
    "Euler": ("1.72 1.78 0.38 0.44 0.20 0.26 0.10 0.17",
              "1.72 1.78 0.38 0.44 0.20 0.26 0.10 0.17",
              "1.72 1.78 0.38 0.44 0.20 0.26 0.11 0.17",
              "1.73 1.79 0.42 0.48 0.27 0.32 0.21 0.25"),
    "Heun": ("- - - - - - - -",
             "23.42 23.42 2.86 2.87 1.05 1.06 0.37 0.38",
             "4.68 4.68 0.43 0.44 0.12 0.14 0.03 0.08",
             "0.58 0.59 0.13 0.15 0.16 0.18 0.17 0.19"),
    "RK4": ("- - - - - - - -",
            "67.32 67.32 5.49 5.49 2.11 2.11 0.77 0.77",
            "14.35 14.35 0.93 0.93 0.29 0.29 0.07 0.10",
            "2.60 2.60 0.09 0.12 0.15 0.17 0.17 0.19"),
}
# Continuous columns, "p_T N_0" per eps: SDE (printed on the EM row), ODE (printed on the Euler row).
_CONTINUOUS: dict[str, tuple[str, ...]] = {
    "sde": ("0 6.7E-04", "4.1E-03 4.2E-03", "0.03 0.03", "0.18 0.18"),
    "ode": ("0 0.07", "4.1E-03 0.07", "0.03 0.08", "0.18 0.19"),
}
_CONTINUOUS_ROW = {"EM": "sde", "Euler": "ode"}
INITS: tuple[str, str] = ("p_T", "N_0")


def _build() -> dict[tuple[str, str | int, float, str], str]:
    table: dict[tuple[str, str | int, float, str], str] = {}
    for label, lines in _ROWS.items():
        for eps, line in zip(EPS, lines):
            cells = line.split()
            for j, nfe in enumerate(NFE):
                for k, init in enumerate(INITS):
                    table[(label, nfe, eps, init)] = cells[2 * j + k]
    for label, family in _CONTINUOUS_ROW.items():
        for eps, line in zip(EPS, _CONTINUOUS[family]):
            for init, text in zip(INITS, line.split()):
                table[(label, "continuous", eps, init)] = text
    return table


#: ``(scheme label, NFE or "continuous", eps, "p_T" | "N_0") -> printed text``.
PUBLISHED: dict[tuple[str, str | int, float, str], str] = _build()


def published(label: str, column: str | int, eps: float, init: str) -> str | None:
    """The printed text of a cell, or None where the paper prints nothing."""
    return PUBLISHED.get((label, column, float(eps), init))


def printed_interval(text: str) -> tuple[float, float]:
    """The interval a printed number stands for: half a unit of its last digit either side ("0.03" ->
    [0.025, 0.035], "6.7E-04" -> [6.65e-4, 6.75e-4], "0" -> [0, 0] since the code prints exact zeros only);
    "-" (infinite) -> (inf, inf)."""
    text = text.strip()
    if text == "-":
        return math.inf, math.inf
    value = float(text)
    if value == 0.0 and "." not in text and "E" not in text.upper():
        return 0.0, 0.0
    mantissa, _, exponent = text.upper().partition("E")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    half = 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))
    return value - half, value + half
