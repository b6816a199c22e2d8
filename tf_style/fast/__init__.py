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

Nothing here knows about VGG19; scoring the result is the job of
:mod:`~tf_style.evaluation.metrics`.
"""

from __future__ import annotations

import logging
import os

import tensorflow as tf

from tf_style.fast.base import (
    STYLE_SIZE,
    FastModelError,
    FastStylizer,
    check_strength,
)
from tf_style.fast.saved_model import TRUST_WARNING, TUTORIAL_HUB_HANDLE, HubStylizer
from tf_style.fast.tflite import LiteStylizer

log = logging.getLogger(__name__)


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


__all__ = [
    "STYLE_SIZE",
    "TRUST_WARNING",
    "TUTORIAL_HUB_HANDLE",
    "FastModelError",
    "FastStylizer",
    "HubStylizer",
    "LiteStylizer",
    "check_strength",
    "fast_stylize",
    "load_fast_model",
]
