"""stylize(): load, build, loop over the scales, report.

The optimisers live in :mod:`~tf_style.optimize.adam` (the tutorial's
``StyleTransfer`` and ``train_step``) and :mod:`~tf_style.optimize.lbfgs`; both offer
``run(steps, recorder)`` into a :class:`~tf_style.optimize.recorder.RunRecorder`, so
this module never asks which one it holds.
The tutorial's names (``StyleTransfer``, ``clip_0_1``, ``StepReport``,
``StylizeResult``) are importable from :mod:`tf_style.optimize` as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images import as_batch, load_image
from tf_style.model import StyleContentModel, extractor_for
from tf_style.objective import StyleContentLoss
from tf_style.optimize.adam import StyleTransfer
from tf_style.optimize.lbfgs import LBFGSTransfer
from tf_style.optimize.multiscale import (
    check_scaled_sizes,
    resize_by,
    resize_to,
    scale_sizes,
)
from tf_style.optimize.recorder import RunRecorder, StepReport, StylizeResult
from tf_style.precision import with_precision

ImageLike = tf.Tensor | np.ndarray | str | os.PathLike


def stylize(
    content_image: ImageLike,
    style_image: ImageLike,
    config: StyleTransferConfig | None = None,
    *,
    extractor: StyleContentModel | None = None,
    vgg: keras.Model | None = None,
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
        extractor: a ready :class:`StyleContentModel` with ``config``'s layers
            (saves rebuilding VGG19; other layers are a ``ValueError``); a copy in
            ``config.mixed_precision`` is made where it differs.
        vgg: a loaded VGG19 to build the config's extractor from (saves reloading
            it when the layers change between runs).
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
        ...                            epochs=1, steps_per_epoch=60)  # see README
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
    extractor = extractor_for(config, extractor=extractor, vgg=vgg, weights=weights)
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
    by that scale (see :mod:`~tf_style.optimize.multiscale` for why the style image
    shrinks too), and the optimiser starts afresh (Adam's moments have the old size). A
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
            transfer.run(steps, recorder)
            image = tf.convert_to_tensor(transfer.image)
            if recorder.status != "completed":
                break
    except KeyboardInterrupt:
        recorder.interrupted()
        if transfer is not None:
            image = tf.convert_to_tensor(transfer.image)
    return recorder.result(resize_to(image, content.shape[1:3]))


# config.optimizer -> the class holding that optimiser's state; each has
# run(steps, recorder) and an ``image`` attribute.
OPTIMIZER_CLASSES = {"adam": StyleTransfer, "lbfgs": LBFGSTransfer}


def make_transfer(
    loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
) -> StyleTransfer | LBFGSTransfer:
    """The state of the optimiser ``config.optimizer`` names, at ``init_image``."""
    return OPTIMIZER_CLASSES[config.optimizer].from_config(loss, init_image, config)


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


__all__ = ["as_image", "make_transfer", "match_size", "run_scales", "stylize"]
