"""Pierret & Galerne (ICML 2025): theorylab's exact laws equal the paper's covariance recursions, the continuous
columns equal independent routes, the spectrum file is validated, the published numbers are read as the intervals
their digits stand for, and the study writes its report (synthetic spectrum, or a file spectrum with the comparison).

The recursions below are written from the paper's formulas (the notebook's eqs. (11), (13), (15), (17), (19),
(22)-(23), in its own units: :math:`\\beta_t = 0.05 + 9.95t`, :math:`\\lambda^t = e^{-2B_t}\\lambda + 1 - e^{-2B_t}`),
independently of theorylab's samplers and laws.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from theorylab.cli import main
from theorylab.distributions import Gaussian
from theorylab.divergences import w2_gaussian
from theorylab.errors import ConfigError
from theorylab.laws import gaussian_output_law
from theorylab.samplers import get_sampler
from theorylab.scores import ExactScore
from theorylab.studies.pierret_galerne import run_study, study_from_raw, write_report
from theorylab.studies.pierret_galerne.continuous import continuous_law
from theorylab.studies.pierret_galerne.conventions import SCHEMES, paper_grid, scheme, theorylab_process
from theorylab.studies.pierret_galerne.published import EPS, NFE, PUBLISHED, printed_interval
from theorylab.studies.pierret_galerne.report import compare_cell, paper_format
from theorylab.studies.pierret_galerne.spectrum import load_spectrum, synthetic_spectrum
from theorylab.studies.pierret_galerne.study import Cell
from theorylab.tolerances import LINALG_RTOL, ODE_AGREEMENT_ATOL, PAPER_RECURSION_RTOL

T, BMIN, BMAX = 1.0, 0.05, 10.0  # the paper's units
D = 50
#: A synthetic spectrum spanning 10^-3 .. 10 (image-like decay), d = 50.
LAM = np.geomspace(10.0, 1e-3, D)


# ---------------------------------------------------------------------------------------------------------- the paper
def beta(t):
    return BMIN + (BMAX - BMIN) * t


def B(t):
    return BMIN * t + 0.5 * (BMAX - BMIN) * t * t


def lam_t(lam, t):
    e = math.exp(-2.0 * B(t))
    return e * lam + 1.0 - e


def paper_recursion(label: str, lam: np.ndarray, N: int, eps: float, start: np.ndarray) -> np.ndarray:
    """The paper's eigenvalue recursion of scheme ``label`` on N points from T down to eps (no theorylab code)."""
    tk = np.array([(T - eps) * k / (N - 1) for k in range(N)])
    dt = tk[1] - tk[0]
    v = start.copy()
    for k in range(N - 1):
        hi, lo = T - tk[k], T - tk[k + 1]
        b, l_hi = beta(hi), lam_t(lam, hi)
        if label == "EM":
            v = (1 + dt * b * (1 - 2 / l_hi)) ** 2 * v + 2 * dt * b
        elif label == "EI":
            g1, g2 = math.exp(B(hi) - B(lo)) - 1, 0.5 * (math.exp(2 * (B(hi) - B(lo))) - 1)
            v = (1 + g1 * (1 - 2 / l_hi)) ** 2 * v + 2 * g2
        elif label == "DDPM":
            bk = 2 * dt * b
            v = (1 - bk / l_hi) ** 2 * v / (1 - bk) + bk
        elif label == "Euler":
            v = (1 + dt * b * (1 - 1 / l_hi)) ** 2 * v
        elif label == "Heun":
            c0, c1 = b * (1 - 1 / l_hi), beta(lo) * (1 - 1 / lam_t(lam, lo))
            v = (1 + dt / 2 * c0 + dt / 2 * c1 * (1 + dt * c0)) ** 2 * v
        elif label == "RK4":
            mid = hi - dt / 2
            cm = beta(mid) * (1 - 1 / lam_t(lam, mid))
            c1 = b * (1 - 1 / l_hi)
            c2 = cm * (1 + dt / 2 * c1)
            c3 = cm * (1 + dt / 2 * c2)
            c4 = beta(lo) * (1 - 1 / lam_t(lam, lo)) * (1 + dt * c3)
            v = (1 + dt / 6 * (c1 + 2 * c2 + 2 * c3 + c4)) ** 2 * v
        elif label == "EM-lower-time":  # a mutation: the score fed the step's lower time
            l_lo = lam_t(lam, lo)
            v = (1 + dt * b * (1 - 2 / l_lo)) ** 2 * v + 2 * dt * b
        else:
            raise AssertionError(label)
    return v


