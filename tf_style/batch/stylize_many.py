"""stylize_many(): same-sized images optimised together as one batch variable.

Adam is element-wise and the batch loss is a sum of per-image losses
(:mod:`tf_style.batch.loss`), so every image of a batch gets exactly the update it
would get alone: a batch is a faster way to run the same single-image optimisations.

L-BFGS is different: its line search picks one step length for the whole variable
and its curvature pairs mix every pixel, so a batched L-BFGS would couple the
images (one image's bad step would shorten everyone's). With ``optimizer="lbfgs"``
the images therefore run one at a time through :func:`tf_style.stylize`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import tensorflow as tf

from tf_style.batch.loss import BatchStyleContentLoss
from tf_style.config import StyleTransferConfig
from tf_style.images import ImageLike, clip_0_1
from tf_style.optimize.stylize import as_image, stylize
from tf_style.vgg.model import StyleContentModel, extractor_for


@dataclass
class BatchResult:
    """One image's outcome: float32 ``[1, H, W, 3]`` and its per-step total loss."""

    image: tf.Tensor
    history: list[float]
    status: str = "completed"


class BatchTransfer:
    """Adam on a ``[B, H, W, 3]`` image variable, optionally under a strategy.

    Without a strategy this is the tutorial's ``train_step`` with a batch. Under a
    ``tf.distribute`` strategy (``MirroredStrategy`` over local devices,
    ``MultiWorkerMirroredStrategy`` over machines) each replica runs VGG19 forward
    and backward on its own share of the batch only; the full-size gradients (zero
    outside each share) are summed across replicas, and every worker applies the
    same Adam update to its copy of the images, so the copies never diverge.

    Args:
        loss: the batch loss (its contents fix the batch).
        init_images: float32 ``[B, H, W, 3]`` in [0, 1].
        config: ``learning_rate``, ``beta_1``, ``epsilon`` as in the tutorial.
        strategy: a ``tf.distribute.Strategy``, or None for one device.
    """

    def __init__(
        self,
        loss: BatchStyleContentLoss,
        init_images: tf.Tensor,
        config: StyleTransferConfig,
        *,
        strategy: tf.distribute.Strategy | None = None,
    ):
        self.loss = loss
        self.strategy = strategy
        self.batch = int(init_images.shape[0])
        self.image = tf.Variable(clip_0_1(tf.cast(init_images, tf.float32)))
        self.optimizer = keras.optimizers.Adam(
            learning_rate=config.learning_rate,
            beta_1=config.beta_1,
            epsilon=config.epsilon,
        )
        self.train_step = tf.function(self._train_step)

    def _share(self, images: tf.Tensor, start, end) -> tuple[dict, tf.Tensor]:
        """Terms (full ``[B]``, zero outside the share) and gradient of a share."""
        with tf.GradientTape() as tape:
            tape.watch(images)
            terms = self.loss(images[start:end], start, end)
            total = tf.reduce_sum(terms["total"])
        gradient = tape.gradient(total, images)
        padding = [[start, self.batch - end]]
        return {k: tf.pad(v, padding) for k, v in terms.items()}, gradient

    def _replica_step(self, images: tf.Tensor) -> tuple[dict, tf.Tensor]:
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        share = -(-self.batch // replicas)
        start = tf.minimum(context.replica_id_in_sync_group * share, self.batch)
        end = tf.minimum(start + share, self.batch)
        return self._share(images, start, end)

    def _train_step(self) -> dict[str, tf.Tensor]:
        """One Adam step on every image; returns the ``[B]`` terms before it."""
        images = tf.convert_to_tensor(self.image)
        if self.strategy is None:
            terms, gradient = self._share(images, 0, self.batch)
        else:
            per_replica = self.strategy.run(self._replica_step, args=(images,))
            # One reduction per tensor: the collective ops of
            # MultiWorkerMirroredStrategy do not take a nested structure.
            terms, gradient = tf.nest.map_structure(
                lambda value: self.strategy.reduce(
                    tf.distribute.ReduceOp.SUM, value, axis=None
                ),
                per_replica,
            )
        self.optimizer.apply_gradients([(gradient, self.image)])
        self.image.assign(clip_0_1(self.image))
        return terms

    def run(self, steps: int, callback: Callable[[int], None] | None = None) -> list:
        """``steps`` Adam steps; returns each step's ``[B]`` total losses.

        A non-finite loss restores the images from before the step and stops.
        """
        history = []
        for step in range(steps):
            last = tf.identity(self.image)
            totals = self.train_step()["total"].numpy().tolist()
            if not all(math.isfinite(v) for v in totals):
                self.image.assign(last)
                break
            history.append(totals)
            if callback is not None:
                callback(step + 1)
        return history


def group_by_size(images: Sequence[tf.Tensor], batch_size: int) -> list[list[int]]:
    """Indices of same-sized images, in input order, in groups of ``batch_size``."""
    by_size: dict[tuple, list[int]] = {}
    for index, image in enumerate(images):
        by_size.setdefault(tuple(image.shape[1:3]), []).append(index)
    return [
        indices[i : i + batch_size]
        for indices in by_size.values()
        for i in range(0, len(indices), batch_size)
    ]


def pad_to(image: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
    """``image`` resized to fit in ``size`` and padded with edge pixels (``common``)."""
    height, width = size
    fitted = tf.image.resize(image, size, preserve_aspect_ratio=True, antialias=True)
    top = (height - fitted.shape[1]) // 2
    left = (width - fitted.shape[2]) // 2
    paddings = [
        [0, 0],
        [top, height - fitted.shape[1] - top],
        [left, width - fitted.shape[2] - left],
        [0, 0],
    ]
    return clip_0_1(tf.pad(fitted, paddings, mode="SYMMETRIC"))


def stylize_many(
    contents: Sequence[ImageLike],
    style: ImageLike | Sequence[ImageLike],
    config: StyleTransferConfig | None = None,
    *,
    batch_size: int = 4,
    sizing: str = "group",
    extractor: StyleContentModel | None = None,
    strategy: tf.distribute.Strategy | None = None,
    callback: Callable[[int], None] | None = None,
) -> list[BatchResult]:
    """Stylise many content images with one style, in batches of same-sized images.

    Args:
        contents: paths (loaded at ``config.max_dim``) or ``[1, H, W, 3]`` images.
        style: the style image(s), as for :func:`tf_style.stylize`.
        config: settings (the tutorial's by default); Adam runs batched, L-BFGS
            per image (its line search would couple the images).
        batch_size: images per batch variable.
        sizing: ``group`` (batch images that have the same size after resizing to
            ``max_dim``) or ``common`` (fit and pad every image to the first one's
            size, so all batch together; the result keeps the padding).
        extractor: a ready extractor with the config's layers.
        strategy: a ``tf.distribute`` strategy for the batch (see
            :class:`BatchTransfer`).
        callback: called after every step of a batch with that batch's step
            count (1 to ``config.total_steps``); not called on the L-BFGS path.

    Returns:
        One :class:`BatchResult` per content, in input order.

    Example:
        >>> results = stylize_many(["a.jpg", "b.jpg"], "starry.jpg",
        ...                        StyleTransferConfig(max_dim=256, epochs=2))
    """
    config = config or StyleTransferConfig()
    if sizing not in ("group", "common"):
        raise ValueError(f"sizing must be 'group' or 'common', got {sizing!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if isinstance(contents, (str, bytes, os.PathLike)):
        raise TypeError(
            f"contents: expected a list of images or paths, got "
            f"{type(contents).__name__}; for one image pass [image] or use stylize()."
        )
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    images = [as_image(c, config.max_dim, "contents") for c in contents]
    styles = [as_image(s, config.max_dim, "style") for s in _as_list(style)]
    extractor = extractor_for(config, extractor=extractor)
    if config.optimizer != "adam":
        return [_single(image, styles, config, extractor) for image in images]
    if sizing == "common":
        images = [pad_to(image, tuple(images[0].shape[1:3])) for image in images]
    results: list[BatchResult | None] = [None] * len(images)
    for group in group_by_size(images, batch_size):
        for index, result in zip(
            group,
            stylize_batch(
                [images[i] for i in group],
                styles,
                config,
                extractor=extractor,
                strategy=strategy,
                callback=callback,
            ),
            strict=True,
        ):
            results[index] = result
    return results


def stylize_batch(
    images: Sequence[tf.Tensor],
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel,
    strategy: tf.distribute.Strategy | None = None,
    callback: Callable[[int], None] | None = None,
) -> list[BatchResult]:
    """One batch of same-sized images, started from themselves (Adam)."""
    contents = tf.concat(list(images), axis=0)
    loss = BatchStyleContentLoss(extractor, contents, styles, config)
    transfer = BatchTransfer(loss, contents, config, strategy=strategy)
    history = transfer.run(config.total_steps, callback)
    status = "completed" if len(history) == config.total_steps else "non-finite"
    final = tf.convert_to_tensor(transfer.image)
    return [
        BatchResult(final[b : b + 1], [step[b] for step in history], status)
        for b in range(len(images))
    ]


def _single(image, styles, config, extractor) -> BatchResult:
    result = stylize(image, styles, config, extractor=extractor)
    return BatchResult(result.image, list(result.history["total"]), result.status)


def _as_list(images):
    return list(images) if isinstance(images, (list, tuple)) else [images]


__all__ = ["BatchResult", "BatchTransfer", "group_by_size", "stylize_many"]
