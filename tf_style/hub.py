"""The fast baseline: Magenta's arbitrary-image-stylization network, one forward pass.

The tutorial opens with ``hub.load(".../arbitrary-image-stylization-v1-256/2")``
(Ghiasi et al., 2017, "Exploring the structure of a real-time, arbitrary neural
artistic stylization network"): a style-prediction network turns the style image into
a 100-number bottleneck, and a transformer network paints the content image with it.
No optimisation, so it takes a fraction of a second instead of minutes.

Two back ends, one call (:func:`fast_stylize`), one loaded-model type
(:class:`FastStylizer`, load once, stylise many):

* :class:`HubStylizer`: the tutorial's TF-Hub SavedModel, from its URL handle, a local
  SavedModel directory, or a downloaded ``.tar.gz`` of it (extracted safely to a cache).
* :class:`LiteStylizer`: the same model's TensorFlow Lite release (a prediction and a
  transfer model), run with LiteRT, or ``tf.lite`` when LiteRT is not installed. It
  exposes the bottleneck, so style strength can be blended as the TFLite example does.

Nothing here knows about VGG19; scoring the result is :mod:`tf_style.metrics`'s job.
"""

from __future__ import annotations

import abc
import logging
import os
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from tf_style.archive import (
    ArchiveError,
    extract_saved_model,
    file_digest,
    is_tar_gz,
)
from tf_style.images import as_batch

log = logging.getLogger(__name__)

TUTORIAL_HUB_HANDLE = (
    "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
)
# Both releases were trained with 256x256 style images; the tutorial resizes to this.
STYLE_SIZE = (256, 256)
TRUST_WARNING = (
    "A SavedModel is a program, not data: loading one runs its code with your "
    "rights, and tf_style cannot sandbox it. Only load models you trust."
)
LOCAL_COPY_HELP = (
    "Offline? Give a local copy: --hub-handle DIR (a SavedModel folder holding "
    "saved_model.pb), --hub-handle FILE.tar.gz (the download of {handle}"
    "?tf-hub-format=compressed), or --tflite-dir DIR (the TensorFlow Lite pair "
    "style_predict*.tflite and style_transfer*.tflite)."
)


class FastModelError(RuntimeError):
    """The fast model cannot be loaded or run; the message says how to fix it."""


class FastStylizer(abc.ABC):
    """A loaded fast model: call it on many pairs, load it once.

    Attributes:
        source: where the model came from (shown in reports).
        load_seconds: time spent loading, kept apart from stylising.
    """

    source: str = ""
    load_seconds: float = 0.0
    supports_strength: bool = False

    def __call__(
        self, content_image: tf.Tensor, style_image: tf.Tensor, *, strength: float = 1.0
    ) -> tf.Tensor:
        """Stylise ``content_image`` in the style of ``style_image``.

        Args:
            content_image: float32 ``[1, H, W, 3]`` in [0, 1], any size.
            style_image: float32 ``[1, H', W', 3]`` in [0, 1]; resized to 256x256.
            strength: in [0, 1]; 1 is the model's full style, 0 the content alone.

        Returns:
            float32 ``[1, H, W, 3]`` in [0, 1], the content's size.
        """
        content_image = as_batch(content_image, "content_image")
        style_image = as_batch(style_image, "style_image")
        check_strength(strength, supported=self.supports_strength, source=self.source)
        style_image = tf.image.resize(style_image, STYLE_SIZE)
        stylized = self._stylize(content_image, style_image, strength)
        if stylized.shape[1:3] != content_image.shape[1:3]:
            # The transformer's strided convolutions can round odd sizes; keep the
            # contract (the content's size) so images can be compared pixel by pixel.
            stylized = tf.image.resize(stylized, content_image.shape[1:3])
        return tf.clip_by_value(tf.cast(stylized, tf.float32), 0.0, 1.0)

    @abc.abstractmethod
    def _stylize(
        self, content_image: tf.Tensor, style_image: tf.Tensor, strength: float
    ) -> tf.Tensor:
        """The back end's forward pass; the style is already 256x256."""


