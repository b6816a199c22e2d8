"""When more steps no longer pay: the relative-decrease stopping rule.

A schedule names a number of steps; a run can end sooner once the loss has all but
stopped falling. The rule reads only the losses recorded so far at the final scale
(a coarse scale's loss is not the one asked for, so coarse scales run their steps):
it stops when the loss fell, on average over the last :data:`STOP_WINDOW` steps, by
less than ``min_decrease`` of itself per step. The schedule's steps stay the ceiling.

The fast preset's thresholds were chosen on recorded loss curves, one per size
measured (``benchmarks/stopping.py`` replays them): on the benchmark pairs, the
largest that keeps 15% in hand below the tutorial's 300-step loss; on the held-out
pairs every stop is still below it. It saves little (79 of 90 iterations on average
at 256 px, 51 of 60 at 512 px): the preset's curves look alike from pair to pair
while the tutorial's 300-step loss sits at different points on them, so a threshold
that lands below the tutorial on the hardest pair (chelsea x the_scream, which needs
72 iterations at 256 px) stops late on the easy ones.

Example:
    >>> should_stop([100.0, 50.0, 49.9, 49.8], min_decrease=0.01, window=2)
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Steps the decrease is averaged over: one step's decrease jumps with the line
# search (a step that lengthened, one that shortened); ten even it out.
STOP_WINDOW = 10


def relative_decrease(losses: Sequence[float], window: int = STOP_WINDOW) -> float:
    """The loss's mean fall per step over the last ``window`` steps, as a fraction
    of the latest loss; ``inf`` until ``window`` steps follow the first loss.

    Example:
        >>> relative_decrease([4.0, 3.0, 2.0], window=2)
        0.5
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 step, got {window}.")
    if len(losses) <= window:
        return math.inf
    latest, earlier = losses[-1], losses[-1 - window]
    if not latest > 0:  # a zero loss cannot fall further; a negative one is no loss
        return 0.0
    return (earlier - latest) / latest / window


def should_stop(
    losses: Sequence[float], min_decrease: float, window: int = STOP_WINDOW
) -> bool:
    """Whether the run should end after the last of ``losses`` (the final scale's).

    Args:
        losses: the total loss after each step of the final scale, in order.
        min_decrease: the least mean fall per step, as a fraction of the loss, that
            is worth another step; 0 never stops (the whole schedule runs).
        window: the steps the fall is averaged over.
    """
    return min_decrease > 0 and relative_decrease(losses, window) < min_decrease


def stop_message(
    losses: Sequence[float], min_decrease: float, step: int, window: int = STOP_WINDOW
) -> str:
    """Why the run stopped at ``step`` (1-based, over the whole run), for its record:
    the decrease measured, the threshold, the window and the step."""
    decrease = relative_decrease(losses, window)
    return (
        f"stopped: relative decrease {decrease:.2%} per step over the last "
        f"{window} steps, below min_decrease {min_decrease:g}, at step {step}"
    )


__all__ = ["STOP_WINDOW", "relative_decrease", "should_stop", "stop_message"]
