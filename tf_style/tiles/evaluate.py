"""The two passes of the tiled loss: forward over tiles, then backward stage by stage.

Pass 1 runs every stage over tiles of its input. From each tile's *core* it adds the
style layers' ``F^T F`` into the whole image's Gram sums, the content layers'
squared distances to their targets into the content sums, and writes the stage's
output into the next stage's input. The loss terms then follow from these small
sums exactly as :class:`tf_style.objective.StyleContentLoss` computes them, and so
do their derivatives: ``D_l = dL/dG_l`` (a C x C matrix per style layer) and
``c_l = dL/dS_l`` (a number per content layer).

Pass 2 runs the stages last to first. For each tile it differentiates the
*surrogate* ``sum_l <D_l, G_l(core)> + sum_l c_l S_l(core) + <g, output(core)>``
(``g``: the gradient of the stage's output, from the stage after it) with respect
to its window, and adds that into the gradient of the stage's input. Each term is
linear in the core's share of a sum over positions, with the global derivatives
held fixed, so the tiles' gradients add up to the untiled gradient whatever the
tile size: exact, not blended.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf

from tf_style.losses import layer_weighted_sum, style_loss, total_variation_loss
from tf_style.tiles.geometry import Tile, tile_grid
from tf_style.tiles.stages import Stage, network_stages
from tf_style.vgg.model import StyleContentModel

if TYPE_CHECKING:  # the loss imports this module
    from tf_style.objective import StyleContentLoss

# Called after each tile: (pass, stage index, tile index, tiles, stages), 0-based.
TileCallback = Callable[[str, int, int, int, int], None]


@dataclass(frozen=True)
class Tiling:
    """How large the tiles may be: activations of at most ``window_bytes`` per tile.

    Each stage gets square-ish windows of that many bytes of forward and backward
    activations (:meth:`Stage.window_bytes_per_pixel`), so the deep stages, with
    fewer positions per image pixel, cut their smaller maps into fewer tiles.
    """

    window_bytes: int
    core_pixels: int | None = None
    callback: TileCallback | None = field(default=None, compare=False)

    def core(self, stage: Stage, dtype_bytes: int) -> int:
        """The core side for ``stage``, in positions of its input.

        ``core_pixels``, where given, fixes it instead: that many image pixels (at
        least one pooling's width), whatever the memory (the tests use it).

        Raises:
            ValueError: a window too small to hold the stage's halo.
        """
        if self.core_pixels is not None:
            side = self.core_pixels // stage.input_stride
            return max(stage.stride, side - side % stage.stride)
        pixels = self.window_bytes / stage.window_bytes_per_pixel(dtype_bytes)
        side = int(math.sqrt(max(pixels, 0))) - 2 * stage.halo
        side -= side % stage.stride
        if side < stage.stride:
            raise ValueError(
                f"a tile of {self.window_bytes / 2**20:.0f} MiB cannot hold a window "
                f"of the stage from {stage.layers[0].name} (halo {stage.halo}); "
                "allow more memory."
            )
        return side

    def tiles(self, stage: Stage, size: tuple[int, int], dtype_bytes: int) -> list:
        return tile_grid(size, self.core(stage, dtype_bytes), stage.halo, stage.stride)


@dataclass
class Pass:
    """What pass 1 leaves: each stage's input, and the whole image's sums."""

    inputs: list[np.ndarray]  # stage k's input map (stage 0: the image)
    grams: dict[str, tf.Tensor]  # style layer: [B, C, C], sum over locations / M
    sums: dict[str, tf.Tensor]  # content layer: [B], sum of squared distances
    sizes: dict[str, tuple[int, int, int]]  # layer: (h, w, C) of its whole map
    contents: dict[str, np.ndarray] = field(default_factory=dict)


class StageFunctions:
    """One stage's two compiled tile functions (built once per network).

    Compiled, so TensorFlow fuses each convolution with its bias and ReLU as it
    does for the whole image; ``reduce_retracing`` lets the few window shapes of a
    grid share a trace. A tile's core is passed as numbers, not baked into the
    graph: ``core = [first row, last row, first column, last column)`` of the
    stage's input, relative to the window.
    """

    def __init__(self, stage: Stage, style_layers: list[str]):
        self.stage = stage
        self.style_layers = set(style_layers)
        self.forward = tf.function(self._forward, reduce_retracing=True)
        self.gradient = tf.function(self._gradient, reduce_retracing=True)

    def _apply(self, window: tf.Tensor, core: tf.Tensor):
        """The taps' cores (float32) and the output's core (the stage's dtype)."""
        stage = self.stage
        x = preprocess(window) if stage.first else window
        taps = {}
        for layer in stage.layers:
            x = layer(x)
            if layer.name in stage.taps:
                taps[layer.name] = tf.cast(
                    _crop(x, core, stage.taps[layer.name]), tf.float32
                )
        return taps, _crop(x, core, stage.stride)

    def _forward(self, window, core, targets, keep_output: bool):
        taps, output = self._apply(window, core)
        grams = {
            name: tf.linalg.einsum("bijc,bijd->bcd", value, value)
            for name, value in taps.items()
            if name in self.style_layers
        }
        contents = {  # the content layers: distances to targets, or the features
            name: tf.reduce_sum((taps[name] - target) ** 2, axis=[1, 2, 3])
            if target is not None
            else taps[name]
            for name, target in targets.items()
        }
        return grams, contents, output if keep_output else None

    def _gradient(self, window, core, style_seeds, content_seeds, targets, upstream):
        with tf.GradientTape() as tape:
            tape.watch(window)
            taps, output = self._apply(window, core)
            terms = []
            for name, seed in style_seeds.items():
                gram = tf.linalg.einsum("bijc,bijd->bcd", taps[name], taps[name])
                terms.append(tf.reduce_sum(seed * gram))
            for name, seed in content_seeds.items():
                distance = tf.reduce_sum((taps[name] - targets[name]) ** 2, [1, 2, 3])
                terms.append(tf.reduce_sum(seed * distance))
            if upstream is not None:
                terms.append(tf.reduce_sum(upstream * tf.cast(output, tf.float32)))
            surrogate = tf.add_n(terms)
        return tf.cast(tape.gradient(surrogate, window), tf.float32)


_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def stage_functions(extractor: StyleContentModel) -> list[StageFunctions]:
    """The compiled tile functions of ``extractor``'s stages, made once."""
    if extractor not in _FUNCTIONS:
        _FUNCTIONS[extractor] = [
            StageFunctions(stage, extractor.style_layers)
            for stage in network_stages(extractor)
        ]
    return _FUNCTIONS[extractor]


def tiled_features(
    extractor: StyleContentModel,
    image: tf.Tensor | np.ndarray,
    tiling: Tiling,
    *,
    content_targets: Mapping[str, np.ndarray] | None = None,
    keep: bool = False,
) -> Pass:
    """Pass 1: Gram matrices of the whole ``image`` and its content distances.

    Args:
        extractor: the feature extractor (its layers and precision).
        image: float32 ``[B, H, W, 3]`` in [0, 1], any size.
        tiling: how large the tiles may be.
        content_targets: ``{layer: whole map}`` to measure the content layers
            against; without them the content layers' maps are kept whole
            (``contents``): they are the targets.
        keep: keep every stage's input for pass 2.
    """
    functions = stage_functions(extractor)
    dtype_bytes = _dtype_bytes(extractor)
    current = np.asarray(image, np.float32)
    result = Pass(inputs=[], grams={}, sums={}, sizes={})
    for index, function in enumerate(functions):
        stage = function.stage
        if keep:
            result.inputs.append(current)
        result.sizes |= layer_sizes(stage, current.shape[1:3])
        last = index == len(functions) - 1
        output = None if last else _empty_output(stage, current)
        tiles = tiling.tiles(stage, current.shape[1:3], dtype_bytes)
        for number, tile in enumerate(tiles):
            targets = _content_cores(extractor, stage, tile, content_targets)
            grams, contents, out = function.forward(
                tf.constant(_window(current, tile)),
                _core_numbers(tile),
                targets,
                not last,
            )
            _collect(result, grams, contents, tile, stage, content_targets is None)
            if out is not None:
                output[_whole_core(tile, stage.stride)] = out.numpy()
            _report(tiling, "forward", index, number, len(tiles), len(functions))
        current = output
    for name, gram in result.grams.items():
        height, width, _ = result.sizes[name]
        result.grams[name] = gram / float(height * width)
    return result


def _content_cores(
    extractor: StyleContentModel,
    stage: Stage,
    tile: Tile,
    targets: Mapping[str, np.ndarray] | None,
) -> dict[str, tf.Tensor | None]:
    """The content layers of ``stage``: each one's target core (None: no targets)."""
    return {
        name: None
        if targets is None
        else tf.constant(targets[name][_whole_core(tile, stage.taps[name])])
        for name in extractor.content_layers
        if name in stage.taps
    }


def _collect(
    result: Pass,
    grams: Mapping[str, tf.Tensor],
    contents: Mapping[str, tf.Tensor],
    tile: Tile,
    stage: Stage,
    keep_features: bool,
) -> None:
    for name, gram in grams.items():
        result.grams[name] = result.grams.get(name, 0.0) + gram
    for name, value in contents.items():
        if not keep_features:
            result.sums[name] = result.sums.get(name, 0.0) + value
            continue
        if name not in result.contents:
            height, width, channels = result.sizes[name]
            shape = (value.shape[0], height, width, channels)
            result.contents[name] = np.empty(shape, np.float32)
        result.contents[name][_whole_core(tile, stage.taps[name])] = value.numpy()


def backward(
    extractor: StyleContentModel,
    first: Pass,
    tiling: Tiling,
    style_seeds: Mapping[str, tf.Tensor],
    content_seeds: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, np.ndarray],
) -> tf.Tensor:
    """Pass 2: the gradient with respect to the image, stage by stage, last first.

    Args:
        first: pass 1's result, with the stage inputs kept.
        style_seeds: ``{layer: dL/dG_l}``, ``[B, C, C]``.
        content_seeds: ``{layer: dL/dS_l}``, ``[B]``.
        content_targets: as for :func:`tiled_features`.
    """
    functions = stage_functions(extractor)
    dtype_bytes = _dtype_bytes(extractor)
    upstream = None
    for index in reversed(range(len(functions))):
        stage, inputs = functions[index].stage, first.inputs[index]
        styles = {  # dL/dG times dG/d(F^T F): the Gram divides by the locations
            name: seed / float(first.sizes[name][0] * first.sizes[name][1])
            for name, seed in style_seeds.items()
            if name in stage.taps
        }
        contents = {k: v for k, v in content_seeds.items() if k in stage.taps}
        gradient = np.zeros(inputs.shape, np.float32)
        tiles = tiling.tiles(stage, inputs.shape[1:3], dtype_bytes)
        for number, tile in enumerate(tiles):
            grad = functions[index].gradient(
                tf.constant(_window(inputs, tile)),
                _core_numbers(tile),
                styles,
                contents,
                {
                    name: tf.constant(
                        content_targets[name][_whole_core(tile, stage.taps[name])]
                    )
                    for name in contents
                },
                None
                if upstream is None
                else tf.constant(upstream[_whole_core(tile, stage.stride)]),
            )
            rows, cols = tile.rows, tile.cols
            gradient[:, rows.low : rows.high, cols.low : cols.high] += grad.numpy()
            _report(tiling, "backward", index, number, len(tiles), len(functions))
        upstream = gradient
        first.inputs[index] = None  # no longer needed: free it
    return tf.constant(upstream)


def preprocess(image: tf.Tensor) -> tf.Tensor:
    """:class:`StyleContentModel`'s input step: [0, 1] to VGG19's caffe input."""
    return keras.applications.vgg19.preprocess_input(tf.cast(image, tf.float32) * 255.0)


def layer_sizes(stage: Stage, size: tuple[int, int]) -> dict[str, tuple[int, int, int]]:
    """(h, w, C) of each tap's whole map, from the stage's input size."""
    height, width = (int(side) for side in size)
    sizes = {}
    for layer in stage.layers:
        if isinstance(layer, keras.layers.Conv2D):
            channels = layer.filters
        else:  # a 2x2 pooling, stride 2, "valid": floors odd sides
            height, width = height // 2, width // 2
        if layer.name in stage.taps:
            sizes[layer.name] = (height, width, channels)
    return sizes


def _empty_output(stage: Stage, current: np.ndarray) -> np.ndarray:
    """The stage's whole output map, to be filled core by core."""
    height, width = current.shape[1:3]
    for layer in stage.layers:
        if not isinstance(layer, keras.layers.Conv2D):
            height, width = height // 2, width // 2
    convs = [layer for layer in stage.layers if isinstance(layer, keras.layers.Conv2D)]
    channels = convs[-1].filters
    dtype = tf.as_dtype(stage.layers[-1].compute_dtype).as_numpy_dtype
    return np.empty((current.shape[0], height, width, channels), dtype)


def _window(inputs: np.ndarray, tile: Tile) -> np.ndarray:
    rows, cols = tile.rows, tile.cols
    return inputs[:, rows.low : rows.high, cols.low : cols.high]


def _core_numbers(tile: Tile) -> tf.Tensor:
    """The core inside the window, in the stage's input: int32 ``[4]``."""
    return tf.constant([*tile.rows.core_in(1), *tile.cols.core_in(1)], tf.int32)


def _crop(x: tf.Tensor, core: tf.Tensor, stride: int) -> tf.Tensor:
    """The core's positions of a window's map at ``stride`` (see ``Span.core_in``)."""
    first_row, last_row, first_col, last_col = tf.unstack(core // stride)
    return x[:, first_row:last_row, first_col:last_col]


def _whole_core(tile: Tile, stride: int) -> tuple[slice, ...]:
    """Index of the core in a whole map at ``stride`` (batch and channels whole)."""
    return (
        slice(None),
        slice(*tile.rows.core_at(stride)),
        slice(*tile.cols.core_at(stride)),
    )


def _dtype_bytes(extractor: StyleContentModel) -> int:
    conv = next(
        layer
        for layer in extractor.vgg.layers
        if isinstance(layer, keras.layers.Conv2D)
    )
    return tf.as_dtype(conv.compute_dtype).size


def _report(tiling: Tiling, *where: str | int) -> None:
    if tiling.callback is not None:
        tiling.callback(*where)


def content_distance(
    sums: Mapping[str, tf.Tensor],
    sizes: Mapping[str, tuple[int, int, int]],
    content_weight: float,
) -> tf.Tensor:
    """The content term from the whole image's sums: the tutorial's mean, per image."""
    means = {
        name: value / float(math.prod(sizes[name])) for name, value in sums.items()
    }
    return content_weight * layer_weighted_sum(means, None)


def loss_terms(
    loss: StyleContentLoss, first: Pass, composed: tf.Tensor
) -> dict[str, tf.Tensor]:
    """Each image's terms (``[B]``) from pass 1's sums, as the untiled loss's."""
    terms = {
        "style": style_loss(
            first.grams,
            loss.style_targets,
            loss.style_weight,
            layer_weights=loss.layer_weights,
            normalization=loss.loss_normalization,
            per_image=True,
        ),
        "content": content_distance(first.sums, first.sizes, loss.content_weight),
        "variation": total_variation_loss(
            composed, loss.total_variation_weight, per_image=True
        ),
    }
    terms["total"] = terms["style"] + terms["content"] + terms["variation"]
    return terms


def tiled_loss_and_gradient(
    loss: StyleContentLoss, image: tf.Tensor, *, scaled_to: float | None = None
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """Each image's loss terms (``[B]``) and the exact gradient of their total.

    Args:
        loss: a :class:`~tf_style.objective.StyleContentLoss` with ``tiling`` set.
        image: float32 ``[B, H, W, 3]`` in [0, 1].
        scaled_to: back-propagate the network's loss scaled to this and divide
            the gradient by the scale (float16's loss scaling; None: unscaled).
    """
    image = tf.convert_to_tensor(image, tf.float32)
    with tf.GradientTape() as compose_tape:
        compose_tape.watch(image)
        composed = loss.compose(image)
    first = tiled_features(
        loss.extractor,
        composed,
        loss.tiling,
        content_targets=loss.content_targets,
        keep=True,
    )
    terms, seeds, variation = loss_seeds(loss, first, composed, scaled_to)
    style_seeds, content_seeds, scale = seeds
    network = backward(
        loss.extractor,
        first,
        loss.tiling,
        style_seeds,
        content_seeds,
        loss.content_targets,
    )
    gradient = compose_tape.gradient(
        composed, image, output_gradients=network / scale + variation
    )
    return terms, gradient


def loss_seeds(
    loss: StyleContentLoss,
    first: Pass,
    composed: tf.Tensor,
    scaled_to: float | None,
) -> tuple[dict[str, tf.Tensor], tuple, tf.Tensor]:
    """The terms, the seeds of pass 2 and the total variation's gradient.

    The seeds are the derivatives of the network's terms with respect to pass 1's
    sums: ``dL/dG_l`` per style layer, ``dL/dS_l`` per content layer, times
    ``scale`` (float16's loss scaling, else 1), returned third.
    """
    grams, sums = dict(first.grams), dict(first.sums)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([composed, grams, sums])
        terms = loss_terms(loss, replace(first, grams=grams, sums=sums), composed)
        network_total = tf.reduce_sum(terms["style"] + terms["content"])
        variation_total = tf.reduce_sum(terms["variation"])
    scale = (
        1.0
        if scaled_to is None
        else scaled_to / tf.maximum(tf.stop_gradient(network_total), 1e-30)
    )
    style = {k: v * scale for k, v in tape.gradient(network_total, grams).items()}
    content = {k: v * scale for k, v in tape.gradient(network_total, sums).items()}
    variation = tape.gradient(variation_total, composed)
    return terms, (style, content, scale), variation


__all__ = [
    "Pass",
    "Tiling",
    "backward",
    "layer_sizes",
    "loss_seeds",
    "loss_terms",
    "preprocess",
    "tiled_features",
    "tiled_loss_and_gradient",
]
