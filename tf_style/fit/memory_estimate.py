"""How much memory a training step needs, estimated before anything is built.

``--image-size 20000``, ``--width 100000`` or ``--style-scale 1e6`` would otherwise
be found out by the allocator, minutes in and gigabytes later. The estimate adds:

* :data:`tf_style.memory.estimate.FIXED_BYTES`: TensorFlow, Keras, VGG19's weights;
* the network's weights, each kept four times (the weight, its gradient, Adam's
  two moments): Johnson's convolutions hold ``1620 w^2 + 486 w`` numbers for a
  width ``w``, the AdaIN decoder ``567 w^2 + 18459 w``;
* per training pixel (``batch_size / replicas`` crops of ``image_size`` squared):
  VGG19's activations in the loss
  (:func:`~tf_style.memory.estimate.forward_bytes_per_pixel`, kept for the backward
  pass) and the network's, :data:`NETWORK_VALUES` float32 values per unit of width;
* the style: its file decoded (36 bytes a pixel, :mod:`~.images.decode`'s measured
  peak), resized, and VGG19's forward over it for the style targets.

The network's share is measured, not counted: peak resident memory of 3-step runs
(batch 4, float32, 2-core Xeon) grew by 262 bytes per pixel per unit of Johnson's
width (2.26 GB at width 16, 5.56 GB at 64, 256 px), some 2.3 times the layers'
outputs, as gradients and normalisation statistics join them. Against those runs
the estimate is 10-28% high (Johnson width 16 at 128 px, 1.51 GB; AdaIN width 64
at 128 and 256 px, 1.44 and 2.47 GB; the two above). The command compares it with
the free memory of the device (:mod:`tf_style.memory.free`), as ``tf-style-train``
does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import PIL.Image

from tf_style.config.layer_names import CONTENT_LAYERS, STYLE_LAYERS
from tf_style.memory.estimate import FIXED_BYTES, forward_bytes_per_pixel

# Float32 values per training pixel, per unit of width, a network's step holds
# (measured: see above).
NETWORK_VALUES = {"johnson": 64, "adain": 20}
# Numbers in the network's weights: (per width squared, per width).
NETWORK_WEIGHTS = {"johnson": (1620, 486), "adain": (567, 18459)}
WEIGHT_COPIES = 4  # the weight, its gradient, Adam's two moments
DECODE_BYTES_PER_PIXEL = 36  # a style file's decode: 2.3 GB at 64 megapixels
IMAGE_BYTES_PER_PIXEL = 12  # float32 RGB


class TooLargeToTrain(ValueError):
    """A training step of these settings needs more memory than is available.

    Attributes:
        setting: the FitConfig field that makes it too large.
        needed: the estimate, in bytes; ``available`` what the device has.
        largest: the largest value of ``setting`` that would fit (None: none).
    """

    def __init__(
        self, setting: str, needed: int, available: int, largest: float | None
    ):
        super().__init__(
            f"{setting}: a training step needs about {needed / 2**30:.1f} GiB, more "
            f"than the {available / 2**30:.1f} GiB available."
        )
        self.setting, self.needed = setting, needed
        self.available, self.largest = available, largest


def fit_step_bytes(
    config,
    *,
    style_size: Sequence[int] | None,
    style_file_pixels: int | None = None,
    replicas: int = 1,
    resident: int = 0,
) -> dict[str, int]:
    """The estimate's terms, in bytes, by the setting that drives each.

    Args:
        config: a :class:`~tf_style.fit.config.FitConfig`.
        style_size: ``(H, W)`` of the style image at ``style_scale * image_size``
            (None: unknown, not counted).
        style_file_pixels: the style file's own pixels (None: not counted).
        replicas: devices the batch is split over.
        resident: what the process holds already (TensorFlow imported): part of
            the fixed bytes, and no longer counted as available.

    Returns:
        ``{"fixed", "width", "image_size", "style_scale"}``: what no option changes,
        the network's weights, the step's activations, the style.
    """
    # bfloat16 halves VGG19's activations; auto may not pick it: count float32.
    dtype_bytes = 2 if config.mixed_precision == "bfloat16" else 4
    per_device = max(1, -(-config.batch_size // replicas))
    width = config.network_width
    squared, linear = NETWORK_WEIGHTS[config.architecture]
    weights = WEIGHT_COPIES * 4 * (squared * width**2 + linear * width)
    pixels = per_device * config.image_size**2
    vgg = forward_bytes_per_pixel((*STYLE_LAYERS, *CONTENT_LAYERS), dtype_bytes)
    network = NETWORK_VALUES[config.architecture] * width * 4
    activations = (vgg + network) * pixels
    style = 0
    if style_size is not None:
        style_pixels = int(style_size[0]) * int(style_size[1])
        per_pixel = IMAGE_BYTES_PER_PIXEL + forward_bytes_per_pixel(STYLE_LAYERS)
        style += int(per_pixel * style_pixels)
    if style_file_pixels is not None:
        style += DECODE_BYTES_PER_PIXEL * style_file_pixels
    return {
        "fixed": max(0, FIXED_BYTES - resident),
        "width": int(weights),
        "image_size": int(activations),
        "style_scale": style,
    }


def check_fit_memory(
    config,
    *,
    style_size: Sequence[int] | None,
    style_file_pixels: int | None,
    available: int | None,
    replicas: int = 1,
    resident: int = 0,
) -> None:
    """Refuse settings whose training step cannot fit in ``available`` bytes.

    Raises:
        TooLargeToTrain: naming the setting whose term is the largest (the batch
            size rather than the image size where it is the batch that grew), and
            the largest value of it that would fit.
    """
    if available is None:
        return
    target = config.style_scale * config.image_size

    def terms(changed) -> dict[str, int]:
        scale = changed.style_scale * changed.image_size / target
        size = None if style_size is None else [side * scale for side in style_size]
        return fit_step_bytes(
            changed,
            style_size=size,
            style_file_pixels=style_file_pixels,
            replicas=replicas,
            resident=resident,
        )

    now = terms(config)
    if sum(now.values()) <= available:
        return
    setting = max(("width", "image_size", "style_scale"), key=now.get)
    if (
        setting == "image_size"
        and config.batch_size / 4 > (config.image_size / 256) ** 2
    ):
        setting = "batch_size"  # the batch grew more than the crops
    fits = lambda changed: sum(terms(changed).values()) <= available  # noqa: E731
    largest = _largest(config, setting, fits)
    raise TooLargeToTrain(setting, sum(now.values()), available, largest)


def _largest(config, setting: str, fits: Callable) -> float | None:
    """The largest value of ``setting`` (others as they are) for which ``fits``."""

    def with_value(value):
        try:
            return dataclasses.replace(config, **{setting: value})
        except ValueError:  # below the setting's own minimum
            return None

    if setting == "style_scale":
        low, high = 0.0, float(config.style_scale)
        for _ in range(40):
            middle = (low + high) / 2
            changed = with_value(middle) if middle > 0 else None
            low, high = (middle, high) if changed and fits(changed) else (low, middle)
        low = math.floor(low * 100) / 100  # said with two decimals, never above
        return low if low > 0 else None
    low, high = 0, int(getattr(config, setting))
    while low < high:
        middle = (low + high + 1) // 2
        changed = with_value(middle)
        low, high = (middle, high) if changed and fits(changed) else (low, middle - 1)
    return low if low and with_value(low) else None


def file_pixels(path: str | Path) -> int | None:
    """The pixels of an image file, from its header (None: unreadable; the style's
    own check then says why)."""
    try:
        with PIL.Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError, SyntaxError, PIL.Image.DecompressionBombError):
        return None
    return width * height


__all__ = [
    "TooLargeToTrain",
    "check_fit_memory",
    "file_pixels",
    "fit_step_bytes",
]
