"""The two passes over tiles: forward (sums of the whole image), backward (gradient).

See :mod:`tf_style.tiles` for why the sum of the tiles' gradients is the untiled
gradient. :func:`tiled_features` is pass 1: it adds each tile's core into the whole
image's Gram sums and content distances (or keeps the content maps whole, for the
targets) and writes each stage's output, the next stage's input. :func:`backward`
is pass 2: stage by stage, last first, it differentiates each tile's surrogate
``sum_l <D_l, G_l(core)> + sum_l c_l S_l(core) + <g, output(core)>`` with respect to
its window and adds that into the gradient of the stage's input. Trailing stages
that fit in one tile skip pass 2's forward: pass 1 keeps theirs on a tape
(:mod:`tf_style.tiles.kept`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tf_style.tiles.compiled import StageFunctions, stage_functions
from tf_style.tiles.geometry import Tile
from tf_style.tiles.kept import KeptStage, kept_stages
from tf_style.tiles.stages import (
    Stage,
    layer_sizes,
    output_size,
    stage_sizes,
)
from tf_style.tiles.tiling import Tiling
from tf_style.vgg.guided import Guides, per_region
from tf_style.vgg.model import StyleContentModel


@dataclass
class Pass:
    """What pass 1 leaves: each stage's input, and the whole image's sums."""

    inputs: list[np.ndarray | None]  # stage k's input (stage 0: the image; None: kept)
    grams: dict[str, tf.Tensor]  # style layer: [B, C, C], sum over locations / M
    sums: dict[str, tf.Tensor]  # content layer: [B], sum of squared distances
    sizes: dict[str, tuple[int, int, int]]  # layer: (h, w, C) of its whole map
    contents: dict[str, np.ndarray] = field(default_factory=dict)
    kept: dict[int, KeptStage] = field(default_factory=dict)  # stage: its forward


def tiled_features(
    extractor: StyleContentModel,
    image: tf.Tensor | np.ndarray,
    tiling: Tiling,
    *,
    content_targets: Mapping[str, np.ndarray] | None = None,
    keep: bool = False,
    guides: Guides | None = None,
) -> Pass:
    """Pass 1: Gram matrices of the whole ``image`` and its content distances.

    Args:
        extractor: the feature extractor (its layers and precision).
        image: float32 ``[B, H, W, 3]`` in [0, 1], any size.
        tiling: how large the tiles may be.
        content_targets: ``{layer: whole map}`` to measure the content layers
            against; without them the content layers' maps are kept whole
            (``contents``): they are the targets.
        keep: keep what pass 2 needs: every stage's input, or for the trailing
            one-tile stages their forward on a tape (:mod:`tf_style.tiles.kept`).
        guides: regions' guidance channels (:mod:`tf_style.vgg.guided`): the
            Gram matrices are then each region's, ``[B, R, C, C]``, each tile
            adding its core's guided sum and the region's whole area dividing.
    """
    functions = stage_functions(extractor)
    dtype_bytes = _dtype_bytes(extractor)
    current = np.asarray(image, np.float32)
    result = Pass(inputs=[], grams={}, sums={}, sizes={})
    stages = [function.stage for function in functions]
    recorded = (
        kept_stages(
            stages,
            stage_sizes(stages, current.shape[1:3]),
            len(current),
            tiling,
            dtype_bytes,
        )
        if keep
        else set()
    )
    for index, function in enumerate(functions):
        stage = function.stage
        if keep:
            result.inputs.append(None if index in recorded else current)
        result.sizes |= layer_sizes(stage, current.shape[1:3])
        last = index == len(functions) - 1
        output = None if last else _empty_output(stage, current)
        tiles = tiling.tiles(stage, current.shape[1:3], dtype_bytes)
        for number, tile in enumerate(tiles):
            targets = _content_cores(extractor, stage, tile, content_targets)
            cores = _guide_cores(guides, stage, tile)
            window = tf.constant(_window(current, tile))
            if index in recorded:  # one tile: the whole map
                result.kept[index] = kept = _forward_on_tape(
                    function, window, _core_numbers(tile), targets, cores, not last
                )
                grams, contents, out = kept.grams, kept.contents, kept.output
            else:
                grams, contents, out = function.forward(
                    window, _core_numbers(tile), targets, cores, not last
                )
            _collect(result, grams, contents, tile, stage, content_targets is None)
            if out is not None:
                output[_whole_core(tile, stage.stride)] = out.numpy()
            _report(tiling, "forward", index, number, len(tiles), len(functions))
        current = output
    for name, gram in result.grams.items():
        result.grams[name] = gram / _gram_divisor(result, guides, name)
    return result


def _gram_divisor(first: Pass, guides: Guides | None, name: str) -> tf.Tensor | float:
    """What a layer's summed Gram matrix is divided by: its locations, or with
    guides each region's area (shaped for ``[B, R, C, C]``)."""
    if guides is None:
        height, width, _ = first.sizes[name]
        return float(height * width)
    return per_region(guides.areas[name])


def _guide_cores(
    guides: Guides | None, stage: Stage, tile: Tile
) -> dict[str, tf.Tensor]:
    """The guidance channels at the core of each of the stage's style taps."""
    if guides is None:
        return {}
    return {
        name: tf.constant(np.asarray(maps)[_whole_core(tile, stage.taps[name])])
        for name, maps in guides.maps.items()
        if name in stage.taps
    }


def _forward_on_tape(
    function: StageFunctions,
    window: tf.Tensor,
    core: tf.Tensor,
    targets: Mapping[str, tf.Tensor | None],
    guides: Mapping[str, tf.Tensor],
    keep_output: bool,
) -> KeptStage:
    """The stage's forward, recorded for pass 2 to differentiate."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(window)
        grams, contents, output = function.forward(
            window, core, targets, guides, keep_output
        )
    return KeptStage(tape, window, grams, contents, output)


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
    guides: Guides | None = None,
) -> np.ndarray:
    """Pass 2: the gradient with respect to the image, stage by stage, last first
    (a NumPy array, which the caller may change in place).

    Args:
        first: pass 1's result, with the stage inputs kept.
        style_seeds: ``{layer: dL/dG_l}``, ``[B, C, C]``.
        content_seeds: ``{layer: dL/dS_l}``, ``[B]``.
        content_targets, guides: as for :func:`tiled_features`.
    """
    functions = stage_functions(extractor)
    dtype_bytes = _dtype_bytes(extractor)
    upstream = None
    for index in reversed(range(len(functions))):
        stage, inputs = functions[index].stage, first.inputs[index]
        styles = {  # dL/dG times dG/d(F^T F): the Gram divides by the locations
            name: seed / _gram_divisor(first, guides, name)
            for name, seed in style_seeds.items()
            if name in stage.taps
        }
        contents = {k: v for k, v in content_seeds.items() if k in stage.taps}
        if index in first.kept:  # one tile, its forward on a tape since pass 1
            upstream = (
                first.kept.pop(index)  # and with it, its activations
                .gradient(
                    styles,
                    contents,
                    None if upstream is None else tf.constant(upstream),
                )
                .numpy()
            )
            _report(tiling, "backward", index, 0, 1, len(functions))
            continue
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
                _guide_cores(guides, stage, tile),
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


def _empty_output(stage: Stage, current: np.ndarray) -> np.ndarray:
    """The stage's whole output map, to be filled core by core."""
    height, width = output_size(stage, current.shape[1:3])
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
    "backward",
    "tiled_features",
]
