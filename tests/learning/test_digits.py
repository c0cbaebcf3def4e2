r"""The seed-002 digits experiment (theorylab.studies.reproductions.digits) and the Bayes identity it relies on.

* **Guidance against a known answer** (seed 002, slide 'Geração Condicional'): for two Gaussian classes
  :math:`p_0(x \mid y) = \mathcal N(m_y, v_y)` with priors :math:`\pi_y`, under the VP SDE the class marginals stay
  Gaussian, :math:`p_t(x \mid y) = \mathcal N(\alpha_t m_y, \alpha_t^2 v_y + \sigma_t^2)`, and the exact
  :math:`p_t(y \mid x)` is the softmax of :math:`\log\pi_y + \log\mathcal N(x; \alpha_t m_y, \alpha_t^2 v_y +
  \sigma_t^2)`. :class:`~theorylab.learning.guidance.ClassifierGuidedScore` with that exact classifier (autograd
  of its log-softmax) and the exact *mixture* score (:class:`theorylab.scores.ExactScore`, through
  ``GaussianMixture.affine_pushforward``) must equal the component's own score
  :math:`-(x - \alpha_t m_y)/(\alpha_t^2 v_y + \sigma_t^2)`, written here by hand from
  :math:`B(t) = \beta_{\min}t + (\beta_{\max}-\beta_{\min})t^2/(2T)`, :math:`\alpha_t = e^{-B/2}`,
  :math:`\sigma_t^2 = 1 - e^{-B}` (not from the process classes). With a scale :math:`w` it must equal
  :math:`(1-w)\nabla\log p_t + w\nabla\log p_t(\cdot\mid y)`.
* The Wilson interval against its closed form :math:`(\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n +
  z^2/4n^2})/(1 + z^2/n)`.
* The experiment end to end with tiny overrides (tens of steps): keys, estimates in [0, 1] inside their intervals,
  the counts behind them, the figures; options errors name their key.

Deterministic comparisons use ``LINALG_RTOL``: the two routes differ by float64 round-off of a handful of
exponentials, logs and one autograd pass, scaled by the largest score term (the sum cancels when one class
dominates), far below 1e-8 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.distributions import GaussianMixture
from theorylab.errors import ConfigError
from theorylab.learning.guidance import ClassifierGuidedScore
from theorylab.studies.reproductions import digits
from theorylab.processes import VariancePreserving
from theorylab.scores import ExactScore
from theorylab.tolerances import LINALG_RTOL

BETA_MIN, BETA_MAX, T = 0.1, 20.0, 1.0
EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "seed002_digits.toml"


def _vp_by_hand(t: float) -> tuple[float, float]:
    """:math:`(\\alpha_t, \\sigma_t^2)` of the linear-schedule VP SDE, from the integral of beta (hand formula)."""
    b = BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t * t / T
    return math.exp(-0.5 * b), -math.expm1(-b)


class ExactClassifier:
    """:math:`p_t(y \\mid x)` of two Gaussian classes under VP: ``logits(t, x)`` ``(n, 2)``, ``n_classes = 2``."""

    n_classes = 2

    def __init__(self, priors, means, variances):
        self.priors, self.means, self.variances = priors, means, variances

    def logits(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        cols = []
        for prior, m, v in zip(self.priors, self.means, self.variances):
            alpha = torch.tensor([_vp_by_hand(float(s))[0] for s in t], dtype=x.dtype)
            var = alpha**2 * v + torch.tensor([_vp_by_hand(float(s))[1] for s in t], dtype=x.dtype)
            cols.append(math.log(prior) - 0.5 * torch.log(2 * math.pi * var) - 0.5 * (x[:, 0] - alpha * m) ** 2 / var)
        return torch.stack(cols, dim=1)


# bounds: class means in [-2, 2], variances in [0.1, 2], priors in [0.1, 0.9] (no class is negligible a priori);
# t in [0.01, 1] (the trained range of a learned score; alpha_t >= 4e-3, sigma_t^2 >= 1e-3); points in [-4, 4]
# (log-probabilities differ by at most ~10^3 there, far inside float64's log-softmax range); w in [0, 5].
means_st = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
vars_st = st.floats(0.1, 2.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(m0=means_st, m1=means_st, v0=vars_st, v1=vars_st,
       p0=st.floats(0.1, 0.9, allow_nan=False, allow_infinity=False),
       t=st.floats(0.01, 1.0, allow_nan=False, allow_infinity=False),
       xs=st.lists(st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False), min_size=2, max_size=6),
       w=st.floats(0.0, 5.0, allow_nan=False, allow_infinity=False), seed=st.integers(0, 2**31 - 1))
def test_guided_exact_score_is_the_class_conditional_score(m0, m1, v0, v1, p0, t, xs, w, seed):
    priors, means, variances = [p0, 1.0 - p0], [m0, m1], [v0, v1]
    mixture = GaussianMixture(priors, means, variances)
    unconditional = ExactScore(mixture, process=VariancePreserving(BETA_MIN, BETA_MAX, T))
    classifier = ExactClassifier(priors, means, variances)
    x = torch.tensor(xs, dtype=torch.float64)[:, None]
    labels = np.random.default_rng(seed).integers(0, 2, size=len(xs))  # one label per particle, both classes mixed

    alpha, sigma2 = _vp_by_hand(t)
    mean_y = alpha * np.asarray(means)[labels]
    var_y = alpha**2 * np.asarray(variances)[labels] + sigma2
    conditional = -(np.asarray(xs) - mean_y) / var_y  # grad log p_t(x | y), the component's own VP marginal
    s = unconditional(t, x).numpy()[:, 0]

    guided = ClassifierGuidedScore(unconditional, classifier, labels, scale=1.0)(t, x).numpy()[:, 0]
    scale = 1.0 + np.abs(s) + np.abs(conditional)
    assert np.all(np.abs(guided - conditional) <= LINALG_RTOL * scale)

    sharpened = ClassifierGuidedScore(unconditional, classifier, labels, scale=w)(t, x).numpy()[:, 0]
    expected = (1.0 - w) * s + w * conditional
    assert np.all(np.abs(sharpened - expected) <= LINALG_RTOL * (1.0 + w) * scale)


def test_guided_exact_score_is_not_the_other_class():
    """The identity picks the requested class: with well-separated classes the two labels give different scores."""
    priors, means, variances = [0.5, 0.5], [-2.0, 2.0], [0.2, 0.2]
    unconditional = ExactScore(GaussianMixture(priors, means, variances), process=VariancePreserving(BETA_MIN,
                                                                                                      BETA_MAX, T))
    classifier = ExactClassifier(priors, means, variances)
    x = torch.zeros((1, 1), dtype=torch.float64)
    t = 0.05
    alpha, sigma2 = _vp_by_hand(t)
    for y, m in enumerate(means):
        got = float(ClassifierGuidedScore(unconditional, classifier, [y])(t, x))
        assert abs(got - alpha * m / (alpha**2 * 0.2 + sigma2)) <= LINALG_RTOL * (1.0 + abs(got))
    assert abs(float(unconditional(t, x))) <= LINALG_RTOL  # symmetric mixture: zero score at 0


@pytest.mark.parametrize(("k", "n"), [(0, 20), (7, 20), (20, 20), (533, 540)])
def test_wilson_interval_matches_its_closed_form(k, n):
    from scipy.stats import norm

    est = digits.wilson(k, n)
    z = norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert est["value"] == p
    assert abs(est["lower"] - (centre - half)) <= LINALG_RTOL
    assert abs(est["upper"] - (centre + half)) <= LINALG_RTOL
    assert 0.0 <= est["lower"] <= p <= est["upper"] <= 1.0


# ----------------------------------------------------------------------------------------------------------------------
# the experiment, tiny


TINY = [
    "training.steps=30", "classifier.steps=30", "network.hidden=16", "network.depth=1", "network.fourier_features=8",
    "classifier.hidden=16", "classifier.fourier_features=8", "experiment.labels=[0, 3, 7]",
    "experiment.per_label=4", "experiment.sampler_steps=8", "experiment.unconditional=6",
    "experiment.scales=[1.0, 2.0]", "experiment.show=3", "experiment.trajectory_frames=3",
]


def _load(overrides):
    from theorylab.studies.reproductions.runner import load_experiment

    return load_experiment(EXPERIMENT, overrides, full=True)


def _check_estimate(est: dict, k_total: int | None = None) -> None:
    assert set(est) == {"value", "lower", "upper", "method"}
    assert 0.0 <= est["lower"] <= est["value"] <= est["upper"] <= 1.0
    if k_total is not None:
        assert f"/{k_total}," in est["method"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.set_num_threads(min(2, torch.get_num_threads()))
    _, _, options, cfg, _ = _load(TINY)
    out = tmp_path_factory.mktemp("digits")
    return digits.run(cfg, options, out, progress=False), out


def test_tiny_run_keys_estimates_and_figures(tiny):
    result, out = tiny
    json.dumps(result)  # JSON-serialisable as the runner needs
    assert {"device", "training", "judge", "conditional", "unconditional", "figures"} <= set(result)
    assert result["training"]["score_steps"] == 30 and result["training"]["n_images"] == 1797
    judge = result["judge"]
    _check_estimate(judge["real_test_accuracy"], judge["n_test"])
    assert judge["n_train"] + judge["n_test"] == 1797
    assert judge["n_test"] == math.ceil(0.3 * 1797)
    assert sum(int(e["method"].split("/")[1].split(",")[0]) for e in judge["real_test_accuracy_per_label"].values()) \
        == judge["n_test"]
    cond = result["conditional"]
    assert [c["scale"] for c in cond["scales"]] == [1.0, 2.0]
    for c in cond["scales"]:
        assert set(c["per_label"]) == {"0", "3", "7"}
        for est in c["per_label"].values():
            _check_estimate(est, 4)
        _check_estimate(c["mean"], 12)
        # the mean over labels is the pooled proportion (equal counts per label)
        assert abs(c["mean"]["value"] - np.mean([e["value"] for e in c["per_label"].values()])) <= LINALG_RTOL
        assert 0.0 <= c["pixels_outside_range"] <= 1.0
    assert set(result["unconditional"]) == {"reverse-sde", "pf-ode"}
    for unc in result["unconditional"].values():
        assert set(unc["fractions"]) == {str(y) for y in range(10)}
        for est in unc["fractions"].values():
            _check_estimate(est, 6)
        assert abs(sum(e["value"] for e in unc["fractions"].values()) - 1.0) <= LINALG_RTOL
        assert abs(sum(unc["data_fractions"].values()) - 1.0) <= LINALG_RTOL
        assert 0.0 <= unc["chi2_pvalue"] <= 1.0
    for name in ("conditional.png", "unconditional.png", "trajectory.png"):
        assert (out / name).stat().st_size > 1000
        assert name in result["figures"]
    report = (out / "report.md").read_text()
    assert "<!-- cost -->" in report and "| mean |" in report
    assert (out / "score.pt").is_file()


def test_tiny_run_resumes_from_its_checkpoint(tiny, tmp_path):
    """A second run in the same folder trains nothing and, with the same seeds, judges the same samples."""
    result, out = tiny
    _, _, options, cfg, _ = _load(TINY)
    again = digits.run(cfg, options, out, progress=False)
    assert again["training"]["score_stopped"] == "already trained"
    assert again["conditional"]["scales"][0]["per_label"] == result["conditional"]["scales"][0]["per_label"]


@pytest.mark.parametrize(("override", "key"), [
    ("experiment.colour=1", "experiment.colour"),
    ("experiment.labels=[11]", "experiment.labels"),
    ("experiment.scales=[-1.0]", "experiment.scales"),
    ("experiment.judge='knn'", "experiment.judge"),
    ("experiment.unconditional_samplers=['pc']", "experiment.unconditional_samplers"),
    ("experiment.test_fraction=1.0", "experiment.test_fraction"),
])
def test_bad_options_name_their_key(override, key, tmp_path):
    _, _, options, cfg, _ = _load([override, "training.steps=1"])
    with pytest.raises(ConfigError, match=key):
        digits.run(cfg, options, tmp_path, progress=False)
    assert not (tmp_path / "score.pt").exists()  # refused before any training


def test_missing_classifier_is_a_config_error(tmp_path):
    _, _, options, cfg, _ = _load(["training.steps=1"])
    cfg = cfg.model_copy(update={"classifier": None})
    with pytest.raises(ConfigError, match="classifier"):
        digits.run(cfg, options, tmp_path, progress=False)


@pytest.mark.slow
def test_quick_profile_beats_chance(tmp_path):
    """The default (quick) profile through the runner: the guided digits are recognised above chance (0.1)."""
    from theorylab.studies.reproductions import run_experiment

    result = run_experiment(EXPERIMENT, out_root=tmp_path, threads=2, progress=False)
    assert result["profile"] == "quick"
    assert result["conditional"]["scales"][0]["mean"]["lower"] > 0.1
    assert (tmp_path / "seed002_digits" / "result.json").is_file()
