"""Command-line interface: thin. Each subcommand parses, validates and calls a library function.

Bad input (unknown option, unknown claim id, malformed value) prints one line on stderr naming what is wrong and
exits with code 2; no traceback. Exit code 1 means a check or computation itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from theorylab import __version__
from theorylab.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`ConfigError` (one line) instead of printing usage and exiting."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise ConfigError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorylab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"theorylab {__version__}")
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        metavar="N",
        help="torch intra-op threads at most (default 1: the exact and grid routes work on small arrays, where a "
        "thread pool costs more than it saves; raise it for large sample runs: a sampler run with an analytic score "
        "uses as many as its step's work is worth, see theorylab.threads)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    verify = sub.add_parser("verify", help="run the claims ledger of the seed documents, or a file of your claims")
    verify.add_argument("--json", action="store_true", help="print the ledger as a JSON list on stdout")
    verify.add_argument("--claim", metavar="ID", help="run and show one claim in full")
    verify.add_argument("--claims", metavar="FILE", default=None,
                        help="check the claims of FILE (.toml, or .py for claims that need code; "
                        "docs/user-claims.md) instead of the seeds' ledger")
    verify.add_argument(
        "--report",
        metavar="PATH",
        default=None,
        help="where to write the Markdown report (default: reports/claims.md, or reports/user-claims/<FILE "
        "stem>.md with --claims); '-' to skip",
    )
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.add_argument("--reports", metavar="DIR", default="reports",
                        help="root of the committed artefacts the experiment claims read (default: reports)")
    verify.set_defaults(handler=_cmd_verify)

    samplers = sub.add_parser("samplers", help="the registered samplers, processes and divergences (from the registries)")
    samplers.set_defaults(handler=_cmd_samplers)

    measure = sub.add_parser("measure", help="law of a sampler's output and its divergences to the target")
    _add_config(measure, "experiment config (keys: theorylab.config)", "sampler.gamma=0.1")
    measure.add_argument("--json", action="store_true", help="print the result as JSON")
    measure.add_argument("--device", default=None, help="torch device for the samples route (cpu, cuda)")
    measure.set_defaults(handler=_cmd_measure)

    sweep = sub.add_parser("sweep", help="run a [sweep] grid of measure configs into a resumable run folder")
    _add_config(sweep, "measure config with a [sweep] table", "sweep.sampler.gamma=[0.1,0.05]")
    sweep.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/<config name>)")
    sweep.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="worker processes (default 1)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                       help="run on Dask: 'local' starts a LocalCluster, tcp://host:port uses a running one")
    sweep.add_argument("--force", action="store_true", help="reuse a run folder that holds a different config")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--quick", action="store_true",
                       help="apply the file's [quick] profile (default: the full grid, as `reproduce --full`)")
    sweep.set_defaults(handler=_cmd_sweep)

    results = sub.add_parser("results", help="export the results table of a run folder")
    results.add_argument("run_dir", metavar="DIR")
    results.add_argument("--format", default="markdown", choices=["csv", "parquet", "markdown", "latex"])
    results.add_argument("--allow-stale", action="store_true",
                         help="show rows computed by other code than the current tree (a 'stale' column says why) "
                              "instead of refusing the run folder")
    results.set_defaults(handler=_cmd_results)

    report = sub.add_parser("report", help="write reports/<run>/report.md from a run folder's store")
    report.add_argument("run_dir", metavar="DIR")
    report.add_argument("--reports", default="reports", metavar="DIR", help="reports root (default reports/)")
    report.add_argument("--allow-stale", action="store_true",
                        help="report rows computed by other code than the current tree (flagged in the report) "
                             "instead of refusing the run folder")
    report.set_defaults(handler=_cmd_report)

    reproduce = sub.add_parser("reproduce", help="the main job: claims ledger + every shipped experiment -> reports/")
    reproduce.add_argument("--full", action="store_true", help="the larger grids (default: the quick profile)")
    reproduce.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="worker processes")
    reproduce.add_argument("--experiments", default="experiments", metavar="DIR")
    reproduce.set_defaults(handler=_cmd_reproduce)

    train = sub.add_parser("train", help="train a score network (DSM/ISM) and report its measured error (M profile)")
    _add_config(train, "train config (keys: theorylab.learning.config); an experiment file's [experiment] and "
                "[quick] tables are ignored", "training.steps=500")
    train.add_argument("--out", default=None, metavar="PATH", help="checkpoint path (default output.checkpoint)")
    train.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"], help="override training.device")
    train.add_argument("--force", action="store_true", help="overwrite a checkpoint trained with another config")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--json", action="store_true", help="print the summary as JSON")
    train.set_defaults(handler=_cmd_train)

    experiment = sub.add_parser("experiment", help="run a seed-002 experiment (learned score) -> reports/learning/")
    _add_config(experiment, "experiment config with an [experiment] table", "training.steps=500")
    experiment.add_argument("--full", action="store_true", help="the full profile (default: the [quick] overrides)")
    experiment.add_argument("--out", default="reports/learning", metavar="DIR", help="reports root (default "
                            "reports/learning)")
    experiment.add_argument("--quiet", action="store_true", help="no progress bars")
    experiment.set_defaults(handler=_cmd_experiment)

    likelihood = sub.add_parser("likelihood", help="NLL (nats, bits/dim) of data under the probability-flow ODE, "
                                "checked against the closed form where the target allows")
    _add_config(likelihood, "config with [target], [process], [score], [likelihood] (keys: theorylab.likelihood.config);"
                " an experiment with an [experiment] table runs the likelihood-bound study", "likelihood.eps=1e-3")
    likelihood.add_argument("--json", action="store_true", help="print the result as JSON")
    likelihood.add_argument("--out", default=None, metavar="DIR", help="report folder of the bound study (default "
                            "reports/likelihood)")
    likelihood.set_defaults(handler=_cmd_likelihood)

    gan = sub.add_parser("gan", help="GAN lab: the optimal discriminator and value identity, or training")
    _add_config(gan, "config with a [gan] table (mode = exact | discriminator | train)", "gan.generator_loss=minimax")
    gan.add_argument("--out", default=None, metavar="DIR", help="output folder (default reports/gan/<name>)")
    gan.add_argument("--json", action="store_true", help="print the result as JSON")
    gan.set_defaults(handler=_cmd_gan)

    audit = sub.add_parser("audit", help="exact output law of diffusers/k-diffusion samplers on a Gaussian target, "
                           "compared with theorylab's schemes (needs the audit extra)")
    _add_config(audit, "audit config ([target], [audit], [[scheme]]; theorylab.audit.runner)", "audit.steps=[5,10]")
    audit.add_argument("--out", default="reports/audit", metavar="DIR", help="report folder (default reports/audit)")
    audit.add_argument("--quiet", action="store_true", help="no per-cell progress lines")
    audit.set_defaults(handler=_cmd_audit)

    study = sub.add_parser("study", help="a paper's table recomputed on the exact route ([study] kind = "
                           "\"pierret-galerne\": experiments/pierret_galerne.toml)")
    _add_config(study, "study config with a [study] table", "table.nfe=[50]")
    study.add_argument("--out", default=None, metavar="DIR", help="report folder (default reports/pierret_galerne)")
    study.add_argument("--quiet", action="store_true", help="no per-row progress lines")
    study.set_defaults(handler=_cmd_study)
    return parser


def _add_config(parser: argparse.ArgumentParser, what: str, example: str) -> None:
    """The CONFIG.toml positional argument and the repeatable ``--set KEY=VALUE`` override."""
    parser.add_argument("config", metavar="CONFIG.toml", help=what)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help=f"override a config key, e.g. --set {example} (repeatable)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _cmd_verify(args: argparse.Namespace) -> int:
    from theorylab.claims.ledger import render_claim, render_markdown, render_table, run_ledger, to_json_objects
    from theorylab.claims.registry import all_claims

    markdown: dict[str, str] = {}
    if args.claims is not None:
        from theorylab.claims.user import load_claims

        claims = load_claims(args.claims)
        report = args.report or f"reports/user-claims/{Path(args.claims).stem}.md"
        markdown = {"title": f"Claims of {Path(args.claims).name}",
                    "intro": "Each claim of the file, with the verdict computed on this run (docs/user-claims.md)."}
    else:
        claims = all_claims()
        report = args.report or "reports/claims.md"
    if args.claim is not None:
        chosen = [c for c in claims if c.id == args.claim]
        if not chosen:
            raise ConfigError(f"--claim: unknown claim id {args.claim!r} (see `theorylab verify` for the list)")
        claims = chosen

    from tqdm import tqdm

    bar = tqdm(total=len(claims), desc="claims", unit="claim", file=sys.stderr, disable=args.quiet or None)
    results = run_ledger(claims, on_done=lambda r: (bar.set_postfix_str(r.claim.id), bar.update()),
                         reports=Path(args.reports))
    bar.close()

    if args.json:
        print(json.dumps(to_json_objects(results), indent=2, ensure_ascii=False))
    elif args.claim is not None:
        print(render_claim(results[0]))
    else:
        print(render_table(results))
    if report != "-" and args.claim is None:
        path = Path(report)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_markdown(results, **markdown), encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    crashed = [r for r in results if r.outcome is None]
    for r in crashed:
        print(f"theorylab: check of {r.claim.id} crashed: {r.error}", file=sys.stderr)
    return EXIT_FAILED if crashed else EXIT_OK


def _cmd_measure(args: argparse.Namespace) -> int:
    from theorylab.config import apply_overrides, load_toml, validate
    from theorylab.limits import split_limits
    from theorylab.measure import check_device, measure

    check_device(args.device)
    raw, limits = split_limits(apply_overrides(load_toml(args.config), args.overrides))
    if "sweep" in raw:
        raise ConfigError(f"{args.config}: has a [sweep] table; run it with `theorylab sweep {args.config}`")
    cfg = validate(raw)
    result = measure(cfg, device=args.device, limits=limits, progress=not args.json)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK
    out = result.output
    print(f"law: {out.method} ({out.sampler}); error control: {out.error.kind}, {out.error.note}")
    for e in result.estimates:
        u = e.uncertainty
        level = f" at {u.level:.0%}" if u.level else ""
        print(f"{e.name:>10} = {e.value:.6g}   [{u.lower:.6g}, {u.upper:.6g}] ({u.kind}{level}; {e.method})")
    print(f"({result.seconds:.2f} s)")
    return EXIT_OK


def _cmd_samplers(args: argparse.Namespace) -> int:
    from theorylab.config import sampler_option_names
    from theorylab.divergences import DIVERGENCES
    from theorylab.processes import PROCESSES
    from theorylab.samplers import SAMPLERS, sampler_table

    print(sampler_table())
    print("\noptions ([sampler] keys):")
    for name in SAMPLERS:
        print(f"  {name}: {', '.join(sorted(sampler_option_names(name))) or '-'}")
    print(f"\nprocesses ([process] kind): {', '.join(PROCESSES)}")
    print(f"divergences ([metrics] names): {', '.join(DIVERGENCES)}")
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    from theorylab.config import apply_overrides, apply_profile, load_toml
    from theorylab.experiments import run_sweep

    raw = apply_overrides(apply_profile(load_toml(args.config), full=not args.quick), args.overrides)
    summary = run_sweep(raw, config_name=args.config, out=args.out, workers=args.workers, scheduler=args.scheduler,
                        force=args.force, progress=not args.quiet)
    print(summary)
    return EXIT_OK if summary.counts.get("failed", 0) == 0 else EXIT_FAILED


def _cmd_results(args: argparse.Namespace) -> int:
    from theorylab.experiments import export_results

    if not Path(args.run_dir).is_dir():
        raise ConfigError(f"{args.run_dir}: no such run folder")
    print(export_results(args.run_dir, args.format, allow_stale=args.allow_stale))
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from theorylab.report import make_report

    print(make_report(args.run_dir, args.reports, allow_stale=args.allow_stale))
    return EXIT_OK


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from theorylab.studies.reproduce import ReproduceError, reproduce

    try:
        index = reproduce(full=args.full, workers=args.workers, experiments=args.experiments,
                          log=lambda text: print(text, file=sys.stderr))
    except ReproduceError as exc:
        print(f"theorylab: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(index)
    return EXIT_OK


def _cmd_train(args: argparse.Namespace) -> int:
    from theorylab.config import apply_overrides, load_toml, validate
    from theorylab.cost import check_train
    from theorylab.learning.config import TrainConfig
    from theorylab.learning.report import train_and_report
    from theorylab.limits import split_limits

    raw = load_toml(args.config)
    for table in ("experiment", "quick"):  # an experiment file trains its score as written (the full profile)
        raw.pop(table, None)
    raw, limits = split_limits(apply_overrides(raw, args.overrides))
    cfg = validate(raw, TrainConfig)
    check_train(cfg, limits)
    if args.out is None and cfg.output.checkpoint is None:
        raise ConfigError("output.checkpoint: missing; set it in the config or pass --out PATH")
    summary = train_and_report(cfg, checkpoint=args.out, device=args.device, force=args.force,
                               progress=not args.quiet)
    print(json.dumps(summary, indent=2) if args.json else summary["text"])
    return EXIT_OK


def _cmd_experiment(args: argparse.Namespace) -> int:
    from theorylab.studies.reproductions import run_experiment
    from theorylab.studies.reproductions.summary import summarise

    result = run_experiment(args.config, out_root=args.out, full=args.full, overrides=args.overrides,
                            threads=args.threads if args.threads > 1 else None, progress=not args.quiet)
    print(summarise(result))
    return EXIT_OK


def _cmd_gan(args: argparse.Namespace) -> int:
    from theorylab.config import apply_overrides, load_toml
    from theorylab.cost import check_gan
    from theorylab.gan import run_gan
    from theorylab.gan.config import load_gan_config
    from theorylab.limits import split_limits

    raw, limits = split_limits(apply_overrides(load_toml(args.config), args.overrides))
    cfg = load_gan_config(raw)
    check_gan(cfg, limits)
    result = run_gan(cfg, out_dir=Path(args.out) if args.out else None).to_json()
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return EXIT_OK
    skip = {"config", "files", "curves"}
    for key, value in result.items():
        if key not in skip and not isinstance(value, (list, dict)):
            print(f"{key:>22}: {value}")
        elif isinstance(value, dict) and {"value"} <= set(value):
            lo, hi = value.get("lower"), value.get("upper")
            interval = f" [{lo:.6g}, {hi:.6g}]" if lo is not None and hi is not None else ""
            print(f"{key:>22}: {value['value']:.10g}{interval}")
    return EXIT_OK


def _cmd_likelihood(args: argparse.Namespace) -> int:
    from theorylab.config import apply_overrides, load_toml, validate
    from theorylab.likelihood import LikelihoodConfig, likelihood

    raw = apply_overrides(load_toml(args.config), args.overrides)
    if "experiment" in raw:
        from theorylab.likelihood.report import run_bound_study

        result = run_bound_study(raw, out=Path(args.out or "reports/likelihood"))
        print(json.dumps(result, indent=2) if args.json else result["text"])
        return EXIT_OK
    result = likelihood(validate(raw, LikelihoodConfig))
    print(json.dumps(result.to_json(), indent=2) if args.json else result.text())
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from theorylab.audit.report import write_report
    from theorylab.audit.runner import run_audit
    from theorylab.config import apply_overrides, load_toml

    raw = apply_overrides(load_toml(args.config), args.overrides)
    result = run_audit(raw, progress=None if args.quiet else (lambda line: print(line, file=sys.stderr)))
    paths = write_report(result, args.out, config_path=str(args.config))
    for s in result["summary"]:
        agrees = {True: "agrees", False: "DIFFERS", None: "no counterpart"}[s["agrees"]]
        print(f"{s['library']:>11} {s['scheme']:<44} W2={s['w2_last']:.4g} order={s['order']:.2f}"
              f"±{s['order_stderr']:.2f} vs theorylab {s['counterpart']}: {agrees} (max diff {s['max_w2_diff']:.2g})")
    print(f"report: {paths['markdown']}")
    return EXIT_OK


def _cmd_study(args: argparse.Namespace) -> int:
    from theorylab.config import apply_overrides, load_toml
    from theorylab.studies.pierret_galerne import run_study, study_from_raw, write_report

    raw = apply_overrides(load_toml(args.config), args.overrides)
    kind = raw.get("study", {}).get("kind") if isinstance(raw.get("study"), dict) else None
    if kind != "pierret-galerne":
        raise ConfigError(f"study.kind: must be 'pierret-galerne', got {kind!r}")
    cfg = study_from_raw(raw)
    result = run_study(cfg, progress=None if args.quiet else (lambda line: print(line, file=sys.stderr)))
    paths = write_report(result, args.out or "reports/pierret_galerne", config_path=str(args.config))
    print(("compared with the published table" if result.compare else
           "published table NOT compared (no CIFAR-10 spectrum; synthetic spectrum used)")
          + f"; {len(result.cells)} cells in {result.total_seconds:.1f} s")
    print(f"report: {paths['markdown']}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``theorylab`` console script."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.threads > 1 and "torch" not in sys.modules:
            # the spinning OpenMP pool is 10-50x slower than 1 thread on a loaded machine; sleep instead
            # (benchmarks/bench_training.py). Read by libgomp when torch loads, so set before the import.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import torch

        torch.set_num_threads(args.threads)
        return args.handler(args)
    except ConfigError as exc:
        print(f"theorylab: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("theorylab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
