"""Provenance stamps for result files: which code and which configuration produced a number.

A stamp is ``{"package_version", "source_hash", "source_files", "config_hash"}``:

* ``source_hash`` - sha256 over the (path, content) pairs of the theorylab source files involved, i.e. the
  ``theorylab`` modules imported by the process that computed the result (recorded in ``source_files`` with each
  file's own sha256, paths relative to the package's parent folder), each file hashed once per process;
* ``config_hash`` - sha256 of the canonical JSON (sorted keys) of the effective configuration.

A reader (the claims ledger) recomputes both from the current tree (:func:`stale_reasons`): a result whose stamp
differs was made by other code or another configuration and must be re-run before its numbers are used. The sweep
store stamps every row the same way and checks the code half (:func:`code_stale_reasons`) once per distinct file
list (:mod:`theorylab.experiments.store`).

A file's digest is read from disk once per process (cached): it describes the file as it was when first digested,
not necessarily the bytecode a long-lived process loaded earlier.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import theorylab

__all__ = ["code_stale_reasons", "config_hash", "imported_sources", "make_stamp", "source_hash", "stale_reasons"]

#: Folder holding the ``theorylab`` package; stamped paths are relative to it ("theorylab/...").
_ROOT = Path(theorylab.__file__).resolve().parent.parent


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no whitespace) of ``config``."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def imported_sources() -> list[str]:
    """The theorylab source files imported by this process, relative to the package's parent, sorted."""
    files = set()
    for name, module in list(sys.modules.items()):
        if name == "theorylab" or name.startswith("theorylab."):
            path = getattr(module, "__file__", None)
            if path and path.endswith(".py"):
                files.add(Path(path).resolve().relative_to(_ROOT).as_posix())
    return sorted(files)


@cache
def _file_digest(relative: str) -> str | None:
    path = _ROOT / relative
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def source_hash(files: Iterable[str]) -> str:
    """sha256 over the sorted (relative path, file digest) pairs; a missing file hashes as ``missing``."""
    h = hashlib.sha256()
    for relative in sorted(files):
        h.update(relative.encode("utf-8"))
        h.update((_file_digest(relative) or "missing").encode("ascii"))
    return h.hexdigest()


def make_stamp(config: Mapping[str, Any], files: Iterable[str] | None = None) -> dict[str, Any]:
    """The stamp of a result computed now, from ``config`` by the source ``files`` (default: the imported ones)."""
    files = imported_sources() if files is None else sorted(files)
    return {"package_version": theorylab.__version__, "source_hash": source_hash(files),
            "source_files": {f: _file_digest(f) for f in files}, "config_hash": config_hash(config)}


def code_stale_reasons(stamp: Mapping[str, Any] | None) -> list[str]:
    """Why a result stamped ``stamp`` does not come from this code (package version, source files); empty: it does.

    The code half of :func:`stale_reasons`, for readers that check many results sharing one stamp's file list (a
    sweep store): it depends on the stamp's ``package_version``, ``source_hash`` and ``source_files`` only, so it is
    computed once per distinct file list, not once per result.
    """
    if not stamp:
        return ["no provenance stamp"]
    reasons = []
    if stamp.get("package_version") != theorylab.__version__:
        reasons.append(f"package version {stamp.get('package_version')} != {theorylab.__version__}")
    files = dict(stamp.get("source_files") or {})
    if stamp.get("source_hash") != source_hash(files):
        changed = [f for f, digest in files.items() if _file_digest(f) != digest]
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        reasons.append(f"source changed ({shown or 'stamp inconsistent'})")
    return reasons


def stale_reasons(stamp: Mapping[str, Any] | None, config: Mapping[str, Any]) -> list[str]:
    """Why a result stamped ``stamp`` does not come from this code and ``config`` (empty list: it does)."""
    if not stamp:
        return ["no provenance stamp"]
    reasons = code_stale_reasons(stamp)
    if stamp.get("config_hash") != config_hash(config):
        reasons.append("config changed")
    return reasons
