"""debortoli_verdict_evidence: the decision and its paragraph follow the fit and the rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.bounds.synthetic import PLAIN, design, table
from theorylab.bounds import debortoli_bound, debortoli_verdict_evidence, fit_debortoli, rates
from theorylab.errors import ConfigError


def _sweep(a: float) -> pd.DataFrame:
    """Errors 1e-3 e^{-T} + 0.5 (M + gamma^a): what exact laws look like (weak order a = 1), small mixing part."""
    T, g, M = design()
    return table(debortoli_bound(T, g, M, 1e-3, 0.5, 0.0, a), T, g, M)


def test_faster_rate_than_the_bound_is_reported_and_the_claim_holds():
    df = _sweep(1.0)
    fit = fit_debortoli(df, columns=PLAIN)
    out = rates(df, columns=PLAIN)
    holds, summary, details = debortoli_verdict_evidence(fit, out)
    assert holds and details["n_cells"] == 60 and details["min_slack"] >= 0.0
    assert details["rate_comparison"]["gamma exponent"] == "faster than"
    assert details["free_exponent"]["a"] == pytest.approx(1.0, abs=0.05)
    assert f"B={fit.B:.3g}" in summary and "faster than the bound's gamma^(1/2)" in summary
    assert "all 60 cells" in summary


def test_matching_rate_and_uncoverable_cells():
    df = _sweep(0.5)
    far = table(np.array([0.01]), np.array([1000.0]), np.array([0.0]), np.array([0.0]))
    fit = fit_debortoli(pd.concat([df, far], ignore_index=True), columns=PLAIN, free_exponent=False)
    holds, summary, details = debortoli_verdict_evidence(fit, rates(df, columns=PLAIN))
    assert not holds and details["n_uncoverable"] == 1 and "no constants" in summary
    assert details["rate_comparison"]["gamma exponent"] == "matching"
    assert "free_exponent" not in details


def test_bad_inputs():
    with pytest.raises(ConfigError, match="^fit: "):
        debortoli_verdict_evidence("not a fit")
    fit = fit_debortoli(_sweep(1.0), columns=PLAIN, free_exponent=False)
    with pytest.raises(ConfigError, match="^rates: "):
        debortoli_verdict_evidence(fit, pd.DataFrame({"x": [1]}))
    holds, summary, _ = debortoli_verdict_evidence(fit)  # rates are optional
    assert holds and "gamma^(" not in summary
