"""One-paragraph summaries of reproduction results (the CLI's output, ``reports/index.md``, the README table)."""

from __future__ import annotations

from typing import Any

__all__ = ["cost_line", "summarise"]


def cost_line(result: dict[str, Any]) -> str:
    """``wall 71.2 s, CPU 130.5 s, peak memory 612 MiB (imports alone: 402 MiB), 2 threads, cpu``."""
    c = result["cost"]
    text = (f"wall {c['seconds']:.1f} s, CPU {c['cpu_seconds']:.1f} s, peak memory {c['peak_rss_mib']:.0f} MiB "
            f"(imports alone: {c.get('import_baseline_rss_mib', float('nan')):.0f} MiB), {c['threads']} "
            f"thread{'s' if c['threads'] != 1 else ''}, {c['device']}")
    if "peak_cuda_mib" in c:
        text += f", peak CUDA memory {c['peak_cuda_mib']:.0f} MiB"
    if c.get("training_reused"):
        text += " (training reused a finished checkpoint: its cost is not included; delete score.pt to re-measure)"
    return text


def summarise(result: dict[str, Any]) -> str:
    """The experiment's name and profile, its headline numbers (``result["headline"]``) and its cost."""
    lines = [f"{result['name']} ({result['profile']} profile): {cost_line(result)}"]
    lines += [f"  {h}" for h in result.get("headline", [])]
    return "\n".join(lines)