class HubStylizer(FastStylizer):
    """The tutorial's TF-Hub SavedModel, loaded with ``tensorflow_hub.load``.

    Model contract (the tutorial's cell "Fast Style Transfer using TF-Hub"):
    ``outputs = model(tf.constant(content), tf.constant(style))`` with float32 images
    in [0, 1] and a batch dimension, the style at 256x256; ``outputs[0]`` is the
    stylised batch.

    Args:
        handle: a URL handle (default: the tutorial's), a local SavedModel directory,
            or a ``.tar.gz`` of one (extracted once into ``cache_dir``).
        cache_dir: where archives are extracted; default ``$TF_STYLE_CACHE_DIR`` or
            ``~/.cache/tf_style``, in a folder named after the archive's hash.

    Raises:
        FastModelError: it cannot be loaded; for a URL handle the message says how to
            provide a local copy.
    """

    def __init__(
        self,
        handle: str | os.PathLike = TUTORIAL_HUB_HANDLE,
        *,
        cache_dir: str | os.PathLike | None = None,
    ):
        started = time.perf_counter()
        handle = str(handle)
        self.source = describe_handle(handle)
        log.warning("Loading %s. %s", self.source, TRUST_WARNING)
        self.model = load_saved_model(handle, cache_dir=cache_dir)
        self.load_seconds = time.perf_counter() - started

    def _stylize(
        self, content_image: tf.Tensor, style_image: tf.Tensor, strength: float
    ) -> tf.Tensor:
        outputs = self.model(tf.constant(content_image), tf.constant(style_image))
        return outputs[0]


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
        image = tf.image.resize(style_image, STYLE_SIZE)
        detail = self.predictor.get_input_details()[0]
        self.predictor.set_tensor(detail["index"], np.asarray(image, np.float32))
        self.predictor.invoke()
        output = self.predictor.get_output_details()[0]
        return np.array(self.predictor.get_tensor(output["index"]))

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
        content = tf.image.resize(content_image, size) if size else content_image
        self.transformer.set_tensor(
            self.content_input["index"], np.asarray(content, np.float32)
        )
        self.transformer.set_tensor(
            self.bottleneck_input["index"], np.asarray(bottleneck, np.float32)
        )
        self.transformer.invoke()
        output = self.transformer.get_output_details()[0]
        return tf.constant(self.transformer.get_tensor(output["index"]))

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


