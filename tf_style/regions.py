"""Several styles, each in its own region (Gatys et al. 2017's spatial control).

A :class:`Region` pairs a mask of the photo (white: this style, grey: blends,
black: not here) with a painting, a weight, and optionally a mask of the painting
saying which part of it to learn from. Each region's style term compares guided
Gram matrices (:mod:`tf_style.vgg.guided`): the photo's features inside the region
against the painting's (inside its own mask).

What the regions do not cover:

* **Uncovered pixels** keep the content loss only, unless the run also names a
  style (``style_image``, ``--style``): then that style paints the rest, as one
  more region whose mask is ``1 - sum(masks)`` (clipped to [0, 1]). A user who
  gives a style beside the regions has said "this style everywhere else"; one who
  gives only regions has said "only there", and the photo stays itself elsewhere.
* **Overlaps** add: where two masks are both white, both regions' style terms pull
  on those pixels, each with its weight (the default region takes what is left
  of 1, so it never adds to an overlap).

The run's ``mask`` (``--mask``) keeps its meaning: it decides where the photo is
kept, before any region is scored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from tf_style.images.tensors import ImageLike, as_batch, load_image
from tf_style.losses import StyleRegion
from tf_style.vgg.guided import BLACK


@dataclass(frozen=True)
class Region:
    """One style for one part of the photo, as a user gives it.

    Attributes:
        mask: where this style goes: a path or an image (white this style, black
            not, grey blends), resized to the photo; its shape must match the
            photo's (within a pixel).
        style: the painting: a path or an image.
        weight: this region's style weight, times the run's ``style_weight``.
        style_mask: which part of the painting to learn from (None: all of it).
    """

    mask: ImageLike
    style: ImageLike
    weight: float = 1.0
    style_mask: ImageLike | None = None


def as_style_region(
    region: Region, max_dim: int | None, number: int = 1
) -> StyleRegion:
    """A :class:`Region` loaded and checked: the mask and style mask at their own
    sizes, the painting at ``max_dim`` (arrays used as given).

    Raises:
        ImageError: a file that cannot be read.
        ValueError: a weight that is not a positive number, a mask that is not an
            image in [0, 1] or selects nothing, a style mask of another shape than
            its painting.
    """
    name = f"region {number}"
    if not (isinstance(region.weight, (int, float)) and math.isfinite(region.weight)):
        raise ValueError(f"{name}: weight {region.weight!r} is not a number.")
    if region.weight <= 0:
        raise ValueError(f"{name}: weight {region.weight} must be above 0.")
    mask = mask_image(region.mask, f"{name}'s mask", must_select=True)
    if isinstance(region.style, (str, os.PathLike)):
        style = load_image(region.style, max_dim)
    else:
        style = as_batch(region.style, f"{name}'s style")
    style_mask = None
    if region.style_mask is not None:
        style_mask = mask_image(
            region.style_mask, f"{name}'s style mask", must_select=True
        )
        check_mask_fits(style_mask, style.shape[1:3], f"{name}'s style mask", "style")
    return StyleRegion(mask, style, float(region.weight), style_mask)


def loaded_region(region: StyleRegion) -> Region:
    """A region already loaded, as :func:`tf_style.stylize` takes it (its tensors
    are checked again there, at no cost worth saving)."""
    return Region(region.mask, region.style, region.weight, region.style_mask)


def mask_image(
    mask: ImageLike, name: str = "mask", *, must_select: bool = False
) -> tf.Tensor:
    """A mask file as an image at its own size, an array checked: ``[1, H, W, C]``.

    Raises:
        ImageError: a file that cannot be read.
        ValueError: not ``[H, W, 1 or 3]`` (or a batch of one), NaN or infinite
            values, values outside [0, 1], or black all over where the mask
            ``must_select`` (a region's: a run's ``--mask`` may keep everything).
    """
    if isinstance(mask, (str, os.PathLike)):
        image = load_image(mask, None)
    else:
        image = tf.convert_to_tensor(mask, tf.float32)
        if image.shape.rank == 3:
            image = image[tf.newaxis]
        if (
            image.shape.rank != 4
            or image.shape[0] != 1
            or image.shape[-1] not in (1, 3)
        ):
            raise ValueError(
                f"{name}: expected [H, W, 1], [H, W, 3] or a batch of one, got "
                f"{list(mask.shape)}."
            )
        values = image.numpy()
        if not np.isfinite(values).all():
            raise ValueError(f"{name}: holds NaN or infinite values; expected [0, 1].")
        if values.size and (values.min() < 0 or values.max() > 1):
            raise ValueError(
                f"{name}: values from {values.min():.4g} to {values.max():.4g}; "
                "expected [0, 1] (divide 0-255 masks by 255)."
            )
    if must_select and float(tf.reduce_max(tf.reduce_mean(image, -1))) < BLACK:
        raise ValueError(f"{name} is black all over: it selects nothing.")
    return image


def check_mask_fits(
    mask: tf.Tensor, size: Sequence[int], name: str, of: str = "photo"
) -> None:
    """A mask is resized to what it masks: refuse one of another shape, which
    would be stretched (a mask drawn for another photo).

    Raises:
        ValueError: the shapes differ by more than a pixel once scaled.
    """
    mask_size = [int(side) for side in mask.shape[1:3]]
    scale = max(int(side) for side in size) / max(mask_size)
    if any(abs(m * scale - int(s)) > 1.0 for m, s in zip(mask_size, size, strict=True)):
        raise ValueError(
            f"{name} is {mask_size[1]}x{mask_size[0]} px but the {of} is "
            f"{int(size[1])}x{int(size[0])}: draw the mask at the {of}'s shape "
            "(any size, the same width to height)."
        )


def region_record(regions: Sequence[Region]) -> list[dict]:
    """What a run's record (and a folder run's manifest) says of each region given
    as files: its paths and weight."""

    def named(value: ImageLike | None) -> str | None:
        if value is None:
            return None
        return os.fspath(value) if isinstance(value, (str, os.PathLike)) else "array"

    return [
        {
            "mask": named(region.mask),
            "style": named(region.style),
            "weight": region.weight,
            "style_mask": named(region.style_mask),
        }
        for region in regions
    ]


def check_regions_fit(regions: Sequence[StyleRegion], size: Sequence[int]) -> None:
    """Every region's mask has the photo's shape (see :func:`check_mask_fits`)."""
    for number, region in enumerate(regions, start=1):
        check_mask_fits(region.mask, size, f"region {number}'s mask")


__all__ = [
    "BLACK",
    "Region",
    "StyleRegion",
    "as_style_region",
    "check_mask_fits",
    "check_regions_fit",
    "loaded_region",
    "mask_image",
    "region_record",
]
