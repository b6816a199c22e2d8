"""Artistic controls: the images a run starts from, and the touch after it ends.

What users reach for once the tutorial's result is not enough (jcjohnson/neural-style,
crowsonkb/style-transfer-pytorch, cysmith/neural-style-tf; Gatys et al. 2016,
"Controlling Perceptual Factors in Neural Style Transfer" and "Preserving Color in
Neural Artistic Style Transfer"). Controls that change the loss (blended styles,
per-layer weights, normalisation, the mask) live in
:class:`tf_style.objective.StyleContentLoss`; pooling in :mod:`tf_style.vgg.network`;
this module prepares the images before the run (:func:`prepare`) and finishes the
result (:func:`finish`). With the config's defaults both return their input
unchanged, so the tutorial's result is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import tensorflow as tf

from tf_style.color import (
    gray_rgb,
    luminance,
    luminance_only,
    match_color,
    recombine_luminance,
)
from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import clip_0_1, resize
from tf_style.losses import StyleRegion, TemporalTarget
from tf_style.shapes import scaled_shape, tutorial_shape


@dataclass
class RunImages:
    """The images one run optimises with, all float32 in [0, 1].

    Attributes:
        content: ``[1, H, W, 3]``, grey under luminance-only transfer.
        styles: one or more ``[1, h, w, 3]``, scaled and colour-matched.
        start: ``[1, H, W, 3]``, the initial image.
        mask: ``[1, H, W, 1]`` or None.
        original_content: the content as given, for the colours put back.
        temporal: earlier frames' results warped onto this one, at its size (grey
            under luminance-only transfer, like the content).
        regions: styles each in its own region, masks at the content's size and
            paintings scaled and colour-matched like ``styles``.
    """

    content: tf.Tensor
    styles: list[tf.Tensor]
    start: tf.Tensor
    mask: tf.Tensor | None
    original_content: tf.Tensor
    temporal: tuple[TemporalTarget, ...] = field(default=())
    regions: tuple[StyleRegion, ...] = field(default=())


def prepare(
    content: tf.Tensor,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    *,
    init_image: tf.Tensor | None = None,
    mask: tf.Tensor | None = None,
    temporal: Sequence[TemporalTarget] = (),
    regions: Sequence[StyleRegion] = (),
) -> RunImages:
    """Apply the controls that act before the run, in the order that makes sense.

    Style scale first (it sets the texture's size), then colour (histogram matching
    or the luminance pair), then the initial image from the prepared images.

    Args:
        content: ``[1, H, W, 3]``.
        styles: the style images, any sizes.
        config: the controls (``style_scale``, ``preserve_color``, ``init``,
            ``init_noise_ratio``).
        init_image: the starting image when ``config.init`` names a file, any size.
        mask: a grey ``[1, h, w, 1]`` or RGB mask, resized to the content.
        temporal: a video frame's temporal targets, resized to the content.
        regions: styles each in its own region; their paintings are prepared as
            ``styles`` are, their masks resized to the content.
    """
    paintings = [
        scale_style(style, content, config.style_scale)
        for style in [*styles, *(region.style for region in regions)]
    ]
    original = content
    if config.preserve_color == "histogram":
        paintings = [match_color(style, content) for style in paintings]
    elif config.preserve_color == "luminance":
        grey = luminance_only(content, content)[0]
        paintings = [luminance_only(content, style)[1] for style in paintings]
        content = grey
        if init_image is not None:
            init_image = luminance_only(init_image, init_image)[0]
    styles, painted = paintings[: len(styles)], paintings[len(styles) :]
    size = content.shape[1:3]
    regions = tuple(
        replace(region, mask=as_mask(region.mask, size), style=style)
        for region, style in zip(regions, painted, strict=True)
    )
    start = initial_image(content, [*styles, *painted], config, init_image)
    prepared_mask = None if mask is None else as_mask(mask, size)
    targets = tuple(
        TemporalTarget(
            resize(_grey(target.image, config), size), resize(target.weights, size)
        )
        for target in temporal
    )
    return RunImages(content, styles, start, prepared_mask, original, targets, regions)


def _grey(image: tf.Tensor, config: StyleTransferConfig) -> tf.Tensor:
    """``image`` as the run sees it: grey under luminance-only transfer."""
    return gray_rgb(luminance(image)) if config.preserve_color == "luminance" else image


def scale_style(style: tf.Tensor, content: tf.Tensor, style_scale: float) -> tf.Tensor:
    """The style image with its longest side ``style_scale`` times the content's.

    VGG19's Gram matrices describe texture at a size in pixels: a larger style image
    gives larger brush strokes (neural-style's ``-style_scale``). At 1 the image is
    returned as given, as the tutorial uses it.
    """
    if style_scale == 1.0:
        return style
    size = scaled_style_size(style.shape[1:3], content.shape[1:3], style_scale)
    return resize(style, size)


def scaled_style_size(
    style_size: Sequence[int], content_size: Sequence[int], style_scale: float
) -> tuple[int, int]:
    """(H, W) of the style image at ``style_scale`` (its own size at 1).

    The longest side is ``style_scale`` times the content's, truncated, and the
    shape follows as the tutorial's ``load_img`` sizes an image for ``max_dim``.
    """
    if style_scale == 1.0:
        return int(style_size[0]), int(style_size[1])
    long_side = scaled_shape((max(content_size), 1), style_scale)[0]
    return tutorial_shape(style_size, long_side)


def initial_image(
    content: tf.Tensor,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    init_image: tf.Tensor | None = None,
) -> tf.Tensor:
    """Where the optimisation starts: an image given, or what ``config.init`` says:
    content, noise, the (first) style or the content recoloured.

    ``content-recolored`` is the content with the (first) style's colour mean and
    covariance (:func:`~tf_style.color.match_color`). Its loss starts 1.3 to 1.9
    times lower than the content's, and L-BFGS reached the tutorial's 300-step loss
    4 to 22 evaluations sooner from it on the benchmark pairs (README, Speed).

    ``init_noise_ratio`` blends uniform noise in, ``(1 - r) * start + r * noise``, as
    the paper's TensorFlow code (neural-style-tf) does; the noise follows the seed.
    """
    size = content.shape[1:3]
    if init_image is not None:  # given explicitly: a file, a previous result
        start = resize(init_image, size)
    elif config.init == "noise":
        start = _noise(size)
    elif config.init == "style":
        start = resize(styles[0], size)
    elif config.init == "content-recolored":
        start = match_color(content, styles[0])
    else:
        start = content
    ratio = config.init_noise_ratio
    if ratio > 0 and config.init != "noise":
        start = (1.0 - ratio) * start + ratio * _noise(size)
    return clip_0_1(start)


def _noise(size: Sequence[int]) -> tf.Tensor:
    return tf.random.uniform([1, int(size[0]), int(size[1]), 3], 0.0, 1.0)


def as_mask(mask: tf.Tensor, size: Sequence[int]) -> tf.Tensor:
    """A mask ``[1, H, W, 1]`` in [0, 1] at ``size``: grey, or RGB read as its mean.

    Bilinear resizing keeps grey edges grey, so the styled region blends into the
    kept one instead of ending at a hard seam.
    """
    mask = tf.convert_to_tensor(mask, tf.float32)
    if mask.shape.rank == 3:
        mask = mask[tf.newaxis]
    if mask.shape[-1] != 1:
        mask = tf.reduce_mean(mask, axis=-1, keepdims=True)
    if tuple(mask.shape[1:3]) != tuple(size):
        mask = resize(mask, size)
    return clip_0_1(mask)


def finish(
    image: tf.Tensor, prepared: RunImages, config: StyleTransferConfig
) -> tf.Tensor:
    """The controls that act on the result: the content's colours, then the mask."""
    if config.preserve_color == "luminance":
        image = recombine_luminance(image, prepared.original_content)
    if prepared.mask is not None:
        mask = prepared.mask
        image = mask * image + (1.0 - mask) * prepared.original_content
    return image


__all__ = ["RunImages", "as_mask", "finish", "initial_image", "prepare", "scale_style"]
