"""The projected L-BFGS line search's arithmetic: how far to step, and which pixels.

Pure functions and constants, kept apart from the optimiser's state
(:class:`~tf_style.optimize.tf_lbfgs.TFLBFGSTransfer`) so the tests check them by
hand: a trial too short is lengthened toward where the slope reaches zero, one too
long shortened to the minimum of a quadratic, and a pixel held at 0 or 1 by the box
does not move.
"""

from __future__ import annotations

import math

import tensorflow as tf

ARMIJO = 1e-4  # sufficient decrease, Nocedal and Wright's c1
CURVATURE = 0.9  # Wolfe's c2: a step whose end slope is steeper than this is short
MAX_BACKTRACKS = 12  # shortenings before the line search gives up
MAX_EXPANSIONS = 6  # lengthenings of a step that is too short
SHORTEN = (0.1, 0.5)  # a shorter step is this share of the rejected one, at most


def lengthening(slope: float, end_slope: float) -> float:
    """How much longer the next trial is: where the slope, linear in the step,
    reaches zero (the secant), between 2x and 10x."""
    if end_slope <= slope:  # the slope steepens: no zero ahead to aim at
        return 10.0
    return min(max(slope / (slope - end_slope), 2.0), 10.0)


def shortening(loss: float, slope: float, trial_loss: float) -> float:
    """The share of a rejected step to try next: the minimum of the quadratic with
    the start's loss and slope through the trial's loss, kept in :data:`SHORTEN`."""
    curvature = 2.0 * (trial_loss - loss - slope)
    if not math.isfinite(trial_loss) or curvature <= 0:
        return SHORTEN[1]
    return min(max(-slope / curvature, SHORTEN[0]), SHORTEN[1])


def free_pixels(image: tf.Tensor, gradient: tf.Tensor) -> tf.Tensor:
    """1 where a pixel may move, 0 where it sits on a bound and descent pushes out."""
    held = ((image <= 0.0) & (gradient > 0.0)) | ((image >= 1.0) & (gradient < 0.0))
    return 1.0 - tf.cast(held, tf.float32)


__all__ = [
    "ARMIJO",
    "CURVATURE",
    "MAX_BACKTRACKS",
    "MAX_EXPANSIONS",
    "SHORTEN",
    "free_pixels",
    "lengthening",
    "shortening",
]
