"""Seed 002, slide 'Mistura de gaussianas', reproduced with numbers: learn the score of
:math:`\\pi = \\tfrac12\\mathcal N(-3, 1/4) + \\tfrac12\\mathcal N(3, 1)` (1/4 and 1 are variances) from 5000 draws,
under the VP SDE, with an MLP and DSM, then sample by Euler--Maruyama on the reverse SDE.

The slide shows a histogram of the samples over the data; here every comparison carries a number and its
uncertainty:

1. **Score error (the M profile).** :func:`theorylab.learning.error.score_error_profile` of the EMA score against
   the exact :math:`\\nabla\\log p_t` (closed form for a mixture under VP), at the times of
   :func:`theorylab.learning.report.profile_times_for`: the :math:`L^2(p_t)` error per time (Monte Carlo, CLT 95%
   interval), its trapezoid average over :math:`t \\in [0.05T, T]` (averaged bounds), and the sup over the
   high-density region :math:`R_t` (seed 000's :math:`M`). The untrained network (zero output, so its error is
   :math:`\\|\\nabla\\log p_t\\|_{L^2(p_t)}`) is the reference. Goal of the issue: average below
   ``goal_l2`` = 0.1 after at most ``goal_seconds`` = 120 s of training on 2 CPU cores.
2. **Samples of the reverse SDE** (``reverse-sde``, Euler--Maruyama, :math:`N` constant steps,
   ``n_samples`` particles, seeded): TV (histogram estimate, biased upward -- the same statistic on ``n_samples``
   exact draws of :math:`\\pi` is reported as its floor) and W2 (exact between the empirical measure and
   :math:`\\pi`, quantile formula) with percentile-bootstrap intervals.
3. **The exact law of the sampler's output** (:func:`theorylab.laws.law_of_output`, grid route: Gaussian-kernel
   quadrature of every EM step with refinement control) and its TV and W2 to :math:`\\pi` by grid quadrature
   (:func:`theorylab.divergences.compare`); no sampling error, the discretisation error is bounded by the
   refinement estimate.
4. **What each sampler makes of it.** For every registered sampler defined for the process (``reverse-sde``,
   ``pf-ode``, ``pf-ode-adaptive``, ``pc`` for VP), the TV and W2 of its output law to :math:`\\pi` with the learned
   score and with the exact score :class:`~theorylab.scores.ExactScore` on the same grid (the grid route where it
   applies, else samples: ``pc`` with Langevin correctors). The exact-score row is the sampler's discretisation
   error alone; the difference is what the score's error adds.
5. **The step count.** ``reverse-sde`` with both scores at the extra step counts ``step_check``: with the exact
   score the TV falls like :math:`1/N` (weak order 1); :math:`N` is large enough when the exact-score TV is small
   against the learned-score TV, i.e. when the score, not the discretisation, limits the output.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from theorylab.errors import ConfigError
from theorylab.studies.reproductions.common import (check_options, estimate_dict, fmt_estimate, interval_dict,
                                                     markdown_table, new_figure, plot_loss, positive_int,
                                                     save_figure, stage, train_score, training_lines, write_report)

__all__ = ["DEFAULTS", "run"]

#: ``[experiment]`` keys (besides ``kind``) and their defaults.
DEFAULTS: dict[str, Any] = {
    "n_samples": 10000,         # particles of the reverse-SDE sampler (and of samples-route laws)
    "sampler_steps": 500,       # N: constant steps gamma = T/N of every sampler
    "sample_seed": 1,           # seed of the sampler's particles (torch generator) and of the bootstraps
    "profile_samples": 4096,    # draws of p_t per time of the M profile
    "profile_times": 24,        # times of the M profile (profile_times)
    "average_from": 0.05,       # the L2 error is averaged over t in [average_from * T, T]
    "goal_l2": 0.1,             # the goal: average L2 error below this ...
    "goal_seconds": 120.0,      # ... after at most this many seconds of training (2 CPU cores)
    "n_boot": 200,              # bootstrap resamples of the sample-based intervals
    "level": 0.95,              # their confidence level
    "bins": "fd",               # histogram rule of the sample TV
    "grid_tol": 1e-6,           # refinement TV tolerance of the grid laws
    "samplers": ["reverse-sde", "pf-ode", "pf-ode-adaptive", "pc"],
    "pc_snr": 0.16,             # Langevin corrector of pc (score_sde_pytorch's default snr)
    "pc_correctors": 1,
    "step_check": [100, 250],   # extra N for reverse-sde with both scores ([] to skip)
    "noised_times": [0.0, 0.05, 0.2, 1.0],  # forward times of the noised-data figure
}


def _sampler_options(name: str, opts: dict) -> dict | None:
    if name == "pc":
        return {"snr": opts["pc_snr"], "n_corrector": opts["pc_correctors"]}
    return None


def _check(opts: dict, process: Any) -> None:
    from theorylab.samplers import SAMPLERS

    for key in ("n_samples", "profile_samples", "n_boot"):
        positive_int(opts, key, 2)
    for key in ("sampler_steps", "profile_times"):
        positive_int(opts, key, 1)
    if not 0.0 <= opts["average_from"] < 1.0:
        raise ConfigError(f"experiment.average_from: must lie in [0, 1), got {opts['average_from']!r}")
    if not 0.0 < opts["level"] < 1.0:
        raise ConfigError(f"experiment.level: must lie in (0, 1), got {opts['level']!r}")
    for name in opts["samplers"]:
        if not isinstance(name, str) or name not in SAMPLERS:
            raise ConfigError(f"experiment.samplers: unknown sampler {name!r}; choose from {sorted(SAMPLERS)}")
    for N in opts["step_check"]:
        if isinstance(N, bool) or not isinstance(N, int) or N < 1:
            raise ConfigError(f"experiment.step_check: step counts must be integers >= 1, got {N!r}")
    for t in opts["noised_times"]:
        if not (isinstance(t, (int, float)) and 0.0 <= float(t) <= process.T):
            raise ConfigError(f"experiment.noised_times: times must lie in [0, T={process.T}], got {t!r}")


def _output_law(target, score, name, grid, process, opts):
    """(OutputLaw, seconds): the best route of :func:`law_of_output` (grid in 1D; samples where it refuses)."""
    from theorylab.laws import law_of_output

    t0 = time.perf_counter()
    out = law_of_output(target, score, name, grid, method="auto", process=process, n_samples=opts["n_samples"],
                        seed=opts["sample_seed"], sampler_options=_sampler_options(name, opts),
                        grid_options={"tol": opts["grid_tol"]})
    return out, time.perf_counter() - t0


def _divergences(out, target, opts) -> dict[str, dict]:
    """TV and W2 between an output law and the target, as estimate dicts (bootstrap options for samples only)."""
    from theorylab.divergences import compare

    extra = {}
    if out.method == "samples":
        extra = {"n_boot": opts["n_boot"], "level": opts["level"]}
    tv = compare(out, "tv", target, **extra, **({"bins": opts["bins"]} if extra else {}))
    w2 = compare(out, "w2", target, **extra)
    return {"tv": estimate_dict(tv), "w2": estimate_dict(w2)}


def _law_record(name, label, out, seconds, divs) -> dict[str, Any]:
    fallbacks = out.details.get("fallbacks", [])
    return {"sampler": name, "score": label, "route": out.method, "law_error_kind": out.error.kind,
            "law_tv_bound": out.error.tv_bound, "law_note": out.error.note, "seconds": seconds,
            "fallbacks": [str(f) for f in fallbacks], **divs}


def _profile_section(profile, init_profile, lo, T, opts, trained) -> tuple[dict, list[str]]:
    avg = profile.l2_average(lo, T)
    avg0 = init_profile.l2_average(lo, T)
    late = profile.times >= lo
    sup_late = float(np.max(profile.sup[late]))
    method = (f"trapezoid average over the profile times in [{lo:g}, {T:g}] of the per-time L2(p_t) error; "
              f"bounds: the per-time {profile.level:g} CLT bounds averaged alike ({profile.method})")
    seconds = trained.summary()["seconds"]
    met = bool(avg[0] < opts["goal_l2"] and seconds <= opts["goal_seconds"])
    numbers = {
        "l2_average": interval_dict(*avg, method),
        "l2_average_upper_below_goal": bool(avg[2] < opts["goal_l2"]),
        "l2_average_init": interval_dict(*avg0, "same, for the untrained network (zero output): "
                                                "||grad log p_t|| in L2(p_t)"),
        "M_sup": profile.M_sup, "M_sup_from_average_start": sup_late, "M_l2": profile.M_l2,
        "region": profile.region, "times": [float(t) for t in profile.times],
        "goal": {"l2_below": opts["goal_l2"], "training_seconds_at_most": opts["goal_seconds"],
                 "training_seconds": seconds, "met": met},
    }
    i_worst = int(np.argmax(profile.sup))
    lines = [
        f"Score error of the EMA network against the exact score of p_t (closed form), at "
        f"{profile.times.size} times in [{profile.times[0]:.3g}, {T:g}] (`profile.csv`, `profile.png`).",
        "",
        f"- **L2(p_t) error averaged over t in [{lo:g}, {T:g}]: {fmt_estimate(numbers['l2_average'])}** "
        f"(bounds: the per-time 95% CLT bounds, {profile.n_samples} draws of p_t per time, averaged alike; "
        "not a joint 95% statement).",
        f"- The same average for the untrained network (zero output, i.e. the size of the score itself): "
        f"{fmt_estimate(numbers['l2_average_init'])}.",
        f"- Goal of the issue (average < {opts['goal_l2']:g} within {opts['goal_seconds']:g} s of training): "
        f"**{'met' if met else 'NOT met'}** -- average {avg[0]:.4g} (upper bound {avg[2]:.4g}) after "
        f"{seconds:.1f} s of training (wall, this machine; threads as in the cost line).",
        f"- sup over t of the sup-norm error over R_t (seed 000's M): M = {profile.M_sup:.4g}, reached at "
        f"t = {profile.times[i_worst]:.3g}; over t >= {lo:g} only: {sup_late:.4g}. The error blows up as t -> 0 "
        f"(the noise parameterisation divides by sigma_t, and the smallest training time is "
        f"{trained.result.config.training.t_min:g}); M is finite here only because R_t is the "
        f"{profile.mass:g}-HPD region, not all of R (see `theorylab.learning.error`).",
        f"- Largest per-time L2 error: {profile.M_l2:.4g} (Chen et al.'s epsilon_score over these times).",
        f"- Region and sup: {profile.region}.",
    ]
    return numbers, lines


def _histogram_figure(path: Path, samples: np.ndarray, target, grid_law, N: int) -> Path:
    fig, (ax,) = new_figure(7.0, 4.0)
    lo, hi = min(float(np.min(samples)), -6.0), max(float(np.max(samples)), 7.0)
    ax.hist(samples[:, 0], bins=np.linspace(lo, hi, 121), density=True, color="C0", alpha=0.45,
            label=f"{samples.shape[0]} reverse-SDE samples (learned score, N = {N})")
    xs = np.linspace(lo, hi, 1201)
    ax.plot(xs, target.pdf(xs[:, None]), color="k", lw=1.4, label="target density")
    if grid_law is not None:
        keep = (grid_law.axes[0] >= lo) & (grid_law.axes[0] <= hi)
        ax.plot(grid_law.axes[0][keep], grid_law.density[keep], color="C3", lw=1.0, ls="--",
                label="exact output law of the sampler (grid)")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title("Seed 002, 'Mistura de gaussianas': samples over the target", fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def _noised_figure(path: Path, data: np.ndarray, target, process, times: list[float], seed: int) -> Path:
    """Histograms of the training data pushed through the forward VP kernel at a few times, over the exact p_t
    (seed 002's 'Dados Corrompido')."""
    from theorylab.scores import ExactScore

    exact = ExactScore(target, process=process)
    rng = np.random.default_rng([seed, 7])
    fig, axes = new_figure(3.0 * len(times), 2.8, ncols=len(times))
    xs = np.linspace(-7.0, 7.0, 801)
    for ax, t in zip(axes, times):
        t = float(t)
        if t == 0.0:
            noised, dens = data[:, 0], target.pdf(xs[:, None])
        else:
            alpha, sigma = process.marginal_coefficients(t)
            noised = alpha * data[:, 0] + sigma * rng.standard_normal(data.shape[0])
            dens = exact.law(t).pdf(xs[:, None])
        ax.hist(noised, bins=60, density=True, color="C0", alpha=0.45)
        ax.plot(xs, dens, color="k", lw=1.0)
        ax.set_title(f"t = {t:g}", fontsize=9)
        ax.set_xlabel("x")
    axes[0].set_ylabel("density")
    return save_figure(fig, path)


def run(cfg: Any, options: dict, out_dir: Path, *, progress: bool) -> dict[str, Any]:
    """Run the mixture experiment (module docstring); write figures and ``report.md`` into ``out_dir``.

    Parameters
    ----------
    cfg : TrainConfig
        Target (a 1D Gaussian mixture), process, network and training.
    options : dict
        The ``[experiment]`` table without ``kind`` (keys and defaults: :data:`DEFAULTS`).
    out_dir : pathlib.Path
        Output folder (created).
    progress : bool
        Progress bar and stage lines on stderr.

    Returns
    -------
    dict
        ``training``, ``score_error``, ``samples``, ``grid_law``, ``samplers``, ``step_check``, ``files``,
        ``device``; every estimate as ``{"value", "lower", "upper", "method", ...}``.
    """
    import torch

    from theorylab.distributions import make_target
    from theorylab.divergences import tv_samples, w2_samples
    from theorylab.learning.config import make_process
    from theorylab.learning.error import score_error_profile
    from theorylab.learning.report import profile_times_for
    from theorylab.learning.score import LearnedScore
    from theorylab.learning.training import build_score_model, training_data
    from theorylab.samplers import SAMPLERS, TimeGrid, get_sampler
    from theorylab.scores import ExactScore

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    opts = check_options(options, DEFAULTS)
    target = make_target(cfg.target)
    process = make_process(cfg.process, cfg.process.T)
    if not hasattr(target, "ou_marginal") or int(target.dim) != 1:
        raise ConfigError("target.kind: seed002-gmm needs a 1D Gaussian or Gaussian mixture target "
                          f"(closed-form marginals), got {cfg.target.get('kind')!r} in d = {target.dim}")
    _check(opts, process)
    T = float(process.T)
    files: list[Path] = []

    # ---- 1. train, and the M profile ----------------------------------------------------------------------------
    trained = train_score(cfg, out_dir, progress=progress)
    score = trained.score
    files += plot_loss(trained.result.history, out_dir)
    stage(progress, "score error profile (learned and untrained)")
    times = profile_times_for(process, cfg.training.t_min, n=opts["profile_times"])
    seed = cfg.training.seed
    profile = score_error_profile(score, target, process, times, n_samples=opts["profile_samples"], seed=seed)
    init_model = build_score_model(cfg, 1, process)
    init_profile = score_error_profile(LearnedScore(init_model, cfg.training.t_min, cfg), target, process, times,
                                       n_samples=opts["profile_samples"], seed=seed)
    csv, png = out_dir / "profile.csv", out_dir / "profile.png"
    frame = profile.to_frame()
    frame["l2_untrained"] = init_profile.l2
    frame.to_csv(csv, index=False)
    profile.plot(png)
    files += [csv, png]
    lo = max(opts["average_from"] * T, float(times[0]))
    score_numbers, score_lines = _profile_section(profile, init_profile, lo, T, opts, trained)

    # ---- 2. samples of the reverse SDE --------------------------------------------------------------------------
    N = opts["sampler_steps"]
    grid = TimeGrid.constant(T, T / N)
    n = opts["n_samples"]
    stage(progress, f"reverse-SDE sampling: {n} particles, N = {N}")
    t0 = time.perf_counter()
    x = get_sampler("reverse-sde").sample(score, grid, n, generator=opts["sample_seed"], process=process,
                                          dim=1).detach().cpu().numpy().astype(np.float64)
    sample_seconds = time.perf_counter() - t0
    rng = np.random.default_rng([opts["sample_seed"], 1])
    boot = {"n_boot": opts["n_boot"], "level": opts["level"]}
    tv_s = tv_samples(x, target, rng, bins=opts["bins"], **boot)
    w2_s = w2_samples(x, target, rng, **boot)
    exact_draws = target.sample(n, np.random.default_rng([opts["sample_seed"], 2]))
    tv_floor = tv_samples(exact_draws, target, rng, bins=opts["bins"], **boot)
    w2_floor = w2_samples(exact_draws, target, rng, **boot)
    sample_numbers = {"n": n, "N": N, "seed": opts["sample_seed"], "seconds": sample_seconds,
                      "tv": estimate_dict(tv_s), "w2": estimate_dict(w2_s),
                      "tv_floor_exact_draws": estimate_dict(tv_floor), "w2_floor_exact_draws": estimate_dict(w2_floor),
                      "mean": float(np.mean(x)), "std": float(np.std(x, ddof=1)),
                      "fraction_right_of_0": interval_dict(*_proportion(np.mean(x[:, 0] > 0.0), n, opts["level"]),
                                                           f"fraction of samples > 0 (target: mixture weight of "
                                                           f"the right component, {_right_mass(target):.4g}); "
                                                           f"Wilson {opts['level']:g} interval")}

    # ---- 3, 4. exact output laws of every sampler, learned vs exact score -------------------------------------------
    exact = ExactScore(target, process=process)
    records: list[dict[str, Any]] = []
    laws: dict[tuple[str, str], Any] = {}
    for name in opts["samplers"]:
        allowed = getattr(SAMPLERS[name], "processes", None)
        if allowed is not None and process.name not in allowed:
            records.append({"sampler": name, "score": "-", "route": "not defined for " + process.name})
            continue
        for label, sc in (("learned", score), ("exact", exact)):
            stage(progress, f"output law: {name}, {label} score")
            out, secs = _output_law(target, sc, name, grid, process, opts)
            laws[(name, label)] = out
            records.append(_law_record(name, label, out, secs, _divergences(out, target, opts)))
    main = laws.get(("reverse-sde", "learned"))
    if main is None:  # reverse-sde not in the table: compute it anyway (the headline law)
        main, secs = _output_law(target, score, "reverse-sde", grid, process, opts)
        laws[("reverse-sde", "learned")] = main
        records.insert(0, _law_record("reverse-sde", "learned", main, secs, _divergences(main, target, opts)))
    if ("reverse-sde", "exact") not in laws:
        out, secs = _output_law(target, exact, "reverse-sde", grid, process, opts)
        laws[("reverse-sde", "exact")] = out
        records.insert(1, _law_record("reverse-sde", "exact", out, secs, _divergences(out, target, opts)))
    rec = {(r["sampler"], r["score"]): r for r in records if "tv" in r}
    grid_numbers = {"learned": rec[("reverse-sde", "learned")], "exact_score": rec[("reverse-sde", "exact")]}

    # ---- 5. the step count ------------------------------------------------------------------------------------------
    steps_rows = []
    for N_check in sorted(set(opts["step_check"]) | {N}):
        row = {"N": N_check}
        g = TimeGrid.constant(T, T / N_check)
        for label, sc in (("learned", score), ("exact", exact)):
            if N_check == N:
                r = rec[("reverse-sde", label)]
            else:
                stage(progress, f"step check: reverse-sde, N = {N_check}, {label} score")
                out, secs = _output_law(target, sc, "reverse-sde", g, process, opts)
                r = _law_record("reverse-sde", label, out, secs, _divergences(out, target, opts))
            row[label] = {"tv": r["tv"], "w2": r["w2"], "route": r["route"]}
        steps_rows.append(row)

    # ---- figures and report ---------------------------------------------------------------------------------------
    main_law = main.law if main.method == "grid" else None
    files.append(_histogram_figure(out_dir / "samples.png", x, target, main_law, N))
    data, _ = training_data(cfg, target)
    files.append(_noised_figure(out_dir / "noised.png", data, target, process, opts["noised_times"], seed))

    sections = _report_sections(cfg, opts, trained, score_lines, sample_numbers, grid_numbers, records, steps_rows,
                                main, process)
    numbers = {"device": trained.result.device, "training": trained.summary(), "score_error": score_numbers,
               "samples": sample_numbers, "grid_law": grid_numbers, "samplers": records, "step_check": steps_rows,
               "torch_threads": torch.get_num_threads()}
    report = write_report(out_dir, "Seed 002, 'Mistura de gaussianas': learned score, reverse SDE, samplers",
                          sections, config=cfg.model_dump(), options=opts)
    numbers["files"] = [p.name for p in [*files, report]]
    l2, tv = score_numbers["l2_average"], grid_numbers["learned"]["tv"]
    numbers["headline"] = [
        f"score L2(p_t) error averaged over t in [0.05, T]: {fmt_estimate(l2)} (untrained: "
        f"{score_numbers['l2_average_init']['value']:.3f})",
        f"TV(EM output law, mixture) = {tv['value']:.4f} (grid law; exact score on the same grid: "
        f"{grid_numbers['exact_score']['tv']['value']:.4f}); samples: TV {fmt_estimate(sample_numbers['tv'])}",
    ]
    return numbers


def _right_mass(target) -> float:
    """:math:`\\pi(x > 0)` of a 1D Gaussian (mixture)."""
    from scipy import special

    mix = target.as_mixture() if hasattr(target, "as_mixture") else target
    w = np.asarray(mix.weights, dtype=np.float64)
    m = np.asarray(mix.means, dtype=np.float64).reshape(-1)
    s = np.sqrt(np.asarray(mix.covs, dtype=np.float64).reshape(-1))
    return float(np.sum(w * special.ndtr(m / s)))


def _proportion(p_hat: float, n: int, level: float) -> tuple[float, float, float]:
    """``(p_hat, lower, upper)``: the Wilson score interval of a binomial proportion at ``level``."""
    from scipy import special

    z = float(special.ndtri(0.5 * (1.0 + level)))
    centre = (p_hat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p_hat * (1 - p_hat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(p_hat), min(max(centre - half, 0.0), p_hat), max(min(centre + half, 1.0), p_hat)


def _report_sections(cfg, opts, trained, score_lines, s, g, records, steps_rows, main, process):
    T = float(process.T)
    N = opts["sampler_steps"]
    tgt = cfg.target
    setup = [
        f"Target pi = {tgt.get('weights')} weights, means {tgt.get('means')}, variances {tgt.get('covs')} "
        "(seed 002: 1/2 N(-3, 1/4) + 1/2 N(3, 1); the second parameter is a variance); "
        f"{cfg.training.n_data} training points drawn once (seed [{cfg.training.seed}, 0]).",
        f"Forward process: {process!r} (seed 002: VP SDE dx = -beta(t)x/2 dt + sqrt(beta(t)) dW). Score: "
        "s(t, x) = net(t/T, x)/sigma_t (noise parameterisation), trained by denoising score matching "
        "(seed 002, 'Treinando o score').",
        "Figures: `noised.png` (the training data pushed through the forward kernel at a few t over the exact "
        "p_t: the seed's 'Dados Corrompido'), `samples.png` (the seed's histogram of samples over the target).",
    ]
    samples = [
        f"{s['n']} particles of `reverse-sde` (Euler-Maruyama on the reverse VP SDE, seed 002 'Gerando amostras da "
        f"SDE reversa'), N = {N} constant steps of {T / N:g}, EMA weights, torch seed {s['seed']} "
        f"({s['seconds']:.1f} s).",
        "",
        markdown_table(
            ["statistic", "samples of the learned sampler", f"{s['n']} exact draws of pi (floor)", "method"],
            [["TV", fmt_estimate(s["tv"]), fmt_estimate(s["tv_floor_exact_draws"]), s["tv"]["method"]],
             ["W2", fmt_estimate(s["w2"]), fmt_estimate(s["w2_floor_exact_draws"]), s["w2"]["method"]]]),
        "",
        f"Intervals: percentile bootstrap ({opts['n_boot']} resamples, level {opts['level']:g}); they cover the "
        "sampling variability only. **The histogram TV is biased upward** (the noise of the bin counts adds up to "
        "1/2 sum_b sqrt(p_b/n)) -- and downward by the binning (TV between binned laws is at most the true TV) --: "
        "the floor column, the same statistic on exact draws of pi, is what it reads when the sampler is perfect. "
        "A bootstrap replicate adds the count noise a second time, so the percentile interval of this biased "
        "statistic sits above its value (its lower end is clipped at the value). The W2 of an empirical measure is "
        "biased upward too, and for two modes 6 apart it is dominated by the random split of the n points between "
        "the modes (a weight error delta costs about delta times the squared gap in W2^2): at this n it cannot "
        "resolve W2 of a few hundredths. The grid law below has none of these errors.",
        f"- Fraction of samples right of 0: {fmt_estimate(s['fraction_right_of_0'])} "
        f"(target {_right_mass_from_cfg(cfg):.4g}); sample mean {s['mean']:.4g}, sd {s['std']:.4g}.",
    ]
    gl, ge = g["learned"], g["exact_score"]
    grid_lines = [
        f"The law of the same sampler's output, computed without sampling: {main.summary()}",
        "",
        markdown_table(["score", "TV(output, pi)", "W2(output, pi)", "law error (TV bound)", "seconds"],
                       [[r["score"], fmt_estimate(r["tv"], 5), fmt_estimate(r["w2"], 5),
                         _bound(r["law_tv_bound"]), f"{r['seconds']:.1f}"] for r in (gl, ge)]),
        "",
        "Grid TV/W2: quadrature of the grid density against the target's (the interval folds in the law's "
        "refinement TV estimate for TV; W2's interval is the quadrature's only). The exact-score row is the "
        f"discretisation error of Euler-Maruyama with N = {N} alone; "
        f"TV(learned) - TV(exact score) = {gl['tv']['value'] - ge['tv']['value']:.4g} is the score's share.",
    ]
    rows = []
    for r in records:
        if "tv" not in r:
            rows.append([r["sampler"], r["score"], r["route"], "", "", "", ""])
            continue
        rows.append([r["sampler"], r["score"], r["route"], fmt_estimate(r["tv"], 4), fmt_estimate(r["w2"], 4),
                     _bound(r.get("law_tv_bound")), f"{r['seconds']:.1f}"])
    by = {(r["sampler"], r["score"]): r for r in records if "tv" in r}
    diffs = []
    for name in opts["samplers"]:
        if (name, "learned") in by and (name, "exact") in by:
            a, b = by[(name, "learned")], by[(name, "exact")]
            diffs.append([name, a["route"], _difference(a["tv"], b["tv"]), _difference(a["w2"], b["w2"])])
    sampler_lines = [
        f"Every sampler defined for {process.name.upper()} on the same grid (N = {N}), with the learned (EMA) score "
        "and with the exact score. Route `grid`: the exact output law (error bound in the column); route `samples`: "
        f"{opts['n_samples']} particles, histogram TV and empirical W2 with bootstrap intervals (biased upward, see "
        f"above). `pc`: snr {opts['pc_snr']:g}, {opts['pc_correctors']} Langevin corrector step(s) per predictor "
        "step (its step size depends on the whole batch, so it has no grid law).",
        "",
        markdown_table(["sampler", "score", "route", "TV to pi", "W2 to pi", "law error (TV bound)", "seconds"], rows),
        "",
        "What the score adds (learned minus exact score; same route, same grid), with the interval "
        "[lower(learned) - upper(exact), upper(learned) - lower(exact)] (interval arithmetic on the two rows: "
        "conservative; for the samples route it inherits the sampling noise and the upward bias of both rows, "
        "so only a difference whose interval excludes 0 says anything):",
        "",
        markdown_table(["sampler", "route", "TV difference", "W2 difference"], diffs),
    ]
    grid_pairs = [(name, by[(name, "learned")]["tv"]["value"] - by[(name, "exact")]["tv"]["value"])
                  for name in opts["samplers"] if (name, "learned") in by and (name, "exact") in by
                  and by[(name, "learned")]["route"] == by[(name, "exact")]["route"] == "grid"]
    if len(grid_pairs) > 1:
        lo_name, lo_val = min(grid_pairs, key=lambda p: p[1])
        hi_name, hi_val = max(grid_pairs, key=lambda p: p[1])
        sampler_lines += ["", f"Among the exact (grid) laws, the same learned score costs least TV with `{lo_name}` "
                              f"({lo_val:.4g}) and most with `{hi_name}` ({hi_val:.4g})."]
    step_rows = [[r["N"], fmt_estimate(r["exact"]["tv"]), fmt_estimate(r["learned"]["tv"]),
                  fmt_estimate(r["exact"]["w2"]), fmt_estimate(r["learned"]["w2"])] for r in steps_rows]
    at_n = next(r for r in steps_rows if r["N"] == N)
    share = at_n["exact"]["tv"]["value"] / at_n["learned"]["tv"]["value"]
    step_lines = [
        "`reverse-sde` with both scores at several N (grid laws). With the exact score the TV falls like 1/N "
        "(Euler-Maruyama, weak order 1); with the learned score it levels off at the score's contribution. "
        f"N is chosen where the exact-score (discretisation) TV is small against the learned-score TV: at N = {N} "
        f"it is {100 * share:.0f}% of it"
        + (" (the score, not the discretisation, limits the output)." if share < 0.25 else
           " (the discretisation still matters at this N: raise experiment.sampler_steps)."),
        "",
        markdown_table(["N", "TV, exact score", "TV, learned score", "W2, exact score", "W2, learned score"],
                       step_rows),
    ]
    return [("Setup", setup), ("Training", training_lines(trained)), ("Score error (M profile)", score_lines),
            ("Samples of the reverse SDE", samples), ("Exact law of the sampler's output", grid_lines),
            ("What each sampler makes of it", sampler_lines), ("Choice of the step count", step_lines)]


def _right_mass_from_cfg(cfg) -> float:
    from theorylab.distributions import make_target

    return _right_mass(make_target(cfg.target))


def _difference(a: dict, b: dict) -> str:
    """``a - b`` with the interval-arithmetic bounds of two estimate dicts."""
    return (f"{a['value'] - b['value']:.4g} [{a['lower'] - b['upper']:.4g}, "
            f"{a['upper'] - b['lower']:.4g}]")


def _bound(value) -> str:
    return "n/a (sampling CI)" if value is None else f"{float(value):.2g}"
