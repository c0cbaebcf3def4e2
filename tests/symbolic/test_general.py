"""General (undefined-function) proofs of theorylab.symbolic.general and the process-level Gaussian checks: each true
statement is proved and a mutated one is refuted, so the checks can fail."""

from __future__ import annotations

import sympy as sp

from theorylab.symbolic import gaussian_process, general
from theorylab.symbolic.result import Truth


def test_tweedie_projection_and_parts_are_proved_for_general_functions():
    assert general.check_tweedie_general().truth is Truth.PROVED
    assert general.check_projection().truth is Truth.PROVED
    assert general.check_integration_by_parts(1).truth is Truth.PROVED
    assert general.check_integration_by_parts(2).truth is Truth.PROVED


def test_fokker_planck_general_proves_the_correct_forms_and_refutes_half_g():
    for d in (1, 2):
        assert general.check_fokker_planck_general("time-reversal", d).truth is Truth.PROVED
        assert general.check_fokker_planck_general("probability-flow", d).truth is Truth.PROVED
    assert general.check_fokker_planck_general("probability-flow-half-g", 1).truth is Truth.FAILS


def test_ito_expansion_gives_sigma_sigma_transpose_not_its_transpose_product():
    assert general.check_ito_generator(2, "sigma sigma^T").truth is Truth.PROVED
    assert general.check_ito_generator(2, "slide").truth is Truth.FAILS
    assert general.check_ito_generator(1, "slide").truth is Truth.PROVED  # scalar sigma: the two agree


def test_js_integrand_gram_expansion_and_coupling():
    parts = general.check_js_integrand_nonnegative()
    assert all(v.truth is Truth.PROVED if hasattr(v, "truth") else v for v in parts.values())
    assert general.check_inner_product_expansion().truth is Truth.PROVED
    assert general.check_coupling_inequality() == sp.Interval(0, 1)


def test_ou_closed_form_is_the_process_only_with_the_time_changed_brownian_motion():
    assert gaussian_process.check_ou_closed_form_covariance("slide").truth is Truth.FAILS
    assert gaussian_process.check_ou_closed_form_covariance("time-changed").truth is Truth.PROVED
    assert all(c.truth is Truth.PROVED for c in gaussian_process.check_reversal_covariance().values())
