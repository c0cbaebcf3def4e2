"""The instantaneous change of variables: symbolic for Gaussian marginals (OU, VP), numeric on the seed mixture;
both catch the sign slip."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.distributions import GaussianMixture
from theorylab.likelihood.instantaneous import change_of_variables_errors
from theorylab.processes import OrnsteinUhlenbeck
from theorylab.symbolic.change_of_variables import check_instantaneous_cov
from theorylab.symbolic.result import Truth
from theorylab.tolerances import LIKELIHOOD_ODE_ATOL


@pytest.mark.parametrize("name", ["ou", "vp"])
def test_symbolic_identity_and_sign_slip(name):
    assert check_instantaneous_cov(name).truth is Truth.PROVED
    assert check_instantaneous_cov(name, sign=1).truth is Truth.FAILS


def test_numeric_on_the_seed_mixture_catches_the_sign_slip():
    mixture = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    starts = np.array([-3.5, -0.5, 2.0])
    process = OrnsteinUhlenbeck(0.5)
    ok = change_of_variables_errors(mixture, process, starts, 0.0, 0.5, rtol=1e-8, atol=1e-8)
    assert ok.max() <= LIKELIHOOD_ODE_ATOL
    slip = change_of_variables_errors(mixture, process, starts, 0.0, 0.5, rtol=1e-8, atol=1e-8, sign=1.0)
    assert slip.max() > 1e3 * LIKELIHOOD_ODE_ATOL
