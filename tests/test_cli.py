"""CLI: output shapes, the --json schema, and bad input (exit code 2, one line on stderr, no traceback)."""

from __future__ import annotations

import json

import pytest

from theorylab.cli import main
from tests.cli_refusal import assert_refused, run_cli

FAST_CLAIM = "000.backward.log-ratio-bound"
JSON_KEYS = {"id", "source", "location", "statement", "verdict", "evidence", "correction"}


def test_one_claim_as_json(capsys):
    assert main(["verify", "--claim", FAST_CLAIM, "--json", "--quiet"]) == 0
    objects = json.loads(capsys.readouterr().out)
    assert len(objects) == 1
    obj = objects[0]
    assert JSON_KEYS <= set(obj)
    assert obj["id"] == FAST_CLAIM
    assert obj["verdict"] in {"proved", "verified", "refuted", "corrected", "conditional", "pending"}
    assert all({"kind", "summary", "supports", "details"} <= set(e) for e in obj["evidence"])


def test_one_claim_in_full(capsys):
    assert main(["verify", "--claim", FAST_CLAIM, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"id:        {FAST_CLAIM}" in out and "verdict:" in out and "evidence:" in out


@pytest.mark.parametrize(
    "argv, named",
    [
        (["verify", "--claim", "no.such.claim"], "no.such.claim"),
        (["verify", "--frobnicate"], "--frobnicate"),
        (["nosuchcommand"], "nosuchcommand"),
        ([], "COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, named, capsys):
    assert_refused(*run_cli(argv, capsys), named)


def test_samplers_lists_every_registry_entry(capsys):
    from theorylab.divergences import DIVERGENCES
    from theorylab.processes import PROCESSES
    from theorylab.samplers import SAMPLERS

    assert main(["samplers"]) == 0
    out = capsys.readouterr().out
    assert all(f"`{name}`" in out for name in SAMPLERS)
    assert all(name in out for name in [*PROCESSES, *DIVERGENCES])
    assert "ddim: eta" in out and "edm: s_churn, s_noise, s_tmax, s_tmin" in out
