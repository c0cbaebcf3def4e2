"""Seed 002's handwritten digits, with conditional generation by classifier guidance.

Seed 002, slides 'Dígitos escritos a mão' (scikit-learn's ``load_digits``; generated samples; 'Passo da SDE reversa
em uma geração') and 'Geração Condicional': a time-dependent classifier :math:`q_\\phi(y \\mid x_t, t)` trained by
cross-entropy approximates :math:`p_t(y \\mid x_t)`, and by Bayes' rule

.. math::

    \\nabla_x \\log p_t(x \\mid y) = \\nabla_x \\log p_t(y \\mid x) + \\nabla_x \\log p_t(x),

so the conditional reverse SDE :math:`dx = \\{f - g^2[\\nabla\\log p_t(y|x) + \\nabla\\log p_t(x)]\\}dt + g\\,d\\bar W`
samples :math:`p_0(x \\mid y)` (:class:`~theorylab.learning.guidance.ClassifierGuidedScore`, Euler--Maruyama
``reverse-sde``).

What is measured. The seed shows pictures only; here the pictures are scored by an **independent judge**: a
scikit-learn classifier (RBF ``SVC`` by default, or ``LogisticRegression``) trained on a stratified train split of
the *real* digits only, never on generated ones. For every requested label :math:`y`, the fraction of the
:math:`n` digits generated for :math:`y` that the judge labels :math:`y` is a binomial proportion, reported with
its Wilson 95% interval (:meth:`scipy.stats.BinomTestResult.proportion_ci`); its ceiling is the judge's accuracy on
the held-out real test split (same interval). Unconditional samples (the score alone) give the class balance: the
fraction the judge assigns to each label, beside the data's label frequencies, with a chi-square test of equality
(which also absorbs the judge's own errors, so it is a screening number, not a test of the sampler alone).

Choices (reported in the output):

* The score and the time-dependent classifier train on **all** 1797 images, as the seed does (``train`` uses the
  target's whole data set). The judge trains on a stratified split of the same images (``test_fraction`` held out,
  ``seed``), so the real-test ceiling is measured on images the judge never saw, though the generator did. A
  generated digit that copies a test image is then judged like that test image, which is what the ceiling measures.
* Generated images are clipped to the data's range (``[0, 1]`` for ``scale = "unit"``) before they are judged or
  drawn, as images are (the fraction of pixels outside the range before clipping is reported).
* The guidance-scale comparison reuses the same initial points and Brownian increments for every scale (common
  random numbers), so the differences are paired.

Options (the ``[experiment]`` table without ``kind``; every key optional):

==========================  ==========================================================================
key                         meaning (default)
==========================  ==========================================================================
``labels``                  labels to generate, the rows of the figure (all labels of the data)
``per_label``               digits generated per label (100)
``scales``                  guidance weights :math:`w`; the first is the main one: figure, trajectory
                            ([1.0, 3.0])
``sampler_steps``           Euler--Maruyama (and Heun) steps on :math:`[0, T]`, constant step (500)
``unconditional``           number of unconditional samples (100)
``unconditional_samplers``  their samplers, from ``reverse-sde`` and ``pf-ode`` (the seed's choice)
                            (["reverse-sde", "pf-ode"])
``judge``                   ``"svc"`` (RBF) or ``"logistic"`` ("svc")
``test_fraction``           share of the real digits held out for the judge's ceiling (0.3)
``seed``                    sampling and split seed (0)
``show``                    digits drawn per row of the figures (10)
``trajectory_frames``       snapshots in the trajectory figure (10)
==========================  ==========================================================================
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from theorylab.errors import ConfigError

__all__ = ["DEFAULTS", "judge_digits", "run", "wilson"]

#: Defaults of the ``[experiment]`` options (module docstring).
DEFAULTS: dict[str, Any] = {
    "labels": None,
    "per_label": 100,
    "scales": [1.0, 3.0],
    "sampler_steps": 500,
    "unconditional": 100,
    "unconditional_samplers": ["reverse-sde", "pf-ode"],
    "judge": "svc",
    "test_fraction": 0.3,
    "seed": 0,
    "show": 10,
    "trajectory_frames": 10,
}
_JUDGES = ("svc", "logistic")
_SAMPLERS = ("reverse-sde", "pf-ode")


# ----------------------------------------------------------------------------------------------------------------------
# options


def _int_option(opts: dict, key: str, minimum: int) -> int:
    value = opts[key]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"experiment.{key}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _options(options: dict[str, Any], present: np.ndarray) -> dict[str, Any]:
    """Validated options with defaults filled in; ``present`` are the labels of the data set."""
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"experiment.{unknown[0]}: unknown key (known: {', '.join(DEFAULTS)})")
    opts = {**DEFAULTS, **options}
    for key, minimum in (("per_label", 1), ("sampler_steps", 1), ("unconditional", 1), ("seed", 0), ("show", 1),
                         ("trajectory_frames", 2)):
        opts[key] = _int_option(opts, key, minimum)
    labels = present.tolist() if opts["labels"] is None else opts["labels"]
    if (not isinstance(labels, (list, tuple)) or not labels
            or any(isinstance(y, bool) or not isinstance(y, (int, np.integer)) for y in labels)):
        raise ConfigError(f"experiment.labels: must be a non-empty list of integer labels, got {labels!r}")
    missing = [int(y) for y in labels if int(y) not in set(present.tolist())]
    if missing:
        raise ConfigError(f"experiment.labels: {missing} not among the data's labels {present.tolist()}")
    opts["labels"] = [int(y) for y in labels]
    scales = opts["scales"]
    if (not isinstance(scales, (list, tuple)) or not scales
            or any(isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0
                   for w in scales)):
        raise ConfigError(f"experiment.scales: must be a non-empty list of finite numbers >= 0, got {scales!r}")
    opts["scales"] = [float(w) for w in scales]
    samplers = opts["unconditional_samplers"]
    if not isinstance(samplers, (list, tuple)) or any(s not in _SAMPLERS for s in samplers):
        raise ConfigError(f"experiment.unconditional_samplers: must be a list drawn from {list(_SAMPLERS)}, "
                          f"got {samplers!r}")
    opts["unconditional_samplers"] = list(dict.fromkeys(samplers))
    if opts["judge"] not in _JUDGES:
        raise ConfigError(f"experiment.judge: must be one of {list(_JUDGES)}, got {opts['judge']!r}")
    frac = opts["test_fraction"]
    if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0.0 < frac < 1.0:
        raise ConfigError(f"experiment.test_fraction: must lie in (0, 1), got {frac!r}")
    opts["test_fraction"] = float(frac)
    return opts


# ----------------------------------------------------------------------------------------------------------------------
# estimates


def wilson(k: int, n: int, confidence: float = 0.95) -> dict[str, Any]:
    """The proportion ``k / n`` with its Wilson score interval, as ``{"value", "lower", "upper", "method"}``.

    :math:`\\hat p = k/n`; the interval inverts the score test of a binomial proportion
    (:func:`theorylab.divergences.estimate.wilson_interval`).
    """
    from theorylab.divergences.estimate import wilson_interval

    k, n = int(k), int(n)
    lower, upper = wilson_interval(k, n, confidence)
    return {"value": k / n, "lower": lower, "upper": upper,
            "method": f"binomial proportion {k}/{n}, Wilson {confidence:.0%} interval"}


def _seed(seed: int, purpose: int) -> int:
    """An independent integer seed per purpose (``numpy.random.SeedSequence([seed, purpose])``)."""
    return int(np.random.SeedSequence([seed, purpose]).generate_state(1, dtype=np.uint64)[0] >> 1)


# ----------------------------------------------------------------------------------------------------------------------
# the judge


def judge_digits(data: np.ndarray, labels: np.ndarray, kind: str, test_fraction: float, seed: int):
    """Train the independent judge on a stratified train split of the real digits; ``(judge, info)``.

    ``info`` holds the split sizes, the accuracy on the held-out real test split (overall and per label) with
    Wilson intervals: the ceiling of the accuracies measured on generated digits.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    x_train, x_test, y_train, y_test = train_test_split(data, labels, test_size=test_fraction, stratify=labels,
                                                        random_state=seed)
    judge = SVC(kernel="rbf", gamma="scale") if kind == "svc" else LogisticRegression(max_iter=2000)
    judge.fit(x_train, y_train)
    predicted = judge.predict(x_test)
    per_label = {str(int(y)): wilson(np.sum(predicted[y_test == y] == y), np.sum(y_test == y))
                 for y in np.unique(labels)}
    info = {"kind": kind, "model": repr(judge), "n_train": int(len(y_train)), "n_test": int(len(y_test)),
            "real_test_accuracy": wilson(np.sum(predicted == y_test), len(y_test)),
            "real_test_accuracy_per_label": per_label}
    return judge, info


