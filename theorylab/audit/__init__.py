"""Audits of black-box samplers: recover what a sampler computes by probing it (:mod:`.probe`)."""

from theorylab.audit.probe import AffineProbe, probe_affine

__all__ = ["AffineProbe", "probe_affine"]
