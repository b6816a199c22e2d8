"""stylize_many(): many content images through the one pipeline, a group at a time.

Images of one size after resizing to ``max_dim`` form a group, and each group is one
call of :func:`tf_style.optimize.driver.stylize_batch`: with Adam one ``[B, H, W, 3]``
variable (every image gets exactly the update it would get alone, since no loss term
mixes images), with L-BFGS one image after another (its line search and curvature
pairs would couple them). Every setting means what it means for one image.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import tensorflow as tf

from tf_style.config import ManyImagesConfig, StyleTransferConfig
from tf_style.config.choices import SIZINGS
from tf_style.images.tensors import ImageLike, clip_0_1
from tf_style.optimize.driver import as_image, as_list, stylize_batch
from tf_style.optimize.recorder import StylizeResult
from tf_style.vgg.model import StyleContentModel, extractor_for
from tf_style.vgg.network import with_network


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
    """``image`` fitted into ``size`` and padded with edge pixels (``common``).

    Fitting into a box is not the tutorial's ``max_dim`` sizing (the image is
    already at ``max_dim``): ``tf.image.resize`` with ``preserve_aspect_ratio``.
    """
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
    batch_size: int = ManyImagesConfig.batch_size,
    sizing: str = ManyImagesConfig.sizing,
    extractor: StyleContentModel | None = None,
    strategy: tf.distribute.Strategy | None = None,
    callback: Callable[[int], None] | None = None,
) -> list[StylizeResult]:
    """Stylise many content images with one style, in batches of same-sized images.

    Args:
        contents: a list of paths (loaded at ``config.max_dim``) or ``[1, H, W, 3]``
            images.
        style: the style image(s), as for :func:`tf_style.stylize`.
        config: settings (the tutorial's by default), every one honoured as by
            :func:`tf_style.stylize`.
        batch_size: images per batch variable.
        sizing: ``group`` (batch images that have the same size after resizing to
            ``max_dim``) or ``common`` (fit and pad every image to the first one's
            size, so all batch together; the result keeps the padding).
        extractor: a ready extractor with the config's layers.
        strategy: a ``tf.distribute`` strategy sharing each Adam batch (see
            :class:`tf_style.optimize.adam.StyleTransfer`).
        callback: called after every step of a group with that group's step
            count (1 to ``config.total_steps``).

    Returns:
        One :class:`~tf_style.optimize.recorder.StylizeResult` per content, in
        input order, each with its own history.

    Raises:
        TypeError: ``contents`` is one path rather than a list.
        ValueError: an unknown ``sizing`` or a ``batch_size`` under 1.

    Example:
        >>> results = stylize_many(["a.jpg", "b.jpg"], "starry.jpg",
        ...                        StyleTransferConfig(max_dim=256, epochs=2))
    """
    config = config or StyleTransferConfig()
    if sizing not in SIZINGS:
        raise ValueError(f"sizing must be 'group' or 'common', got {sizing!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if isinstance(contents, (str, bytes, os.PathLike)):
        raise TypeError(
            f"contents: expected a list of images or paths, got "
            f"{type(contents).__name__}; for one image pass [image] or use stylize()."
        )
    images = [as_image(c, config.max_dim, "contents") for c in contents]
    styles = [as_image(s, config.max_dim, "style") for s in as_list(style)]
    if sizing == "common":
        images = [pad_to(image, tuple(images[0].shape[1:3])) for image in images]
    extractor = with_network(
        extractor_for(config, extractor=extractor),
        precision=config.mixed_precision,
        pooling=config.pooling,
    )
    on_step = None if callback is None else (lambda r: callback(r.step))
    results: list[StylizeResult | None] = [None] * len(images)
    for group in group_by_size(images, batch_size):
        outcome = stylize_batch(
            [images[i] for i in group],
            styles,
            config,
            extractor=extractor,
            callback=on_step,
            strategy=strategy,
        )
        for index, result in zip(group, outcome, strict=True):
            results[index] = result
    return results  # type: ignore[return-value]


__all__ = ["group_by_size", "pad_to", "stylize_many"]
