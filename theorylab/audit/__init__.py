"""Audits of black-box samplers: recover what a sampler computes by probing it (:mod:`.probe`); adapters for
diffusers (:mod:`.diffusers_adapter`) and k-diffusion (:mod:`.kdiffusion_adapter`) fed the exact model of a Gaussian
target (:mod:`.model`); comparison with theorylab's scheme on the library's grid (:mod:`.compare`); the
``theorylab audit`` run and report (:mod:`.runner`, :mod:`.report`)."""

from theorylab.audit.compare import AuditRow, audit_scheme
from theorylab.audit.model import GaussianModel
from theorylab.audit.probe import AffineProbe, probe_affine
from theorylab.audit.runner import run_audit

__all__ = ["AffineProbe", "AuditRow", "GaussianModel", "audit_scheme", "probe_affine", "run_audit"]
