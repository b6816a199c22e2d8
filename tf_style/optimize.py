"""Optimisation: StyleTransfer (image variable, optimiser, train_step) and stylize().

``StyleTransfer`` owns everything that has state during one run, so a second run is a
new object and nobody has to "re-initialise the optimizer" as the tutorial must.
``stylize()`` is the entry point: load, build, loop, report.
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
from tf_style.losses import LOSS_TERMS
from tf_style.model import StyleContentModel
from tf_style.objective import StyleContentLoss
from tf_style.weights import load_vgg19

ImageLike = tf.Tensor | np.ndarray | str | os.PathLike


def clip_0_1(image: tf.Tensor) -> tf.Tensor:
    """Keep pixels in [0, 1]: the image is a free float variable, nothing else would."""
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


@dataclass
class StepReport:
    """What a progress callback receives after each step."""

    step: int  # 1-based, over the whole run
    total_steps: int
    losses: dict[str, float]
    image: tf.Tensor  # float32 [1, H, W, 3] in [0, 1] (the current image)
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
        with tf.GradientTape() as tape:
            terms = self.loss(self.image)
        grad = tape.gradient(terms["total"], self.image)
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

    Args:
        content_image: a path (loaded at ``config.max_dim``) or a float32
            ``[1, H, W, 3]`` tensor in [0, 1] (used at its size).
        style_image: likewise.
        config: settings; the tutorial's defaults when None.
        extractor: a ready :class:`StyleContentModel` (saves rebuilding VGG19).
        init_image: where to start (a previous output, say); the content image by
            default. Resized to the content's size.
        callback: called after every step with a :class:`StepReport`.
        weights: VGG19 weights file (see :func:`tf_style.weights.load_vgg19`).

    Returns:
        A :class:`StylizeResult`. Ctrl-C does not lose the work: the result so far is
        returned with status ``interrupted``.

    Example:
        >>> result = stylize("assets/chelsea.png", "assets/starry_night.jpg",
        ...                  StyleTransferConfig(max_dim=256, epochs=2))
        >>> save_image(result.image, "cat.png")
    """
    config = config or StyleTransferConfig()
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    content = as_image(content_image, config.max_dim)
    style = as_image(style_image, config.max_dim)
    start = (
        content
        if init_image is None
        else match_size(as_image(init_image, None), content)
    )
    if extractor is None:
        extractor = StyleContentModel(
            config.style_layers, config.content_layers, vgg=load_vgg19(weights)
        )
    loss = StyleContentLoss.from_config(extractor, content, style, config)
    return run_adam(StyleTransfer(loss, start, config), config.total_steps, callback)


def run_adam(
    transfer: StyleTransfer,
    total_steps: int,
    callback: Callable[[StepReport], None] | None = None,
) -> StylizeResult:
    """Run ``total_steps`` train steps, recording the loss, stopping safely.

    Ctrl-C ends the loop with status ``interrupted``; a non-finite loss ends it with
    status ``non_finite`` and the last image whose loss was finite.
    """
    history: dict[str, list[float]] = {term: [] for term in LOSS_TERMS}
    started = time.perf_counter()
    status, message = "completed", ""
    try:
        for step in range(1, total_steps + 1):
            last_image = tf.identity(transfer.image)
            losses = {k: float(v) for k, v in transfer.train_step().items()}
            if not all(math.isfinite(v) for v in losses.values()):
                transfer.image.assign(last_image)
                status, message = "non_finite", non_finite_message(step, losses)
                break
            for term in LOSS_TERMS:
                history[term].append(losses[term])
            if callback is not None:
                elapsed = time.perf_counter() - started
                callback(StepReport(step, total_steps, losses, transfer.image, elapsed))
    except KeyboardInterrupt:
        status, message = (
            "interrupted",
            f"interrupted after {len(history['total'])} steps",
        )
    return StylizeResult(
        image=tf.convert_to_tensor(transfer.image),
        history=history,
        status=status,
        message=message,
        seconds=time.perf_counter() - started,
    )


def non_finite_message(step: int, losses: dict[str, float]) -> str:
    """Say which term blew up and what to change."""
    bad = [term for term in LOSS_TERMS[1:] if not math.isfinite(losses[term])]
    settings = {
        "style": "--style-weight",
        "content": "--content-weight",
        "variation": "--tv-weight",
    }
    hint = ", ".join(settings[term] for term in bad) or "--learning-rate"
    return (
        f"loss became non-finite at step {step} ({', '.join(bad) or 'total'} term); "
        f"kept the last finite image. Lower {hint} (or the learning rate) and retry."
    )


def as_image(image: ImageLike, max_dim: int | None) -> tf.Tensor:
    """A path is loaded at ``max_dim``; a tensor or array is checked and used as is."""
    if isinstance(image, (str, os.PathLike)):
        return load_image(image, max_dim)
    return as_batch(image)


def match_size(image: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """Resize ``image`` to the height and width of ``reference`` when they differ."""
    if image.shape[1:3] == reference.shape[1:3]:
        return image
    return tf.image.resize(image, reference.shape[1:3])


__all__ = [
    "StepReport",
    "StyleTransfer",
    "StylizeResult",
    "clip_0_1",
    "run_adam",
    "stylize",
]
