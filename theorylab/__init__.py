"""theorylab: check the mathematics of generative models.

Three kinds of evidence for the claims in lecture slides and papers on score-based diffusion and GANs:
symbolic derivation (:mod:`theorylab.symbolic`), exact or near-exact numerics, and learned models.
The claims ledger (:mod:`theorylab.claims`) ties every claim of the source slides to a computed verdict.

Conventions used throughout (see ``docs/conventions.md`` and ``docs/architecture.md``):

* forward Ornstein--Uhlenbeck process :math:`dX_t = -X_t\\,dt + \\sqrt{2}\\,dB_t`;
* Euler--Maruyama chain :math:`X_{k+1} = (1-\\gamma)X_k + \\sqrt{2\\gamma}Z_{k+1}`;
* TV :math:`= \\tfrac12\\|p-q\\|_1`; JS :math:`= \\tfrac12 KL(P\\|M) + \\tfrac12 KL(Q\\|M)` (natural log);
  W2 is the distance, not its square; Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq}`.
"""

__version__ = "0.1.0"
