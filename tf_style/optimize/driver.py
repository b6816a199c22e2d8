"""stylize() and stylize_batch(): the one pipeline, for one image or many.

Load, prepare each image (:mod:`tf_style.controls`), run the scales
(:mod:`~tf_style.optimize.loop`), finish each image. Every mode (one image, a
folder, ``stylize_many``, frames) comes through here, so every setting means the
same in all of them. The tutorial's names (``StyleTransfer``, ``clip_0_1``,
``StepReport``, ``StylizeResult``) are importable from :mod:`tf_style.optimize`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace

import keras
import tensorflow as tf

from tf_style.config import INITS, MIN_NETWORK_SIDE, StyleTransferConfig
from tf_style.controls import RunImages, finish, prepare
from tf_style.images.tensors import ImageLike, as_batch, load_image
from tf_style.losses import TEMPORAL_WEIGHT, TemporalTarget
from tf_style.optimize.loop import make_transfer, run_batch, run_scales
from tf_style.optimize.recorder import StepReport, StylizeResult
from tf_style.regions import (
    Region,
    StyleRegion,
    as_style_region,
    check_regions_fit,
    mask_image,
)
from tf_style.shapes import check_scaled_sizes
from tf_style.vgg.model import StyleContentModel, extractor_for
from tf_style.vgg.network import with_network


def stylize(
    content_image: ImageLike,
    style_image: ImageLike | Sequence[ImageLike] | None = None,
    config: StyleTransferConfig | None = None,
    *,
    extractor: StyleContentModel | None = None,
    vgg: keras.Model | None = None,
    init_image: ImageLike | None = None,
    mask: ImageLike | None = None,
    callback: Callable[[StepReport], None] | None = None,
    weights: str | os.PathLike | None = None,
    temporal: Sequence[TemporalTarget] = (),
    temporal_weight: float = TEMPORAL_WEIGHT,
    regions: Sequence[Region] = (),
) -> StylizeResult:
    """Gatys et al.'s style transfer with the tutorial's schedule (epochs x steps).

    ``config`` also chooses the optimiser (Adam as in the tutorial, or L-BFGS as in the
    paper), a coarse-to-fine schedule (``scales``, ``scale_steps``), VGG19's compute
    precision and XLA, and the artistic controls (colour preservation, style blend,
    initial image, style scale, per-layer weights, loss normalisation, pooling; see
    :mod:`tf_style.controls`); every combination minimises one
    :class:`StyleContentLoss`.

    Args:
        content_image: a path (loaded at ``config.max_dim``) or a float32
            ``[1, H, W, 3]`` tensor in [0, 1] (used at its size).
        style_image: likewise, or a sequence of them, blended by
            ``config.style_blend``; with ``regions``, what they leave uncovered
            (None: there the content is kept).
        config: settings; the tutorial's defaults when None.
        extractor: a ready :class:`StyleContentModel` with ``config``'s layers
            (saves rebuilding VGG19; other layers are a ``ValueError``); a copy in
            ``config.mixed_precision`` and ``config.pooling`` is made where it
            differs.
        vgg: a loaded VGG19 to build the config's extractor from (saves reloading
            it when the layers change between runs).
        init_image: where to start (a previous output, say); by default what
            ``config.init`` says (the content image, as the tutorial). Resized to
            the content's size (then to each scale's).
        mask: where the style applies: white (1) styled, black (0) the content
            kept, grey between; a path or an image, resized to the content.
        callback: called after every step (an L-BFGS iteration counts as a step)
            with a :class:`StepReport`; steps count 1 to ``config.total_steps``
            across the scales, and ``report.image`` has the current scale's size.
        weights: VGG19 weights file (see :func:`tf_style.vgg.weights.load_vgg19`).
        temporal: for a video frame, earlier results warped onto it
            (:mod:`tf_style.video.temporal`): the loss gains Ruder et al.'s
            temporal term, weighted by ``temporal_weight``.
        regions: several styles, each in its own region (:class:`tf_style.Region`:
            a mask, a painting, a weight and optionally a mask of the painting);
            see :mod:`tf_style.regions`.

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
    content = as_image(content_image, config.max_dim, "content_image")
    if style_image is None and not regions:
        raise ValueError("stylize: give a style_image, regions, or both.")
    styles = [
        as_image(style, config.max_dim, "style_image")
        for style in ([] if style_image is None else as_list(style_image))
    ]
    init = (
        None
        if init_image is None
        else as_image(init_image, None, "init_image", min_side=1)
    )
    return stylize_batch(
        [content],
        styles,
        config,
        extractor=extractor,
        vgg=vgg,
        weights=weights,
        init_images=[init],
        mask=None if mask is None else as_mask_image(mask),
        callback=callback,
        temporal=temporal,
        temporal_weight=temporal_weight,
        regions=[as_style_region(region, config.max_dim) for region in regions],
    )[0]


