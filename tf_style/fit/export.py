"""A trained network to the files users run: a TF-Hub-style SavedModel and TFLite.

:func:`export_network` writes, under one folder::

    saved_model/                  the TF-Hub Magenta model's calling convention
    tflite/network_float16.tflite float16 weights
    tflite/network_int8.tflite    dynamic-range int8 weights
    network.json                  architecture and the caller's training settings

The SavedModel is called as the tutorial calls
``hub.load(".../arbitrary-image-stylization-v1-256/2")``:
``hub.load(folder)(content, style)[0]``, float32 ``[B, H, W, 3]`` in [0, 1], so
:func:`tf_style.fast.load_fast_model` (and any code written for the tutorial) runs it
unchanged. What the files take and how strength blends is fixed by
:mod:`tf_style.fast.fit_network`, which reads them back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from tf_style.fast.fit_network import (
    CONTENT_INPUT,
    STRENGTH_INPUT,
    STYLE_INPUT,
    TFLITE_FILES,
    pixel_blend,
)
from tf_style.fit.networks import (
    ADAIN_STRIDE,
    ARCHITECTURES,
    JOHNSON_STRIDE,
    pad_to_multiple,
)
from tf_style.images.tensors import clip_0_1
from tf_style.paths.atomic import atomic_write

# What each network's input sides must be multiples of: the Johnson network halves
# twice; AdaIN's VGG19 encoder pools three times before block4_conv1.
STRIDES = {"johnson": JOHNSON_STRIDE, "adain": ADAIN_STRIDE}
NETWORK_INPUTS = {"johnson": 1, "adain": 3}  # content; content, style, alpha
# Named as tf_style.fast.fit_network reads them back from the TFLite files' inputs.
CONTENT = tf.TensorSpec([None, None, None, 3], tf.float32, name=CONTENT_INPUT)
STYLE = tf.TensorSpec([None, None, None, 3], tf.float32, name=STYLE_INPUT)
STRENGTH = tf.TensorSpec([], tf.float32, name=STRENGTH_INPUT)


class StyleNetworkModule(tf.Module):
    """The network behind the TF-Hub Magenta model's calling convention.

    ``module(content, style)`` returns ``[stylized]``, a list as the Hub model's
    outputs are; ``module.with_strength(content, style, strength)`` also returns
    ``[stylized]``. Images are float32 ``[B, H, W, 3]`` in [0, 1], any size (padded
    to the network's stride, cropped back); strength is a float32 scalar in [0, 1].

    A Johnson network ignores ``style`` (its style is in its weights: one network
    per style) and blends strength pixel by pixel
    (:func:`~tf_style.fast.fit_network.pixel_blend`); AdaIN passes strength as its
    ``alpha``, a blend of features.
    """

    def __init__(self, network: keras.Model, architecture: str):
        super().__init__(name=f"{architecture}_stylizer")
        self.network = with_static_channels(network)
        # Saved with the weights, so a loaded model says what it is.
        self.architecture = tf.Variable(architecture, trainable=False)
        self._architecture = architecture

    @tf.function(input_signature=[CONTENT, STYLE])
    def __call__(self, content: tf.Tensor, style: tf.Tensor) -> list[tf.Tensor]:
        return [self.stylize(content, style, None)]

    @tf.function(input_signature=[CONTENT, STYLE, STRENGTH])
    def with_strength(
        self, content: tf.Tensor, style: tf.Tensor, strength: tf.Tensor
    ) -> list[tf.Tensor]:
        return [self.stylize(content, style, strength)]

    def stylize(
        self, content: tf.Tensor, style: tf.Tensor, strength: tf.Tensor | None
    ) -> tf.Tensor:
        """Pad, run, crop back to the content's size, blend, clip to [0, 1].

        ``strength`` None is full strength without the blend's arithmetic (the
        Johnson TFLite file; its reader blends).
        """
        height, width = tf.shape(content)[1], tf.shape(content)[2]
        padded = pad_to_multiple(content, STRIDES[self._architecture])
        # Padding by computed amounts loses the static channel count, which TFLite's
        # converter needs to lower Conv2D to its builtin op. A reshape to a shape
        # ending in a constant 3 restores it (tf.ensure_shape is an op TFLite
        # lacks; set_shape does not reach the converter).
        padded = tf.reshape(padded, tf.concat([tf.shape(padded)[:3], [3]], axis=0))
        if self._architecture == "adain":
            ones = tf.ones(tf.shape(content)[:1])
            alpha = ones if strength is None else strength * ones
            stylized = self.network([padded, style, alpha], training=False)
        else:
            stylized = self.network(padded, training=False)
        stylized = stylized[:, :height, :width]
        if self._architecture == "johnson" and strength is not None:
            stylized = pixel_blend(stylized, content, strength)
        return clip_0_1(stylized)

    def tflite_function(self) -> tf.types.experimental.ConcreteFunction:
        """What the TFLite file runs: content only (Johnson), or all three (AdaIN)."""
        if self._architecture == "adain":
            return self.with_strength.get_concrete_function()
        content_only = tf.function(
            lambda content: self.stylize(content, None, None),
            input_signature=[CONTENT],
        )
        return content_only.get_concrete_function()


class NearestUpsampling2D(keras.layers.Layer):
    """``UpSampling2D(interpolation="nearest")`` as one resize op, same pixels.

    Keras repeats rows and columns through reshapes of computed shapes, which loses
    the channel count; TFLite's converter then cannot lower the next Conv2D to its
    builtin op. ``tf.image.resize`` keeps it (for an integer factor ``f``, output
    pixel ``i`` reads input pixel ``i // f`` in both).
    """

    def __init__(self, size: tuple[int, int], **kwargs):
        super().__init__(**kwargs)
        self.size = tuple(size)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        new_size = tf.shape(inputs)[1:3] * tf.constant(self.size)
        return tf.image.resize(inputs, new_size, method="nearest")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = [
            None if side is None else side * f
            for side, f in zip((height, width), self.size, strict=True)
        ]
        return (batch, *grow, channels)


def with_static_channels(network: keras.Model) -> keras.Model:
    """``network`` with its nearest upsampling as :class:`NearestUpsampling2D`.

    Every other layer is the network's own (the same weights, not copies), nested
    models included, so the result computes exactly what ``network`` does.
    """

    def swap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, keras.layers.UpSampling2D) and (
            layer.interpolation == "nearest" and layer.data_format == "channels_last"
        ):
            return NearestUpsampling2D(layer.size, name=layer.name)
        return layer

    return keras.models.clone_model(network, clone_function=swap, recursive=True)


def check_architecture(network: keras.Model, architecture: str) -> None:
    """Raise early, before minutes of conversion, when the two disagree.

    Raises:
        ValueError: an unknown architecture, or a network with other inputs.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"Unknown architecture {architecture!r}; tf_style.fit exports "
            f"{' or '.join(repr(name) for name in ARCHITECTURES)}."
        )
    if len(network.inputs) != NETWORK_INPUTS[architecture]:
        raise ValueError(
            f"A {architecture} network takes {NETWORK_INPUTS[architecture]} input(s); "
            f"{network.name!r} takes {len(network.inputs)}. Pass the architecture it "
            "was built as."
        )


