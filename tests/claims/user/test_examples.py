"""The shipped example files run, and each claim gets the verdict its mathematics implies (the false ones are
refuted with the witness named)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theorylab.claims.ledger import run_check
from theorylab.claims.user import load_claims
from theorylab.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DDPM = load_claims(EXAMPLES / "claims_ddpm.toml")
CODE = load_claims(EXAMPLES / "claims_ddpm_code.py")

EXPECTED = {
    "ddpm.marginal-variance": "proved",
    "ddpm.posterior-variance": "proved",
    "ddpm.posterior-mean": "proved",
    "ddpm.eps-mean": "proved",
    "ddpm.eps-mean-no-sqrt": "refuted",  # beta_t / (1 - abar_t) instead of beta_t / sqrt(1 - abar_t)
    "ddpm.variance-bounds": "proved",  # beta_tilde_t <= beta_t (an inequality)
    "dsm.target": "proved",
    "dsm.target-sigma-slip": "refuted",  # sigma instead of sigma^2
    "ddpm.linear-schedule.marginal-variance": "verified",  # callables: never proved
    "ddpm.linear-schedule.exp-approximation": "refuted",
    "ddpm.linear-schedule.exp-bound": "verified",
}


def test_every_example_claim_has_an_expected_verdict():
    assert sorted(c.id for c in DDPM + CODE) == sorted(EXPECTED)
    assert sum(v == "refuted" for k, v in EXPECTED.items() if k in {c.id for c in DDPM}) >= 1 and len(DDPM) >= 5


@pytest.mark.parametrize("claim", DDPM + CODE, ids=lambda c: c.id)
def test_example_claim_verdict(claim):
    result = run_check(claim)
    assert result.error is None, result.error
    assert result.verdict == EXPECTED[claim.id], result.one_line


def test_refuted_examples_name_a_real_witness():
    slip = run_check(next(c for c in DDPM if c.id == "dsm.target-sigma-slip")).outcome.evidence[0].details
    x, xt, s = (slip["witness"][k] for k in ("x", "xt", "s"))
    assert slip["lhs"] == pytest.approx(-(xt - x) / s**2) and slip["rhs"] == pytest.approx(-(xt - x) / s)
    assert s != 1 and xt != x  # where sigma = sigma^2 or x_tilde = x the slip is invisible
    approx = run_check(next(c for c in CODE if c.id.endswith("exp-approximation"))).outcome.evidence[0].details
    assert approx["witness"] == {"t": 1}  # the first step already differs: beta_1 vs 1 - exp(-beta_1)


def test_cli_json_and_markdown_of_a_claims_file(tmp_path, capsys):
    report = tmp_path / "r.md"
    path = tmp_path / "c.toml"
    first = (EXAMPLES / "claims_ddpm.toml").read_text(encoding="utf-8").split("[[claim]]")[1]
    path.write_text("[[claim]]" + first + '[[claim]]\nid = "u.bern"\nstatement = "(1-g)^k = 1-kg"\nlhs = "(1 - g)**k"\n'
                    'rhs = "1 - k*g"\n[claim.domain]\ng = [0, 1]\nk = "integer [1, 200]"\n', encoding="utf-8")
    assert main(["verify", "--claims", str(path), "--json", "--quiet", "--report", str(report)]) == 0
    objects = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in objects] == ["ddpm.marginal-variance", "u.bern"]
    assert [o["verdict"] for o in objects] == ["proved", "refuted"]
    assert objects[1]["evidence"][0]["details"]["witness"]["k"] == 2
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Claims of c.toml") and "**refuted**" in text and "k = 2" in text
