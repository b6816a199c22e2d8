"""The TensorFlow Lite release of the same model: a prediction and a transfer model.

Run with LiteRT (the ``lite`` extra: ``pip install -e ".[lite]"``), or ``tf.lite``
when LiteRT is not installed. It exposes the style bottleneck, so style strength can
be blended as the TFLite style transfer example does.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from tf_style.errors import cause
from tf_style.fast.base import STYLE_SIZE, FastModelError, FastStylizer
from tf_style.images.tensors import resize

# Where the pair comes from (tf_style ships no model), said by every error that
# finds it missing; the files are those of the TensorFlow Lite style transfer example.
TFLITE_PAIR_SOURCE = (
    "the TensorFlow Lite variations of Kaggle Models "
    "google/arbitrary-image-stylization-v1 (TF-Hub's google/lite-model/magenta/"
    "arbitrary-image-stylization-v1-256/int8/prediction/1 and .../int8/transfer/1)"
)
LITE_RUNTIME_HELP = (
    'pip install -e ".[lite]" (or pip install ai-edge-litert) installs LiteRT, '
    "which runs them"
)


class LiteStylizer(FastStylizer):
    """The TensorFlow Lite release: a prediction model and a transfer model.

    The prediction model maps a style image float32 ``[1, 256, 256, 3]`` to the
    bottleneck ``[1, 1, 1, 100]``; the transfer model maps the content image and the
    bottleneck to the stylised image. With ``style_transfer_quantized_dynamic.tflite``
    the content input is resized to each image (any size works); a fixed-size
    transfer model (``*_384.tflite``) gets the content resized to its size and the
    result resized back.

    Strength blends the style's bottleneck with the content image's own,
    ``strength * style + (1 - strength) * content``, as the TFLite style transfer
    example does.

    Args:
        directory: folder with ``style_predict*.tflite`` and ``style_transfer*.tflite``.
        num_threads: interpreter threads; None lets the runtime choose.

    Raises:
        FastModelError: a file is missing or cannot be read as a TFLite model.
    """

    supports_strength = True

    def __init__(self, directory: str | os.PathLike, *, num_threads: int | None = None):
        started = time.perf_counter()
        predict_path, transfer_path = find_tflite_pair(Path(directory))
        self.source = f"TensorFlow Lite {predict_path.name} + {transfer_path.name}"
        self.predictor = make_interpreter(predict_path, num_threads)
        self.transformer = make_interpreter(transfer_path, num_threads)
        self.predictor.allocate_tensors()
        self.content_input, self.bottleneck_input = transfer_inputs(self.transformer)
        self.native_size = tuple(self.content_input["shape"][1:3])
        self.allocated_size: tuple[int, int] | None = None
        self.load_seconds = time.perf_counter() - started

    def predict_style(self, style_image: tf.Tensor) -> np.ndarray:
        """The style bottleneck float32 ``[1, 1, 1, 100]`` of a 256x256 image."""
        image = resize(style_image, STYLE_SIZE, antialias=False)
        detail = self.predictor.get_input_details()[0]
        return run_interpreter(self.predictor, {detail["index"]: image})

    def _stylize(
        self, content_image: tf.Tensor, style_image: tf.Tensor, strength: float
    ) -> tf.Tensor:
        bottleneck = self.predict_style(style_image)
        if strength < 1.0:
            # The TFLite example's "style blending": the content's own bottleneck
            # pulls the result back towards the photo.
            own = self.predict_style(content_image)
            bottleneck = strength * bottleneck + (1.0 - strength) * own
        return self.transfer(content_image, bottleneck)

    def transfer(self, content_image: tf.Tensor, bottleneck: np.ndarray) -> tf.Tensor:
        """Run the transfer model at the content's size (or its fixed size)."""
        size = self._allocate(tuple(content_image.shape[1:3]))
        content = (
            resize(content_image, size, antialias=False) if size else content_image
        )
        feeds = {
            self.content_input["index"]: content,
            self.bottleneck_input["index"]: bottleneck,
        }
        return tf.constant(run_interpreter(self.transformer, feeds))

    def _allocate(self, size: tuple[int, int]) -> tuple[int, int] | None:
        """Resize the content input to ``size``; return the size to resize to instead.

        Returns None when the model now takes ``size`` as is, else its fixed size.
        """
        if self.allocated_size == size:
            return None
        try:
            self.transformer.resize_tensor_input(
                self.content_input["index"], [1, *size, 3]
            )
            self.transformer.allocate_tensors()
            self.allocated_size = size
            return None
        except (RuntimeError, ValueError):
            # A fixed-size model: keep its own size and resize around it.
            self.transformer.resize_tensor_input(
                self.content_input["index"], [1, *self.native_size, 3]
            )
            self.transformer.allocate_tensors()
            self.allocated_size = None
            return self.native_size


