"""The tutorial's TF-Hub SavedModel: from its URL handle, a folder or a ``.tar.gz``.

Model contract (the tutorial's cell "Fast Style Transfer using TF-Hub"):
``outputs = model(tf.constant(content), tf.constant(style))`` with float32 images in
[0, 1] and a batch dimension, the style at 256x256; ``outputs[0]`` is the stylised
batch. A SavedModel is a program: loading one runs its code (see
:data:`TRUST_WARNING`).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import tensorflow as tf

from tf_style.errors import cause
from tf_style.fast.archive import (
    ArchiveError,
    extract_saved_model,
    file_digest,
    is_tar_gz,
)
from tf_style.fast.base import FastModelError, FastStylizer
from tf_style.fast.tflite import TFLITE_PAIR_SOURCE

log = logging.getLogger(__name__)

TUTORIAL_HUB_HANDLE = (
    "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
)
TRUST_WARNING = (
    "A SavedModel is a program, not data: loading one runs its code with your "
    "rights, and tf_style cannot sandbox it. Only load models you trust."
)
# Named for both audiences: the argument in Python, the option on the command line.
LOCAL_COPY_HELP = (
    "Offline? Give a local copy as hub_handle= (--hub-handle DIR): a SavedModel "
    "folder or FILE.tar.gz, the download of {handle}?tf-hub-format=compressed; or as "
    "tflite_dir= (--tflite-dir DIR): the TensorFlow Lite pair, style_predict*.tflite "
    "and style_transfer*.tflite from " + TFLITE_PAIR_SOURCE + "."
)


class HubStylizer(FastStylizer):
    """The tutorial's TF-Hub SavedModel, loaded with ``tensorflow_hub.load``.

    Model contract (the tutorial's cell "Fast Style Transfer using TF-Hub"):
    ``outputs = model(tf.constant(content), tf.constant(style))`` with float32 images
    in [0, 1] and a batch dimension, the style at 256x256; ``outputs[0]`` is the
    stylised batch. A network exported by :mod:`tf_style.fit` keeps this contract
    and adds ``model.with_strength(content, style, strength)``, so there
    ``supports_strength`` is True.

    Args:
        handle: a URL handle (default: the tutorial's), a local SavedModel directory
            (or a folder holding one as ``saved_model/``, as ``tf_style.fit``
            writes), or a ``.tar.gz`` of one (extracted once into ``cache_dir``).
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
        # tf_style.fit's exports add with_strength(content, style, strength); the
        # tutorial's model has no such function, so it cannot blend.
        self.supports_strength = hasattr(self.model, "with_strength")
        self.load_seconds = time.perf_counter() - started

    def _stylize(
        self, content_image: tf.Tensor, style_image: tf.Tensor, strength: float
    ) -> tf.Tensor:
        content, style = tf.constant(content_image), tf.constant(style_image)
        if strength < 1.0:
            blend = tf.constant(strength, tf.float32)
            return self.model.with_strength(content, style, blend)[0]
        return self.model(content, style)[0]


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
                f"Could not download the TF-Hub model {handle} ({cause(error)}). "
                + LOCAL_COPY_HELP.format(handle=handle)
            ) from None
    path = Path(handle)
    if path.is_file() and is_tar_gz(path):
        try:
            path = extract_saved_model(path, cache_dir=cache_dir)
        except ArchiveError as error:
            raise FastModelError(str(error)) from None
    path = saved_model_folder(path)
    check_saved_model_dir(path)
    try:
        return hub.load(str(path))
    except Exception as error:  # a broken SavedModel: say which and why
        raise FastModelError(
            f"{path}: cannot load the SavedModel ({cause(error)})."
        ) from None


def saved_model_folder(path: Path) -> Path:
    """``path``, or its ``saved_model/`` when ``path`` is a folder written by
    :func:`tf_style.fit.export.export_network` (the SavedModel one level down)."""
    if (path / "saved_model.pb").is_file():
        return path
    if (path / "saved_model" / "saved_model.pb").is_file():
        return path / "saved_model"
    return path


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
            " It holds .tflite files: use tflite_dir= (--tflite-dir) instead."
            if any(path.glob("*.tflite"))
            else ""
        )
        raise FastModelError(f"{path}: no saved_model.pb, not a SavedModel.{hint}")


__all__ = [
    "TRUST_WARNING",
    "TUTORIAL_HUB_HANDLE",
    "HubStylizer",
    "describe_handle",
    "is_url",
    "load_saved_model",
    "saved_model_folder",
]
