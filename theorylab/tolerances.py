"""Named tolerances for every numerical comparison in theorylab and its tests.

Each constant says what it bounds and why its value is enough. Tests and checks import these names; a bare
``1e-3`` in a comparison is a defect. Values are for float64 arithmetic (machine epsilon ``EPS ~ 2.2e-16``).
"""

from __future__ import annotations

import numpy as np

#: Machine epsilon of float64.
EPS: float = float(np.finfo(np.float64).eps)

#: Relative tolerance when a lambdified closed form is compared with the recursion or ODE it solves, in float64.
#: A recursion of k <= 10^4 steps accumulates at most ~k * EPS ~ 2e-12 relative round-off; 1e-9 leaves a margin
#: of 500x while still catching any wrong coefficient (which shows up at O(1) or O(gamma) >= 1e-6 relative).
CLOSED_FORM_RTOL: float = 1e-9

#: Absolute floor paired with :data:`CLOSED_FORM_RTOL` for quantities that cross zero.
CLOSED_FORM_ATOL: float = 1e-12

#: Number of standard errors allowed between a Monte Carlo mean and its exact value. Under the CLT a 5-sigma
#: deviation has probability ~5.7e-7 per comparison, so a suite of ~10^3 such checks fails spuriously with
#: probability < 1e-3, and seeds are fixed besides.
MC_SIGMA: float = 5.0

#: Significance of the two-sided exact binomial test (``scipy.stats.binomtest``) that a confidence interval covers a
#: known value at its nominal level. Seeds are fixed, so a test either always passes or always fails; 0.01 keeps the
#: acceptance region narrow enough that, at the repeat counts used (chosen with
#: :func:`tests._coverage.coverage_power`), an interval computed at 75% or 99.9% but labelled 90% is rejected with
#: probability >= 0.8 (a 5-sigma window at 40 repeats accepted any coverage from 0.66 to 1).
COVERAGE_ALPHA: float = 0.01

#: Absolute tolerance of adaptive quadrature (scipy.integrate.quad) used as an independent route; quad's own
#: error estimate is required to be below this value too.
QUADRATURE_ATOL: float = 1e-9

#: Relative size under which a symbolic residual evaluated at random points counts as round-off, when sympy
#: cannot simplify it to exactly 0. Points are evaluated with 50 significant digits (mpmath), so a true zero
#: leaves residuals ~1e-45; 1e-30 separates round-off from a genuine discrepancy by 15 orders of magnitude.
SYMBOLIC_NUMERIC_ZERO: float = 1e-30

#: Allowed shortfall of a fitted log-log slope below the order a claim predicts. Over step grids spanning two
#: decades (gamma in [1e-3, 1e-1]) the next-order term bends the log-log line by at most ~gamma_max/gamma-ratio,
#: which moves a least-squares slope by < 0.1 for the smooth problems the ledger checks; a real order deficit
#: (e.g. 1/2 instead of 1) is 5x larger than this allowance.
RATE_SLOPE_ATOL: float = 0.1

#: Relative mismatch allowed when a horizon T must be an integer multiple of a step gamma (TimeGrid.constant) and
#: when a forward time fed to a score is matched to a grid's cumulative time. Both sides are sums of at most
#: ~10^4 float64 steps, so honest values agree to ~10^4 * EPS ~ 2e-12 relative; 1e-9 leaves a 500x margin, while
#: a genuinely off-grid time (a step fraction away, >= 1e-6 relative for any usable grid) is refused.
GRID_TIME_RTOL: float = 1e-9

#: Relative shortfall allowed between the maximum of |e| over a dense grid and the claimed sup-norm M of a smooth
#: perturbation M u sin(phase): on a grid of phase spacing delta the maximum is >= M cos(delta/2) >=
#: M (1 - delta^2/8); tests use delta <= 1e-3, i.e. a shortfall <= 1.25e-7, so 1e-6 is safe yet detects any
#: amplitude error (a wrong factor shows up at O(1)).
SUP_ATTAINED_RTOL: float = 1e-6