def convert_to_tflite(module: StyleNetworkModule, variant: str) -> bytes:
    """The module's TFLite function with ``variant``'s weights, builtin ops only.

    ``"float16"`` stores float16 weights (computed in float32 on CPU);
    ``"int8"`` is dynamic-range quantisation: int8 weights, no representative
    dataset needed. Builtin ops only, so the file runs on LiteRT without TF ops.
    """
    function = module.tflite_function()
    # The function as its own trackable object selects the converter's freezing
    # path: the weights become constants. Given the module, TensorFlow 2.21 goes
    # through a temporary SavedModel instead, and with these Keras 3 networks that
    # left the weights as resource variables the file never initialises (NaN
    # images from LiteRT).
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], function)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def export_network(
    network: keras.Model,
    architecture: str,
    directory: str | os.PathLike,
    *,
    metadata: dict[str, Any] | None = None,
    tflite: bool = True,
) -> dict[str, Path]:
    """Write ``network`` as a TF-Hub-style SavedModel, TFLite files and its record.

    The SavedModel runs as the tutorial's Hub model does,
    ``hub.load(folder)(content, style)[0]``; a Johnson network ignores ``style``
    (one network per style). See :class:`StyleNetworkModule` for strength.

    Args:
        network: a trained :func:`~tf_style.fit.networks.johnson_network` or
            :func:`~tf_style.fit.networks.adain_network`.
        architecture: ``"johnson"`` or ``"adain"``.
        directory: the output folder (created); existing files are replaced.
        metadata: plain JSON values to keep in ``network.json`` (style name,
            training settings); ``architecture`` and ``files`` are added.
        tflite: also write the float16 and int8 TFLite files (slower).

    Returns:
        ``{"saved_model": folder, "float16": file, "int8": file}``; the TFLite keys
        only when ``tflite``.

    Raises:
        ValueError: an unknown architecture, a network that is not one, or
            ``metadata`` naming another architecture.
        TypeError: ``metadata`` holds values JSON cannot (raised before any saving).

    Example:
        >>> paths = export_network(network, "johnson", "models/starry")
        >>> image = hub.load(str(paths["saved_model"]))(content, style)[0]
    """
    check_architecture(network, architecture)
    directory = Path(directory)
    paths = {"saved_model": directory / "saved_model"}
    if tflite:
        paths |= {
            variant: directory / "tflite" / name
            for variant, name in TFLITE_FILES.items()
        }
    record = network_record(architecture, metadata, paths, directory)
    module = StyleNetworkModule(network, architecture)
    tf.saved_model.save(module, str(paths["saved_model"]))
    if tflite:
        for variant in TFLITE_FILES:
            with atomic_write(paths[variant]) as handle:
                handle.write(convert_to_tflite(module, variant))
    # Written last: a folder with network.json is a complete export.
    with atomic_write(directory / "network.json") as handle:
        handle.write(record.encode("utf-8"))
    return paths


def network_record(
    architecture: str,
    metadata: dict[str, Any] | None,
    paths: dict[str, Path],
    directory: Path,
) -> str:
    """``network.json``'s text, made before the slow saving so bad metadata fails
    first.

    Raises:
        ValueError: ``metadata["architecture"]`` differs from ``architecture``.
        TypeError: a value JSON cannot hold (a path, an array, NaN).
    """
    metadata = dict(metadata or {})
    if metadata.get("architecture", architecture) != architecture:
        raise ValueError(
            f"metadata says architecture {metadata['architecture']!r} but the "
            f"network is exported as {architecture!r}."
        )
    files = {key: str(path.relative_to(directory)) for key, path in paths.items()}
    record = metadata | {"architecture": architecture, "files": files}
    try:
        return json.dumps(record, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"metadata must hold plain JSON values ({error}); convert paths with "
            "str() and arrays with .tolist()."
        ) from None


__all__ = [
    "NETWORK_INPUTS",
    "STRIDES",
    "NearestUpsampling2D",
    "StyleNetworkModule",
    "check_architecture",
    "convert_to_tflite",
    "export_network",
    "network_record",
    "with_static_channels",
]
