"""Statistics added by this edition (the thesis itself reports only counts and shares)."""

from __future__ import annotations

CONFIDENCE = 0.95  # the level of every interval of the book; captions print it from here


def confidence_percent() -> float:
    """CONFIDENCE in percent, as the captions print it (95)."""
    return round(100 * CONFIDENCE, 6)


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion: well-behaved for small counts and shares near 0
    (several survey options have fewer than ten responses), unlike the normal approximation."""
    from scipy.stats import binomtest  # imported here: pages that only glue counts skip scipy

    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)
