"""What every optimiser reports: step reports, the run's history, how it ended.

Adam (:mod:`~tf_style.optimize.adam`) and L-BFGS (:mod:`~tf_style.optimize.lbfgs`)
both run through ``run(steps, recorder)`` into one :class:`RunRecorder`, so history,
progress callbacks, Ctrl-C and non-finite losses behave the same whichever optimiser
runs, and nothing has to ask which optimiser it holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from tf_style.losses import LOSS_TERMS, TERMS, present_terms
from tf_style.optimize.stopping import should_stop, stop_message


class StopRun(Exception):
    """Raised by :meth:`RunRecorder.record` when the stopping rule is met: a signal,
    like ``StopIteration``, not an error.

    The step is recorded and reported first; the loop catches it and ends the run
    with status ``completed`` and the rule's reason as its message.
    """


@dataclass
class StepReport:
    """What a progress callback receives after each step."""

    step: int  # 1-based, over the whole run (all scales)
    total_steps: int
    # Adam: the loss before the step's update (as Keras reports); L-BFGS: the loss
    # of the iterate reached. At the current scale's size.
    losses: dict[str, float]
    image: tf.Tensor  # float32 [1, h, w, 3] in [0, 1]: the current image and scale
    elapsed: float  # seconds since the run started
    # Loss-and-gradient evaluations so far, over all scales (a coarse one costs a
    # fraction of a full-size one): Adam spends one a step, L-BFGS one or more.
    evaluations: int = 0


@dataclass
class StylizeResult:
    """The outcome of :func:`stylize`.

    ``image`` is float32 ``[1, H, W, 3]`` in [0, 1]; ``history`` maps each loss term
    (total, style, content, variation) to its value at every step; ``status`` is
    ``completed``, ``interrupted`` (Ctrl-C) or ``non_finite`` (the loss blew up and
    ``image`` is the last image whose loss was finite).
    """

    image: tf.Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    status: str = "completed"
    message: str = ""
    seconds: float = 0.0
    # Each scale run: its size (h, w), steps, and the tiles' workspace in bytes
    # (None: the whole image at once).
    scales: list[dict] = field(default_factory=list)


@dataclass
class TileReport:
    """Where a tiled evaluation is, for a callback with a ``tile`` method."""

    scale: int  # 1-based
    scales: int
    size: tuple[int, int]  # (h, w) of this scale
    phase: str  # "forward" or "backward"
    stage: int  # 1-based, of the network's stages
    stages: int
    tile: int  # 1-based
    tiles: int


class RunRecorder:
    """History, progress reports and stop status of one run, across its scales.

    A batch of images (Adam's ``[B, H, W, 3]``) keeps each image's history; the
    history and the reports have the batch's sums (one image: its own losses).

    Args:
        total_steps: the steps the whole run plans (``StepReport.total_steps``).
        callback: called with a :class:`StepReport` after every recorded step.
        batch: the images optimised together.
    """

    def __init__(
        self,
        total_steps: int,
        callback: Callable[[StepReport], None] | None = None,
        batch: int = 1,
    ):
        self.total_steps = total_steps
        self.callback = callback
        self.batch = batch
        self.history: dict[str, list[float]] = {term: [] for term in LOSS_TERMS}
        self.image_histories = [{term: [] for term in LOSS_TERMS} for _ in range(batch)]
        self.started = time.perf_counter()
        self.status, self.message = "completed", ""
        self.evaluations = 0
        self.scales: list[dict] = []
        self.min_decrease, self.watched_from = 0.0, 0

    def stop_when_flat(self, min_decrease: float) -> None:
        """From the next step on, stop once the loss falls by less than
        ``min_decrease`` per step (:func:`~tf_style.optimize.stopping.should_stop`
        on the steps recorded after this call); 0 runs every step."""
        self.min_decrease, self.watched_from = min_decrease, self.steps

    @property
    def steps(self) -> int:
        """Steps recorded so far."""
        return len(self.history["total"])

    def record(
        self,
        losses: Mapping[str, float | Sequence[float]],
        image: tf.Tensor,
        evaluations: int = 1,
    ) -> None:
        """Append one step's losses, then report it (the callback may raise).

        Args:
            losses: the step's loss terms: a float each, or one per image.
            image: the image the step reached.
            evaluations: the loss-and-gradient evaluations the step cost.

        Raises:
            StopRun: after the report, when the stopping rule is met.
        """
        terms = present_terms(losses)  # a video frame's adds the temporal term
        per_image = {term: _per_image(losses[term], self.batch) for term in terms}
        for number, history in enumerate(self.image_histories):
            for term in terms:
                history.setdefault(term, []).append(per_image[term][number])
        losses = {term: math.fsum(values) for term, values in per_image.items()}
        for term in terms:
            self.history.setdefault(term, []).append(losses[term])
        self.evaluations += evaluations
        if self.callback is not None:
            elapsed = time.perf_counter() - self.started
            self.callback(
                StepReport(
                    self.steps,
                    self.total_steps,
                    losses,
                    image,
                    elapsed,
                    self.evaluations,
                )
            )
        if self.min_decrease > 0:  # the rule is on: 0 leaves the run as it was
            watched = self.history["total"][self.watched_from :]
            if should_stop(watched, self.min_decrease):
                self.message = stop_message(watched, self.min_decrease, self.steps)
                raise StopRun(self.message)

    def stop(self, status: str, message: str) -> None:
        """End the run early: ``status`` (``non_finite``, ...) and why."""
        self.status, self.message = status, message

    def non_finite(self, losses: Mapping[str, float | Sequence[float]]) -> None:
        """Stop because a loss term became non-finite at the coming step."""
        sums = {
            term: sum(_per_image(losses[term], self.batch))
            for term in present_terms(losses)
        }
        self.stop("non_finite", non_finite_message(self.steps + 1, sums))

    def interrupted(self) -> None:
        """Stop because of Ctrl-C (or SIGTERM turned into it)."""
        self.stop("interrupted", f"interrupted after {self.steps} steps")

    def result(self, image: tf.Tensor) -> StylizeResult:
        """The run's outcome with ``image`` as its final image."""
        return StylizeResult(
            image=tf.convert_to_tensor(image),
            history=self.history,
            status=self.status,
            message=self.message,
            seconds=time.perf_counter() - self.started,
            scales=self.scales,
        )

    def results(self, images: tf.Tensor) -> list[StylizeResult]:
        """One outcome per image of the batch ``images``, each with its history."""
        seconds = time.perf_counter() - self.started
        return [
            StylizeResult(
                image=tf.convert_to_tensor(images[number : number + 1]),
                history=history,
                status=self.status,
                message=self.message,
                seconds=seconds,
                scales=self.scales,
            )
            for number, history in enumerate(self.image_histories)
        ]


def _per_image(value: float | Sequence[float], batch: int) -> list[float]:
    """A term's values, one per image, as Python floats."""
    values = [float(v) for v in np.ravel(np.asarray(value, dtype=np.float64))]
    if len(values) != batch:
        raise ValueError(f"expected {batch} values, one per image, got {len(values)}.")
    return values


def non_finite_message(step: int, losses: dict[str, float]) -> str:
    """Say which term blew up and which setting to lower (by its config name)."""
    bad = [
        term for term in present_terms(losses)[1:] if not math.isfinite(losses[term])
    ]
    settings = {term.name: term.setting for term in TERMS}
    hint = ", ".join(settings[term] for term in bad) or "learning_rate"
    return (
        f"loss became non-finite at step {step} ({', '.join(bad) or 'total'} term); "
        f"kept the last finite image. Lower {hint} (or learning_rate) and retry."
    )


__all__ = [
    "RunRecorder",
    "StopRun",
    "StepReport",
    "StylizeResult",
    "TileReport",
    "non_finite_message",
]
