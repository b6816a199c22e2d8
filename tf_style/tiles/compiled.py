"""Each stage's two compiled tile functions: forward (pass 1) and gradient (pass 2).

See :mod:`tf_style.tiles.passes` for the passes that call them.
"""

from __future__ import annotations

import weakref

import keras
import tensorflow as tf

from tf_style.tiles.stages import Stage, network_stages, run_layer
from tf_style.vgg.gram import gram_einsum
from tf_style.vgg.guided import guided_gram_sum
from tf_style.vgg.model import StyleContentModel


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
        x = tf.cast(x, stage.layers[0].compute_dtype)
        taps = {}
        for layer in stage.layers:
            x = run_layer(layer, x)
            if layer.name in stage.taps:
                taps[layer.name] = tf.cast(
                    crop(x, core, stage.taps[layer.name]), tf.float32
                )
        return taps, crop(x, core, stage.stride)

    def _forward(self, window, core, targets, guides, keep_output: bool):
        taps, output = self._apply(window, core)
        grams = {
            name: gram_sum(value, guides.get(name))
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

    def _gradient(
        self, window, core, style_seeds, content_seeds, targets, guides, upstream
    ):
        with tf.GradientTape() as tape:
            tape.watch(window)
            taps, output = self._apply(window, core)
            terms = []
            for name, seed in style_seeds.items():
                gram = gram_sum(taps[name], guides.get(name))
                terms.append(tf.reduce_sum(seed * gram))
            for name, seed in content_seeds.items():
                distance = tf.reduce_sum((taps[name] - targets[name]) ** 2, [1, 2, 3])
                terms.append(tf.reduce_sum(seed * distance))
            if upstream is not None:
                terms.append(tf.reduce_sum(upstream * tf.cast(output, tf.float32)))
            surrogate = tf.add_n(terms)
        return tf.cast(tape.gradient(surrogate, window), tf.float32)


def gram_sum(features: tf.Tensor, guide: tf.Tensor | None) -> tf.Tensor:
    """A core's ``F^T F`` (``[B, C, C]``), or with the regions' guidance channels
    at the core (``[R, h, w, 1]``) their guided sums (``[B, R, C, C]``)."""
    if guide is None:
        return gram_einsum(features)
    return guided_gram_sum(features, guide)


_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def stage_functions(extractor: StyleContentModel) -> list[StageFunctions]:
    """The compiled tile functions of ``extractor``'s stages, made once."""
    if extractor not in _FUNCTIONS:
        _FUNCTIONS[extractor] = [
            StageFunctions(stage, extractor.style_layers)
            for stage in network_stages(extractor)
        ]
    return _FUNCTIONS[extractor]


def preprocess(image: tf.Tensor) -> tf.Tensor:
    """:class:`StyleContentModel`'s input step: [0, 1] to VGG19's caffe input."""
    return keras.applications.vgg19.preprocess_input(tf.cast(image, tf.float32) * 255.0)


def crop(x: tf.Tensor, core: tf.Tensor, stride: int) -> tf.Tensor:
    """The core's positions of a window's map at ``stride`` (see ``Span.core_in``)."""
    first_row, last_row, first_col, last_col = tf.unstack(core // stride)
    return x[:, first_row:last_row, first_col:last_col]


__all__ = ["StageFunctions", "crop", "gram_sum", "preprocess", "stage_functions"]
