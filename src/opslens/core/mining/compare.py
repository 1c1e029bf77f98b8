"""Before/after comparison of two samples of durations, and of two slices of one event log.

:func:`compare_samples` compares two samples of durations (seconds): sizes, means, medians, the
median difference *after − before* with a percentile bootstrap confidence interval, the two-sided
Mann–Whitney U test (SciPy) and the rank-biserial correlation as the effect size, summed up in a
:class:`Verdict`. :func:`compare_logs` cuts two slices out of one :class:`EventLog` with two lists
of filters (for example the months before and after a pilot) and compares their case durations
and, per activity, service and waiting times, rework rates and the share of cases.

Conventions (also in ``docs/analysis.md``, "Comparing two slices"):

* every difference is **after − before**; a negative difference means *after* is shorter;
* the effect size is the rank-biserial correlation ``r = 1 − 2·U_before / (n_before · n_after)``,
  where ``U_before`` is the Mann–Whitney U of the *before* sample (pairs in which the before
  value is larger, ties counting one half). It equals Cliff's delta of *after* against *before*,
  ``P(after > before) − P(after < before)``: in [−1, 1], **negative = after is smaller (faster)**;
* smaller durations are better: :attr:`Verdict.FASTER` means after is significantly shorter.

The numbers only: the wording ("the median fell from 96 h to 48 h, p < 0.001") belongs to the web
layer and its translations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from opslens.core.errors import ConfigError, InputError

if TYPE_CHECKING:
    pass

__all__ = [
    "MIN_SAMPLE_SIZE",
    "RESAMPLE_MAX_N",
    "SampleComparison",
    "Verdict",
    "compare_samples",
]

#: Fewer values than this on either side gives :attr:`Verdict.INSUFFICIENT` (no test, no CI).
MIN_SAMPLE_SIZE = 5

#: Up to this many values per side the bootstrap resamples the values themselves; above it, it
#: draws each resample's median directly from the order statistics (the same distribution).
RESAMPLE_MAX_N = 1000

# Values drawn per chunk of the plain resampling (bounds the memory to 16 MB of indices).
_CHUNK = 1 << 21

FloatArray = npt.NDArray[np.float64]
CiMethod = Literal["resample", "order-statistic"]


class Verdict(StrEnum):
    """The one-word outcome of a comparison of durations (smaller is better).

    ``FASTER`` / ``SLOWER``: the Mann–Whitney test is significant at ``alpha = 1 − confidence``
    (0.05 by default) *and* the bootstrap CI of the median difference excludes 0 (below 0:
    faster; above: slower). ``NO_CHANGE``: either condition fails. ``INSUFFICIENT``: fewer than
    :data:`MIN_SAMPLE_SIZE` values on either side (after dropping NaN).
    """

    FASTER = "faster"
    SLOWER = "slower"
    NO_CHANGE = "no_change"
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True, slots=True)
class SampleComparison:
    """Two samples of durations (seconds), *before* and *after*, compared.

    ``median_difference`` = median(after) − median(before) and ``relative_change`` = that
    difference / median(before) (``None`` when the before median is 0). ``ci_low``/``ci_high``
    bound the median difference (percentile bootstrap, ``confidence`` level, ``resamples``
    draws, ``ci_method`` says how). ``u_statistic`` is the Mann–Whitney U of the *before* sample,
    ``p_value`` the two-sided p-value, ``effect_size`` the rank-biserial correlation
    1 − 2U/(n_before·n_after) (negative = after smaller). Medians interpolate between the two
    middle values. Test, CI and effect are ``None`` when the verdict is ``INSUFFICIENT``; means and
    medians are ``None`` only for an empty side.
    """

    n_before: int
    n_after: int
    mean_before: float | None
    mean_after: float | None
    median_before: float | None
    median_after: float | None
    median_difference: float | None
    relative_change: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    resamples: int
    ci_method: CiMethod | None
    u_statistic: float | None
    p_value: float | None
    effect_size: float | None
    verdict: Verdict

    @property
    def significant(self) -> bool:
        """True for ``FASTER`` and ``SLOWER``."""
        return self.verdict in (Verdict.FASTER, Verdict.SLOWER)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_before": self.n_before,
            "n_after": self.n_after,
            "mean_before": self.mean_before,
            "mean_after": self.mean_after,
            "median_before": self.median_before,
            "median_after": self.median_after,
            "median_difference": self.median_difference,
            "relative_change": self.relative_change,
            "ci": None if self.ci_low is None else [self.ci_low, self.ci_high],
            "confidence": self.confidence,
            "resamples": self.resamples,
            "ci_method": self.ci_method,
            "u_statistic": self.u_statistic,
            "p_value": self.p_value,
            "effect_size": self.effect_size,
            "verdict": self.verdict.value,
        }


def _clean(values: Sequence[float] | npt.ArrayLike, side: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InputError(f"the {side} sample is not a sequence of numbers ({exc})") from None
    array = array[~np.isnan(array)]
    if np.isinf(array).any():
        raise InputError(f"the {side} sample holds an infinite value")
    return array


def _median_of_sorted(x: FloatArray) -> float:
    n = x.size
    mid = n // 2
    return float(x[mid]) if n % 2 else float((x[mid - 1] + x[mid]) / 2)


def _resampled_medians(x: FloatArray, rng: np.random.Generator, resamples: int) -> FloatArray:
    """Medians of ``resamples`` resamples (with replacement) of ``x``, drawn plainly."""
    n = x.size
    out = np.empty(resamples, dtype=np.float64)
    rows = max(1, _CHUNK // n)
    for lo in range(0, resamples, rows):
        hi = min(resamples, lo + rows)
        idx = rng.integers(0, n, size=(hi - lo, n))
        out[lo:hi] = np.median(x[idx], axis=1)
    return out


def _order_statistic_medians(
    sorted_x: FloatArray, rng: np.random.Generator, resamples: int
) -> FloatArray:
    """The same bootstrap distribution as :func:`_resampled_medians`, in O(resamples).

    A resample draws indices ``floor(n·U)`` with U uniform on [0, 1); as ``sorted_x`` is sorted,
    its k-th smallest value is ``sorted_x[floor(n·U_(k))]``, where U_(k), the k-th of n uniform
    order statistics, is Beta(k, n + 1 − k). For even n the next one is
    U_(k+1) = U_(k) + (1 − U_(k))·Beta(1, n − k) (the least of the n − k draws above U_(k)).
    So each resample's median is drawn exactly, without drawing the n values.
    """
    n = sorted_x.size
    k = (n + 1) // 2  # 1-based rank of the (lower) middle value
    u = rng.beta(k, n + 1 - k, size=resamples)
    lower = sorted_x[np.minimum((u * n).astype(np.int64), n - 1)]
    if n % 2:
        return lower
    u2 = u + (1.0 - u) * rng.beta(1, n - k, size=resamples)
    upper = sorted_x[np.minimum((u2 * n).astype(np.int64), n - 1)]
    return (lower + upper) / 2


def _bootstrap_medians(
    sorted_x: FloatArray, rng: np.random.Generator, resamples: int, method: CiMethod
) -> FloatArray:
    if method == "resample":
        return _resampled_medians(sorted_x, rng, resamples)
    return _order_statistic_medians(sorted_x, rng, resamples)


def compare_samples(
    before: Sequence[float] | npt.ArrayLike,
    after: Sequence[float] | npt.ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | None = 0,
) -> SampleComparison:
    """Compare two samples of durations in seconds (any sequences or NumPy arrays).

    NaN values are dropped (a side left empty is reported, not raised: the verdict is
    ``INSUFFICIENT`` below :data:`MIN_SAMPLE_SIZE` values per side); infinite values raise
    :class:`~opslens.core.errors.InputError`. The bootstrap CI of the median difference is the
    percentile interval of ``resamples`` differences of medians, each side resampled
    independently from ``numpy.random.default_rng(seed)`` (the before side first): plainly up to
    :data:`RESAMPLE_MAX_N` values per side, above that by drawing each resample's median from its
    exact order-statistic distribution (same distribution, O(resamples) after one sort).
    The test is ``scipy.stats.mannwhitneyu(before, after, alternative="two-sided",
    method="auto")`` (exact for small samples without ties, else normal with tie and continuity
    corrections).
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, not {confidence}")
    if resamples < 1:
        raise ConfigError(f"resamples must be at least 1, not {resamples}")
    b = np.sort(_clean(before, "before"))
    a = np.sort(_clean(after, "after"))
    n_b, n_a = int(b.size), int(a.size)
    med_b = _median_of_sorted(b) if n_b else None
    med_a = _median_of_sorted(a) if n_a else None
    diff = med_a - med_b if med_a is not None and med_b is not None else None
    ci_low: float | None = None
    ci_high: float | None = None
    u: float | None = None
    p: float | None = None
    effect: float | None = None
    method: CiMethod | None = None
    verdict = Verdict.INSUFFICIENT
    if n_b >= MIN_SAMPLE_SIZE and n_a >= MIN_SAMPLE_SIZE:
        u, p = _mann_whitney(b, a)
        effect = 1.0 - 2.0 * u / (n_b * n_a)
        method = "resample" if max(n_b, n_a) <= RESAMPLE_MAX_N else "order-statistic"
        rng = np.random.default_rng(seed)
        medians_b = _bootstrap_medians(b, rng, resamples, method)  # the before side first
        diffs = _bootstrap_medians(a, rng, resamples, method) - medians_b
        alpha = 1.0 - confidence
        ci_low, ci_high = (float(q) for q in np.quantile(diffs, [alpha / 2, 1.0 - alpha / 2]))
        if p < alpha and (ci_high < 0 or ci_low > 0):
            verdict = Verdict.FASTER if ci_high < 0 else Verdict.SLOWER
        else:
            verdict = Verdict.NO_CHANGE
    return SampleComparison(
        n_before=n_b,
        n_after=n_a,
        mean_before=float(b.mean()) if n_b else None,
        mean_after=float(a.mean()) if n_a else None,
        median_before=med_b,
        median_after=med_a,
        median_difference=diff,
        relative_change=diff / med_b if diff is not None and med_b else None,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        resamples=resamples,
        ci_method=method,
        u_statistic=u,
        p_value=p,
        effect_size=effect,
        verdict=verdict,
    )


def _mann_whitney(before: FloatArray, after: FloatArray) -> tuple[float, float]:
    """U of ``before`` and the two-sided p-value (1 when no value differs from another)."""
    from scipy.stats import mannwhitneyu

    test = mannwhitneyu(before, after, alternative="two-sided", method="auto")
    p = float(test.pvalue)
    return float(test.statistic), 1.0 if math.isnan(p) else p
