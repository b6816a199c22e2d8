"""A network trained with :mod:`tf_style.fit`, run from its TensorFlow Lite files.

:func:`tf_style.fit.export.export_network` writes ``tflite/network_float16.tflite``
and ``tflite/network_int8.tflite``; this module owns their contract (file names,
input names, the Johnson network's strength blend), so the writer and the reader
cannot drift apart. The SavedModel beside them loads through
:class:`~tf_style.fast.saved_model.HubStylizer` like the tutorial's model.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import tensorflow as tf

from tf_style.fast.base import FastModelError, FastStylizer
from tf_style.fast.tflite import make_interpreter, run_interpreter

# One file per weight precision; the first is the default.
TFLITE_FILES = {
    "float16": "network_float16.tflite",
    "int8": "network_int8.tflite",
}
# The exported functions' argument names, which the converter keeps in the inputs'
# names ("serving_default_content:0"): the Johnson file takes "content" only.
CONTENT_INPUT, STYLE_INPUT, STRENGTH_INPUT = "content", "style", "strength"


def pixel_blend(stylized: tf.Tensor, content: tf.Tensor, strength) -> tf.Tensor:
    """``strength * stylized + (1 - strength) * content``, pixel by pixel.

    The Johnson network has no style code to blend (one network per style), so its
    strength is a cross-fade of the two images, not AdaIN's blend of features.
    """
    return strength * stylized + (1.0 - strength) * content


class NetworkLiteStylizer(FastStylizer):
    """A :mod:`tf_style.fit` network's TensorFlow Lite file, any content size.

    The Johnson file takes the content image only (the style is in its weights,
    so the style argument is ignored) and blends strength with :func:`pixel_blend`;
    the AdaIN file takes content, style and strength.

    Args:
        directory: the fit command's output folder or its ``tflite/`` folder.
        variant: ``"float16"`` (default) or ``"int8"`` (dynamic-range weights:
            smaller, a little further from the SavedModel).
        num_threads: interpreter threads; None lets the runtime choose.

    Raises:
        ValueError: ``variant`` is not one of :data:`TFLITE_FILES`.
        FastModelError: the file is missing or not one of these networks.
    """

    supports_strength = True

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        variant: str = "float16",
        num_threads: int | None = None,
    ):
        started = time.perf_counter()
        path = network_tflite_file(Path(directory), variant)
        self.source = f"TensorFlow Lite network {path}"
        self.interpreter = make_interpreter(path, num_threads)
        self.inputs = network_inputs(self.interpreter, path)
        self.architecture = "adain" if STYLE_INPUT in self.inputs else "johnson"
        self.allocated: dict[str, tuple[int, ...]] = {}
        self.load_seconds = time.perf_counter() - started

    def _stylize(
        self, content_image: tf.Tensor, style_image: tf.Tensor, strength: float
    ) -> tf.Tensor:
        if self.architecture == "johnson":
            stylized = self.run({CONTENT_INPUT: content_image})
            return pixel_blend(stylized, content_image, strength)
        return self.run(
            {
                CONTENT_INPUT: content_image,
                STYLE_INPUT: style_image,
                STRENGTH_INPUT: tf.constant(strength, tf.float32),
            }
        )

    def run(self, feeds: dict[str, tf.Tensor]) -> tf.Tensor:
        """Resize the inputs to ``feeds``' shapes (when they change), then invoke."""
        shapes = {name: tuple(value.shape) for name, value in feeds.items()}
        if shapes != self.allocated:
            for name, shape in shapes.items():
                self.interpreter.resize_tensor_input(self.inputs[name], list(shape))
            self.interpreter.allocate_tensors()
            self.allocated = shapes
        by_index = {self.inputs[name]: value for name, value in feeds.items()}
        return tf.constant(run_interpreter(self.interpreter, by_index))


def find_network_tflite(directory: Path) -> dict[str, Path]:
    """The exported files in ``directory`` or its ``tflite/`` folder, by variant.

    Empty when there are none (the folder may hold the Magenta pair instead).
    """
    for folder in (directory, directory / "tflite"):
        found = {
            variant: folder / name
            for variant, name in TFLITE_FILES.items()
            if (folder / name).is_file()
        }
        if found:
            return found
    return {}


def network_tflite_file(directory: Path, variant: str) -> Path:
    """The ``variant`` file of an exported network.

    Raises:
        ValueError: an unknown variant.
        FastModelError: the folder holds no such file.
    """
    if variant not in TFLITE_FILES:
        raise ValueError(
            f"Unknown TensorFlow Lite variant {variant!r}; expected one of "
            f"{', '.join(TFLITE_FILES)}."
        )
    found = find_network_tflite(directory)
    if variant not in found:
        raise FastModelError(
            f"{directory}: no {TFLITE_FILES[variant]} here or in {directory / 'tflite'}"
            " (written by tf_style.fit's export_network)."
        )
    return found[variant]


def network_inputs(interpreter, path: Path) -> dict[str, int]:
    """The input tensors' indices by argument name (the converter's order varies).

    Raises:
        FastModelError: the inputs are not a Johnson (content) or AdaIN (content,
            style, strength) network's.
    """
    details = interpreter.get_input_details()
    # "content", or "serving_default_content:0" from other converter paths.
    inputs = {
        detail["name"].split(":")[0].rsplit("_", 1)[-1]: detail["index"]
        for detail in details
    }
    if len(inputs) != len(details) or set(inputs) not in (
        {CONTENT_INPUT},
        {CONTENT_INPUT, STYLE_INPUT, STRENGTH_INPUT},
    ):
        names = [detail["name"] for detail in details]
        raise FastModelError(
            f"{path}: inputs {names} are neither a Johnson network's (content) nor "
            "an AdaIN network's (content, style, strength)."
        )
    return inputs


__all__ = [
    "TFLITE_FILES",
    "NetworkLiteStylizer",
    "find_network_tflite",
    "network_tflite_file",
    "pixel_blend",
]
