"""The Gaussian law :math:`\\mathcal N(\\mu, \\Sigma)` on :math:`\\mathbb R^d`, full covariance, any ``d``.

.. math::

    \\log p(x) = -\\tfrac12\\big(d\\log 2\\pi + \\log\\det\\Sigma + (x-\\mu)^\\top\\Sigma^{-1}(x-\\mu)\\big),
    \\qquad \\nabla\\log p(x) = -\\Sigma^{-1}(x-\\mu),

computed in torch float64 through the Cholesky factor :math:`\\Sigma = LL^\\top` (see
:mod:`theorylab.distributions.mvn`). The family is closed under the forward OU process, its Euler–Maruyama chain
and affine maps plus independent Gaussian noise (seed 000, slides "El Proceso Forward" and "Análisis del proceso
Ornstein-Uhlenbeck": "(X_t) es un proceso Gaussiano").

Structure. The law also keeps its eigendecomposition :math:`\\Sigma = U\\operatorname{diag}(\\lambda)U^\\top`
(:meth:`Gaussian.eigh`): given directly (:meth:`Gaussian.from_eigen`, ``basis=None`` for a diagonal covariance),
or computed once by ``numpy.linalg.eigh`` and cached. Routes that only need :math:`(\\lambda, U)` (whitening,
square roots, supports) read it instead of refactorising.

Singular laws. With ``allow_singular=True`` (or :meth:`Gaussian.from_eigen` with zero eigenvalues) :math:`\\Sigma`
may be positive **semi**-definite: the law lives on the affine subspace :math:`\\mu + \\operatorname{range}\\Sigma`
and has no density on :math:`\\mathbb R^d`. ``logpdf``, ``pdf`` and ``score`` then **raise** ``ValueError`` (they
do not return :math:`-\\infty` off the support: no density w.r.t. Lebesgue measure exists on the support either);
sampling, moments, :meth:`~Gaussian.eigh`, the forward marginals (definite for :math:`t > 0`) and the divergences
of :mod:`theorylab.divergences.singular` work. Eigenvalues at most :data:`~theorylab.tolerances.PSD_EIGEN_RTOL`
times the largest count as 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.distributions.affine import parse_affine, pushforward_gaussian
from theorylab.distributions.base import Distribution, to_float64_tensor
from theorylab.distributions.marginals import ForwardMarginalsMixin
from theorylab.distributions.mvn import component_log_densities, component_scores
from theorylab.distributions.validation import key_of, validate_cov, validate_eigenvalues, validate_mean
from theorylab.errors import ConfigError
from theorylab.tolerances import PSD_EIGEN_RTOL

__all__ = ["Gaussian"]


class Gaussian(ForwardMarginalsMixin, Distribution):
    """Multivariate normal law :math:`\\mathcal N(\\mu, \\Sigma)`.

    Parameters
    ----------
    mean : float or array_like, shape ``(d,)``
        Mean :math:`\\mu` (a scalar means ``d = 1``).
    cov : float or array_like, shape ``(d,)`` or ``(d, d)``
        Covariance :math:`\\Sigma`: a scalar :math:`s` means :math:`sI_d`, a vector a diagonal; it must be
        symmetric positive definite (semi-definite with ``allow_singular``).
    key : str, optional
        Config prefix used in error messages (``"target"`` gives ``"target.cov: ..."``).
    allow_singular : bool
        Accept a singular (PSD) covariance: a law without density (module docstring).

    Raises
    ------
    ConfigError
        On non-finite values, shape mismatch, or a covariance that is not symmetric positive (semi-)definite.

    Examples
    --------
    >>> import numpy as np
    >>> from theorylab.distributions import Gaussian
    >>> g = Gaussian([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]])
    >>> g.ou_marginal(0.0).mean()
    array([0., 1.])
    """

    def __init__(self, mean: Any, cov: Any, *, key: str = "", allow_singular: bool = False):
        self._mean = validate_mean(mean, key_of(key, "mean"))
        self.dim = int(self._mean.shape[0])
        self._cov = validate_cov(cov, key_of(key, "cov"), self.dim, allow_singular=allow_singular)
        self._eigen: tuple[np.ndarray, np.ndarray | None] | None = None
        diagonal = np.diag(self._cov)
        if np.count_nonzero(self._cov - np.diag(diagonal)) == 0:  # a diagonal covariance is its eigendecomposition
            top = max(float(np.max(diagonal)), 0.0)
            cut = PSD_EIGEN_RTOL * top if allow_singular else 0.0  # as eigh(): round-off eigenvalues of a PSD law
            self._eigen = (np.where(diagonal <= cut, 0.0, diagonal), None)
        elif allow_singular:  # decide singularity from the eigenvalues (Cholesky may pass on round-off pivots)
            self.eigh()
        self._finish()

    @classmethod
    def from_eigen(cls, mean: Any, eigenvalues: Any, basis: Any = None, *, key: str = "",
                   eigenvalues_key: str = "eigenvalues", share_basis: bool = False) -> Gaussian:
        """The law :math:`\\mathcal N(\\mu, U\\operatorname{diag}(\\lambda)U^\\top)` from its eigendecomposition.

        Parameters
        ----------
        mean : float or array_like, shape ``(d,)``
        eigenvalues : array_like, shape ``(d,)``
            :math:`\\lambda_i \\ge 0` (zeros allowed: a singular law).
        basis : array_like, shape ``(d, d)``, optional
            Orthonormal columns :math:`U` (checked: :math:`\\max|U^\\top U - I| \\le 10^{-10}`); None means
            :math:`U = I` (a diagonal covariance, stored as such: :attr:`basis` stays None).
        key : str
            Config prefix for error messages; ``eigenvalues_key`` names the eigenvalue key (``"variances"`` for a
            diagonal given as variances).
        share_basis : bool
            Keep ``basis`` itself (not a copy, and trusted orthonormal): for laws built from another law's basis (the
            exact route's output law and its target), so that the O(d) divergences recognise the shared basis by
            identity and no d x d array is copied or checked (800 MB at d = 10^4).
        """
        self = cls.__new__(cls)
        self._mean = validate_mean(mean, key_of(key, "mean"))
        self.dim = int(self._mean.shape[0])
        lam = validate_eigenvalues(eigenvalues, key_of(key, eigenvalues_key), self.dim)
        u = None
        if basis is not None and share_basis:
            u = basis
        elif basis is not None:
            u = np.asarray(basis, dtype=np.float64)
            if u.shape != (self.dim, self.dim) or not np.all(np.isfinite(u)):
                raise ConfigError(f"{key_of(key, 'basis')}: must be a finite ({self.dim}, {self.dim}) matrix")
            # orthonormality probed on 4 fixed random vectors (O(d^2); U^T U = I iff |U^T U x - x| = 0 for all x, and a
            # defect is caught by a random x with probability 1): the full d x d product is O(d^3), 3 s at d = 3072
            probe = np.random.default_rng(0).standard_normal((self.dim, 4))
            if float(np.max(np.abs(u.T @ (u @ probe) - probe))) > 1e-10 * (1.0 + float(np.max(np.abs(probe)))):
                raise ConfigError(f"{key_of(key, 'basis')}: columns must be orthonormal")
        self._cov_dense = None  # built on first use (O(d^3) with a basis): the O(d) routes never need it
        top = float(np.max(lam))
        lam = np.where(lam <= PSD_EIGEN_RTOL * top, 0.0, lam)
        self._eigen = (lam.copy(), None if u is None else (u if share_basis else u.copy()))
        self._finish()
        return self

    def _finish(self) -> None:
        self._chol_value: np.ndarray | None | bool = False  # False: not computed yet (lazy, like the dense cov)
        self._cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def _cov(self) -> np.ndarray:
        """The dense covariance, built from the eigendecomposition on first use when the law was given by it."""
        if self._cov_dense is None:
            lam, u = self._eigen  # type: ignore[misc]
            cov = np.diag(lam) if u is None else (u * lam) @ u.T
            self._cov_dense = 0.5 * (cov + cov.T)
        return self._cov_dense

    @_cov.setter
    def _cov(self, value: np.ndarray) -> None:
        self._cov_dense = value

    @property
    def _chol(self) -> np.ndarray | None:
        """The Cholesky factor (None for a singular law), computed on first use."""
        if self._chol_value is False:
            singular = self._eigen is not None and not bool(np.all(self._eigen[0] > 0.0))
            try:
                if singular:
                    self._chol_value = None
                elif self._eigen is not None and self._eigen[1] is None:  # diagonal: L = diag(sqrt(lambda))
                    self._chol_value = np.diag(np.sqrt(self._eigen[0]))
                else:
                    self._chol_value = np.linalg.cholesky(self._cov)
            except np.linalg.LinAlgError:
                self._chol_value = None
        return self._chol_value  # type: ignore[return-value]

    def eigen_parts(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(lambda, U or None)`` without copies (internal fast routes; do not modify)."""
        if self._eigen is None:
            self.eigh()
        return self._eigen  # type: ignore[return-value]

    # ---- parameters ---------------------------------------------------------------------------------------------
    def mean(self) -> np.ndarray:
        """Mean :math:`\\mu`, shape ``(d,)`` (a copy)."""
        return self._mean.copy()

    def covariance(self) -> np.ndarray:
        """Covariance :math:`\\Sigma`, shape ``(d, d)`` (a copy)."""
        return self._cov.copy()

    @property
    def cholesky(self) -> np.ndarray:
        """Lower Cholesky factor :math:`L`, :math:`\\Sigma = LL^\\top`, shape ``(d, d)`` (a copy).

        Raises ``ValueError`` for a singular law (use :meth:`sqrt_factor`)."""
        if self._chol is None:
            raise ValueError(f"Gaussian: singular covariance (rank {self.rank} < d = {self.dim}) has no Cholesky "
                             "factor; use sqrt_factor()")
        return self._chol.copy()

    def eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lambda, U)``: eigenvalues ``(d,)`` (>= 0, not sorted) and orthonormal eigenvectors (columns of ``U``,
        ``(d, d)``) with :math:`\\Sigma = U\\operatorname{diag}(\\lambda)U^\\top`; ``U = I`` for a law given diagonal.
        Cached (computed once by ``numpy.linalg.eigh`` when the law was given by its covariance); returns copies.
        Eigenvalues at most :data:`~theorylab.tolerances.PSD_EIGEN_RTOL` times the largest are set to exactly 0."""
        if self._eigen is None:
            lam, u = np.linalg.eigh(self._cov)
            top = max(float(np.max(lam)), 0.0)
            self._eigen = (np.where(lam <= PSD_EIGEN_RTOL * top, 0.0, lam), u)
        lam, u = self._eigen
        return lam.copy(), (np.eye(self.dim) if u is None else u.copy())

    @property
    def basis(self) -> np.ndarray | None:
        """The eigenbasis :math:`U` of :meth:`eigh`, or None when the covariance is diagonal as given."""
        self.eigh()
        u = self._eigen[1]  # type: ignore[index]
        return None if u is None else u.copy()

    @property
    def rank(self) -> int:
        """Rank of :math:`\\Sigma` (number of eigenvalues of :meth:`eigh` counted as positive)."""
        return int(np.count_nonzero(self.eigh()[0] > 0.0))

    @property
    def is_singular(self) -> bool:
        """True when :math:`\\Sigma` is singular (the law has no density on :math:`\\mathbb R^d`)."""
        if self._eigen is not None:
            return not bool(np.all(self._eigen[0] > 0.0))
        return self._chol is None

    def sqrt_factor(self) -> np.ndarray:
        """A factor :math:`A` with :math:`AA^\\top = \\Sigma`, shape ``(d, d)``: the Cholesky factor when
        :math:`\\Sigma` is definite, else :math:`U\\operatorname{diag}(\\sqrt\\lambda)` from :meth:`eigh` (exact for
        PSD matrices; ``scipy.linalg.sqrtm`` is not used: on singular matrices it loses accuracy and may return
        complex values)."""
        if self._chol is not None:
            return self._chol.copy()
        lam, u = self.eigh()
        return u * np.sqrt(lam)

    def as_mixture(self) -> Any:
        """The same law as a one-component :class:`~theorylab.distributions.mixture.GaussianMixture` (definite
        covariances only: a mixture component needs a density)."""
        from theorylab.distributions.mixture import GaussianMixture

        self._require_density()

        return GaussianMixture([1.0], self._mean[None, :], self._cov[None, :, :])

    # ---- torch kernels ------------------------------------------------------------------------------------------
    def _params(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if device not in self._cache:
            self._cache[device] = (
                to_float64_tensor(self._mean[None, :], device),
                to_float64_tensor(self._chol[None, :, :], device),
            )
        return self._cache[device]

    def _require_density(self) -> None:
        if self._chol is None:
            raise ValueError(f"Gaussian: singular covariance (rank {self.rank} < d = {self.dim}): the law has no "
                             "density or score on R^d")

    def _logpdf(self, x: torch.Tensor) -> torch.Tensor:
        self._require_density()
        mean, chol = self._params(x.device)
        return component_log_densities(x, mean, chol)[..., 0]

    def _score(self, x: torch.Tensor) -> torch.Tensor:
        self._require_density()
        mean, chol = self._params(x.device)
        return component_scores(x, mean, chol)[..., 0, :]

    # ---- sampling -----------------------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points :math:`\\mu + AZ`, :math:`Z \\sim \\mathcal N(0, I_d)`, :math:`A` the
        :meth:`sqrt_factor` (Cholesky for a definite law, so draws are unchanged); shape ``(n, d)``, float64."""
        n = self._check_sample_args(n, rng)
        z = rng.standard_normal((n, self.dim))
        return self._mean + z @ self.sqrt_factor().T

    # ---- closed family ------------------------------------------------------------------------------------------
    def affine_pushforward(self, A: Any, b: Any, noise_cov: Any) -> Gaussian:
        """Law of :math:`AX + b + \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0, N)` independent:
        :math:`\\mathcal N(A\\mu + b, A\\Sigma A^\\top + N)`. Shapes as in :mod:`theorylab.distributions.affine`.

        A singular result is refused for a definite ``self`` (as before: a map that loses rank is usually a slip)
        and allowed when ``self`` is singular (e.g. the OU marginal at ``t = 0`` of a singular target).

        With scalar ``A = a`` and ``noise_cov = v`` (the marginals of the isotropic forward processes) and a law stored
        by its eigendecomposition, the result keeps it: :math:`\\mathcal N(a\\mu + b, U\\operatorname{diag}(a^2\\lambda
        + v)U^\\top)`, O(d), no dense covariance."""
        if self._eigen is not None and self._cov_dense is None and np.ndim(A) == 0 and np.ndim(noise_cov) == 0:
            a, v = float(A), float(noise_cov)
            lam, u = self._eigen
            shift = np.broadcast_to(np.asarray(b, dtype=np.float64), (self.dim,))
            return Gaussian.from_eigen(a * self._mean + shift, a * a * lam + v, basis=u)
        matrix, shift, noise = parse_affine(A, b, noise_cov, self.dim)
        mean, cov = pushforward_gaussian(self._mean, self._cov, matrix, shift, noise)
        try:
            return Gaussian(mean, cov, allow_singular=self.is_singular)
        except ConfigError:
            raise ConfigError(
                "A: the pushed-forward covariance A cov A^T + noise_cov is not positive definite"
            ) from None

    def __repr__(self) -> str:
        return f"Gaussian(mean={self._mean.tolist()!r}, cov={self._cov.tolist()!r})"
