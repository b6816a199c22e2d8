"""Comparison: what a fast-versus-optimisation comparison produced (and your network).

Its own module so that :mod:`~tf_style.evaluation.comparison` (which runs the two
methods) and :mod:`~tf_style.evaluation.report` (which writes them) both import it
and neither imports the other for a type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.evaluation.metrics import QualityScores


@dataclass
class Comparison:
    """The outcome of :func:`tf_style.evaluation.comparison.run_comparison`.

    Images are float32 ``[1, H, W, 3]`` in [0, 1], all at the content image's size
    except ``style_image`` (loaded at ``config.max_dim``).

    Attributes:
        content_image: the content image both methods received.
        style_image: the style image both methods received (the fast model resizes
            its copy to 256x256, as the tutorial does).
        fast_image: the fast model's output, or None when it could not run.
        optimized_image: the optimisation's output.
        timings: seconds, ``{"fast_load", "fast_stylize", "fast_stylize_warm",
            "optimization_load", "optimization_stylize"}``; the fast ones are None
            when it could not run. Loading (model files, VGG19) is kept apart from
            stylising; ``fast_stylize`` is the first call (with one-off set-up such
            as graph tracing), ``fast_stylize_warm`` a second, identical call.
            With your network, also ``"network_load"``, ``"network_stylize"`` and
            ``"network_stylize_warm"``, alike.
        scores: ``{"content": ..., "fast": ..., "optimization": ...}``, each a
            :class:`~tf_style.evaluation.metrics.QualityScores` (lower is better) or
            None for a missing fast model; ``"content"`` scores the unchanged
            photo, a reference. With your network, also ``"network"``.
        paths: files written, ``{"figure", "json", "markdown", "fast_image",
            "optimized_image"}`` (no ``"fast_image"`` when the fast model is missing),
            plus ``"network_image"`` when your network ran.
        fast_error: why the fast column is missing (one line), else None.
        fast_model: which fast model ran, e.g. ``"TF-Hub SavedModel <handle>"``.
        optimization_status: :attr:`tf_style.optimize.StylizeResult.status`
            (``completed``, ``interrupted`` or ``non_finite``), with its message.
        config: the optimisation settings used.
        strength: the fast model's style strength.
        inputs: ``{"content", "style"}``: the paths given (or a tensor's shape).
        vgg19_weights: where VGG19's weights came from (``weights_source``).
        network_image: your network's output, or None when none was asked for or
            it could not run.
        network_model: which network was asked for (its ``source``), else None.
        network_error: why your network's column is empty (one line), else None.
    """

    content_image: tf.Tensor
    style_image: tf.Tensor
    fast_image: tf.Tensor | None
    optimized_image: tf.Tensor
    timings: dict[str, float | None] = field(default_factory=dict)
    scores: dict[str, QualityScores | None] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    fast_error: str | None = None
    fast_model: str | None = None
    optimization_status: str = "completed"
    optimization_message: str = ""
    config: StyleTransferConfig | None = None
    strength: float = 1.0
    inputs: dict[str, str] = field(default_factory=dict)
    vgg19_weights: str = ""
    network_image: tf.Tensor | None = None
    network_model: str | None = None
    network_error: str | None = None

    @property
    def has_network(self) -> bool:
        """Whether a network of your own was asked for (it may still have failed)."""
        return self.network_model is not None or self.network_error is not None


__all__ = ["Comparison"]
