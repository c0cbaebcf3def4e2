"""The README's result numbers are generated from the committed artefacts: every generated block equals what
``reports/claims.md``, ``reports/learning/*/result.json``, ``reports/reproduce_timing.json`` and
``benchmarks/results/*.json`` give, and the sections holding them carry no other typed-in result number."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from theorylab.report.benchmarks import BENCHMARKS, render
from theorylab.report.readme import BLOCK, block_names, generated_blocks, render_block, update_readme

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The README sections that report results (from the ledger's heading to the library example).
RESULTS = README[README.index("### The claims ledger"):README.index("### As a library")]
#: The Performance section (its heading to the next section).
PERFORMANCE = README[README.index("## Performance"):README.index("\n## ", README.index("## Performance") + 1)]
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+")


def test_the_readme_has_the_generated_blocks():
    assert {name for name, _ in generated_blocks(README)} == set(block_names())
    assert {name for name, _ in generated_blocks(PERFORMANCE)} == set(BENCHMARKS)


@pytest.mark.parametrize("name, body", generated_blocks(README))
def test_every_generated_block_matches_the_committed_artefacts(name, body):
    assert body == render_block(name, ROOT / "reports"), f"README block {name!r} is stale: run `theorylab reproduce`"


def test_no_result_number_is_typed_in_outside_the_generated_blocks():
    # console transcripts are program output shown as examples; everything else in the results sections must
    # come from a generated block
    prose = BLOCK.sub("", re.sub(r"```.*?```", "", RESULTS, flags=re.S))
    assert not DECIMAL.findall(prose), DECIMAL.findall(prose)
    assert not re.search(r"\d+ claims", prose)


def test_the_performance_section_has_no_typed_number():
    # outside its generated blocks and code blocks the Performance section holds no digit at all (not even an
    # integer such as "165 s": every measured number comes from a JSON file)
    prose = BLOCK.sub("", re.sub(r"```.*?```", "", PERFORMANCE, flags=re.S))
    assert not DECIMAL.findall(prose), DECIMAL.findall(prose)
    assert not re.findall(r"\d", prose), prose


def test_update_rewrites_a_stale_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- generated:ledger-counts -->\n52 claims: 26 proved\n<!-- /generated -->\ny\n")
    assert update_readme(readme, ROOT / "reports") == 1
    text = readme.read_text()
    assert "52 claims: 26 proved" not in text and render_block("ledger-counts", ROOT / "reports") in text


# ------------------------------------------------------------------------------ the benchmark renderers
#: A small result of each benchmark (the keys its renderer reads), with numbers no committed file has.
FIXTURES = {
    "grid_vs_mc.json": {
        "setting": {"target": "N(0, 1)", "T": 2.0, "gamma": 0.1, "N": 20, "sampler": "reverse-em", "score": "exact",
                    "dtype": "float64", "threads": 1},
        "grid": {"target_tv": 1e-6, "tv_estimate": 3.25e-8, "seconds_median_warm": 0.0427},
        "monte_carlo": {"particles": 4321, "histogram_tv_ci_half_width": 0.00917},
        "ratios": {"mc_seconds_over_grid_seconds": 1.03, "mc_ci_half_width_over_grid_estimate": 2.82e5,
                   "mc_seconds_to_reach_target_by_histogram_tv": 3.7e6, "speedup_grid_vs_mc_by_ks": 6.1e7},
        "machine": {"torch": "9.9.9", "cpu_count": 3, "loadavg_start": [4.56, 0, 0], "loadavg_end": [5.67, 0, 0]}},
    "likelihood.json": {"rows": [{"in_ci": True}], "ratio_exact_over_hutchinson": {"2": 1.71, "64": 33.3},
                        "n": 17, "rtol": 1e-5, "load_average": [3.21, 0, 0]},
    "sliced_w2.json": {"n": 321, "L": 45, "d": 2, "value_ours": 0.5, "value_pot": 0.5, "abs_diff": 1e-15,
                       "ratio_pot_over_ours": 6.54},
}
FIXTURE_NUMBERS = {"grid_vs_mc.json": ["0.0427", "4321", "2.8e5", "4.56 → 5.67", "3 CPUs", "torch 9.9.9"],
                   "likelihood.json": ["1.71× at d = 2", "33.30× at d = 64", "17 points", "Load average 3.21"],
                   "sliced_w2.json": ["n = 321", "L = 45", "6.54×", "Load average not recorded"]}
BLOCK_OF = {"grid_vs_mc.json": "perf-grid-vs-mc", "likelihood.json": "perf-likelihood",
            "sliced_w2.json": "perf-sliced-w2"}


@pytest.mark.parametrize("file", sorted(FIXTURES))
def test_a_renderer_reads_its_json(tmp_path, file):
    (tmp_path / file).write_text(json.dumps(FIXTURES[file]))
    text = render(BLOCK_OF[file], tmp_path, tmp_path)
    for number in FIXTURE_NUMBERS[file]:
        assert number in text, (number, text)
    assert "not measured" not in text


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_a_missing_json_renders_not_measured_yet(tmp_path, name):
    text = render(name, tmp_path, tmp_path)
    assert text == f"* {BENCHMARKS[name].title}: not measured yet (run: `{BENCHMARKS[name].command}`)."


def _speed_row(median: float, others=("numpy", "torch")) -> dict:
    return {other: {"median": median, "min": median - 0.1, "max": median + 0.1} for other in others}


def _sampler_speed(with_stream: bool) -> dict:
    by_n = {}
    for n, median in (("100000", 0.93), ("1000000", 1.27)):
        row = {"theorylab_speedup_cpu": _speed_row(median)}
        if with_stream:
            row["numpy_stream_speedup_cpu"] = _speed_row(median + 0.5, ("numpy", "torch", "torch-inplace"))
        by_n[n] = row
    return {"setting": {"T": 3.0, "gamma": 0.05, "steps": 60, "dtype": "float64", "device": "cpu"},
            "environment": {"cpu_count": 2, "load_average_start": [7.77, 0, 0], "load_average_end": [8.88, 0, 0],
                            "seconds": 123.0},
            "agreement": {"all_within_roundoff": True, "fused_equals_generic_bitwise": True,
                          "max_abs_diff": {"numpy": 2e-13}},
            "profile": {"particles": 100000, "ns_per_particle_cpu": {}},
            "timing": [{"threads": 1, "omp_wait_policy": "default", "by_particles": by_n}]}


@pytest.mark.parametrize("with_stream", [False, True])
def test_the_sampler_speed_verdicts_come_from_the_numbers(tmp_path, with_stream):
    (tmp_path / "sampler_speed.json").write_text(json.dumps(_sampler_speed(with_stream)))
    text = render("perf-sampler-speed", tmp_path, tmp_path)
    assert "0.93 [0.83–1.03]" in text and "1.27 [1.17–1.37]" in text and "7.77 → 8.88" in text
    # one median below 1, one above: the verdict counts them, it does not say "ahead everywhere"
    assert "theorylab is faster than numpy in 1 of 2 settings" in text
    assert ("theorylab-numpy-stream" in text) is with_stream
    if with_stream:
        assert "1.43 [1.33–1.53]" in text and "the numpy stream is faster than torch-inplace in every setting" in text


def test_the_reproduce_timing_renders_each_profile(tmp_path):
    record = {"quick": {"total_seconds": 201.4, "stages": {"claims ledger": 37.6, "sweeps": 12.2}, "workers": 1,
                        "cpu_count": 2, "load_average_start": [1.5, 0, 0], "load_average_end": [2.5, 0, 0]}}
    (tmp_path / "reproduce_timing.json").write_text(json.dumps(record))
    text = render("perf-reproduce", tmp_path / "missing", tmp_path)
    assert "Quick profile: 201 s" in text and "claims ledger 38 s" in text and "sweeps 12 s" in text
    assert "Full profile: not measured yet (run: `theorylab reproduce --full`)" in text