def load_fast_model(
    *,
    hub_handle: str | os.PathLike | None = None,
    tflite_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> FastStylizer:
    """Load the fast model from a TF-Hub handle/dir/archive or a TFLite pair.

    With neither given, the tutorial's handle is used.

    Raises:
        ValueError: both were given.
        FastModelError: the model cannot be loaded (the message says how to fix it).
    """
    if hub_handle is not None and tflite_dir is not None:
        raise ValueError(
            "Give either hub_handle (a TF-Hub SavedModel) or tflite_dir (the "
            "TensorFlow Lite pair), not both."
        )
    if tflite_dir is not None:
        model: FastStylizer = LiteStylizer(tflite_dir)
    else:
        model = HubStylizer(hub_handle or TUTORIAL_HUB_HANDLE, cache_dir=cache_dir)
    log.info("Fast model: %s (loaded in %.2f s)", model.source, model.load_seconds)
    return model


def fast_stylize(
    content_image: tf.Tensor,
    style_image: tf.Tensor,
    *,
    hub_handle: str | os.PathLike | None = None,
    tflite_dir: str | os.PathLike | None = None,
    model: FastStylizer | None = None,
    strength: float = 1.0,
) -> tf.Tensor:
    """Stylise in one forward pass, as the tutorial's first cells do.

    Args:
        content_image: float32 ``[1, H, W, 3]`` in [0, 1].
        style_image: float32 ``[1, H', W', 3]`` in [0, 1]; resized to 256x256.
        hub_handle: TF-Hub URL handle, SavedModel directory or ``.tar.gz``.
        tflite_dir: folder with the TensorFlow Lite pair, instead.
        model: an already loaded :class:`FastStylizer` (load once, stylise many).
        strength: style strength in [0, 1] (TensorFlow Lite only).

    Returns:
        float32 ``[1, H, W, 3]`` in [0, 1], the content's size, like
        :func:`tf_style.stylize`'s image.

    Raises:
        FastModelError: the model cannot be loaded.

    Example:
        >>> content = load_image("tf_style/data/chelsea.png", 384)
        >>> style = load_image("tf_style/data/starry_night.jpg", 256)
        >>> image = fast_stylize(content, style, tflite_dir="models/magenta")
    """
    if model is None:
        model = load_fast_model(hub_handle=hub_handle, tflite_dir=tflite_dir)
    return model(content_image, style_image, strength=strength)


# --- SavedModel loading ---------------------------------------------------------


def describe_handle(handle: str) -> str:
    """The handle as given, with the SHA-256 of an archive: which program ran."""
    path = Path(handle)
    if not is_url(handle) and path.is_file() and is_tar_gz(path):
        return f"TF-Hub SavedModel {handle} (sha256 {file_digest(path, length=64)})"
    return f"TF-Hub SavedModel {handle}"


def is_url(handle: str) -> bool:
    """True for ``http(s)://`` handles, which tensorflow_hub downloads."""
    return handle.startswith(("http://", "https://"))


def load_saved_model(handle: str, *, cache_dir: str | os.PathLike | None = None):
    """``hub.load`` of a URL handle, a SavedModel directory or a ``.tar.gz``.

    Raises:
        FastModelError: one message saying what failed and how to fix it.
    """
    import tensorflow_hub as hub

    if is_url(handle):
        # The tutorial's setting: fetch the compressed archive, not the GCS folder.
        os.environ.setdefault("TFHUB_MODEL_LOAD_FORMAT", "COMPRESSED")
        try:
            return hub.load(handle)
        except Exception as error:  # network, DNS, proxy, Kaggle redirect: all alike
            raise FastModelError(
                f"Could not download the TF-Hub model {handle} "
                f"({type(error).__name__}: {error}). "
                + LOCAL_COPY_HELP.format(handle=handle)
            ) from None
    path = Path(handle)
    if path.is_file() and is_tar_gz(path):
        try:
            path = extract_saved_model(path, cache_dir=cache_dir)
        except ArchiveError as error:
            raise FastModelError(str(error)) from None
    check_saved_model_dir(path)
    try:
        return hub.load(str(path))
    except Exception as error:  # a broken SavedModel: say which and why
        raise FastModelError(
            f"{path}: cannot load the SavedModel ({type(error).__name__}: {error})."
        ) from None


def check_saved_model_dir(path: Path) -> None:
    """Fail early, naming the path, when it cannot be a SavedModel directory."""
    if not path.exists():
        raise FastModelError(
            f"{path}: no such file or directory. "
            + LOCAL_COPY_HELP.format(handle=TUTORIAL_HUB_HANDLE)
        )
    if path.is_file():
        raise FastModelError(
            f"{path}: not a SavedModel directory or a .tar.gz archive of one."
        )
    if not (path / "saved_model.pb").is_file():
        hint = (
            " It holds .tflite files: use --tflite-dir instead."
            if any(path.glob("*.tflite"))
            else ""
        )
        raise FastModelError(f"{path}: no saved_model.pb, not a SavedModel.{hint}")


# --- TensorFlow Lite ------------------------------------------------------------


def find_tflite_pair(directory: Path) -> tuple[Path, Path]:
    """The prediction and transfer files; prefers the any-size transfer model.

    Raises:
        FastModelError: the folder or one of the two files is missing.
    """
    if not directory.is_dir():
        raise FastModelError(
            f"{directory}: no such directory (expected the TensorFlow Lite pair "
            "style_predict*.tflite and style_transfer*.tflite)."
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
            f"{directory}: no {' or '.join(missing)} (the TensorFlow Lite release "
            "of arbitrary-image-stylization-v1-256: a prediction and a transfer "
            "model)."
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
        raise FastModelError(
            "No TensorFlow Lite interpreter: install LiteRT with "
            "`pip install ai-edge-litert` (or `pip install tf_style[lite]`)."
        )
    try:
        return Interpreter(model_path=str(path), num_threads=num_threads)
    except (RuntimeError, ValueError) as error:
        raise FastModelError(
            f"{path}: not a readable TensorFlow Lite model ({error})."
        ) from None


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


# --- validation -----------------------------------------------------------------


def check_strength(strength: float, *, supported: bool, source: str) -> None:
    """Strength in [0, 1], and only where the model exposes its bottleneck.

    Raises:
        ValueError: out of range, or below 1 for a model that cannot blend.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}.")
    if strength < 1.0 and not supported:
        raise ValueError(
            f"strength {strength} needs the style bottleneck, which {source} does "
            "not expose; use the TensorFlow Lite pair (tflite_dir) to blend."
        )


__all__ = [
    "STYLE_SIZE",
    "TUTORIAL_HUB_HANDLE",
    "FastModelError",
    "FastStylizer",
    "HubStylizer",
    "LiteStylizer",
    "fast_stylize",
    "load_fast_model",
]
