"""Song et al. (2021) Theorem 1 on Gaussian targets: exact terms against hand-derived OU closed forms; the bound
holds for the SDE model on a hypothesis grid; the study writes its report from its tables."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theorylab.cli import main
from theorylab.likelihood.bound import bound_row, likelihood_bound, sde_model_moments
from theorylab.likelihood.gaussian import DiagonalGaussianFlow
from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.tolerances import CLOSED_FORM_RTOL, LINALG_RTOL


@pytest.mark.parametrize("T", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("M", [0.2, 1.0])
def test_ou_unit_variance_closed_form(T, M):
    """OU, lambda = 1, prior p_T: KL_SDE = 2 M^2 (1 - e^{-T})^2 (mean error int_0^T e^{-r} 2M dr), bound = M^2 T."""
    row = bound_row(OrnsteinUhlenbeck(T), 1.0, M, "p_T")
    assert row["kl_sde"] == pytest.approx(2 * M**2 * (1 - np.exp(-T)) ** 2, rel=LINALG_RTOL)
    assert row["bound"] == pytest.approx(M**2 * T, rel=CLOSED_FORM_RTOL)
    assert row["prior_kl"] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("lam", [0.25, 4.0])
def test_ou_variance_error_contracts_as_derived(lam):
    """delta_0 = delta_T (v_0 / v_T) exp(-int 2 / v), int_0^T 2 / v = log((e^{2T} + lam - 1) / lam) for OU."""
    T = 1.5
    flow = DiagonalGaussianFlow(OrnsteinUhlenbeck(T), np.array([lam]), np.zeros(1), np.zeros(1))
    _, var = sde_model_moments(flow, np.zeros(1), np.ones(1), T)
    vT = lam * np.exp(-2 * T) + 1 - np.exp(-2 * T)
    want = lam + (1 - vT) * (lam / vT) * lam / (np.exp(2 * T) + lam - 1)
    assert var[0] == pytest.approx(want, rel=LINALG_RTOL)


PROCESSES = [OrnsteinUhlenbeck(0.7), OrnsteinUhlenbeck(3.0), VariancePreserving(0.1, 20.0, 1.0),
             VarianceExploding(0.01, 5.0, 1.0)]


@given(
    k=st.integers(0, len(PROCESSES) - 1),
    lam=st.floats(0.05, 10.0, allow_nan=False),  # target variances over two decades
    M=st.floats(0.0, 2.0, allow_nan=False),  # bias sizes up to twice the unit score scale
    p_T=st.booleans(),
)
def test_bound_holds_for_the_sde_model(k, lam, M, p_T):
    row = bound_row(PROCESSES[k], lam, M, "p_T" if p_T else "process")
    assert row["kl_sde"] <= row["bound"] * (1 + 1e-9) + 1e-12
    assert row["kl_sde"] >= -1e-12


def test_bound_fails_for_the_ode_model_somewhere():
    """The ODE model is not covered (OU, T = 4, lambda = 1, M = 0.5: 2 nats against a bound of 1)."""
    row = bound_row(OrnsteinUhlenbeck(4.0), 1.0, 0.5, "p_T")
    assert row["kl_ode"] > 1.5 * row["bound"]


def test_zero_bias_and_prior_p_T_is_a_perfect_model():
    flow = DiagonalGaussianFlow(VariancePreserving(), np.array([0.5, 2.0]), np.array([1.0, -1.0]), np.zeros(2))
    terms = likelihood_bound(flow, flow.mean(1.0), flow.variance(1.0), 1.0)
    assert max(abs(terms.kl_sde), abs(terms.kl_ode), abs(terms.bound)) < 1e-10


def test_study_writes_report_from_tables(tmp_path, capsys):
    cfg = tmp_path / "b.toml"
    cfg.write_text('[experiment]\nkind = "likelihood-bound"\nT = [0.5, 2.0]\nlam = [1.0]\nM = [0.0, 0.5]\n'
                   'priors = ["p_T"]\ngap_config = "experiments/likelihood_gaussian.toml"\n')
    out = tmp_path / "rep"
    assert main(["likelihood", str(cfg), "--out", str(out), "--json", "--set",
                 "experiment.gap_config=" + json.dumps("experiments/likelihood_gaussian.toml")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["bound_holds_for_sde"] and summary["gap_all_in_ci"]
    assert {p.name for p in out.iterdir()} == {"report.md", "bound.csv", "gap.csv", "bound.png"}
    assert main(["likelihood", str(cfg), "--out", str(out), "--set", "experiment.M=[-1.0]"]) == 2
    assert "experiment.M" in capsys.readouterr().err