#: Absolute tolerance on ``sum(weights) == 1`` for mixture weights typed by a user (then renormalised exactly).
#: Weights written with >= 9 significant digits (e.g. three times 0.333333333) pass; a genuine slip such as
#: ``[0.3, 0.6]`` is off by >= 1e-3, five orders of magnitude above this value.
MIXTURE_WEIGHT_SUM_ATOL: float = 1e-8

#: Relative tolerance on ``max|cov - cov.T| <= COV_SYMMETRY_RTOL * max|cov|`` before a covariance is symmetrised.
#: Covariances computed in float64 (products A S A^T, sums) are asymmetric by ~10 EPS ~ 2e-15 relative; a typo in a
#: config is O(1e-2) or more. 1e-10 separates the two by more than four orders of magnitude either side.
COV_SYMMETRY_RTOL: float = 1e-10

#: Relative tolerance of a central finite difference of a log-density against an analytic score. With step
#: h = FD_STEP * scale the truncation error is ~h^2 |f'''| / 6 ~ 1e-11 and the round-off ~EPS |f| / h ~ 1e-10 for
#: |f| <= 1e3; 1e-5 leaves a margin of 1e5 while a wrong score (off by O(1)) fails by five orders of magnitude.
FINITE_DIFFERENCE_RTOL: float = 1e-5

#: Relative step of the central finite differences checked with :data:`FINITE_DIFFERENCE_RTOL` (the optimum for a
#: second-order scheme is ~EPS^(1/3) ~ 6e-6).
FD_STEP: float = 1e-5

#: Relative tolerance between two float64 routes to the same closed form that differ only by linear algebra
#: (Cholesky vs eigendecomposition, POT's sqrtm vs a 2x2 trace formula, torch vs numpy). Condition numbers of the
#: covariances drawn in tests are <= 1e3, so round-off is <= 1e3 * 1e2 * EPS ~ 2e-11; 1e-8 leaves a margin of 500.
LINALG_RTOL: float = 1e-8

#: Relative tolerance between two float64 kernels for the same Gaussian-mixture score
#: :math:`-\sum_k r_k P_k(x - \mu_k)` (the in-place diagonal kernel and the general Cholesky kernel), measured
#: against the scale :math:`\sum_k r_k |P_k(x - \mu_k)|` of the sum: each term is computed to a few ulp by both
#: (Mahalanobis terms of size <= ~50 in the tests give responsibilities accurate to ~50 EPS), so the difference is
#: <= ~1e-13 of that scale; relative to |s| itself no bound exists near a zero of the score, where the terms cancel.
#: 1e-12 leaves a margin of 10 and still catches a wrong coefficient (O(1) relative) or a dropped component.
MIXTURE_KERNEL_RTOL: float = 1e-12

#: Total variation allowed between a sampler's output law computed on a grid (theorylab.laws.grid_route) and the
#: closed form (theorylab.laws.gaussian) on Gaussian targets: the issue's acceptance level. The grid propagation is
#: geometrically convergent (rectangle rule on Gaussian-like integrands, Newton-inverted flows), so grids resolving
#: every kernel with >= 1.5 nodes per standard deviation reach ~1e-13; 1e-8 leaves five orders of margin, while an
#: indexing slip (a score fed the wrong time, a step off by one) moves the law by >= 1e-4 in TV.
GRID_LAW_TV_ATOL: float = 1e-8

#: Absolute agreement required between two adaptive integrations of the same probability-flow ODE run with local
#: tolerances <= 1e-10 (the torch sampler's solve_ivp vs the flow-map ODE of theorylab.laws at 1e-12), on states of
#: size O(1) over horizons T <= 3: global errors are <= ~100x the local tolerance (~1e-8 worst case, ~1e-10 seen),
#: while a wrong time map or factor in the drift shows up at >= 1e-3.
ODE_AGREEMENT_ATOL: float = 1e-8

