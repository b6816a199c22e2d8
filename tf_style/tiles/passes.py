"""The two passes over tiles: forward (sums of the whole image), backward (gradient).

See :mod:`tf_style.tiles` for why the sum of the tiles' gradients is the untiled
gradient. :func:`tiled_features` is pass 1: it adds each tile's core into the whole
image's Gram sums and content distances (or keeps the content maps whole, for the
targets) and writes each stage's output, the next stage's input. :func:`backward`
is pass 2: stage by stage, last first, it differentiates each tile's surrogate
``sum_l <D_l, G_l(core)> + sum_l c_l S_l(core) + <g, output(core)>`` with respect to
its window and adds that into the gradient of the stage's input.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tf_style.tiles.geometry import Tile
from tf_style.tiles.stages import Stage, network_stages
from tf_style.tiles.tiling import Tiling
from tf_style.vgg.model import StyleContentModel


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
) -> np.ndarray:
    """Pass 2: the gradient with respect to the image, stage by stage, last first
    (a NumPy array, which the caller may change in place).

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
    return upstream


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


__all__ = [
    "Pass",
    "StageFunctions",
    "backward",
    "layer_sizes",
    "preprocess",
    "stage_functions",
    "tiled_features",
]