# ----------------------------------------------------------------------------------------------------------------------
# figures (Agg canvas, no pyplot)


def _mosaic(images: np.ndarray, rows: int, cols: int, side: int = 8, pad: int = 1, fill: float = np.nan) -> np.ndarray:
    """``rows x cols`` images ``(rows*cols, side*side)`` tiled into one array with ``pad`` pixels of ``fill``."""
    out = np.full((rows * (side + pad) - pad, cols * (side + pad) - pad), fill)
    for i in range(rows):
        for j in range(cols):
            k = i * cols + j
            if k < len(images):
                out[i * (side + pad):i * (side + pad) + side, j * (side + pad):j * (side + pad) + side] = \
                    images[k].reshape(side, side)
    return out


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _show(ax, mosaic: np.ndarray, vmin: float, vmax: float) -> None:
    import matplotlib

    cmap = matplotlib.colormaps["gray_r"].with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(mosaic), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _plot_conditional(path: Path, samples: np.ndarray, labels: list[int], per_label: int, show: int,
                      accuracy: dict[str, dict], scale: float, vrange: tuple[float, float]) -> Path:
    cols = min(show, per_label)
    rows = [samples[i * per_label:i * per_label + cols] for i in range(len(labels))]
    mosaic = _mosaic(np.concatenate(rows), len(labels), cols)
    fig = _figure(1.0 + 0.55 * cols, 0.6 + 0.55 * len(labels))
    ax = fig.add_subplot(1, 1, 1)
    _show(ax, mosaic, *vrange)
    ax.set_yticks([i * 9 + 3.5 for i in range(len(labels))])
    ax.set_yticklabels([f"y={y}  ({accuracy[str(y)]['value']:.0%})" for y in labels], fontsize=8)
    ax.set_title(f"Classifier-guided reverse SDE, scale w={scale:g} (judge accuracy per row)", fontsize=9)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def _plot_unconditional(path: Path, panels: dict[str, np.ndarray], show: int, vrange) -> Path:
    n = min(show * show, min(len(v) for v in panels.values()))
    cols = min(show, n)
    rows = math.ceil(n / cols)
    fig = _figure(0.5 + 0.45 * cols * len(panels), 0.8 + 0.45 * rows)
    for i, (name, samples) in enumerate(panels.items()):
        ax = fig.add_subplot(1, len(panels), i + 1)
        _show(ax, _mosaic(samples[:n], rows, cols), *vrange)
        ax.set_title(f"unconditional, {name}", fontsize=9)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def _frames(sigmas: np.ndarray, frames: int) -> np.ndarray:
    """Indices of about ``frames`` states whose noise levels :math:`\\sigma_t` are evenly spaced from the first
    state's to the last's (evenly spaced *times* would show mostly noise: under VP the digit emerges only for
    :math:`t \\lesssim 0.3T`, where :math:`\\sigma_t` falls from about 0.8 to 0); always the first and the last."""
    wanted = np.linspace(sigmas[0], sigmas[-1], frames)
    return np.unique(np.concatenate([[0, len(sigmas) - 1], [int(np.argmin(np.abs(sigmas - a))) for a in wanted]]))


