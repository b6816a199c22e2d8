"""Optimisation: StyleTransfer (image variable, optimiser, train_step) and stylize().

``StyleTransfer`` owns everything that has state during one run, so a second run is a
new object and nobody has to "re-initialise the optimizer" as the tutorial must.
``stylize()`` is the entry point: load, build, loop over the scales, report. Adam
lives here; L-BFGS in :mod:`tf_style.lbfgs`; both report through one
:class:`RunRecorder`, so history, callbacks, Ctrl-C and non-finite losses behave the
same whichever optimiser runs.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images import as_batch, load_image
from tf_style.lbfgs import LBFGSTransfer, NonFiniteLoss
from tf_style.losses import LOSS_TERMS
from tf_style.model import StyleContentModel
from tf_style.multiscale import (
    check_scaled_sizes,
    resize_by,
    resize_to,
    scale_sizes,
)
from tf_style.objective import StyleContentLoss
from tf_style.precision import loss_and_gradient, with_precision
from tf_style.weights import load_vgg19

ImageLike = tf.Tensor | np.ndarray | str | os.PathLike


def clip_0_1(image: tf.Tensor) -> tf.Tensor:
    """Keep pixels in [0, 1]: the image is a free float variable, nothing else would."""
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


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


class StyleTransfer:
    """The tutorial's loop state: image variable, Adam, targets and ``train_step``.

    Args:
        loss: the loss against fixed targets (built once).
        init_image: starting image, float32 ``[1, H, W, 3]`` in [0, 1]; the tutorial
            starts from the content image.
        config: optimiser settings (``learning_rate``, ``beta_1``, ``epsilon``).
    """

    def __init__(
        self, loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
    ):
        self.loss = loss
        self.image = tf.Variable(clip_0_1(tf.cast(init_image, tf.float32)))
        self.optimizer = keras.optimizers.Adam(
            learning_rate=config.learning_rate,
            beta_1=config.beta_1,
            epsilon=config.epsilon,
        )
        self.train_step = tf.function(self._train_step, jit_compile=config.jit)

    def _train_step(self) -> dict[str, tf.Tensor]:
        """One Adam step on the image; returns the loss terms *before* the step."""
        terms, grad = loss_and_gradient(self.loss, self.image)  # GradientTape inside
        self.optimizer.apply_gradients([(grad, self.image)])
        self.image.assign(clip_0_1(self.image))
        return terms


def stylize(
    content_image: ImageLike,
    style_image: ImageLike,
    config: StyleTransferConfig | None = None,
    *,
    extractor: StyleContentModel | None = None,
    init_image: ImageLike | None = None,
    callback: Callable[[StepReport], None] | None = None,
    weights: str | os.PathLike | None = None,
) -> StylizeResult:
    """Gatys et al.'s style transfer with the tutorial's schedule (epochs x steps).

    ``config`` also chooses the optimiser (Adam as in the tutorial, or L-BFGS as in the
    paper), a coarse-to-fine schedule (``scales``, ``scale_steps``), VGG19's compute
    precision and XLA; every combination minimises the same :class:`StyleContentLoss`.

    Args:
        content_image: a path (loaded at ``config.max_dim``) or a float32
            ``[1, H, W, 3]`` tensor in [0, 1] (used at its size).
        style_image: likewise.
        config: settings; the tutorial's defaults when None.
        extractor: a ready :class:`StyleContentModel` (saves rebuilding VGG19); a
            copy in ``config.mixed_precision`` is made where it differs.
        init_image: where to start (a previous output, say); the content image by
            default. Resized to the content's size (then to each scale's).
        callback: called after every step (an L-BFGS iteration counts as a step)
            with a :class:`StepReport`; steps count 1 to ``config.total_steps``
            across the scales, and ``report.image`` has the current scale's size.
        weights: VGG19 weights file (see :func:`tf_style.weights.load_vgg19`).

    Returns:
        A :class:`StylizeResult` whose image has the content's size. Its history
        holds each step's loss at that step's scale. Ctrl-C does not lose the work:
        the result so far is returned with status ``interrupted``.

    Example:
        >>> result = stylize("photo.jpg", "painting.jpg",
        ...                  StyleTransferConfig(max_dim=256, epochs=2))
        >>> save_image(result.image, "cat.png")
        >>> fast = StyleTransferConfig(max_dim=256, optimizer="lbfgs",
        ...                            epochs=1, steps_per_epoch=60)  # ~5x sooner
    """
    config = config or StyleTransferConfig()
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    content = as_image(content_image, config.max_dim, "content_image")
    style = as_image(style_image, config.max_dim, "style_image")
    start = (
        content
        if init_image is None
        else match_size(as_image(init_image, None, "init_image"), content)
    )
    check_scaled_sizes(
        {"content": content.shape[1:3], "style": style.shape[1:3]}, config.scales
    )
    if extractor is None:
        extractor = StyleContentModel(
            config.style_layers, config.content_layers, vgg=load_vgg19(weights)
        )
    extractor = with_precision(extractor, config.mixed_precision)
    return run_scales(extractor, content, style, start, config, callback)


def run_scales(
    extractor: StyleContentModel,
    content: tf.Tensor,
    style: tf.Tensor,
    start: tf.Tensor,
    config: StyleTransferConfig,
    callback: Callable[[StepReport], None] | None = None,
) -> StylizeResult:
    """Optimise at each of ``config.scales`` in turn, upsampling between them.

    At each scale the loss is rebuilt from the content and the style image resized
    by that scale (see :mod:`tf_style.multiscale` for why the style image shrinks
    too), and the optimiser starts afresh (Adam's moments have the old size). A
    single scale of 1 is exactly the tutorial's loop.

    Args:
        extractor: the feature extractor, already in the wanted precision.
        content, style, start: float32 ``[1, H, W, 3]`` in [0, 1]; ``start`` has the
            content's size.
        config: schedule, optimiser and loss weights.
        callback: see :func:`stylize`.

    Returns:
        A :class:`StylizeResult` at the content's size, over all scales.
    """
    recorder = RunRecorder(config.total_steps, callback)
    sizes = scale_sizes(content.shape[1:3], config.scales)
    image, transfer = start, None
    try:
        for scale, size, steps in zip(
            config.scales, sizes, config.steps_per_scale, strict=True
        ):
            loss = StyleContentLoss.from_config(
                extractor, resize_to(content, size), resize_by(style, scale), config
            )
            transfer = make_transfer(loss, resize_to(image, size), config)
            run_steps(transfer, steps, recorder)
            image = tf.convert_to_tensor(transfer.image)
            if recorder.status != "completed":
                break
    except KeyboardInterrupt:
        recorder.interrupted()
        if transfer is not None:
            image = tf.convert_to_tensor(transfer.image)
    return recorder.result(resize_to(image, content.shape[1:3]))


def make_transfer(
    loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
) -> StyleTransfer | LBFGSTransfer:
    """The state of the optimiser ``config.optimizer`` names, at ``init_image``."""
    if config.optimizer == "lbfgs":
        return LBFGSTransfer(loss, init_image, jit=config.jit)
    return StyleTransfer(loss, init_image, config)


def run_steps(
    transfer: StyleTransfer | LBFGSTransfer, steps: int, recorder: RunRecorder
) -> None:
    """Run ``steps`` steps of either optimiser into ``recorder``."""
    if isinstance(transfer, LBFGSTransfer):
        lbfgs_steps(transfer, steps, recorder)
    else:
        adam_steps(transfer, steps, recorder)


class RunRecorder:
    """History, progress reports and stop status of one run, across its scales.

    Args:
        total_steps: the steps the whole run plans (``StepReport.total_steps``).
        callback: called with a :class:`StepReport` after every recorded step.
    """

    def __init__(
        self, total_steps: int, callback: Callable[[StepReport], None] | None = None
    ):
        self.total_steps = total_steps
        self.callback = callback
        self.history: dict[str, list[float]] = {term: [] for term in LOSS_TERMS}
        self.started = time.perf_counter()
        self.status, self.message = "completed", ""

    @property
    def steps(self) -> int:
        """Steps recorded so far."""
        return len(self.history["total"])

    def record(self, losses: dict[str, float], image: tf.Tensor) -> None:
        """Append one step's losses, then report it (the callback may raise)."""
        for term in LOSS_TERMS:
            self.history[term].append(losses[term])
        if self.callback is not None:
            elapsed = time.perf_counter() - self.started
            self.callback(
                StepReport(self.steps, self.total_steps, losses, image, elapsed)
            )

    def stop(self, status: str, message: str) -> None:
        self.status, self.message = status, message

    def interrupted(self) -> None:
        self.stop("interrupted", f"interrupted after {self.steps} steps")

    def result(self, image: tf.Tensor) -> StylizeResult:
        return StylizeResult(
            image=tf.convert_to_tensor(image),
            history=self.history,
            status=self.status,
            message=self.message,
            seconds=time.perf_counter() - self.started,
        )


def run_transfer(
    transfer: StyleTransfer | LBFGSTransfer,
    total_steps: int,
    callback: Callable[[StepReport], None] | None = None,
) -> StylizeResult:
    """Run ``total_steps`` steps of either optimiser at one scale, stopping safely.

    Ctrl-C (even inside scipy) ends the run with status ``interrupted``; a
    non-finite loss ends it with status ``non_finite`` and the last image whose loss
    was finite.
    """
    recorder = RunRecorder(total_steps, callback)
    try:
        run_steps(transfer, total_steps, recorder)
    except KeyboardInterrupt:
        recorder.interrupted()
    return recorder.result(transfer.image)


def adam_steps(transfer: StyleTransfer, steps: int, recorder: RunRecorder) -> None:
    """``steps`` Adam steps; each records the loss *before* its update, as Keras does.

    A non-finite loss restores the image from before the step and stops the run.
    """
    for _ in range(steps):
        last_image = tf.identity(transfer.image)
        losses = {k: float(v) for k, v in transfer.train_step().items()}
        if not all(math.isfinite(v) for v in losses.values()):
            transfer.image.assign(last_image)
            recorder.stop("non_finite", non_finite_message(recorder.steps + 1, losses))
            return
        recorder.record(losses, transfer.image)


def lbfgs_steps(transfer: LBFGSTransfer, steps: int, recorder: RunRecorder) -> None:
    """Up to ``steps`` L-BFGS-B iterations; says why when scipy stops early."""
    first = recorder.steps
    try:
        reason = transfer.minimize(
            steps, lambda losses: recorder.record(losses, transfer.image)
        )
    except NonFiniteLoss as error:
        recorder.stop(
            "non_finite", non_finite_message(recorder.steps + 1, error.losses)
        )
        return
    done = recorder.steps - first
    if done < steps:  # e.g. the line search found no decrease (float32 noise)
        recorder.message = f"L-BFGS-B stopped after {done} of {steps} steps: {reason}"


def non_finite_message(step: int, losses: dict[str, float]) -> str:
    """Say which term blew up and which setting to lower (by its config name)."""
    bad = [term for term in LOSS_TERMS[1:] if not math.isfinite(losses[term])]
    settings = {
        "style": "style_weight",
        "content": "content_weight",
        "variation": "total_variation_weight",
    }
    hint = ", ".join(settings[term] for term in bad) or "learning_rate"
    return (
        f"loss became non-finite at step {step} ({', '.join(bad) or 'total'} term); "
        f"kept the last finite image. Lower {hint} (or learning_rate) and retry."
    )


def as_image(image: ImageLike, max_dim: int | None, name: str = "image") -> tf.Tensor:
    """A path is loaded at ``max_dim``; a tensor or array is checked and used as is.

    Raises:
        ImageError: a file that cannot be used.
        TypeError, ValueError: an array that is not an image (see ``as_batch``),
            naming the argument ``name``.
    """
    if isinstance(image, (str, os.PathLike)):
        return load_image(image, max_dim)
    return as_batch(image, name)


def match_size(image: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """Resize ``image`` to the height and width of ``reference`` when they differ."""
    if image.shape[1:3] == reference.shape[1:3]:
        return image
    return tf.image.resize(image, reference.shape[1:3])


__all__ = [
    "RunRecorder",
    "StepReport",
    "StyleTransfer",
    "StylizeResult",
    "clip_0_1",
    "run_transfer",
    "run_scales",
    "stylize",
]
