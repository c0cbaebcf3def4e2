"""``benchmarks/README.md`` (the benchmarks' methods document) is honest the same way as the README's Performance
section: every block equals what the committed ``benchmarks/results/*.json`` give, the text outside the blocks
carries no typed number, and ``update_readme`` rewrites this document's blocks too.

The rule for the text outside the generated blocks (:func:`typed_digits`): after removing the generated blocks,
fenced code blocks and inline code spans, no digit may remain except in these tokens, which name things and are
not measurements: ``float16`` / ``float32`` / ``float64`` (dtypes), ``L2`` / ``W2`` (norms and distances) and
``issue N`` / ``issue N part M`` / ``issue N, part M`` (issue references). Headings follow the same rule.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from theorylab.report.benchmarks import BENCHMARKS, DOC_BLOCKS, render_doc
from theorylab.report.readme import generated_blocks, render_bench_block, update_benchmarks_readme, update_readme

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "benchmarks" / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
TEXT = DOCUMENT.read_text(encoding="utf-8")

#: The tokens with a digit allowed outside generated blocks and code (see the module docstring).
ALLOWED = re.compile(r"\bfloat(?:16|32|64)\b|\b[LW]2\b|\b[Ii]ssue \d+(?:,? part \d+)?\b")
BLOCK_OR_CODE = re.compile(r"<!-- generated:[a-z0-9-]+ -->\n.*?<!-- /generated -->|```.*?```|`[^`\n]*`", re.S)


def typed_digits(text: str) -> list[str]:
    """The lines of ``text`` that keep a digit outside generated blocks, code and :data:`ALLOWED` tokens."""
    prose = ALLOWED.sub("", BLOCK_OR_CODE.sub("", text))
    return [line for line in prose.splitlines() if re.search(r"\d", line)]


def test_the_document_has_every_block_once():
    names = [name for name, _ in generated_blocks(TEXT)]
    assert sorted(names) == sorted(DOC_BLOCKS) and len(names) == len(set(names))


@pytest.mark.parametrize("name, body", generated_blocks(TEXT))
def test_every_block_matches_the_committed_json(name, body):
    assert body == render_bench_block(name, RESULTS, ROOT / "reports"), (
        f"benchmarks/README.md block {name!r} is stale: run `theorylab reproduce` or "
        f"`python -c 'from theorylab.report.readme import update_readme; update_readme()'`")


def test_no_digit_is_typed_outside_the_blocks_and_code():
    assert typed_digits(TEXT) == []


def test_the_digit_rule_can_fail():
    # a typed measurement in prose or a heading is caught; code, blocks and the named tokens are not
    assert typed_digits("theorylab is 1.3x faster") == ["theorylab is 1.3x faster"]
    assert typed_digits("## reading a 10k-row store") == ["## reading a 10k-row store"]
    assert typed_digits("float64 on `8` cores, W2 (issue 15, part 2)\n<!-- generated:x -->\n9\n<!-- /generated -->") == []


def test_each_block_starts_with_the_readme_bullet():
    # one renderer per fact: the document shows the README's bullet of the same benchmark, byte for byte
    for name, block in DOC_BLOCKS.items():
        assert render_doc(name, RESULTS, ROOT / "reports").startswith(
            BENCHMARKS[block.bullet].render(RESULTS, ROOT / "reports"))


@pytest.mark.parametrize("name", sorted(DOC_BLOCKS))
def test_a_missing_json_renders_not_measured_yet(tmp_path, name):
    bench = BENCHMARKS[DOC_BLOCKS[name].bullet]
    assert render_doc(name, tmp_path, tmp_path) == f"* {bench.title}: not measured yet (run: `{bench.command}`)."


# ------------------------------------------------------------------------------ rewriting stale blocks
def test_a_stale_block_is_rewritten(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("# B\n\n<!-- generated:bench-sliced-w2 -->\n* POT / ours time: 99.99×\n<!-- /generated -->\nend\n")
    assert update_benchmarks_readme(doc, ROOT / "reports", RESULTS) == 1
    text = doc.read_text()
    assert "99.99" not in text and render_bench_block("bench-sliced-w2", RESULTS, ROOT / "reports") in text
    assert text.startswith("# B\n\n") and text.endswith("<!-- /generated -->\nend\n")


def test_an_unknown_block_is_refused(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("<!-- generated:bench-nothing -->\n<!-- /generated -->\n")
    with pytest.raises(KeyError, match="bench-nothing"):
        update_benchmarks_readme(doc, ROOT / "reports", RESULTS)


def test_update_readme_refreshes_both_documents(tmp_path):
    # one command: the README's perf block and the benchmarks document's block, from the same (odd) JSON
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    (results / "sliced_w2.json").write_text(json.dumps(
        {"n": 321, "L": 45, "d": 2, "value_ours": 0.5, "value_pot": 0.5, "abs_diff": 1e-15,
         "ratio_pot_over_ours": 6.54}))
    (tmp_path / "README.md").write_text("<!-- generated:perf-sliced-w2 -->\nold\n<!-- /generated -->\n")
    (tmp_path / "benchmarks" / "README.md").write_text(
        "<!-- generated:bench-sliced-w2 -->\nold\n<!-- /generated -->\n"
        "<!-- generated:bench-likelihood -->\nold\n<!-- /generated -->\n")
    assert update_readme(tmp_path / "README.md", ROOT / "reports") == 3
    readme, doc = (tmp_path / "README.md").read_text(), (tmp_path / "benchmarks" / "README.md").read_text()
    assert "old" not in readme and "old" not in doc
    assert "6.54×" in readme and "6.54×" in doc and "n = 321" in doc
    assert "* PF-ODE likelihood, exact trace vs Hutchinson: not measured yet" in doc


# ------------------------------------------------------------------------------ the detail renderers
def _copy(tmp_path: Path, name: str, edit) -> dict:
    """The committed ``name`` edited by ``edit`` (in place), written under ``tmp_path``."""
    data = json.loads((RESULTS / name).read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / name).write_text(json.dumps(data))
    return data


def test_reverse_em_details_read_the_json(tmp_path):
    def edit(d):
        d["timing"]["threads_1"]["by_particles"]["100000"]["numpy"]["particle_steps_per_second"] = 1.234e9
        d["replay_check"]["torchsde_euler_steps"] = 777
        d["moment_check"]["max_abs_z"] = 4.321
        d["memory"]["by_allocator"]["glibc_default"]["torchsde"]["120"]["extra_peak_in_n_by_d_arrays"] = 543.0
        d["seconds_total"] = 4321.0

    _copy(tmp_path, "reverse_em.json", edit)
    text = render_doc("bench-reverse-em", tmp_path, tmp_path)
    for number in ("1.23e9", "777 Euler steps", "4.32 standard errors", "| 543 |", "took 4321 s"):
        assert number in text, (number, text)


def test_sampler_speed_details_read_the_json_and_tolerate_new_keys(tmp_path):
    def edit(d):
        block = d["timing"][0]
        block["threads_used"] = 7  # a key the lead may add: shown when present
        block["by_particles"]["100000"]["numpy"]["cpu_ns_per_particle_step"] = 88.8
        row = block["by_particles"]["100000"]
        row["theorylab-compiled"]["cpu_seconds"] = [x / 3 for x in row["theorylab"]["cpu_seconds"]]
        d["profile"]["ns_per_particle_cpu"]["numpy standard_normal"]["median"] = 6.66
        d["environment"].pop("compile_seconds")  # a key a file lacks is left out
        d.pop("memory", None)
        d["brand_new_key"] = {"x": 1}

    _copy(tmp_path, "sampler_speed.json", edit)
    text = render_doc("bench-sampler-speed", tmp_path, tmp_path)
    assert "1 (default; threads used: 7)" in text and "| 88.8 (" in text and "6.66" in text
    assert "| 1 (default; threads used: 7) | 1e5 | 3.00 [3.00–3.00] |" in text  # compiled / theorylab, paired
    assert "88.8 − 6.66 = 82.1" in text  # numpy's non-random part, computed
    assert "Compile time" not in text and "Peak memory: not recorded in this JSON." in text


def test_sweep_scaling_details_render_present_keys_only(tmp_path):
    def edit(d):
        d["wall_seconds"]["2 workers (process pool)"] = [11.1, 22.2, 33.3]
        d["threads_used"] = {"pool": 1}
        d.pop("dask_tcp_over_pool")

    _copy(tmp_path, "sweep_scaling.json", edit)
    text = render_doc("bench-sweep-scaling", tmp_path, tmp_path)
    assert "| 2 workers (process pool) | 11.1, 22.2, 33.3 |" in text and "Threads used: pool: 1." in text
    assert "dask_tcp_over_pool" not in text and "`dask_local_over_pool`" in text


def test_training_details_read_the_json(tmp_path):
    def edit(d):
        d["throughput"]["median_steps_per_s"]["gmm-mlp float64 2thr passive cpu"] = 12.3
        d["error_per_minute"]["rows"][0]["steps"] = 9876
        d["step_split"]["gmm-mlp float64 cpu 1thr"]["segments"]["backward"]["median_ms"] = 65.4
        d.pop("wall_seconds")

    _copy(tmp_path, "training.json", edit)
    text = render_doc("bench-training", tmp_path, tmp_path)
    assert "| gmm-mlp | float64 | 54 | 1.3* | 12.3 |" in text and "| 9876 |" in text and "| 65.4 (" in text
    assert "took" not in text.split("CUDA:")[1].split("\n")[0]


def test_store_read_details_read_the_json(tmp_path):
    for label, size in (("before", 10_000_000), ("after", 10_500_000)):
        _copy(tmp_path, f"store_read_{label}.json", lambda d, size=size: d.update(store_bytes=size, rows=1000))
    text = render_doc("bench-store-read", tmp_path, tmp_path)
    assert "The stamps add 0.477 MiB, 500 bytes a row." in text


def test_the_committed_document_is_not_rewritten_by_the_tests(tmp_path):
    # update_benchmarks_readme on a copy leaves the committed document as it is and gives the same bytes
    copy = tmp_path / "README.md"
    shutil.copy(DOCUMENT, copy)
    update_benchmarks_readme(copy, ROOT / "reports", RESULTS)
    assert copy.read_text(encoding="utf-8") == TEXT


def test_thread_grain_renders_the_policy_check_and_the_break_evens(tmp_path):
    def edit(d):
        d["policy_right"] = {"hits": 3, "settings": 11}
        d["break_even_step_work"] = {"seed mixture": 4.56e8, "d = 8 mixture": None}
        d["by_target"]["seed mixture"][0]["one_over_two"]["wall"]["median"] = 0.123

    _copy(tmp_path, "thread_grain.json", edit)
    text = render_doc("bench-thread-grain", tmp_path, tmp_path)
    assert "in 3 of 11 settings" in text and "seed mixture: 4.6e8" in text
    assert "d = 8 mixture: two threads never paid in the measured range" in text and "| 0.12 [" in text
