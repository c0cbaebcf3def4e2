"""The one-line refusal every bad input gets (exit code 2, ``theorylab: error: <line naming the key>``, no
traceback), checked in-process through :func:`theorylab.cli.main`.

A subprocess costs ~2-3 s of imports per case; the console entry point's exit code and stderr are checked by a
few subprocess cases in ``tests/test_bad_inputs.py``, the rest of the suite calls ``main`` directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from theorylab.cli import main


def run_cli(argv: Sequence[object], capsys) -> tuple[int, str]:
    """``main(argv)``'s exit code and its stderr (stripped)."""
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err.strip()


def assert_refused(code: int, err: str, named: str) -> None:
    """Exit code 2 and exactly one stderr line, the CLI's error prefix, naming ``named``; no traceback."""
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("theorylab: error: "), lines[0]
    assert named in lines[0], lines[0]
    assert "Traceback" not in err
