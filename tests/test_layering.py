"""The layering of ``docs/architecture.md`` holds: a layer imports only layers before it in :data:`LAYERS`
(module-level and function-level imports alike), so there is no import cycle between layers (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

import theorylab

#: The layers, lowest first (the order of ``docs/architecture.md``).
LAYERS = ["errors", "tolerances", "limits", "cost", "progress", "provenance", "threads", "workspace", "symbolic", "distributions", "processes", "scores", "samplers",
          "laws", "divergences", "config", "learning", "measure", "experiments", "bounds", "gan", "likelihood",
          "audit", "report", "claims", "studies", "cli", "__main__"]
ROOT = Path(theorylab.__file__).parent


def _layer(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("theorylab."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("theorylab.")}
    return out


def test_every_module_belongs_to_a_layer():
    layers = {_layer(p) for p in ROOT.rglob("*.py")} - {"__init__"}
    assert layers <= set(LAYERS), sorted(layers - set(LAYERS))


def test_layers_import_only_lower_layers():
    rank = {name: i for i, name in enumerate(LAYERS)}
    violations = []
    for path in ROOT.rglob("*.py"):
        src = _layer(path)
        if src == "__init__":
            continue
        for dst in _imports(path) - {src}:
            if rank[dst] > rank[src]:
                violations.append(f"{path.relative_to(ROOT)} imports theorylab.{dst}")
    assert not violations, violations


def test_the_check_can_fail(tmp_path):
    # the same reader on a module that imports upwards reports it
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from theorylab.divergences import tv\n")
    assert "divergences" in _imports(bad)