#: Relative gap allowed between a constrained maximum found by scipy.optimize (SLSQP, ftol 1e-14, >= 20 random
#: starts) and an exact supremum derived by sympy. At a smooth constrained optimum SLSQP converges to ~1e-10
#: relative; a wrong supremum (a missed branch or a wrong coefficient) differs by >= 1e-3 relative on the test grid.
OPTIMIZER_RTOL: float = 1e-6

#: Relative tolerance when the leading coefficient c of a series c h^n + O(h^{n+1}) derived by sympy is compared
#: with gap(h) / h^n evaluated in 50-digit arithmetic (mpmath) at h = 1e-12: the next term contributes
#: |c_{n+1} / c_n| h <= 1e-8 for the coefficient ratios (<= 1e4) of the tested domains, round-off ~1e-38.
SERIES_COEFF_RTOL: float = 1e-6

#: Error allowed when constants fitted by theorylab.bounds (B, C relative; D and the exponent a absolute) are compared
#: with the constants that generated exact synthetic data from the bound's own form. The bounded Brent search in D
#: stops at ~sqrt(EPS) ~ 1.5e-8 relative (the LP objective is piecewise smooth there), which moves B and C by
#: <= 3e-8 in trials; Nelder-Mead in (a, D) reaches ~1e-12. 1e-6 leaves a 30x margin, while a wrong objective or a
#: feasibility slip moves the constants by >= 1e-3.
BOUND_FIT_RTOL: float = 1e-6

#: Absolute tolerance of the GAN value identity V(mu_G, D*) = 2 JS - ln 4 checked in 2D (theorylab.gan.exact), where
#: JS comes from theorylab.divergences.js_grid on a uniform grid of up to 2001^2 nodes with spacing <= sigma_min / 4:
#: the trapezoid error there is ~1e-15, but js_grid's stated precision includes its worst-case round-off floor
#: N * EPS * JS <= 4e6 * 2.2e-16 * ln 2 ~ 6e-10 (doubled in 2 JS), so a stated precision of ~1e-9 is the best a 2D
#: check can claim; 1e-8 leaves a margin of ~10. The slide's form JS - 2 ln 2 is off by JS itself (>= 1e-3 for the
#: pairs checked) and a wrong D* or a mis-normalised density by >= 1e-6, far above it.
GRID_IDENTITY_ATOL: float = 1e-8

#: Relative agreement, max|a - b| <= FLOAT32_DEVICE_RTOL * max|b|, between CPU and CUDA float32 evaluations of the
#: same network (theorylab.learning.networks, TF32 disabled). Each layer rounds sums of <= ~600 float32 products
#: (~sqrt(600) * 6e-8 ~ 1.5e-6 relative) and sin/cos differ by ~1 ulp between devices; over <= ~6 layers honest
#: differences stay <= ~1e-5, so 1e-4 leaves a 10x margin, while a device-dependent draw or a layer computed in the
#: wrong precision (TF32 has a 10-bit mantissa, ~1e-3) fails.
FLOAT32_DEVICE_RTOL: float = 1e-4