def theorylab_variances(sampler: str, lam: np.ndarray, N: int, eps: float, start: np.ndarray):
    """theorylab's exact output law of ``sampler`` on the paper's grid, centred target, start N(0, diag(start))."""
    process = theorylab_process(BMIN, BMAX, T)
    target = Gaussian.from_eigen(np.zeros_like(lam), lam)
    out = gaussian_output_law(ExactScore(target, process=process), get_sampler(sampler), paper_grid(N, eps, T),
                              process=process, initial=Gaussian.from_eigen(np.zeros_like(lam), start))
    assert out.details.get("basis") == "standard (diagonal)"  # the O(d) route was taken
    return out.law


def starts(lam):
    return {"p_T": lam_t(lam, T), "N_0": np.ones_like(lam)}


PAPER_ROWS = [s for s in SCHEMES if s.published]


@pytest.mark.parametrize("spec", PAPER_ROWS, ids=[s.label for s in PAPER_ROWS])
def test_exact_laws_equal_the_papers_covariance_recursions(spec):
    """d = 50, both starts, eps = 0 and 1e-3, 40 points: eigenvalue by eigenvalue to PAPER_RECURSION_RTOL."""
    for eps in (0.0, 1e-3):
        for name, start in starts(LAM).items():
            ours = theorylab_variances(spec.sampler, LAM, 40, eps, start).eigen_parts()[0]
            theirs = paper_recursion(spec.label, LAM, 40, eps, start)
            np.testing.assert_allclose(ours, theirs, rtol=PAPER_RECURSION_RTOL, atol=0.0,
                                       err_msg=f"{spec.label} eps={eps} start={name}")


def test_the_recursion_check_catches_a_change_of_convention():
    """Mutations the comparison must see: EM with the score fed the lower time of each step, and theorylab's own
    ``ddpm`` (beta from the marginals, posterior variance, noiseless last step) against the paper's DDPM."""
    start = np.ones_like(LAM)
    em = theorylab_variances("reverse-sde", LAM, 40, 1e-3, start).eigen_parts()[0]
    shifted = paper_recursion("EM-lower-time", LAM, 40, 1e-3, start)
    assert np.max(np.abs(em / shifted - 1.0)) > 1e-3
    ddpm = theorylab_variances("ddpm", LAM, 40, 1e-3, start).eigen_parts()[0]
    assert np.max(np.abs(ddpm / paper_recursion("DDPM", LAM, 40, 1e-3, start) - 1.0)) > 1e-3


def test_heun_row_as_published_is_heun_on_nfe_points_and_differs_from_nfe_over_2():
    assert scheme("Heun").points(500) == 500 and scheme("Heun").evaluations(500) == 2 * 499
    assert scheme("Heun (NFE/2 points)").points(500) == 250 and scheme("RK4").points(1000) == 250
    assert scheme("RK4").evaluations(1000) == 4 * 249 and scheme("EM").evaluations(50) == 49


