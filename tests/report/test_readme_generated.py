"""The README's result numbers are generated from the committed artefacts: every generated block equals what
``reports/claims.md`` and ``reports/learning/*/result.json`` give, and the sections holding them carry no other
typed-in result number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from theorylab.report.readme import BLOCK, generated_blocks, render_block, update_readme

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The README sections that report results (from the ledger's heading to the library example).
RESULTS = README[README.index("### The claims ledger"):README.index("### As a library")]
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+")


def test_the_readme_has_the_generated_blocks():
    assert {name for name, _ in generated_blocks(README)} == {"ledger-counts", "ledger-findings", "reproductions", "samplers"}


@pytest.mark.parametrize("name, body", generated_blocks(README))
def test_every_generated_block_matches_the_committed_artefacts(name, body):
    assert body == render_block(name, ROOT / "reports"), f"README block {name!r} is stale: run `theorylab reproduce`"


def test_no_result_number_is_typed_in_outside_the_generated_blocks():
    # console transcripts are program output shown as examples; everything else in the results sections must
    # come from a generated block
    prose = BLOCK.sub("", re.sub(r"```.*?```", "", RESULTS, flags=re.S))
    assert not DECIMAL.findall(prose), DECIMAL.findall(prose)
    assert not re.search(r"\d+ claims", prose)


def test_update_rewrites_a_stale_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- generated:ledger-counts -->\n52 claims: 26 proved\n<!-- /generated -->\ny\n")
    assert update_readme(readme, ROOT / "reports") == 1
    text = readme.read_text()
    assert "52 claims: 26 proved" not in text and render_block("ledger-counts", ROOT / "reports") in text