def _plot_trajectory(path: Path, trajectory: np.ndarray, times: np.ndarray, sigmas: np.ndarray, labels: list[int],
                     frames: int, vrange) -> Path:
    """``trajectory`` ``(N + 1, len(labels), 64)``: one generation per label, ``frames`` snapshots each."""
    steps = _frames(sigmas, frames)
    images = np.concatenate([trajectory[steps, i] for i in range(len(labels))])
    fig = _figure(1.0 + 0.55 * len(steps), 0.8 + 0.55 * len(labels))
    ax = fig.add_subplot(1, 1, 1)
    _show(ax, _mosaic(np.clip(images, *vrange), len(labels), len(steps)), *vrange)
    ax.set_xticks([j * 9 + 3.5 for j in range(len(steps))])
    ax.set_xticklabels([f"{times[s]:.2f}" for s in steps], fontsize=7)
    ax.set_xlabel("forward time t of the state (the reverse SDE runs from t = T to 0; frames evenly spaced in "
                  "sigma_t)", fontsize=8)
    ax.set_yticks([i * 9 + 3.5 for i in range(len(labels))])
    ax.set_yticklabels([f"y={y}" for y in labels], fontsize=8)
    ax.set_title("One guided reverse-SDE generation per label", fontsize=9)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


# ----------------------------------------------------------------------------------------------------------------------
# the experiment