def find_tflite_pair(directory: Path) -> tuple[Path, Path]:
    """The prediction and transfer files; prefers the any-size transfer model.

    Raises:
        FastModelError: the folder or one of the two files is missing.
    """
    if not directory.is_dir():
        raise FastModelError(
            f"{directory}: no such directory. Give a folder with the TensorFlow Lite "
            f"pair, style_predict*.tflite and style_transfer*.tflite from "
            f"{TFLITE_PAIR_SOURCE}; {LITE_RUNTIME_HELP}."
        )
    predict = sorted(directory.glob("style_predict*.tflite"))
    transfer = sorted(
        directory.glob("style_transfer*.tflite"),
        key=lambda path: ("dynamic" not in path.name, path.name),
    )
    if not predict or not transfer:
        missing = [
            pattern
            for pattern, found in (
                ("style_predict*.tflite", predict),
                ("style_transfer*.tflite", transfer),
            )
            if not found
        ]
        raise FastModelError(
            f"{directory}: no {' or '.join(missing)}. The TensorFlow Lite pair is a "
            "prediction and a transfer model, style_predict*.tflite and "
            f"style_transfer*.tflite, from {TFLITE_PAIR_SOURCE}; {LITE_RUNTIME_HELP}."
        )
    return predict[0], transfer[0]


def make_interpreter(path: Path, num_threads: int | None):
    """LiteRT's interpreter, or ``tf.lite.Interpreter`` when LiteRT is missing.

    Raises:
        FastModelError: the file is not a TFLite model.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # LiteRT not installed: TensorFlow 2.21 still ships the old one
        Interpreter = getattr(getattr(tf, "lite", None), "Interpreter", None)  # noqa: N806
    if Interpreter is None:
        raise FastModelError(f"No TensorFlow Lite interpreter: {LITE_RUNTIME_HELP}.")
    try:
        return Interpreter(model_path=str(path), num_threads=num_threads)
    except (RuntimeError, ValueError) as error:
        raise FastModelError(
            f"{path}: not a readable TensorFlow Lite model ({cause(error)})."
        ) from None


def run_interpreter(interpreter, feeds: dict[int, object]) -> np.ndarray:
    """Set each input (by tensor index) as float32, invoke, return the first output.

    The inputs' shapes must already be allocated (``resize_tensor_input``).
    """
    for index, value in feeds.items():
        interpreter.set_tensor(index, np.asarray(value, np.float32))
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    return np.array(interpreter.get_tensor(output["index"]))


def transfer_inputs(interpreter) -> tuple[dict, dict]:
    """The transfer model's content input and bottleneck input (found by shape)."""
    details = interpreter.get_input_details()
    bottleneck = [d for d in details if d["shape"][-1] == 100]
    content = [d for d in details if d["shape"][-1] == 3]
    if len(details) != 2 or len(bottleneck) != 1 or len(content) != 1:
        shapes = [list(d["shape"]) for d in details]
        raise FastModelError(
            "The transfer model should take a content image [1, H, W, 3] and a "
            f"bottleneck [1, 1, 1, 100]; its inputs are {shapes}."
        )
    return content[0], bottleneck[0]


__all__ = [
    "LITE_RUNTIME_HELP",
    "TFLITE_PAIR_SOURCE",
    "LiteStylizer",
    "find_tflite_pair",
    "make_interpreter",
    "run_interpreter",
]
