"""Symbolic derivations (sympy) of the closed forms and identities stated in the seed slides.

Every result is derived (``rsolve``, ``dsolve``, ``solve``, series, integration by parts), never typed in, and
comes as a :class:`~theorylab.symbolic.result.Derivation` (expression + lambdified numeric version) or an
:class:`~theorylab.symbolic.result.IdentityCheck` (proved, refuted with a witness, or numerically supported).
"""

from theorylab.symbolic.result import Derivation, IdentityCheck, Truth, check_identity

__all__ = ["Derivation", "IdentityCheck", "Truth", "check_identity"]
