"""diffusers and k-diffusion audited against theorylab's schemes on the libraries' own grids (skipped when the audit
extra is missing). Each agreement test has a mutation twin showing the comparison can fail, and the conventions
found (DDIM's "linspace" spacing, DPM-Solver's rounded timesteps with Karras sigmas, DDPM's noiseless last step) are
pinned as findings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theorylab.audit.compare import audit_scheme, theorylab_law
from theorylab.audit.model import GaussianModel
from theorylab.audit.scheme import Counterpart, grid_from_levels, ve_clock, vp_clock
from theorylab.tolerances import AUDIT_FLOAT32_RTOL, AUDIT_FLOAT64_RTOL

MODEL = GaussianModel([0.5, -0.3], [[0.6, 0.2], [0.2, 0.3]])
N = 6


@pytest.fixture(scope="module")
def diffusers_scheme():
    pytest.importorskip("diffusers")
    from theorylab.audit.diffusers_adapter import diffusers_scheme

    return diffusers_scheme


@pytest.fixture(scope="module")
def kdiffusion_scheme():
    pytest.importorskip("torchsde")
    pytest.importorskip("torchdiffeq")
    from theorylab.audit.kdiffusion_adapter import kdiffusion_available, kdiffusion_scheme

    if not kdiffusion_available():
        pytest.skip("k-diffusion not installed")
    return kdiffusion_scheme


@pytest.mark.parametrize("scheduler,kw", [
    ("DDPMScheduler", {}),
    ("DDIMScheduler", {"eta": 0.0}),
    ("DDIMScheduler", {"eta": 1.0, "options": {"prediction_type": "v_prediction"}}),
    ("EulerDiscreteScheduler", {}),
    ("HeunDiscreteScheduler", {"options": {"prediction_type": "sample"}}),
    ("EulerAncestralDiscreteScheduler", {}),
    ("EDMEulerScheduler", {}),
    ("DPMSolverMultistepScheduler", {"options": {"solver_order": 1}}),
])
def test_diffusers_scheduler_equals_theorylab_scheme(diffusers_scheme, scheduler, kw):
    scheme = diffusers_scheme(scheduler, N, MODEL, **kw)
    row = audit_scheme(scheme, MODEL, N)
    assert row.agrees, (row.w2_diff, row.tolerance)
    assert row.w2 > 100 * row.tolerance  # the error itself is far above rounding: the agreement is informative


@pytest.mark.parametrize("sampler", ["sample_euler", "sample_euler_ancestral", "sample_heun", "sample_dpm_2"])
def test_kdiffusion_sampler_equals_theorylab_scheme_to_float64(kdiffusion_scheme, sampler):
    scheme = kdiffusion_scheme(sampler, N, MODEL)
    row = audit_scheme(scheme, MODEL, N)
    assert not scheme.float32 and row.tolerance < 1e-8
    assert row.agrees and row.w2_diff <= AUDIT_FLOAT64_RTOL
    assert row.w2 > 1e-3


def test_mutation_a_wrong_counterpart_is_caught(kdiffusion_scheme):
    """Euler ancestral compared with deterministic DDIM (eta = 0), and Heun with DDIM: both flagged."""
    for sampler, wrong in (("sample_euler_ancestral", {"eta": 0.0}), ("sample_heun", {"eta": 0.0})):
        scheme = kdiffusion_scheme(sampler, N, MODEL)
        scheme.counterpart = dataclasses.replace(scheme.counterpart, sampler="ddim", options=wrong)
        row = audit_scheme(scheme, MODEL, N)
        assert row.agrees is False and row.w2_diff > 1e3 * row.tolerance


def test_noise_draws_follow_each_library(diffusers_scheme, kdiffusion_scheme):
    """DDPM draws no noise at its last step (Ho et al. Algorithm 2: z = 0 at t = 1); DDIM eta > 0 draws at every
    step; k-diffusion's ancestral sampler none on the step to sigma = 0; ODE samplers none."""
    d = MODEL.dim
    assert diffusers_scheme("DDPMScheduler", N, MODEL).noise_dims == (d,) * (N - 1)
    assert diffusers_scheme("DDIMScheduler", N, MODEL, eta=0.5).noise_dims == (d,) * N
    assert diffusers_scheme("DDIMScheduler", N, MODEL, eta=0.0).noise_dims == ()
    assert kdiffusion_scheme("sample_euler_ancestral", N, MODEL).noise_dims == (d,) * (N - 1)
    assert kdiffusion_scheme("sample_heun", N, MODEL).noise_dims == ()


