"""The fast baseline: Magenta's arbitrary-image-stylization network, one forward pass.

The tutorial opens with ``hub.load(".../arbitrary-image-stylization-v1-256/2")``
(Ghiasi et al., 2017, "Exploring the structure of a real-time, arbitrary neural
artistic stylization network"): a style-prediction network turns the style image into
a 100-number bottleneck, and a transformer network paints the content image with it.
No optimisation, so it takes a fraction of a second instead of minutes.

Two back ends, one call (:func:`fast_stylize`), one loaded-model type
(:class:`~tf_style.fast.base.FastStylizer`, load once, stylise many):

* :class:`~tf_style.fast.saved_model.HubStylizer`: the tutorial's TF-Hub SavedModel,
  from its URL handle, a local SavedModel directory, or a downloaded ``.tar.gz`` of
  it (extracted safely to a cache).
* :class:`~tf_style.fast.tflite.LiteStylizer`: the same model's TensorFlow Lite
  release (a prediction and a transfer model), run with LiteRT, or ``tf.lite`` when
  LiteRT is not installed. It exposes the bottleneck, so style strength can be
  blended as the TFLite example does.

A network trained with :mod:`tf_style.fit` loads through the same two doors: its
output folder as ``hub_handle`` (the SavedModel in ``saved_model/`` keeps the Hub
model's calling convention, :class:`HubStylizer` runs it) or as ``tflite_dir``
(:class:`~tf_style.fast.fit_network.NetworkLiteStylizer` runs
``tflite/network_float16.tflite`` or ``network_int8.tflite``). Both blend strength.

Nothing here knows about VGG19; scoring the result is the job of
:mod:`~tf_style.evaluation.metrics`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import tensorflow as tf

from tf_style.fast.any import load_network
from tf_style.fast.base import (
    STYLE_SIZE,
    FastModelError,
    FastStylizer,
    check_strength,
)
from tf_style.fast.fit_network import NetworkLiteStylizer, find_network_tflite
from tf_style.fast.saved_model import TRUST_WARNING, TUTORIAL_HUB_HANDLE, HubStylizer
from tf_style.fast.tflite import LiteStylizer

log = logging.getLogger(__name__)


def load_fast_model(
    *,
    hub_handle: str | os.PathLike | None = None,
    tflite_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    variant: str | None = None,
) -> FastStylizer:
    """Load the fast model from a TF-Hub handle/dir/archive or TFLite files.

    With neither given, the tutorial's handle is used. A ``tf_style.fit`` output
    folder works as either: ``hub_handle`` finds its ``saved_model/``,
    ``tflite_dir`` its ``tflite/network_*.tflite``.

    Args:
        hub_handle: TF-Hub URL handle, SavedModel folder (or the folder above
            ``saved_model/``) or ``.tar.gz``.
        tflite_dir: folder with the Magenta TensorFlow Lite pair, or with a
            ``tf_style.fit`` network's files (or their ``tflite/`` folder).
        cache_dir: where archives are extracted.
        variant: which ``tf_style.fit`` TFLite file: ``"float16"`` (default) or
            ``"int8"``.

    Raises:
        ValueError: both were given, or ``variant`` without a network's TFLite files.
        FastModelError: the model cannot be loaded (the message says how to fix it).
    """
    if hub_handle is not None and tflite_dir is not None:
        raise ValueError(
            "Give either hub_handle (a TF-Hub SavedModel) or tflite_dir (the "
            "TensorFlow Lite pair), not both."
        )
    if tflite_dir is not None:
        model = load_tflite(tflite_dir, variant=variant)
    elif variant is not None:
        raise ValueError(
            f"variant={variant!r} chooses a tf_style.fit network's TensorFlow Lite "
            "file: give tflite_dir too."
        )
    else:
        model = HubStylizer(hub_handle or TUTORIAL_HUB_HANDLE, cache_dir=cache_dir)
    log.info("Fast model: %s (loaded in %.2f s)", model.source, model.load_seconds)
    return model


def load_tflite(
    tflite_dir: str | os.PathLike, *, variant: str | None = None
) -> FastStylizer:
    """A ``tf_style.fit`` network's TFLite file when the folder holds one, else the
    Magenta pair.

    Raises:
        ValueError: ``variant`` given for a folder with the Magenta pair.
        FastModelError: the files are missing or unreadable.
    """
    if find_network_tflite(Path(tflite_dir)):
        return NetworkLiteStylizer(tflite_dir, variant=variant or "float16")
    if variant is not None:
        raise ValueError(
            f"variant={variant!r} chooses a tf_style.fit network's TensorFlow Lite "
            f"file, but {tflite_dir} holds no network_*.tflite (here or in tflite/)."
        )
    return LiteStylizer(tflite_dir)


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
        tflite_dir: folder with the TensorFlow Lite files, instead.
        model: an already loaded :class:`FastStylizer` (load once, stylise many).
        strength: style strength in [0, 1] (the Magenta TensorFlow Lite pair and
            ``tf_style.fit`` networks; not the tutorial's SavedModel).

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


__all__ = [
    "STYLE_SIZE",
    "TRUST_WARNING",
    "TUTORIAL_HUB_HANDLE",
    "FastModelError",
    "FastStylizer",
    "HubStylizer",
    "LiteStylizer",
    "NetworkLiteStylizer",
    "check_strength",
    "fast_stylize",
    "load_fast_model",
    "load_network",
    "load_tflite",
]
