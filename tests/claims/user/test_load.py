"""The claims file contract: every malformed file or field is one line naming the file or claims[ID].field, exit 2
through the CLI, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from theorylab.claims.user import load_claims
from theorylab.cli import main
from theorylab.errors import ConfigError

GOOD = '''
[[claim]]
id = "user.a"
statement = "x + x = 2x"
lhs = "x + x"
rhs = "2*x"
[claim.domain]
x = [0, 1]
'''


def write(tmp_path, text: str, name: str = "claims.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def claim(**fields) -> str:
    base = {"id": '"user.x"', "statement": '"s"', "lhs": '"x"', "rhs": '"x"'}
    base.update(fields)
    lines = ["[[claim]]", *(f"{k} = {v}" for k, v in base.items() if v is not None and k != "domain")]
    lines += ["[claim.domain]", fields.get("domain", 'x = [0, 1]')]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, named",
    [
        (claim(rhs='"foo(x)"'), "claims[user.x].rhs: unknown function 'foo'"),
        (claim(rhs='"y + 1"'), "claims[user.x].rhs: unknown name 'y'"),
        (claim(lhs='"__import__(\'os\').system(\'echo hi\')"'), "claims[user.x].lhs: '__' is not allowed"),
        (claim(lhs='"().__class__"'), "claims[user.x].lhs:"),
        (claim(domain='x = "between 0 and 1"'), "claims[user.x].domain.x: cannot read"),
        (claim(domain='x = "integer [1, inf)"'), "claims[user.x].domain.x: integer bounds"),
        (claim(rhs=None), "claims[user.x].rhs: missing"),
        (claim(id=None), "claims[#1].id: missing"),
        (claim(id='"has space"'), "claims[#1].id: must be"),
        (claim(relation='"~"'), "claims[user.x].relation: must be one of"),
        (claim(colour='"red"'), "claims[user.x]: unknown key 'colour'"),
        (claim(examples="0"), "claims[user.x].examples"),
        (claim(rtol="0.1"), "claims[user.x].rtol: only claims with a callable side"),
        (claim(statement="3"), "claims[user.x].statement: must be a string"),
        (claim(lhs='"Matrix([[x, 1]])"'), "claims[user.x].rhs: is a scalar but lhs is a 1x2 matrix"),
        (claim(lhs='"Matrix([[x]])"', rhs='"Matrix([[x]])"', relation='"<="'), "matrix claims support only '='"),
        (claim() + claim(), "claims[user.x].id: duplicate id (also claim #1)"),
        ("", "no claims"),
        ("title = 'x'\n", "unknown top-level key 'title'"),
        ("claim = 3\n", "array of tables"),
        ("[[claim]\n", "not valid TOML"),
    ],
)
def test_bad_file_is_one_line_naming_the_field(tmp_path, text, named):
    with pytest.raises(ConfigError) as err:
        load_claims(write(tmp_path, text))
    assert named in str(err.value), str(err.value)


def test_a_directory_a_binary_file_a_missing_file_and_a_wrong_suffix(tmp_path):
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00\x81 claim")
    cases = [(tmp_path, "is not a file"), (binary, "not a UTF-8 text file"), (tmp_path / "none.toml", "no such file"),
             (write(tmp_path, GOOD, "claims.yaml"), "must end in .toml or .py")]
    for path, named in cases:
        with pytest.raises(ConfigError, match=named):
            load_claims(path)


@pytest.mark.parametrize(
    "text, named",
    [("raise RuntimeError('boom')\n", "importing it failed (RuntimeError: boom)"),
     ("X = 1\n", "defines no CLAIMS list"),
     ("CLAIMS = 3\n", "CLAIMS must be a list"),
     ("CLAIMS = [1]\n", "claims[#1]: must be a table"),
     ("CLAIMS = [{'id': 'p', 'statement': 's', 'lhs': lambda x: x, 'rhs': 'x', 'rtol': 2.0, "
      "'domain': {'x': [0, 1]}}]\n", "claims[p].rtol: must be a number in (0, 1)")],
)
def test_bad_python_claims_module(tmp_path, text, named):
    with pytest.raises(ConfigError) as err:
        load_claims(write(tmp_path, text, "claims.py"))
    assert named in str(err.value)


def test_a_good_file_gives_ledger_claims(tmp_path):
    (c,) = load_claims(write(tmp_path, GOOD))
    assert c.id == "user.a" and c.source == "claims.toml" and c.statement == "x + x = 2x"
    assert c.check().verdict.value == "proved"


@pytest.mark.parametrize(
    "text, named",
    [(claim(rhs='"foo(x)"'), "claims[user.x].rhs: unknown function 'foo'"), ("", "no claims"), (None, "is not a file")],
)
def test_cli_bad_claims_file_exits_2_with_one_line(tmp_path, capsys, text, named):
    path = tmp_path if text is None else write(tmp_path, text)
    assert main(["verify", "--claims", str(path), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0]


@pytest.mark.slow  # a fresh interpreter imports torch (~5 s); the in-process test above checks the same line
def test_cli_hostile_expression_in_a_subprocess_prints_no_traceback(tmp_path):
    path = write(tmp_path, claim(lhs='"__import__(\'os\').system(\'touch pwned\')"'))
    root = str(Path(__file__).resolve().parents[3])  # run this checkout's package from another folder
    proc = subprocess.run([sys.executable, "-m", "theorylab", "verify", "--claims", str(path), "--quiet"],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": root})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "theorylab: error: claims[user.x].lhs: '__' is not allowed in an expression"]
    assert not (tmp_path / "pwned").exists()