#: Criteria of the ledger's seed-002 experiment claims (theorylab.claims.seed002, '002.experiments.*'), applied to
#: the numbers the reproductions write in reports/learning/<name>/result.json. They turn a qualitative slide ("the
#: method reproduces the data") into a checkable statement; each is compared with the upper (or lower) end of the
#: measured value's interval, so sampling noise cannot make a claim pass.
#: The issue's goal for the GMM score: L2(p_t) error averaged over t in [0.05, T] below 0.1 (the scores' natural
#: size there is ~1: the zero score measures 1.00).
REPRODUCTION_SCORE_L2: float = 0.1
#: TV between the sampler's output law and the target below 0.05: no event's probability is off by more than 5
#: percentage points (the exact score's discretisation floor at the shipped grid is ~1e-2).
REPRODUCTION_TV: float = 0.05
#: Smile (equivalence test): the upper end of the 95% interval of the SW2 excess over the data floor must be below
#: this margin. Sized by benchmarks/power_smile.py at the quick profile's n = 2000: the excess of a perfect model
#: (fresh data draws) has sampling sd s = 0.040, so delta >= s (1.96 + 0.84) = 0.111 lets a perfect model pass with
#: probability >= 0.8; with 0.12 a model whose SW2 exceeds the floor by >= 0.075 fails with probability >= 0.8.
#: (The statistic has little power at this n: blurring the samples by 0.2, four times the data noise, adds only
#: 0.03 to the excess; the off-face criterion below carries the power.)
SMILE_SW2_EXCESS_MARGIN: float = 0.12
#: Smile: the upper end of the Wilson 95% interval of the generated mass off the face must be below 0.01 (the data
#: law's own off-face mass is 2e-4). Exact binomial power at n = 2000 (benchmarks/power_smile.py): a perfect model
#: passes with probability > 0.9999; a model with 2.5% of its mass off the face (e.g. samples blurred by 0.1, twice
#: the data noise: off-face 5%) fails with probability > 0.9999; blur 0.05 (off-face 0.35%) passes w.p. 0.95.
SMILE_OFF_FACE_MARGIN: float = 0.01
#: Digits: an independent classifier must read more than half of the digits generated for each requested label as
#: that label on average (lower Wilson bound of the mean > 0.5), and every label above chance (lower bound > 1/10).
REPRODUCTION_MAJORITY: float = 0.5
REPRODUCTION_CHANCE: float = 0.1

#: Working precision (significant decimal digits, mpmath) of the counterexample search of a user's claim
#: (theorylab.claims.user.numeric). The sides of formulas from papers are sums of at most a few hundred terms of size
#: <= 1e10 relative to the result, which loses <= ~13 digits to cancellation, leaving >= 37 correct digits, more
#: than the 30 that USER_CLAIM_RTOL needs.
USER_CLAIM_DIGITS: int = 50

#: Precision of the second evaluation of a point that fails at USER_CLAIM_DIGITS: a discrepancy produced by lost
#: digits shrinks by ~10^-50 at this precision (and the point passes), a real one does not. A point that fails here
#: too is decided exactly (rationals + sympy's adaptive evalf), so neither precision alone can refute a claim.
USER_CLAIM_CONFIRM_DIGITS: int = 100

#: Relative tolerance of a user's claim with symbolic sides: |lhs - rhs| <= USER_CLAIM_RTOL * max(|lhs|, |rhs|)
#: counts as equality. Values are correct to ~USER_CLAIM_DIGITS (50) digits, so a true identity leaves a relative
#: residual ~1e-45 or less; 1e-30 separates round-off from a discrepancy by 15 orders of magnitude either side, while
#: a wrong formula (a wrong coefficient, exponent or sign) differs at O(1) relative, and even a discrepancy at the
#: 1e-29 level (a term of relative size 1e-29) is caught. It is also the margin below which a strict inequality is
#: read as an equality (and fails).
USER_CLAIM_RTOL: float = 1e-30

#: Default relative tolerance of a claim whose side is a Python callable computing in float64 (a `.py` claim; a
#: claim may set its own `rtol`). Such code (a recursion, a sum or a matrix product over <= 10^4 terms) accumulates
#: <= ~10^4 EPS ~ 2e-12 relative round-off; 1e-9 leaves a 500x margin while any wrong coefficient shows at
#: >= 1e-6. It is the same budget as CLOSED_FORM_RTOL, for the same reason.
USER_CALLABLE_RTOL: float = 1e-9