# ---------------------------------------------------------------------------------------------- continuous columns
def test_continuous_closed_forms_are_the_papers_eqs_7_and_8():
    process = theorylab_process(BMIN, BMAX, T)
    lam = LAM
    for eps in (0.0, 1e-4, 0.3):
        l_t, l_T = lam_t(lam, eps), lam_t(lam, T)
        sde = l_t + math.exp(-2 * (B(T) - B(eps))) * l_t**2 / l_T * (1 / l_T - 1)
        ode = l_t / l_T
        zeros, ones = np.zeros_like(lam), np.ones_like(lam)
        for family, expected in (("sde", sde), ("ode", ode)):
            mean, var = continuous_law(process, lam, zeros, eps, family, zeros, ones)
            np.testing.assert_allclose(var, expected, rtol=PAPER_RECURSION_RTOL)
            assert not np.any(mean)
        # from p_T both are exact: p_eps
        for family in ("sde", "ode"):
            _, var = continuous_law(process, lam, zeros, eps, family, zeros, l_T)
            np.testing.assert_allclose(var, l_t, rtol=PAPER_RECURSION_RTOL)


def test_continuous_ode_with_a_mean_equals_the_exact_flow_map():
    """The flow ODE's law from N(0, I), target with a mean (d = 5), against theorylab's pf-ode-adaptive exact route
    (the affine flow map integrated by DOP853 at rtol 1e-12: an independent route)."""
    process = theorylab_process(BMIN, BMAX, T)
    lam, mu = np.array([4.0, 1.0, 0.3, 0.05, 0.01]), np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    target = Gaussian.from_eigen(mu, lam)
    exact = gaussian_output_law(ExactScore(target, process=process), "pf-ode-adaptive", paper_grid(10, 0.0, T),
                                process=process).law
    mean, var = continuous_law(process, lam, mu, 0.0, "ode", np.zeros(5), np.ones(5))
    np.testing.assert_allclose(mean, exact.mean(), rtol=0, atol=ODE_AGREEMENT_ATOL)
    np.testing.assert_allclose(var, np.diag(exact.covariance()), rtol=0, atol=ODE_AGREEMENT_ATOL)


def test_continuous_sde_with_a_mean_is_the_limit_of_the_exponential_integrator():
    """The backward SDE's law at eps = 0.05 from N(0, I), target with a mean: theorylab's exponential integrator (weak
    order 1) on 800 and 1600 points, Richardson-extrapolated (error O(h^2) ~ 1e-6), approaches the closed form, and
    the extrapolation is closer than either run (so the agreement is convergence, not luck)."""
    process = theorylab_process(BMIN, BMAX, T)
    lam, mu = np.array([4.0, 1.0, 0.3, 0.05]), np.array([1.0, -2.0, 0.5, 3.0])
    target = Gaussian.from_eigen(mu, lam)
    mean, var = continuous_law(process, lam, mu, 0.05, "sde", np.zeros(4), np.ones(4))
    runs = []
    for N in (800, 1600):
        law = gaussian_output_law(ExactScore(target, process=process), "exponential-integrator",
                                  paper_grid(N, 0.05, T), process=process,
                                  initial=Gaussian.from_eigen(np.zeros(4), np.ones(4))).law
        runs.append(np.concatenate([law.mean(), law.eigen_parts()[0]]))
    closed = np.concatenate([mean, var])
    extrapolated = 2 * runs[1] - runs[0]
    errors = [np.max(np.abs(r - closed)) for r in (*runs, extrapolated)]
    assert errors[2] < 1e-4 and errors[2] < errors[1] / 10 < errors[0] / 10, errors


