"""Statistics added by this edition (the thesis itself reports only counts and shares)."""

from __future__ import annotations

CONFIDENCE = 0.95


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion: well-behaved for small counts and shares near 0
    (several survey options have fewer than ten responses), unlike the normal approximation."""
    from scipy.stats import binomtest  # imported here: pages that only glue counts skip scipy

    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)
