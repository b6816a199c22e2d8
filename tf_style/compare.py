"""Fast model against optimisation: run both on one pair, time, score, and show them.

The tutorial opens with Magenta's arbitrary-image-stylization network (one forward
pass, :mod:`tf_style.hub`) and then teaches Gatys et al.'s optimisation
(:func:`tf_style.optimize.stylize`). This module puts the two side by side on the same
content and style images: each is timed (model loading apart from stylising), both
outputs are scored with the same measures (:mod:`tf_style.metrics`), and a figure, a
JSON file and a Markdown table are written. ``python -m tf_style.compare`` is the
command; :func:`run_comparison` is the API the command and the notebooks call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tensorflow as tf

from tf_style.config import StyleTransferConfig

ImageLike = tf.Tensor | str | os.PathLike


@dataclass
class Comparison:
    """The outcome of :func:`run_comparison`.

    Images are float32 ``[1, H, W, 3]`` in [0, 1], all at the content image's size
    except ``style_image`` (loaded at ``config.max_dim``).

    Attributes:
        content_image: the content image both methods received.
        style_image: the style image both methods received (the fast model resizes
            its copy to 256x256, as the tutorial does).
        fast_image: the fast model's output, or None when it could not run.
        optimized_image: the optimisation's output.
        timings: seconds, ``{"fast_load", "fast_stylize", "optimization_load",
            "optimization_stylize"}``; the fast ones are None when it could not run.
            Loading (model files, VGG19) is kept apart from stylising.
        scores: ``{"content": ..., "fast": ..., "optimization": ...}``, each a
            :class:`tf_style.metrics.QualityScores` (lower is better) or None for a
            missing fast model; ``"content"`` scores the unchanged photo, a reference.
        paths: files written, ``{"figure", "json", "markdown", "fast_image",
            "optimized_image"}`` (no ``"fast_image"`` when the fast model is missing).
        fast_error: why the fast column is missing (one line), else None.
        fast_model: which fast model ran, e.g. ``"TF-Hub SavedModel <handle>"``.
        optimization_status: :attr:`tf_style.optimize.StylizeResult.status`.
        config: the optimisation settings used.
    """

    content_image: tf.Tensor
    style_image: tf.Tensor
    fast_image: tf.Tensor | None
    optimized_image: tf.Tensor
    timings: dict[str, float | None] = field(default_factory=dict)
    scores: dict[str, object] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    fast_error: str | None = None
    fast_model: str | None = None
    optimization_status: str = "completed"
    config: StyleTransferConfig | None = None


def run_comparison(
    content: ImageLike,
    style: ImageLike,
    output_dir: str | os.PathLike,
    config: StyleTransferConfig | None = None,
    *,
    hub_handle: str | os.PathLike | None = None,
    tflite_dir: str | os.PathLike | None = None,
    weights: str | os.PathLike | None = None,
    strength: float = 1.0,
    fast_model: object | None = None,
    extractor: object | None = None,
    callback: Callable[[object], None] | None = None,
) -> Comparison:
    """Stylise one pair with the fast model and with the optimisation; compare them.

    Both methods get the same content and style images, loaded at ``config.max_dim``.
    The fast model is tried first; if it cannot be loaded (offline with a URL handle,
    a broken file), the comparison goes on with the optimisation alone and
    ``fast_error`` says why, in one line that the figure and tables repeat.

    Args:
        content: content image, a path or float32 ``[1, H, W, 3]`` in [0, 1].
        style: style image, likewise.
        output_dir: where the figure, tables and images go (created if needed).
        config: optimisation settings; the tutorial's defaults when None.
        hub_handle: TF-Hub SavedModel: a URL handle, a local SavedModel directory or
            a downloaded ``.tar.gz`` of one. Default (with ``tflite_dir`` also None):
            the tutorial's handle, :data:`tf_style.hub.TUTORIAL_HUB_HANDLE`.
        tflite_dir: a directory with the TensorFlow Lite pair
            (``style_predict*.tflite`` and ``style_transfer*.tflite``) instead.
        weights: VGG19 weights file (see :func:`tf_style.weights.load_vgg19`).
        strength: style strength of the fast model in [0, 1] (TFLite only: the
            style bottleneck is blended with the content's own).
        fast_model: a loaded :class:`tf_style.hub.FastStylizer` to reuse (then
            ``hub_handle`` and ``tflite_dir`` are ignored).
        extractor: a ready :class:`tf_style.model.StyleContentModel` to reuse for the
            optimisation and the scores (saves rebuilding VGG19).
        callback: progress of the optimisation, as for :func:`tf_style.stylize`.

    Returns:
        A :class:`Comparison` with images, timings, scores and written paths.

    Raises:
        ImageError: an image cannot be read.
        ValueError: both ``hub_handle`` and ``tflite_dir`` given, or a bad strength.

    Example:
        >>> lite = "../shared/models/magenta_arbitrary_stylization"
        >>> quick = StyleTransferConfig(max_dim=256, epochs=2)
        >>> result = run_comparison("assets/chelsea.png", "assets/starry_night.jpg",
        ...                         "outputs/compare", quick, tflite_dir=lite)
        >>> result.timings["fast_stylize"], result.scores["fast"].style
    """
    raise NotImplementedError("run_comparison is being written (issue 5).")