# --------------------------------------------------------------------------------------------------------- spectrum
def test_spectrum_file_formats_and_refusals(tmp_path):
    lam = np.array([3.0, 1.0, 0.5, -1e-9, 0.0])
    np.save(tmp_path / "lam.npy", lam.astype(np.float32))
    s = load_spectrum(tmp_path / "lam.npy")
    assert s.dim == 5 and s.clipped == 1 and s.eigenvalues.min() == 0.0 and not np.any(s.mean_sq)
    assert "sha256" in s.description
    np.savez(tmp_path / "ok.npz", eigenvalues=np.abs(lam), mean_sq=np.arange(5.0))
    assert np.array_equal(load_spectrum(tmp_path / "ok.npz").mean_sq, np.arange(5.0))
    bad = {
        "missing.npz": {"values": lam},
        "extra.npz": {"eigenvalues": np.abs(lam), "mean": lam},
        "shape.npz": {"eigenvalues": np.ones((2, 2))},
        "nan.npz": {"eigenvalues": np.array([1.0, np.nan])},
        "indefinite.npz": {"eigenvalues": np.array([1.0, -0.5])},
        "mean.npz": {"eigenvalues": np.ones(3), "mean_sq": np.ones(2)},
        "negmean.npz": {"eigenvalues": np.ones(2), "mean_sq": np.array([1.0, -1.0])},
    }
    for name, arrays in bad.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(ConfigError, match=r"^target\.eigenvalues_file: .*" + name.split(".")[0]):
            load_spectrum(tmp_path / name)
    (tmp_path / "x.txt").write_text("1 2 3")
    with pytest.raises(ConfigError, match="target.eigenvalues_file"):
        load_spectrum(tmp_path / "x.txt")


def test_synthetic_spectrum_is_the_documented_power_law():
    s = synthetic_spectrum()
    assert s.dim == 3072 and s.source == "synthetic" and "NOT CIFAR-10" in s.description
    assert math.isclose(float(s.eigenvalues.sum()), 0.25 * 3072, rel_tol=LINALG_RTOL)
    assert np.all(np.diff(s.eigenvalues) <= 0) and s.eigenvalues.min() > 0
    # luminance channel (share 0.9): the modes f = (1, 0) and f = (2, 0) have S ratio (4 + 1)/(1 + 1) = 2.5
    small = synthetic_spectrum(side=8, channels=1, channel_shares=(1.0,))
    values = np.unique(np.round(small.eigenvalues, 12))[::-1]  # distinct levels by |f|^2 = 0, 1, 2, 4, ...
    assert math.isclose(values[1] / values[3], 2.5, rel_tol=1e-9)


# -------------------------------------------------------------------------------------------- published numbers
def test_published_table_is_complete_and_parses():
    discrete = [k for k in PUBLISHED if k[1] != "continuous"]
    assert len(discrete) == 6 * len(EPS) * len(NFE) * 2 and len(PUBLISHED) - len(discrete) == 2 * len(EPS) * 2
    for text in PUBLISHED.values():
        lo, hi = printed_interval(text)
        assert lo <= hi
    assert PUBLISHED[("Heun", 1000, 1e-5, "N_0")] == "0.38" and PUBLISHED[("RK4", 50, 0.0, "p_T")] == "-"


def test_printed_intervals_and_the_reproduction_verdict():
    assert printed_interval("0.03") == pytest.approx((0.025, 0.035))
    assert printed_interval("6.7E-04") == pytest.approx((6.65e-4, 6.75e-4))
    assert printed_interval("23.42") == pytest.approx((23.415, 23.425))
    assert printed_interval("0") == (0.0, 0.0) and printed_interval("-") == (math.inf, math.inf)
    for text in ("0.03", "6.7E-04", "1.00", "4.1E-03", "0"):  # the authors' format round-trips
        assert paper_format(float(text)) == text
    cell = Cell("EM", "reverse-sde", 50, 1e-3, "N_0", 50, 49, 4.6849, 0.0)
    assert compare_cell(cell) == ("4.68", True)
    assert compare_cell(Cell(**{**cell.__dict__, "w2": 4.6851})) == ("4.68", False)  # just outside: caught
    assert compare_cell(Cell(**{**cell.__dict__, "scheme": "Heun", "eps": 0.0, "w2": None})) == ("-", True)
    assert compare_cell(Cell(**{**cell.__dict__, "scheme": "Heun (NFE/2 points)"})) == (None, None)


