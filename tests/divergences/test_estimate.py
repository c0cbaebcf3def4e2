"""Estimate / Uncertainty: the contract's result types."""

from __future__ import annotations

import pytest

from theorylab.divergences import UNCERTAINTY_KINDS, Estimate, Uncertainty
from theorylab.divergences.estimate import exact_estimate


def test_contract_kinds_are_all_accepted():
    for kind in ("exact", "rounding", "grid", "ci", "bounds"):
        assert kind in UNCERTAINTY_KINDS
    assert "quadrature" in UNCERTAINTY_KINDS  # added for adaptive quadrature


def test_invalid_uncertainties_are_refused():
    with pytest.raises(ValueError, match="kind"):
        Uncertainty("guess", 0.0, 1.0)
    with pytest.raises(ValueError, match="exceeds"):
        Uncertainty("grid", 1.0, 0.0)
    with pytest.raises(ValueError, match="level"):
        Uncertainty("ci", 0.0, 1.0, None)


def test_exact_estimate_and_flat_dict():
    e = exact_estimate("KL", 0.25, "closed form")
    assert e.interval == (0.25, 0.25) and e.uncertainty.kind == "exact" and e.uncertainty.half_width == 0.0
    d = Estimate("TV", 0.3, "m", Uncertainty("ci", 0.2, 0.4, 0.95, "bootstrap")).to_dict()
    assert d == {"name": "TV", "value": 0.3, "method": "m", "uncertainty_kind": "ci", "uncertainty_lower": 0.2,
                 "uncertainty_upper": 0.4, "uncertainty_level": 0.95, "uncertainty_note": "bootstrap"}
    assert "TV = 0.3 [0.2, 0.4] (ci at 0.95; m)" == str(Estimate("TV", 0.3, "m", Uncertainty("ci", 0.2, 0.4, 0.95)))


def test_contains_with_slack():
    u = Uncertainty("grid", 1.0, 2.0)
    assert u.contains(1.5) and not u.contains(2.1) and u.contains(2.1, slack=0.2)
