"""Progress of one long measurement: a tqdm bar over the sampler's time steps, read off the score's calls.

Every route of :func:`theorylab.laws.law_of_output` evaluates the score (or its affine coefficients) at the forward
time of each step, from :math:`T` down to the grid's last time, so the fraction of the time grid already crossed,
:math:`(T - t)/T`, is the progress of the current pass. :class:`StepProgress` wraps the score, forwards every call
and attribute unchanged (the routes see the same score: same values, same ``affine``, same ``dim``), and moves a
tqdm bar with an ETA. A route that makes several passes (the grid route refines its grid) starts the bar again and
counts the passes in its postfix. The bar appears only after ``delay`` seconds, so quick measurements print
nothing.

Why a wrapper and not a callback in the samplers: the routes live in ``theorylab.laws``/``samplers``, which read
one step declaration per sampler; the score is the one object they all call once (or a fixed few times) per step.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["StepProgress"]


#: The score's methods that evaluate it at a forward time ``t`` (first argument): the affine coefficients of the exact
#: route, their eigen form (the O(d) route) and the in-place evaluation of the fused torch route.
_TIMED = ("affine", "eigen_affine", "score_into")


class StepProgress:
    """``score`` with a progress bar over ``N`` steps of the horizon ``T``.

    Parameters
    ----------
    score : callable ``score(t, x)``
        The wrapped score; attributes (``dim``, ``affine``, ...) are forwarded.
    T : float
        Horizon of the time grid.
    N : int
        Number of steps (the bar's total).
    delay : float
        Seconds before the bar is shown (tqdm's ``delay``).
    """

    def __init__(self, score: Any, T: float, N: int, *, delay: float = 2.0, file: Any = None):
        from tqdm import tqdm

        self._score = score
        self._T = float(T)
        self._N = int(N)
        self._last = float("inf")
        self.passes = 1  #: passes over the grid so far
        self.done = 0  #: steps crossed in the current pass (the bar's position, also kept when the bar is disabled)
        self.bar = tqdm(total=self._N, desc="steps", unit="step", file=file or sys.stderr, delay=delay,
                        disable=None, dynamic_ncols=True, leave=False)

    def _seen(self, t: Any) -> None:
        try:
            t = float(t)
        except (TypeError, ValueError):
            return
        if t > self._last + 1e-12 * max(self._T, 1.0):  # the time went back up: a new pass over the grid
            self.passes += 1
            self.done = 0
            self.bar.reset(total=self._N)
            self.bar.set_postfix_str(f"pass {self.passes}", refresh=False)
        self._last = t
        done = min(max(round((self._T - t) / self._T * self._N), 0), self._N) if self._T > 0 else 0
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def __call__(self, t: Any, x: Any) -> Any:
        self._seen(t)
        return self._score(t, x)

    def __getattr__(self, name: str) -> Any:
        if name == "_score":  # not yet set (copy, pickle): no recursion
            raise AttributeError(name)
        value = getattr(self._score, name)  # AttributeError when the score lacks it, as without the wrapper
        if name in _TIMED and callable(value):  # every way a route evaluates the score at a time t
            def timed(t: Any, *args: Any, **kwargs: Any) -> Any:
                self._seen(t)
                return value(t, *args, **kwargs)
            return timed
        return value

    def close(self) -> None:
        self.bar.close()
