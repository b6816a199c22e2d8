"""VGG19 cut into stages at its poolings, each with the reach its tiles need.

A stage runs a few of VGG19's layers on a tile of its input and hands the next
stage its output. Only the stage boundaries exist at full size (in the first pass,
they are the next stage's input; in the second, their gradients flow back). The
boundaries sit after ``block2_pool``, ``block3_pool`` and ``block4_pool``: VGG19's
first two blocks have the most values per pixel (64 and 128 channels at full and
half resolution), so they are one stage and their large maps never exist whole;
after them the boundaries hold 8, 4 and 2 values per input pixel.

A stage's *halo* is how far its output at a position depends on input beyond it:
one position of the current resolution per 3x3 convolution, and one per pooling
(a pooling window straddling the core's edge). A tile whose window reaches that far
past its core computes its core exactly as the whole image would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import keras
import tensorflow as tf

from tf_style.vgg.model import StyleContentModel

# Keras's VGG19, in order: each block's convolutions, then its pooling.
VGG19_ORDER: tuple[str, ...] = tuple(
    name
    for block, convs in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))
    for name in [f"block{block}_conv{i}" for i in range(1, convs + 1)]
    + [f"block{block}_pool"]
)
# Stage boundaries: after these poolings (see the module docstring).
STAGE_ENDS: tuple[str, ...] = ("block2_pool", "block3_pool", "block4_pool")
# A forward and backward pass keeps about this many times a stage's forward
# activations alive (saved inputs, their gradients, oneDNN workspace).
BACKWARD_FACTOR = 4.0


@dataclass(frozen=True)
class Stage:
    """Consecutive VGG19 layers run on tiles of one input map.

    Attributes:
        layers: the Keras layers, in order.
        taps: ``{layer name: stride inside the stage}`` for every style or content
            layer among them (stride 1 is the stage's input resolution).
        stride: the stage's output stride relative to its input (its poolings).
        halo: how far a window must reach past its core, in input positions.
        first: whether the stage takes the image (and preprocesses it).
        input_stride: the input's stride relative to the image.
        input_channels: channels of the input map.
        values_per_pixel: activation values per input position in one forward pass.
    """

    layers: tuple[keras.layers.Layer, ...]
    taps: dict[str, int]
    stride: int
    halo: int
    first: bool
    input_stride: int
    input_channels: int
    values_per_pixel: float

    def window_bytes_per_pixel(self, dtype_bytes: int) -> float:
        """Memory of a forward and backward pass, per window position."""
        return BACKWARD_FACTOR * self.values_per_pixel * dtype_bytes


def _is_conv(layer: keras.layers.Layer) -> bool:
    return isinstance(layer, keras.layers.Conv2D)


def run_layer(layer: keras.layers.Layer, x: tf.Tensor) -> tf.Tensor:
    """One VGG19 layer on ``x`` (in the layer's compute dtype), its weights held
    constant.

    The numbers Keras's layer gives, but its kernel and bias enter through
    ``stop_gradient``: a stage run under a tape in pass 1 (:mod:`.kept`) is
    differentiated through its compiled function's backward, which TensorFlow
    builds for every captured variable; held constant, they cost no filter
    gradients (they doubled the backward's time).
    """
    if isinstance(layer, keras.layers.AveragePooling2D):  # --pooling avg
        return tf.nn.avg_pool2d(x, 2, 2, "VALID")
    if not _is_conv(layer):
        return tf.nn.max_pool2d(x, 2, 2, "VALID")
    kernel = tf.stop_gradient(tf.cast(layer.kernel.value, x.dtype))
    bias = tf.stop_gradient(tf.cast(layer.bias.value, x.dtype))
    return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))


def _check_layer(layer: keras.layers.Layer) -> None:
    """Raise ValueError unless ``layer`` is what :func:`run_layer` runs."""
    config = layer.get_config()
    if _is_conv(layer):
        usual = (
            config["padding"] == "same"
            and tuple(config["kernel_size"]) == (3, 3)
            and tuple(config["strides"]) == (1, 1)
            and config.get("groups", 1) == 1
            and tuple(config["dilation_rate"]) == (1, 1)
            and config["use_bias"]
            and config["activation"] == "relu"
            and config["data_format"] == "channels_last"
        )
    else:
        usual = (
            isinstance(layer, keras.layers.MaxPooling2D | keras.layers.AveragePooling2D)
            and tuple(config["pool_size"]) == (2, 2)
            and tuple(config["strides"]) == (2, 2)
            and config["padding"] == "valid"
        )
    if not usual:
        raise ValueError(
            f"tiling needs VGG19's layers (3x3 'same' ReLU convolutions, 2x2 "
            f"poolings); {layer.name} is not one."
        )


def _channels_before(layers: Iterable[keras.layers.Layer]) -> int:
    convs = [layer for layer in layers if _is_conv(layer)]
    return convs[-1].filters


def network_stages(extractor: StyleContentModel) -> list[Stage]:
    """The stages of ``extractor``'s network, up to its deepest style or content layer.

    Raises:
        ValueError: the network does not have VGG19's layer names.
    """
    taps = set(extractor.style_layers) | set(extractor.content_layers)
    deepest = max(VGG19_ORDER.index(name) for name in taps)
    names = VGG19_ORDER[: deepest + 1]
    groups: list[list[str]] = [[]]
    for name in names:
        groups[-1].append(name)
        if name in STAGE_ENDS and name != names[-1]:
            groups.append([])
    stages, input_stride, channels = [], 1, 3
    for index, group in enumerate(groups):
        stage = _stage(extractor, group, taps, index == 0, input_stride, channels)
        stages.append(stage)
        input_stride *= stage.stride
        channels = _channels_before(stage.layers)
    return stages


def _stage(
    extractor: StyleContentModel,
    names: list[str],
    taps: set[str],
    first: bool,
    input_stride: int,
    input_channels: int,
) -> Stage:
    try:
        layers = tuple(extractor.vgg.get_layer(name) for name in names)
    except ValueError as error:
        raise ValueError(
            f"tiling needs Keras VGG19's layer names ({error}); the extractor's "
            "network does not have them."
        ) from None
    for layer in layers:
        _check_layer(layer)
    stride, reach, values = 1, 0, float(input_channels)
    stage_taps = {}
    for layer in layers:
        reach += stride  # a 3x3 convolution or a 2x2 pooling at this resolution
        if not _is_conv(layer):
            stride *= 2
        else:
            values += layer.filters / stride**2
        if layer.name in taps:
            stage_taps[layer.name] = stride
    return Stage(
        layers=layers,
        taps=stage_taps,
        stride=stride,
        halo=math.ceil(reach / stride) * stride,
        first=first,
        input_stride=input_stride,
        input_channels=input_channels,
        values_per_pixel=values,
    )


def layer_sizes(stage: Stage, size: tuple[int, int]) -> dict[str, tuple[int, int, int]]:
    """(h, w, C) of each tap's whole map, from the stage's input size."""
    height, width = (int(side) for side in size)
    sizes = {}
    for layer in stage.layers:
        if _is_conv(layer):
            channels = layer.filters
        else:  # a 2x2 pooling, stride 2, "valid": floors odd sides
            height, width = height // 2, width // 2
        if layer.name in stage.taps:
            sizes[layer.name] = (height, width, channels)
    return sizes


def output_size(stage: Stage, size: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of the stage's output map from its input's (poolings floor odd sides)."""
    height, width = (int(side) for side in size)
    for layer in stage.layers:
        if not _is_conv(layer):
            height, width = height // 2, width // 2
    return height, width


def stage_sizes(stages: list[Stage], size: tuple[int, int]) -> list[tuple[int, int]]:
    """Each stage's input size, the first's ``size``."""
    sizes = []
    for stage in stages:
        sizes.append(tuple(int(side) for side in size))
        size = output_size(stage, size)
    return sizes


__all__ = [
    "BACKWARD_FACTOR",
    "STAGE_ENDS",
    "Stage",
    "VGG19_ORDER",
    "layer_sizes",
    "network_stages",
    "output_size",
    "run_layer",
    "stage_sizes",
]