def test_prediction_conventions_give_one_law(diffusers_scheme):
    """epsilon-, x0- and v-prediction of the exact model are the same sampler: equal laws to rounding."""
    laws = []
    for pt in ("epsilon", "sample", "v_prediction"):
        scheme = diffusers_scheme("DDIMScheduler", N, MODEL, eta=0.0, options={"prediction_type": pt})
        row = audit_scheme(scheme, MODEL, N)
        laws.append(np.array(row.mean + row.cov))
    scale = AUDIT_FLOAT32_RTOL
    assert np.max(np.abs(laws[1] - laws[0])) < scale and np.max(np.abs(laws[2] - laws[0])) < scale


def test_theorylab_law_does_not_depend_on_the_clock(kdiffusion_scheme):
    """The compared schemes read the process only through (alpha, sigma) at the grid's levels: a VP clock and a VE
    clock on the same levels give the same law up to the state scaling (module docstring of audit.scheme)."""
    scheme = kdiffusion_scheme("sample_dpm_2", N, MODEL)
    cp = scheme.counterpart
    ve = theorylab_law(scheme, MODEL)
    other = ve_clock(scheme.levels[0], sigma_min=0.05)
    scheme.counterpart = dataclasses.replace(cp, process=other, times=grid_from_levels(other, scheme.levels))
    ve2 = theorylab_law(scheme, MODEL)
    np.testing.assert_allclose(ve2[0], ve[0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ve2[1], ve[1], rtol=1e-9, atol=1e-10)
    vp = vp_clock(scheme.levels[0])
    a_top = 1.0 / np.sqrt(1.0 + scheme.levels[0] ** 2)
    scheme.counterpart = Counterpart(cp.sampler, cp.options, vp, grid_from_levels(vp, scheme.levels),
                                     cp.initial_std * a_top, 1.0, "")
    vp_law = theorylab_law(scheme, MODEL)
    np.testing.assert_allclose(vp_law[0], ve[0], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(vp_law[1], ve[1], rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------- findings (conventions of the libraries)
def test_finding_ddim_steps_off_its_own_table(diffusers_scheme):
    """DDIMScheduler steps from t to t - 1000 // N, which is the next entry of its table only for "leading" spacing
    (or "trailing" when N divides 1000); with "linspace" (linspace(0, 999, N).round()) or "trailing" and
    1000 % N != 0 its law is not DDIM on its own timesteps."""
    def row(spacing, n):
        return audit_scheme(diffusers_scheme("DDIMScheduler", n, MODEL, options={"timestep_spacing": spacing}),
                            MODEL, n)

    assert row("leading", 6).agrees and row("trailing", 8).agrees
    off = [row("linspace", 8), row("trailing", 6)]
    assert all(r.agrees is False and r.w2_diff > 1e-3 for r in off)


def test_finding_dpm_solver_karras_feeds_rounded_timesteps(diffusers_scheme):
    """With use_karras_sigmas the model is fed round(t(sigma)) while the update uses the Karras sigma itself."""
    row = audit_scheme(diffusers_scheme("DPMSolverMultistepScheduler", 20, MODEL,
                                        options={"solver_order": 1, "use_karras_sigmas": True}), MODEL, 20)
    assert row.agrees is False and row.w2_diff > 1e-4


def test_ddpm_forward_variance_now_matches_fixed_large(diffusers_scheme):
    """variance_type="fixed_large": diffusers (like Ho et al. Algorithm 2) adds no noise at the last step. The audit
    found that theorylab's ddpm(variance="forward") added N(0, beta_1) there (covariances apart by beta_1 = 1e-4);
    fixed in theorylab.samplers.ddpm, the laws now agree to float32 rounding."""
    scheme = diffusers_scheme("DDPMScheduler", N, MODEL, options={"variance_type": "fixed_large"})
    row = audit_scheme(scheme, MODEL, N)
    assert row.agrees is True, row.w2_diff