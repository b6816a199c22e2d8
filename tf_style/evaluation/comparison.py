"""Fast model against optimisation: run both on one pair, time, score, and show them.

The tutorial opens with Magenta's arbitrary-image-stylization network (one forward
pass, :mod:`tf_style.fast`) and then teaches Gatys et al.'s optimisation
(:func:`tf_style.optimize.stylize`). This module puts the two side by side on the same
content and style images: each is timed (model loading apart from stylising), both
outputs are scored with the same measures (:mod:`~tf_style.evaluation.metrics`), and
a figure, a JSON file and a Markdown table are written
(:mod:`~tf_style.evaluation.report`). A network trained with :mod:`tf_style.fit` can
join as a third method: it loads and runs as the fast model does (:func:`run_fast`).
:func:`run_comparison` is the API that the command ``python -m tf_style.compare``
(:mod:`tf_style.compare`) and the notebooks call.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.errors import one_line
from tf_style.evaluation.metrics import QualityMeasures
from tf_style.evaluation.outcome import Comparison
from tf_style.evaluation.report import write_outputs
from tf_style.fast import (
    TUTORIAL_HUB_HANDLE,
    FastModelError,
    FastStylizer,
    check_strength,
    load_fast_model,
)
from tf_style.images.tensors import ImageLike
from tf_style.optimize import StepReport, as_image, stylize
from tf_style.vgg.model import StyleContentModel, extractor_for


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
    fast_model: FastStylizer | None = None,
    extractor: StyleContentModel | None = None,
    callback: Callable[[StepReport], None] | None = None,
    input_names: dict[str, str] | None = None,
    network: str | os.PathLike | None = None,
    network_model: FastStylizer | None = None,
) -> Comparison:
    """Stylise one pair with the fast model and with the optimisation; compare them.

    Every method gets the same content and style images, loaded at ``config.max_dim``.
    The fast model is tried first; if it cannot be loaded (offline with a URL handle,
    a broken file), the comparison goes on with the optimisation alone and
    ``fast_error`` says why, in one line that the figure and tables repeat.
    A network of your own (``network`` or ``network_model``) runs next, through the
    same code as the fast model, with ``network_error`` in the same role.

    Args:
        content: content image, a path or float32 ``[1, H, W, 3]`` in [0, 1].
        style: style image, likewise.
        output_dir: where the figure, tables and images go (created if needed).
        config: optimisation settings; the tutorial's defaults when None.
        hub_handle: TF-Hub SavedModel: a URL handle, a local SavedModel directory or
            a downloaded ``.tar.gz`` of one. Default (with ``tflite_dir`` also None):
            the tutorial's handle, :data:`tf_style.fast.TUTORIAL_HUB_HANDLE`.
        tflite_dir: a directory with the TensorFlow Lite pair
            (``style_predict*.tflite`` and ``style_transfer*.tflite``) instead.
        weights: VGG19 weights file (see :func:`tf_style.vgg.weights.load_vgg19`).
        strength: style strength of the fast model in [0, 1] (TFLite only: the
            style bottleneck is blended with the content's own). Your network
            always runs at full strength, as it was trained.
        fast_model: a loaded :class:`tf_style.fast.FastStylizer` to reuse (then
            ``hub_handle`` and ``tflite_dir`` are ignored).
        extractor: a ready :class:`~tf_style.vgg.model.StyleContentModel` to reuse
            for the optimisation and the scores (saves rebuilding VGG19).
        callback: progress of the optimisation, as for :func:`tf_style.stylize`.
        input_names: ``{"content", "style"}`` to record for tensors loaded by the
            caller from files (the command decodes each file once, to check it).
        network: a network trained with :mod:`tf_style.fit`: the folder
            :func:`~tf_style.fit.export.export_network` wrote, or its
            ``saved_model/`` folder; loaded with
            ``load_fast_model(hub_handle=network)``. None (default): no third column.
        network_model: that network already loaded, a
            :class:`tf_style.fast.FastStylizer` (then ``network`` is ignored).

    Returns:
        A :class:`Comparison` with images, timings, scores and written paths.

    Raises:
        ImageError: an image cannot be read.
        ValueError: both ``hub_handle`` and ``tflite_dir`` given, or a bad strength.

    Example:
        >>> lite = "models/magenta"  # the TensorFlow Lite pair, downloaded
        >>> quick = StyleTransferConfig(max_dim=256, epochs=2)
        >>> result = run_comparison("photo.jpg", "painting.jpg",
        ...                         "outputs/compare", quick, tflite_dir=lite)
        >>> result.timings["fast_stylize"], result.scores["fast"].style
    """
    config = config or StyleTransferConfig()
    # Checked here, before minutes of optimisation; the loaded model checks again.
    check_strength(
        strength,
        supported=tflite_dir is not None
        or (fast_model is not None and fast_model.supports_strength),
        source="the SavedModel" if fast_model is None else fast_model.source,
    )
    output_dir = Path(output_dir)  # created when the first file is written
    content_image = as_image(content, config.max_dim, "content")
    style_image = as_image(style, config.max_dim, "style")
    fast = run_fast(
        content_image,
        style_image,
        model=fast_model,
        hub_handle=hub_handle,
        tflite_dir=tflite_dir,
        strength=strength,
    )
    yours = None
    if network is not None or network_model is not None:
        yours = run_fast(
            content_image,
            style_image,
            model=network_model,
            hub_handle=network,
            tflite_dir=None,
            strength=1.0,
            role="network",
        )
    started = time.perf_counter()
    extractor = extractor_for(config, extractor=extractor, weights=weights)
    optimization_load = time.perf_counter() - started
    result = stylize(
        content_image, style_image, config, extractor=extractor, callback=callback
    )
    measures = QualityMeasures(content_image, style_image, config, extractor=extractor)
    comparison = Comparison(
        content_image=content_image,
        style_image=style_image,
        fast_image=fast.image,
        optimized_image=result.image,
        timings={
            **fast.timings,
            "optimization_load": optimization_load,
            "optimization_stylize": result.seconds,
        },
        scores={
            "content": measures(content_image),
            "fast": None if fast.image is None else measures(fast.image),
            "optimization": measures(result.image),
        },
        fast_error=fast.error,
        fast_model=fast.source,
        optimization_status=result.status,
        optimization_message=result.message,
        config=config,
        strength=strength,
        inputs=input_names
        or {"content": describe_input(content), "style": describe_input(style)},
        vgg19_weights=extractor.weights_source,
    )
    if yours is not None:
        add_network(comparison, yours, measures)
    comparison.paths = write_outputs(comparison, output_dir)
    return comparison


def add_network(
    comparison: Comparison, run: FastRun, measures: QualityMeasures
) -> None:
    """Put your network's image, timings, scores and source into ``comparison``."""
    comparison.network_image = run.image
    comparison.network_model = run.source
    comparison.network_error = run.error
    comparison.timings.update(run.timings)
    comparison.scores["network"] = None if run.image is None else measures(run.image)


@dataclass
class FastRun:
    """A one-pass model's outcome: an image and timings, or why there are none."""

    image: tf.Tensor | None
    timings: dict[str, float | None]
    source: str | None
    error: str | None = None


def run_fast(
    content_image: tf.Tensor,
    style_image: tf.Tensor,
    *,
    model: FastStylizer | None,
    hub_handle: str | os.PathLike | None,
    tflite_dir: str | os.PathLike | None,
    strength: float,
    role: str = "fast",
) -> FastRun:
    """Load (unless given) and run a one-pass model twice, timing each part.

    The fast model (``role="fast"``) and your own network (``role="network"``: a
    :mod:`tf_style.fit` folder as ``hub_handle``) both go through here. A model
    that cannot be loaded or run is not fatal: the returned ``error`` says why, and
    the comparison goes on without that column.

    Args:
        role: the timings' prefix: ``{role}_load``, ``{role}_stylize`` (first call)
            and ``{role}_stylize_warm`` (a second, identical call).

    Raises:
        ValueError: both handles given, or a strength the model cannot apply.
    """
    keys = [f"{role}_{part}" for part in ("load", "stylize", "stylize_warm")]
    timings: dict[str, float | None] = dict.fromkeys(keys)
    source = describe_fast_choice(hub_handle, tflite_dir)
    try:
        if model is None:
            if role == "network":
                check_network_folder(hub_handle)
            model = load_fast_model(hub_handle=hub_handle, tflite_dir=tflite_dir)
    except FastModelError as error:  # ours: it ends with its fix, so keep it whole
        return FastRun(None, timings, source, one_line(error, max_length=None))
    # The user's mistake, not the model's: raise rather than leave the column empty.
    check_strength(strength, supported=model.supports_strength, source=model.source)
    timings[keys[0]] = model.load_seconds
    try:
        for key in keys[1:]:
            started = time.perf_counter()
            image = model(content_image, style_image, strength=strength)
            timings[key] = time.perf_counter() - started
    except (tf.errors.OpError, TypeError, ValueError) as error:
        # A SavedModel with another signature, a TFLite runtime error, ...
        reason = f"{model.source} failed while stylising ({one_line(error)})"
        return FastRun(None, dict.fromkeys(timings), model.source, reason)
    return FastRun(image, timings, model.source)


def check_network_folder(network: str | os.PathLike | None) -> None:
    """Say plainly that a network folder is missing.

    Loading it as a TF-Hub handle would, but with advice about offline copies of
    the tutorial's model, which does not apply to a network you trained.

    Raises:
        FastModelError: ``network`` is not a folder.
    """
    if network is None or not Path(network).is_dir():
        raise FastModelError(
            f"{network}: no such folder; give the folder tf-style-fit wrote (or its "
            "saved_model/ folder)."
        )


def describe_fast_choice(
    hub_handle: str | os.PathLike | None, tflite_dir: str | os.PathLike | None
) -> str:
    """What was asked for, for reports written when loading failed."""
    if tflite_dir is not None:
        return f"TensorFlow Lite pair in {tflite_dir}"
    return f"TF-Hub SavedModel {hub_handle or TUTORIAL_HUB_HANDLE}"


def describe_input(image: ImageLike) -> str:
    """A path as given, or the shape of a tensor."""
    if isinstance(image, (str, os.PathLike)):
        return str(image)
    return f"tensor {list(tf.convert_to_tensor(image).shape)}"
