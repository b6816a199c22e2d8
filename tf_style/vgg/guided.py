"""Guided Gram matrices: the style of one region of an image.

Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer" (CVPR 2017,
section 4, spatial control): a guidance channel ``T_r`` (a mask: 1 inside region
``r``, 0 outside, grey between) is brought to each layer's resolution, multiplied
into that layer's features, ``F_l^r = T_l^r * F_l``, and the Gram matrix of the
guided features describes the style of region ``r`` alone.

Two choices, both the paper's or following from it:

* **Downsampling.** For VGG the paper brings the guidance channel to each layer's
  resolution by downsampling it (its "simple" guidance; the alternative erodes the
  mask to the neurons whose receptive field lies inside). VGG19's 3x3 "same"
  convolutions keep the size and its 2x2 poolings halve it, so area averaging to
  the layer's size is what average-pooling the mask through the network gives: a
  grey edge stays grey and no region vanishes at a coarse layer.
* **Normalisation.** The guided sum ``sum_ij T_ij^2 F_ij F_ij^T`` is divided by the
  region's area, ``sum_ij T_ij^2``, not by the whole map's ``H * W`` as
  :func:`~tf_style.vgg.model.gram_matrix` does: the result is the mean over the
  region's own locations, so a small region's Gram matrix is as large as a big
  one's and its style term is not drowned. A mask of ones gives today's Gram
  matrix; a 0/1 mask gives the Gram matrix of the features inside it.

The same sums serve tiled evaluation (:mod:`tf_style.tiles`): each tile adds its
core's guided sum and the whole map's area divides the total, exactly as for the
unguided Gram matrices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import keras
import tensorflow as tf

from tf_style.vgg.gram import region_gram_einsum

# A region's area at a layer never goes below this (in locations): a mask that
# vanishes there gives a zero Gram matrix, not a division by zero.
MIN_AREA = 1e-6
# A mask whose brightest pixel is darker than this selects nothing (1/255: black
# in an 8-bit file).
BLACK = 1.0 / 255.0


@dataclass(frozen=True)
class Guides:
    """Each style layer's guidance channels at its resolution, and their areas.

    Attributes:
        maps: ``{layer: [R, h, w, 1]}`` in [0, 1], one channel per region.
        areas: ``{layer: [R]}``, each channel's ``sum T^2`` (at least ``MIN_AREA``).
    """

    maps: Mapping[str, tf.Tensor]
    areas: Mapping[str, tf.Tensor]

    @property
    def count(self) -> int:
        """How many regions (R)."""
        return int(next(iter(self.maps.values())).shape[0])


def style_layer_sizes(
    network: keras.Model, style_layers: list[str], size: tuple[int, int]
) -> dict[str, tuple[int, int]]:
    """(h, w) of each style layer's map for an input of ``size`` (H, W).

    VGG19's convolutions keep the size and each 2x2, stride-2 pooling halves it,
    flooring odd sides (as :func:`tf_style.tiles.stages.layer_sizes` counts).
    """
    height, width = (int(side) for side in size)
    sizes = {}
    for layer in network.layers:
        if hasattr(layer, "pool_size"):
            height, width = height // 2, width // 2
        if layer.name in style_layers:
            sizes[layer.name] = (height, width)
    return sizes


def layer_guides(masks: tf.Tensor, sizes: Mapping[str, tuple[int, int]]) -> Guides:
    """The masks at each layer's size (area averaging; see the module's notes).

    Args:
        masks: float32 ``[R, H, W, 1]`` in [0, 1] at the input image's size.
        sizes: ``{layer: (h, w)}`` (:func:`style_layer_sizes`).
    """
    masks = tf.convert_to_tensor(masks, tf.float32)
    maps = {name: _area_resize(masks, size) for name, size in sizes.items()}
    areas = {
        name: tf.maximum(tf.reduce_sum(value**2, axis=[1, 2, 3]), MIN_AREA)
        for name, value in maps.items()
    }
    return Guides(maps, areas)


def _area_resize(masks: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
    if tuple(masks.shape[1:3]) == tuple(size):
        return masks
    return tf.image.resize(masks, size, method="area")


def guided_gram_sum(features: tf.Tensor, maps: tf.Tensor) -> tf.Tensor:
    """``sum_ij (T_r F)_ij (T_r F)_ij^T`` for each image and region, not normalised.

    Args:
        features: float32 ``[B, h, w, C]``.
        maps: float32 ``[R, h, w, 1]``, the guidance channels at the same size.

    Returns:
        ``[B, R, C, C]``.
    """
    guided = features[:, tf.newaxis] * maps[tf.newaxis]
    return region_gram_einsum(guided)


def guided_gram(features: tf.Tensor, maps: tf.Tensor, areas: tf.Tensor) -> tf.Tensor:
    """Each region's Gram matrix, the mean over its own locations: ``[B, R, C, C]``.

    Args:
        features: float32 ``[B, h, w, C]``.
        maps: float32 ``[R, h, w, 1]``.
        areas: float32 ``[R]``, ``sum T^2`` of each channel (:class:`Guides`).
    """
    return guided_gram_sum(features, maps) / per_region(areas)


def per_region(areas: tf.Tensor) -> tf.Tensor:
    """``[R]`` areas shaped to divide ``[B, R, C, C]`` Gram sums."""
    return tf.reshape(areas, [1, -1, 1, 1])


__all__ = [
    "BLACK",
    "MIN_AREA",
    "Guides",
    "guided_gram",
    "guided_gram_sum",
    "layer_guides",
    "per_region",
    "style_layer_sizes",
]