# ------------------------------------------------------------------------------------------------------- the study
def small_config(path: str, **table):
    raw = {"study": {"kind": "pierret-galerne"},
           "target": {"eigenvalues_file": path, "synthetic": {"side": 4, "channels": 1, "channel_shares": [1.0]}},
           "table": {"nfe": [16], "eps": [0.0, 1e-3], **table}}
    return study_from_raw(raw)


def test_study_on_the_synthetic_spectrum_says_it_could_not_compare(tmp_path):
    result = run_study(small_config(str(tmp_path / "absent.npz"), schemes=["EM", "Heun", "RK4"]))
    assert not result.compare and result.spectrum.source == "synthetic"
    assert len(result.cells) == 3 * 2 * 2 + 3 * 2 * 2  # continuous + NFE 16, eps x start
    assert all(c.w2 is not None and c.w2 >= 0 and c.seconds >= 0 for c in result.cells)
    paths = write_report(result, tmp_path / "rep")
    text = open(paths["markdown"]).read()
    assert "could not be compared" in text and "synthetic" in text and "## Cost" in text
    assert "Comparison with the published" not in text
    rows = open(paths["csv"]).read().splitlines()
    assert len(rows) == 1 + len(result.cells) and "published" in rows[0]


def test_study_on_a_file_spectrum_compares_and_marks_undefined_cells(tmp_path, monkeypatch):
    """A file spectrum with one zero eigenvalue (like the authors' file): the published column is shown,
    disagreements listed (this spectrum is not CIFAR-10's), and Heun at eps = 0 is '-' like the paper's. The
    comparison is enabled for d = 3072 only; the check is lowered to this file's d = 16 to keep the test fast (the
    d = 3072 dense start covariances the exact route copies cost ~1 s)."""
    from theorylab.studies.pierret_galerne import study as study_module

    lam = synthetic_spectrum(side=4, channels=1, channel_shares=(1.0,)).eigenvalues.copy()
    lam[-1] = 0.0
    np.savez(tmp_path / "spec.npz", eigenvalues=lam)
    cfg = small_config(str(tmp_path / "spec.npz"), nfe=[50], schemes=["EM", "Heun"], continuous=False)
    assert not run_study(cfg).compare  # d = 16 is not the CIFAR-10 Gaussian's dimension
    monkeypatch.setattr(study_module, "CIFAR10_DIM", lam.size)
    result = run_study(cfg)
    assert result.compare
    heun0 = [c for c in result.cells if c.scheme == "Heun" and c.eps == 0.0]
    assert heun0 and all(c.w2 is None and "forward time 0" in c.note for c in heun0)
    assert all(c.w2 is not None for c in result.cells if c.scheme == "EM")
    text = open(write_report(result, tmp_path / "rep")["markdown"]).read()
    assert "Compared with the published table" in text and "published cells are reproduced" in text
    assert "**2 of 8**" in text  # only Heun's two '-' cells at eps = 0 agree with a spectrum that is not CIFAR-10's


def test_study_refuses_bad_config_with_one_line(tmp_path, capsys):
    cases = [
        (["--set", "table.nfe=[4]"], "table.nfe"),
        (["--set", "table.schemes=[\"Heun2\"]"], "table.schemes"),
        (["--set", "target.synthetic.channel_shares=[0.5]"], "target.synthetic"),
        (["--set", "process.beta_max=-1.0"], "process.beta_max"),
        (["--set", "table.eps=[1.5]"], "table"),
        (["--set", "study.kind=other"], "study.kind"),
        (["--set", "target.on_missing=error", "--set", f"target.eigenvalues_file={tmp_path}/none.npz"],
         "target.eigenvalues_file"),
    ]
    for extra, key in cases:
        assert main(["study", "experiments/pierret_galerne.toml", "--quiet", "--out", str(tmp_path), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and key in err, (extra, err)
