"""The style targets of a loss: one style's Gram matrices, a blend of several, or
each region's (:mod:`tf_style.regions`), computed once per run (and per scale).

:class:`tf_style.objective.StyleContentLoss` holds what these return; tiled runs
compute them tile by tile (:mod:`tf_style.tiles`), for a style image as large as a
print.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import tensorflow as tf

from tf_style.images.tensors import resize
from tf_style.losses import StyleRegion
from tf_style.vgg.guided import BLACK, Guides, layer_guides, style_layer_sizes
from tf_style.vgg.model import StyleContentModel

# How a loss gets an image's Gram matrices (guided where guides are given): the
# whole image through the extractor (None), or tile by tile (:mod:`tf_style.tiles`,
# which :class:`tf_style.objective.StyleContentLoss` passes for a tiled run).
GramsOf = Callable[[tf.Tensor, Guides | None], dict[str, tf.Tensor]]


def whole_grams(
    extractor: StyleContentModel, image: tf.Tensor, guides: Guides | None
) -> dict[str, tf.Tensor]:
    """The Gram matrices of the whole image (each region's, with guides)."""
    if guides is None:
        return extractor(image)["style"]
    return extractor.guided(image, guides)["style"]


def blended_style_targets(
    extractor: StyleContentModel,
    style_images: tf.Tensor | Sequence[tf.Tensor],
    blend: Sequence[float] = (),
    *,
    grams_of: GramsOf | None = None,
) -> dict[str, tf.Tensor]:
    """Gram targets of one style image, or the weighted mean of several's.

    Args:
        extractor: the feature extractor.
        style_images: one image or a sequence of them (any sizes).
        blend: one weight per image, normalised to sum to 1; equal when empty.
        grams_of: how to compute an image's Gram matrices (tile by tile for a
            style image as large as a print); the whole image when None.

    Raises:
        ValueError: a weight count that differs from the image count, or weights
            that do not sum above 0.
    """
    images = [style_images] if isinstance(style_images, tf.Tensor) else style_images
    weights = list(blend) or [1.0] * len(images)
    if len(weights) != len(images) or not sum(weights) > 0:
        raise ValueError(
            f"style_blend needs one weight of at least 0 per style image, summing "
            f"above 0; got {list(blend)} for {len(images)} images."
        )
    grams_of = grams_of or partial(whole_grams, extractor)
    targets = [grams_of(image, None) for image in images]
    if len(targets) == 1:
        return targets[0]
    total = sum(weights)
    return {
        layer: tf.add_n(
            [w / total * t[layer] for w, t in zip(weights, targets, strict=True)]
        )
        for layer in targets[0]
    }


@dataclass(frozen=True)
class RegionTargets:
    """What the loss keeps of its regions: guides, Gram targets and weights.

    Attributes:
        guides: the content's guidance channels at each style layer.
        style_targets: ``{layer: [1 or B, R, C, C]}``, each region's Gram targets.
        weights: float32 ``[R]``.
    """

    guides: Guides
    style_targets: dict[str, tf.Tensor]
    weights: tf.Tensor


def region_targets(
    extractor: StyleContentModel,
    content_size: tuple[int, int],
    regions: Sequence[StyleRegion],
    rest: dict[str, tf.Tensor] | None,
    *,
    grams_of: GramsOf | None = None,
) -> RegionTargets:
    """Guides and targets of ``regions``, with ``rest`` (the run's own style's Gram
    targets, None: no style) painting what the masks leave uncovered.

    Raises:
        ValueError: no region, or a region whose mask selects no pixel.
    """
    if not regions:
        raise ValueError("region_targets: give at least one region.")
    masks = [region.mask for region in regions]
    for number, mask in enumerate(masks, start=1):
        if float(tf.reduce_max(mask)) < BLACK:
            raise ValueError(f"region {number}: its mask is black: it selects nothing.")
    targets = [
        style_targets_of(extractor, r.style, r.style_mask, grams_of=grams_of)
        for r in regions
    ]
    weights = [float(region.weight) for region in regions]
    if rest is not None:
        uncovered = tf.clip_by_value(1.0 - tf.add_n(masks), 0.0, 1.0)
        if float(tf.reduce_max(uncovered)) >= BLACK:
            masks.append(uncovered)
            targets.append({name: gram[:, tf.newaxis] for name, gram in rest.items()})
            weights.append(1.0)
    sizes = style_layer_sizes(extractor.vgg, extractor.style_layers, content_size)
    guides = layer_guides(tf.concat(masks, 0), sizes)
    return RegionTargets(guides, stack_regions(targets), tf.constant(weights))


def style_targets_of(
    extractor: StyleContentModel,
    style: tf.Tensor,
    style_mask: tf.Tensor | None,
    *,
    grams_of: GramsOf | None = None,
) -> dict[str, tf.Tensor]:
    """One region's Gram targets, ``{layer: [1 or B, 1, C, C]}``: the painting's,
    or its guided ones inside ``style_mask``."""
    guides = None
    if style_mask is not None:
        sizes = style_layer_sizes(
            extractor.vgg, extractor.style_layers, tuple(style.shape[1:3])
        )
        guides = layer_guides(resize(style_mask, style.shape[1:3]), sizes)
    grams = (grams_of or partial(whole_grams, extractor))(style, guides)
    return {
        name: gram if guides is not None else gram[:, tf.newaxis]
        for name, gram in grams.items()
    }


def stack_regions(targets: Sequence[dict[str, tf.Tensor]]) -> dict[str, tf.Tensor]:
    """``[1 or B, 1, C, C]`` targets as one ``[1 or B, R, C, C]`` per layer (a
    style matched to each photo's colours has one per image; shared ones
    broadcast)."""
    batch = max(int(t[name].shape[0]) for t in targets for name in t)
    return {
        name: tf.concat(
            [tf.broadcast_to(t[name], [batch, *t[name].shape[1:]]) for t in targets],
            axis=1,
        )
        for name in targets[0]
    }


__all__ = [
    "GramsOf",
    "RegionTargets",
    "blended_style_targets",
    "region_targets",
    "stack_regions",
    "style_targets_of",
    "whole_grams",
]
