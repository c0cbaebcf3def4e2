"""Cost of the PF-ODE likelihood: exact trace against Hutchinson's estimator, as d grows (ratios in one run).

Setting: diagonal Gaussian target N(m, diag(lam)) in d dimensions, VP SDE (beta 0.1 -> 20, T = 1), a score given as a
torch callable (``theorylab.scores.ExactScore`` is dense-Cholesky-based; here the same affine score written
elementwise, so the score itself costs O(d) and the ratio measures the trace), n = 64 data points, the
probability-flow ODE integrated by ``solve_ivp`` (RK45, rtol = atol = 1e-5) through
:class:`theorylab.likelihood.field.TorchField`:

* ``exact``: the divergence by autograd, d vector-Jacobian products per field evaluation;
* ``hutchinson``: one Rademacher probe, one vector-Jacobian product per evaluation.

Both NLLs are compared with the closed form (:class:`theorylab.likelihood.gaussian.DiagonalGaussianFlow`): the
exact-trace mean must match it to the data-sampling interval, the Hutchinson mean too (on a diagonal Jacobian the
Rademacher probe is exact, so the two agree to the ODE error). Writes ``benchmarks/results/likelihood.json``.

Run: ``python benchmarks/bench_likelihood.py`` (about a minute on 2 idle cores).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from theorylab.likelihood.estimate import summarise
from theorylab.likelihood.field import TorchField
from theorylab.likelihood.gaussian import LOG_2PI, DiagonalGaussianFlow
from theorylab.likelihood.ode import integrate_divergence
from theorylab.likelihood.trace import draw_probes
from theorylab.processes import VariancePreserving

DIMS = (2, 8, 32, 128)
N = 64
RTOL = 1e-5


class DiagonalScore:
    """The exact score of N(m, diag(lam)) under ``process``, elementwise (O(d) per point)."""

    def __init__(self, process, lam, m):
        self.flow = DiagonalGaussianFlow(process, lam, m, np.zeros_like(lam))

    def __call__(self, t, x):
        v = torch.as_tensor(self.flow.variance(t), dtype=x.dtype)
        mu = torch.as_tensor(self.flow.mean(t), dtype=x.dtype)
        return -(x - mu) / v


def run_one(d: int, method: str, rng_seed: int = 0) -> dict:
    rng = np.random.default_rng(rng_seed)
    process = VariancePreserving()
    lam = rng.uniform(0.1, 2.0, d)
    m = rng.normal(size=d)
    score = DiagonalScore(process, lam, m)
    x = m + np.sqrt(lam) * rng.standard_normal((N, d))
    probes = draw_probes("rademacher", 1, N, d, rng) if method == "hutchinson" else None
    field = TorchField(process, score, exact=method == "exact", probes=probes)
    start = time.perf_counter()
    sol = integrate_divergence(field, x, 1e-5, 1.0, rtol=RTOL, atol=RTOL)
    seconds = time.perf_counter() - start
    integral = sol.int_exact if method == "exact" else sol.int_hutch
    nll = 0.5 * np.sum(sol.x_end**2 + LOG_2PI, axis=-1) - integral
    s = summarise(nll)
    exact = score.flow.expected_nll(1e-5, 1.0, np.zeros(d), np.ones(d))
    return {"d": d, "method": method, "seconds": seconds, "nfev": sol.nfev, "nll": s.value, "ci": [s.lower, s.upper],
            "closed_form": exact, "in_ci": bool(s.lower <= exact <= s.upper)}


def main() -> None:
    torch.set_num_threads(1)
    rows = []
    for d in DIMS:
        for method in ("exact", "hutchinson"):
            rows.append(run_one(d, method))
            r = rows[-1]
            print(f"d={d:>4} {method:>10}: {r['seconds']:.3f} s, nfev {r['nfev']}, NLL {r['nll']:.4f} "
                  f"[{r['ci'][0]:.4f}, {r['ci'][1]:.4f}] vs closed form {r['closed_form']:.4f}")
    ratios = {d: next(r["seconds"] for r in rows if r["d"] == d and r["method"] == "exact")
              / next(r["seconds"] for r in rows if r["d"] == d and r["method"] == "hutchinson") for d in DIMS}
    print("exact / hutchinson time:", {d: round(v, 2) for d, v in ratios.items()})
    out = Path("benchmarks/results/likelihood.json")
    out.write_text(json.dumps({"rows": rows, "ratio_exact_over_hutchinson": ratios, "n": N, "rtol": RTOL,
                               "load_average": os.getloadavg()}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