def _count_parameters(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


#: Margin, as a fraction of the data's range, beyond which a generated pixel counts as "outside the range" (a pixel
#: whose data are exactly 0, as the border's are, is generated as 0 plus a small error of either sign).
OUTSIDE_MARGIN = 0.1


def _judge_samples(judge, samples: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, float]:
    """Judge predictions on the clipped samples; the fraction of pixels more than :data:`OUTSIDE_MARGIN` of the range
    outside ``[lo, hi]`` before clipping (a diverged sampler or an untrained score shows up there first)."""
    margin = OUTSIDE_MARGIN * (hi - lo)
    outside = float(np.mean((samples < lo - margin) | (samples > hi + margin)))
    return judge.predict(np.clip(samples, lo, hi)), outside


def run(cfg: Any, options: dict[str, Any], out_dir: Path, *, progress: bool) -> dict[str, Any]:
    """Train the score and the time-dependent classifier, generate digits per label, judge them, write figures.

    Parameters
    ----------
    cfg : TrainConfig
        ``target.kind = "digits"`` with a ``[classifier]`` table (module docstring).
    options : dict
        The ``[experiment]`` options (module docstring).
    out_dir : pathlib.Path
        Receives ``score.pt`` (unless ``output.checkpoint``), ``conditional.png``, ``unconditional.png``,
        ``trajectory.png`` and ``report.md``.
    progress : bool
        Progress bars while training.

    Returns
    -------
    dict
        JSON-serialisable numbers; every estimate as ``{"value", "lower", "upper", "method"}``.
    """
    from theorylab.distributions import make_target
    from theorylab.learning.guidance import ClassifierGuidedScore
    from theorylab.learning.score import LearnedScore
    from theorylab.studies.reproductions.common import train_score
    from theorylab.samplers import TimeGrid, get_sampler

    if cfg.target.get("kind") != "digits":
        raise ConfigError(f"target.kind: the digits experiment needs 'digits', got {cfg.target.get('kind')!r}")
    if cfg.classifier is None:
        raise ConfigError("classifier: the digits experiment needs a [classifier] table (guidance)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = make_target(cfg.target)
    data, data_labels = target.data, target.labels
    present = np.unique(data_labels)
    opts = _options(dict(options), present)
    labels, per_label, seed = opts["labels"], opts["per_label"], opts["seed"]
    lo, hi = float(data.min()), float(data.max())

    # -- training: score, then the classifier on the same seeded stream (theorylab.learning.training.train)
    # the experiment's own checkpoint is scratch: one of another config (e.g. the other profile) is replaced
    trained = train_score(cfg, out_dir, progress=progress).result
    classifier = trained.classifier
    score = LearnedScore(trained.ema_model, cfg.training.t_min, cfg)
    score.dim = int(data.shape[1])
    device = score.device
    training = {
        "n_images": int(data.shape[0]), "data_used": "all images, as the seed",
        "score_steps": trained.steps_done, "score_stopped": trained.stopped,
        "score_seconds": float(trained.meta.get("seconds_total", trained.seconds)),
        "score_final_loss": trained.history["loss"][-1] if trained.history["loss"] else None,
        "score_network": dict(trained.ema_model.net.spec), "score_parameters": _count_parameters(trained.model),
        "classifier_steps": cfg.classifier.steps, "classifier_seconds": float(classifier.seconds),
        "classifier_network": dict(classifier.module.spec),
        "classifier_parameters": _count_parameters(classifier.module),
        "classifier_train_accuracy_last": (classifier.history["accuracy"][-1]
                                           if classifier.history.get("accuracy") else None),
        "dtype": cfg.training.dtype, "device": str(device),
    }

    # -- the independent judge (real digits only)
    start = time.perf_counter()
    judge, judge_info = judge_digits(data, data_labels, opts["judge"], opts["test_fraction"], seed)
    judge_info["seconds"] = time.perf_counter() - start

    process = score.process
    T = float(process.T)
    grid = TimeGrid.constant(T, T / opts["sampler_steps"])
    sde = get_sampler("reverse-sde")
    dim = int(data.shape[1])
    particle_labels = np.repeat(np.asarray(labels, dtype=np.int64), per_label)
    n_cond = particle_labels.size

    # -- conditional generation, one run per guidance scale, same noise for all scales (paired)
    conditional: list[dict[str, Any]] = []
    main_samples = None
    for w in opts["scales"]:
        guided = ClassifierGuidedScore(score, classifier, particle_labels, scale=w)
        start = time.perf_counter()
        x = sde.sample(guided, grid, n_cond, generator=_seed(seed, 1), process=process, dim=dim, device=device)
        seconds = time.perf_counter() - start
        samples = x.detach().to("cpu", torch.float64).numpy()
        predicted, outside = _judge_samples(judge, samples, lo, hi)
        per = {}
        for i, y in enumerate(labels):
            rows = predicted[i * per_label:(i + 1) * per_label]
            per[str(y)] = wilson(np.sum(rows == y), per_label)
        conditional.append({"scale": w, "per_label": per, "mean": wilson(np.sum(predicted == particle_labels), n_cond),
                            "pixels_outside_range": outside, "seconds": seconds})
        if main_samples is None:
            main_samples = samples

    # -- unconditional generation (score alone) and its class balance under the judge
    unconditional: dict[str, Any] = {}
    panels: dict[str, np.ndarray] = {}
    freq = {str(int(y)): float(np.mean(data_labels == y)) for y in present}
    for name in opts["unconditional_samplers"]:
        start = time.perf_counter()
        x = get_sampler(name).sample(score, grid, opts["unconditional"], generator=_seed(seed, 2), process=process,
                                     dim=dim, device=device)
        seconds = time.perf_counter() - start
        samples = x.detach().to("cpu", torch.float64).numpy()
        panels[name] = np.clip(samples, lo, hi)
        predicted, outside = _judge_samples(judge, samples, lo, hi)
        counts = np.array([np.sum(predicted == y) for y in present])
        unconditional[name] = {
            "n": int(opts["unconditional"]), "seconds": seconds, "pixels_outside_range": outside,
            "fractions": {str(int(y)): wilson(c, opts["unconditional"]) for y, c in zip(present, counts)},
            "data_fractions": freq, "chi2_pvalue": _chi2_pvalue(counts, np.array(list(freq.values()))),
        }

    # -- one generation per label with its trajectory (main scale)
    guided = ClassifierGuidedScore(score, classifier, np.asarray(labels, dtype=np.int64), scale=opts["scales"][0])
    _, traj = sde.sample(guided, grid, len(labels), generator=_seed(seed, 3), process=process, dim=dim,
                         device=device, return_trajectory=True)
    traj = traj.detach().to("cpu", torch.float64).numpy()
    state_times = grid.cumulative_times[::-1]  # trajectory[j] is the state at forward time F_{N-j}

    vrange = (lo, hi)
    files = [_plot_conditional(out_dir / "conditional.png", np.clip(main_samples, lo, hi), labels, per_label,
                               opts["show"], conditional[0]["per_label"], opts["scales"][0], vrange)]
    if panels:
        files.append(_plot_unconditional(out_dir / "unconditional.png", panels, opts["show"], vrange))
    sigmas = np.asarray(process.marginal_coefficients(state_times)[1], dtype=np.float64)
    files.append(_plot_trajectory(out_dir / "trajectory.png", traj, state_times, sigmas, labels,
                                  opts["trajectory_frames"], vrange))
    result = {
        "device": str(device), "options": opts, "training": training, "judge": judge_info,
        "conditional": {"sampler": "reverse-sde", "steps": grid.N, "per_label": per_label, "labels": labels,
                        "scales": conditional},
        "unconditional": unconditional, "figures": [p.name for p in files],
    }
    result["headline"] = [
        f"independent classifier's accuracy on digits generated for a requested label, guidance w = {c['scale']:g}: "
        f"{_fmt(c['mean'])}" for c in conditional
    ] + [f"same classifier on real held-out digits (ceiling): {_fmt(judge_info['real_test_accuracy'])}"]
    (out_dir / "report.md").write_text(_report(result), encoding="utf-8")
    return result


def _chi2_pvalue(counts: np.ndarray, freq: np.ndarray) -> float:
    """p-value of Pearson's chi-square test of ``counts`` against the expected frequencies ``freq``."""
    from scipy.stats import chisquare

    expected = freq / freq.sum() * counts.sum()
    return float(chisquare(counts, expected).pvalue)


# ----------------------------------------------------------------------------------------------------------------------
# report


def _fmt(est: dict[str, Any]) -> str:
    return f"{est['value']:.3f} [{est['lower']:.3f}, {est['upper']:.3f}]"


def _report(result: dict[str, Any]) -> str:
    tr, judge, cond = result["training"], result["judge"], result["conditional"]
    main = cond["scales"][0]
    lines = [
        "# Seed 002: handwritten digits, conditional generation by classifier guidance",
        "",
        "Seed 002, slides 'Dígitos escritos a mão' and 'Geração Condicional': a time-dependent classifier trained "
        "by cross-entropy approximates p_t(y|x_t), and grad log p_t(x|y) = grad log p_t(y|x) + grad log p_t(x) "
        "drives the reverse SDE (Euler-Maruyama). Generated digits are scored by an independent judge trained on "
        "real digits only.",
        "",
        "<!-- cost -->",
        "",
        "## Training",
        "",
        f"- data: {tr['n_images']} images ({tr['data_used']}, including the judge's test split: the judge never "
        f"sees generated digits, and a generated copy of a test image is judged like that image); "
        f"{tr['dtype']} on {tr['device']}",
        f"- score network: {tr['score_network']} ({tr['score_parameters']} parameters); {tr['score_steps']} steps "
        f"({tr['score_stopped']}) in {tr['score_seconds']:.1f} s; final DSM loss {tr['score_final_loss']:.4g}",
        f"- time-dependent classifier: {tr['classifier_network']} ({tr['classifier_parameters']} parameters); "
        f"{tr['classifier_steps']} steps in {tr['classifier_seconds']:.1f} s; accuracy on noised training batches "
        f"(all t, last record) {tr['classifier_train_accuracy_last']:.3f}",
        "",
        "## Judge (independent classifier, real digits only)",
        "",
        f"- {judge['model']} trained on {judge['n_train']} real digits (stratified split); held-out real test "
        f"digits: {judge['n_test']}",
        f"- accuracy on the real test split (the ceiling): **{_fmt(judge['real_test_accuracy'])}** "
        "(Wilson 95%)",
        "",
        f"## Conditional generation (reverse SDE, {cond['steps']} steps, {cond['per_label']} digits per label)",
        "",
        "Judge accuracy on the digits generated for each label (Wilson 95% intervals); the real-test column is the "
        "judge's accuracy on real test digits of that label.",
        "",
    ]
    header = "| label | " + " | ".join(f"generated, w = {c['scale']:g}" for c in cond["scales"]) + " | real test |"
    lines += [header, "|" + "---|" * (len(cond["scales"]) + 2)]
    for y in cond["labels"]:
        cells = " | ".join(_fmt(c["per_label"][str(y)]) for c in cond["scales"])
        lines.append(f"| {y} | {cells} | {_fmt(judge['real_test_accuracy_per_label'][str(y)])} |")
    cells = " | ".join(f"**{_fmt(c['mean'])}**" for c in cond["scales"])
    lines.append(f"| mean | {cells} | {_fmt(judge['real_test_accuracy'])} |")
    lines += [
        "",
        "Scale w = 1 is the slide's identity; w > 1 sharpens p_t(y|x)^w (Dhariwal & Nichol 2021). All scales share "
        "the initial points and the Brownian increments (paired). Pixels more than 10% of the data range outside it "
        "before clipping: "
        + ", ".join(f"w = {c['scale']:g}: {c['pixels_outside_range']:.1%}" for c in cond["scales"])
        + ". Sampling time: " + ", ".join(f"w = {c['scale']:g}: {c['seconds']:.1f} s" for c in cond["scales"])
        + ".",
        "",
        f"![conditional samples, w = {main['scale']:g}](conditional.png)",
        "",
        "## Unconditional samples (score alone): class balance under the judge",
        "",
    ]
    unc = result["unconditional"]
    if unc:
        names = list(unc)
        lines += ["| label | data frequency | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 2)]
        first = unc[names[0]]
        for y in first["fractions"]:
            lines.append(f"| {y} | {first['data_fractions'][y]:.3f} | "
                         + " | ".join(_fmt(unc[s]["fractions"][y]) for s in names) + " |")
        lines += ["",
                  "Chi-square test of the judged label counts against the data frequencies (screening only: it "
                  "includes the judge's own errors): "
                  + ", ".join(f"{s}: p = {unc[s]['chi2_pvalue']:.3g} (n = {unc[s]['n']}, {unc[s]['seconds']:.1f} s)"
                              for s in names) + ".",
                  "", "![unconditional samples](unconditional.png)", ""]
    lines += ["## One generation (seed: 'Passo da SDE reversa em uma geração')", "",
              "![trajectory](trajectory.png)", ""]
    return "\n".join(lines)