def stylize_batch(
    contents: Sequence[tf.Tensor],
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel | None = None,
    vgg: keras.Model | None = None,
    weights: str | os.PathLike | None = None,
    init_images: Sequence[tf.Tensor | None] | None = None,
    mask: tf.Tensor | None = None,
    callback: Callable[[StepReport], None] | None = None,
    strategy: tf.distribute.Strategy | None = None,
    temporal: Sequence[TemporalTarget] = (),
    temporal_weight: float = TEMPORAL_WEIGHT,
    regions: Sequence[StyleRegion] = (),
) -> list[StylizeResult]:
    """The one pipeline: prepare each image, run the scales, finish each image.

    :func:`stylize` is this with one image; a folder, a glob and
    :func:`tf_style.batch.stylize_many` are this with a group of same-sized images,
    so every setting means the same in every mode. With Adam the group is one
    ``[B, H, W, 3]`` variable (each image's loss its own, so each gets the update it
    would get alone); L-BFGS's line search and curvature pairs would couple images,
    so it runs them one after another.

    Args:
        contents: float32 ``[1, H, W, 3]`` images in [0, 1], all one size.
        styles: the style images (several are blended by ``config.style_blend``).
        config: every setting, as for :func:`stylize`.
        extractor, vgg, weights: as for :func:`stylize`.
        init_images: one starting image (or None) per content.
        mask: as for :func:`stylize`, applied to every image.
        callback: called after every step with the batch's summed losses.
        strategy: a ``tf.distribute`` strategy sharing an Adam batch.
        temporal, temporal_weight: as for :func:`stylize` (one content only).
        regions: as for :func:`stylize`, as tensors, the same for every image
            (each mask must have every content's shape, see
            :func:`tf_style.regions.check_regions_fit`).

    Returns:
        One :class:`StylizeResult` per content, in order, each with its own history.
    """
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    if len({tuple(c.shape[1:3]) for c in contents}) != 1:
        raise ValueError("stylize_batch: the contents must all have one size.")
    if temporal and len(contents) != 1:
        raise ValueError("stylize_batch: temporal targets belong to one frame.")
    init_images = list(init_images or [None] * len(contents))
    if config.init not in INITS:  # a file named by the config: every image's start
        from_file = as_image(config.init, None, "init_image", min_side=1)
        init_images = [from_file if i is None else i for i in init_images]
    check_regions_fit(regions, contents[0].shape[1:3])
    prepared = [
        prepare(
            content,
            styles,
            config,
            init_image=init,
            mask=mask,
            temporal=temporal,
            regions=regions,
        )
        for content, init in zip(contents, init_images, strict=True)
    ]
    check_scaled_sizes(
        {"content": contents[0].shape[1:3]}
        | {f"style {i + 1}": s.shape[1:3] for i, s in enumerate(prepared[0].styles)}
        | {
            f"region {i + 1}'s style": r.style.shape[1:3]
            for i, r in enumerate(prepared[0].regions)
        },
        config.scales,
    )
    extractor = extractor_for(config, extractor=extractor, vgg=vgg, weights=weights)
    extractor = with_network(
        extractor, precision=config.mixed_precision, pooling=config.pooling
    )
    groups = [prepared] if config.optimizer == "adam" else [[p] for p in prepared]
    results = []
    for group in groups:
        outcome = run_batch(
            extractor,
            stack(group),
            config,
            callback,
            strategy,
            temporal_weight=temporal_weight,
        )
        results += [
            replace(result, image=finish(result.image, images, config))
            for result, images in zip(outcome, group, strict=True)
        ]
    return results


def stack(prepared: Sequence[RunImages]) -> RunImages:
    """Many images' :class:`RunImages` as one batch; a style every image shares
    (the same tensor) stays batch 1, so its Gram matrices are computed once."""
    first = prepared[0]
    styles = [
        style
        if all(p.styles[i] is style for p in prepared)
        else tf.concat([p.styles[i] for p in prepared], 0)
        for i, style in enumerate(first.styles)
    ]
    return RunImages(
        content=tf.concat([p.content for p in prepared], 0),
        styles=styles,
        start=tf.concat([p.start for p in prepared], 0),
        mask=first.mask,
        original_content=tf.concat([p.original_content for p in prepared], 0),
        temporal=first.temporal,  # one frame: a batch of one (stylize_batch checks)
        regions=tuple(
            replace(
                region,
                style=region.style
                if all(p.regions[i].style is region.style for p in prepared)
                else tf.concat([p.regions[i].style for p in prepared], 0),
            )
            for i, region in enumerate(first.regions)
        ),
    )


def as_list(images: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    """One image (path, array or tensor) or a list or tuple of them, as a list."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("style_image: give at least one style image.")
        return list(images)
    return [images]


def as_image(
    image: ImageLike,
    max_dim: int | None,
    name: str = "image",
    *,
    min_side: int = MIN_NETWORK_SIDE,
) -> tf.Tensor:
    """A path is loaded at ``max_dim``; a tensor or array is checked and used as is.

    Raises:
        ImageError: a file that cannot be used.
        TypeError, ValueError: an array that is not an image (see ``as_batch``),
            naming the argument ``name``.
    """
    if isinstance(image, (str, os.PathLike)):
        return load_image(image, max_dim)
    return as_batch(image, name, min_side=min_side)


def as_mask_image(mask: ImageLike) -> tf.Tensor:
    """A mask file as an RGB image at its own size; an array or tensor checked
    (:func:`tf_style.regions.mask_image`).

    :func:`tf_style.controls.as_mask` makes either a grey ``[1, H, W, 1]`` at the
    content's size.
    """
    return mask_image(mask, "mask")


__all__ = [
    "as_image",
    "make_transfer",
    "run_batch",
    "run_scales",
    "stack",
    "stylize",
    "stylize_batch",
]