#: Relative residual allowed when a probed sampler is checked to be affine (theorylab.audit.probe): at a random input
#: u, max|run(u) - (A u + b)| <= PROBE_AFFINE_RTOL * (1 + max|run(u)|). A float64 loop of <= 10^4 linear steps with
#: coefficients O(1) accumulates ~10^4 EPS ~ 2e-12 relative; A's columns are differences run(e_i) - run(0) with the
#: same error, so 1e-9 leaves a 500x margin, while any non-linearity (a tanh, a clipped x0-prediction, a score that
#: is not affine) shows at O(1) relative on a standard normal input.
PROBE_AFFINE_RTOL: float = 1e-9
#: Relative size, ``|lambda| <= PSD_EIGEN_RTOL * max(lambda)``, under which an eigenvalue of a covariance counts as
#: zero (a singular, PSD covariance: the law lives on an affine subspace). ``numpy.linalg.eigh`` computes each
#: eigenvalue of a symmetric matrix to ~d EPS max|lambda| (backward stability), i.e. <= 1e-13 relative for d <= 500;
#: 1e-11 leaves a 100x margin over that round-off, so an eigenvalue typed as 0 (or A 0 A^T round-off) is recognised,
#: while a genuine eigenvalue above 1e-11 of the largest (a condition number below 1e11) is kept as positive.
PSD_EIGEN_RTOL: float = 1e-11

#: Relative tolerance of the support comparison of two Gaussians (:mod:`theorylab.divergences.singular`): two ranges
#: count as the same subspace when the largest sine of their principal angles is below it, and a mean difference
#: lies in a subspace when its orthogonal residual is below it times ``max(|delta|, sqrt(max lambda))``. Ranges
#: computed by eigh have angles ~EPS / (eigen-gap) <= 1e-13 for the eigen-gaps >= 1e-3 of the configs and tests;
#: a genuinely different support (another subspace, a mean off the hull) differs at O(1) or at the typed offset,
#: >= 1e-6 in any meaningful config.
SUPPORT_RTOL: float = 1e-9
#: Quadrature tolerances of the bias term of the probability-flow flow map (theorylab.likelihood.gaussian): the
#: integrand g^2 / sqrt(v) is smooth and positive on [eps, T], so quad_vec reaches them in a few dozen nodes; an
#: absolute 1e-13 on integrals of size O(1)-O(10^2) keeps the closed-form NLL exact to ~1e-12 nats per coordinate,
#: far below any ODE discretisation (>= 1e-9 at rtol 1e-10) that it is compared with.
LIKELIHOOD_QUAD_EPSABS: float = 1e-13
LIKELIHOOD_QUAD_EPSREL: float = 1e-12

#: Absolute agreement (nats per sample) between the probability-flow ODE log-density integrated by solve_ivp with
#: rtol = atol = 1e-10 and the closed form (theorylab.likelihood.gaussian), or between the two sides of the
#: instantaneous change of variables log p_T(x_T) - log p_0(x_0) = -int div, for states of size O(1)-O(10) over
#: horizons T <= 3 and d <= 8: the global error of an adaptive RK method is ~10-100x its local tolerance times the
#: number of accumulated terms (d + 1 here), i.e. <= ~1e-7; a wrong factor (1/2 on g^2, a sign of the divergence)
#: shows up at >= 1e-2.
LIKELIHOOD_ODE_ATOL: float = 1e-6

#: Coverage test of the likelihood's 95 % interval: the 99 % Wilson interval [L, U] of the measured coverage must
#: have L > COVERAGE_FLOOR (the interval covers clearly more often than 90 %) and U >= the nominal 0.95 (no
#: significant undercoverage). With R = 1000 repetitions a correct 95 % interval passes unless the measured coverage
#: falls 2.6 standard errors below 0.95 (p ~ 0.005), while a 90 % interval mislabelled 95 % has U >= 0.95 only 3.7
#: standard errors above its mean (p ~ 1e-4): it fails.
COVERAGE_FLOOR: float = 0.90
COVERAGE_WILSON_LEVEL: float = 0.99

