"""Claims of seed 000 (see the module name for the part)."""

from __future__ import annotations