#: Audit (theorylab.audit.compare): W2 between a float64 library's probed law and theorylab's law of the same scheme,
#: relative to the scale 1 + sqrt(tr Sigma) + |mu| of the target. Both are float64 chains of <= 10^2 affine steps on
#: the same table values (~10^2 EPS ~ 2e-14 relative each) and the probe's columns are differences of two runs; the
#: W2 of two Gaussians differing by delta in mean/covariance is ~delta (mean) or ~delta/sqrt(eig) (covariance, with
#: eigenvalues >= 1e-2 here), so 1e-9 leaves > 10^3 margin, while any change of convention (a shifted timestep, a
#: different variance) moves the law by >= 1e-6 on these grids.
AUDIT_FLOAT64_RTOL: float = 1e-9
#: Same, for a library that computes in float32 (diffusers' float32 tables, `sample.to(float32)` in step): float32
#: EPS = 6e-8 per operation, ~10^2 operations per run, the scaled state starting at sigma_max ~ 1.6e2 (diffusers'
#: DDPM table). Measured W2 differences on N <= 40 grids and d = 2 targets: 3e-8 .. 1.5e-5 absolute, i.e. <= 6e-6
#: relative to the scale; 2e-5 leaves a 3x margin, while the conventions found (a shifted timestep table, a final
#: noise of variance beta_1 = 1e-4, a rounded timestep against a Karras sigma) move the law by >= 1e-4.
AUDIT_FLOAT32_RTOL: float = 2e-5

#: Median bound / measured ratio under which a theorem whose rate matches the measured one is called "tight" in the
#: atlas (theorylab.bounds.theorems.tightness). Fitted constants make every ratio >= 1; a factor 10 is one decade,
#: the resolution at which log-scale overlays are read. Larger median ratios are "loose by a constant".
ATLAS_TIGHT_RATIO: float = 10.0

#: Allowed |slope| of log(bound / measured) against log(parameter) for the rates to count as equal (a power-law
#: slope, as RATE_SLOPE_ATOL): the swept parameters span >= 1 decade, where a slope of 0.1 moves the ratio by at
#: most 26%, while a genuine rate mismatch (1/2 vs 1) is five times larger. Twice the regression's standard error
#: is added when it is larger.
ATLAS_RATE_ATOL: float = 0.1

#: Significance of the chi-square goodness-of-fit test of generated digits' judged label frequencies against the
#: data's (seed 002, digits experiment). Frequencies are of n = 50 samples over 10 labels; 0.01 rejects only a clear
#: imbalance (e.g. one label missing and another doubled) while a balanced generator passes with probability 0.99.
DIGITS_BALANCE_ALPHA: float = 0.01
#: Pierret & Galerne study (theorylab.studies.pierret_galerne): eigenvalues read from a spectrum file that are negative
#: but no larger in size than this fraction of the largest are round-off of a PSD covariance's (near-)zero eigenvalues
#: and are set to 0, as the authors do (``vps *= vps > 0``). Their file is float32 eigh output: LAPACK's symmetric
#: eigensolver is backward stable with eigenvalue errors ~ d EPS32 max(lambda) in the worst case (3072 * 6e-8 =
#: 1.8e-4) and ~EPS32 max(lambda) in practice; 1e-4 accepts that round-off, while an indefinite "covariance" (a bug in
#: the file: a difference of matrices, a wrong sign) has negative eigenvalues comparable to the positive ones.
SPECTRUM_NEGATIVE_RTOL: float = 1e-4

#: Agreement required between theorylab's exact output law (the samplers' declared steps on diagonal affine values) and
#: Pierret & Galerne's closed-form covariance recursions re-implemented from their formulas (tests): both are float64
#: recursions of <= 10^3 steps with O(1) factors on spectra with eigenvalues >= 1e-3, so their relative round-off is
#: ~10^3 * EPS * cond ~ 1e-11 at most; a convention change (the time fed to the score, beta's discretisation, noise on
#: the last step) moves the eigenvalues by >= 1e-4 relative on the test grids.
PAPER_RECURSION_RTOL: float = 1e-10
