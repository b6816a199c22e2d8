"""Writing a comparison: the images, a figure, a JSON file and a Markdown table.

Your network (when one was compared) gets the fast model's treatment everywhere: its
image, a JSON section, a table column and a figure panel, between the fast model's and
the optimisation's.

Kept apart from :mod:`~tf_style.evaluation.comparison` (which runs the two methods)
so the notebook can redraw a figure or a table from a
:class:`~tf_style.evaluation.outcome.Comparison` it holds.
Every file is written atomically: an interrupted run never leaves half a file.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

from tf_style.artifacts import write_json
from tf_style.config import StyleTransferConfig
from tf_style.device import describe_device
from tf_style.evaluation.metrics import MEASURES, QualityScores
from tf_style.evaluation.outcome import Comparison
from tf_style.fast.base import STYLE_SIZE
from tf_style.images.tensors import save_image
from tf_style.losses import LOSS_TERMS, TERMS
from tf_style.paths.atomic import atomic_write
from tf_style.plotting import Panel, save_figure, side_by_side

FILES = {
    "figure": "comparison.png",
    "json": "comparison.json",
    "markdown": "comparison.md",
    "fast_image": "fast.png",
    "network_image": "network.png",
    "optimized_image": "optimization.png",
}
MEASURE_NAMES = {term.name: term.label for term in TERMS if term.name in LOSS_TERMS}


def write_outputs(comparison: Comparison, output_dir: Path) -> dict[str, Path]:
    """Write the images, the figure, the JSON and the Markdown table.

    Returns:
        The paths written, keyed as :data:`FILES` (no ``fast_image`` when the fast
        model is missing, no ``network_image`` without your network's image; a
        stale one from an earlier run is removed).
    """
    paths = {key: output_dir / name for key, name in FILES.items()}
    for key, image in (
        ("fast_image", comparison.fast_image),
        ("network_image", comparison.network_image),
    ):
        if image is None:
            del paths[key]
            (output_dir / FILES[key]).unlink(missing_ok=True)  # a stale one
        else:
            save_image(image, paths[key])
    save_image(comparison.optimized_image, paths["optimized_image"])
    report = comparison_report(comparison, paths)
    write_json(report, paths["json"])
    with atomic_write(paths["markdown"]) as handle:
        handle.write(markdown_table(comparison).encode())
    figure = comparison_figure(comparison)
    save_figure(figure, paths["figure"])
    return paths


def comparison_report(
    comparison: Comparison, paths: dict[str, Path]
) -> dict[str, object]:
    """Everything needed to read the numbers later, as plain JSON values."""
    config = comparison.config or StyleTransferConfig()
    timings = comparison.timings
    scores = comparison.scores
    report = {
        "measures": "distances computed with the tutorial's loss terms (VGG19); "
        "lower is better",
        "device": describe_device(),
        "content": comparison.inputs.get("content"),
        "style": comparison.inputs.get("style"),
        "size": list(comparison.content_image.shape[1:3]),
        "content_reference": {"scores": as_dict(scores.get("content"))},
        "fast": one_pass_report(
            comparison, paths, "fast", comparison.fast_model, comparison.fast_error
        ),
    }
    if comparison.has_network:
        # Full strength: strength blends the fast model only.
        report["network"] = one_pass_report(
            comparison,
            paths,
            "network",
            comparison.network_model,
            comparison.network_error,
            strength=1.0,
        )
    return report | {
        "optimization": {
            "method": f"{config.optimizer}, {config.total_steps} steps",
            "status": comparison.optimization_status,
            "message": comparison.optimization_message,
            "vgg19_weights": comparison.vgg19_weights,
            "seconds": {
                "load": timings.get("optimization_load"),
                "stylize": timings.get("optimization_stylize"),
            },
            "scores": as_dict(scores.get("optimization")),
            "image": paths["optimized_image"].name,
        },
        "config": config.to_dict(),
    }


def one_pass_report(
    comparison: Comparison,
    paths: dict[str, Path],
    role: str,
    model: str | None,
    error: str | None,
    *,
    strength: float | None = None,
) -> dict[str, object]:
    """The JSON section of a one-pass model: ``role`` is ``"fast"`` or ``"network"``."""
    timings, image = comparison.timings, f"{role}_image"
    return {
        "model": model,
        "error": error,
        "strength": comparison.strength if strength is None else strength,
        "seconds": {
            "load": timings.get(f"{role}_load"),
            "stylize": timings.get(f"{role}_stylize"),
            "stylize_warm": timings.get(f"{role}_stylize_warm"),
        },
        "scores": as_dict(comparison.scores.get(role)),
        "image": paths[image].name if image in paths else None,
    }


def as_dict(scores: QualityScores | None) -> dict[str, float] | None:
    return None if scores is None else scores.to_dict()


def markdown_table(comparison: Comparison) -> str:
    """A table of timings and measures, one column per image, plus any missing
    model's reason."""
    config = comparison.config or StyleTransferConfig()
    timings, scores = comparison.timings, comparison.scores
    # (header, method, load, stylise, scores), one per column.
    columns = [
        ("content", "content photo (reference)", "", "", scores.get("content")),
        one_pass_column(comparison, "fast", "fast model", comparison.fast_model),
    ]
    if comparison.has_network:
        columns.append(
            one_pass_column(
                comparison, "network", "your network", comparison.network_model
            )
        )
    columns.append(
        (
            "optimisation",
            method_name(config),
            seconds(timings.get("optimization_load")),
            seconds(timings.get("optimization_stylize")),
            scores.get("optimization"),
        )
    )
    headers, names, loads, stylises, column_scores = zip(*columns, strict=True)
    rows = [("method", *names), ("load (s)", *loads), ("stylise (s)", *stylises)]
    for measure in MEASURES:
        rows.append(
            (
                f"{MEASURE_NAMES[measure]} ↓",
                *(number(each, measure) for each in column_scores),
            )
        )
    header = "| | " + " | ".join(headers) + " |\n|---" + "|---" * len(headers) + "|\n"
    lines = [header + "\n".join("| " + " | ".join(row) + " |" for row in rows)]
    lines.append(
        "\nMeasures are the tutorial's loss terms (VGG19; see "
        "tf_style.evaluation.metrics): "
        "lower is better. The optimisation minimises exactly these, so it is "
        "expected to score lower; judge the pictures too."
    )
    if comparison.fast_error:
        lines.append(f"\n**Fast model missing:** {comparison.fast_error}")
    if comparison.network_error:
        lines.append(f"\n**Your network missing:** {comparison.network_error}")
    return "\n".join(lines) + "\n"


def one_pass_column(
    comparison: Comparison, role: str, header: str, model: str | None
) -> tuple[str, str, str, str, QualityScores | None]:
    """The table column of a one-pass model: ``role`` is ``"fast"`` or
    ``"network"``."""
    timings = comparison.timings
    return (
        header,
        model or header,
        seconds(timings.get(f"{role}_load")),
        seconds(timings.get(f"{role}_stylize"))
        + warm_note(timings.get(f"{role}_stylize_warm")),
        comparison.scores.get(role),
    )


def method_name(config: StyleTransferConfig) -> str:
    """E.g. "optimisation (adam, 200 steps)"."""
    return f"optimisation ({config.optimizer}, {config.total_steps} steps)"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def warm_note(value: float | None) -> str:
    return "" if value is None else f" (warm: {value:.2f})"


def number(scores: QualityScores | None, measure: str) -> str:
    """Scores span 0 to about 10^10: three or four significant digits at any size."""
    if scores is None:
        return "–"
    value = getattr(scores, measure)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if abs(value) >= 1e4:
        return f"{value:.3g}".replace("e+0", "e").replace("e+", "e")
    return f"{value:.4g}"


def comparison_figure(comparison: Comparison) -> Figure:
    """content | style | fast model | (your network) | optimisation, numbers under
    each."""
    timings, scores = comparison.timings, comparison.scores
    config = comparison.config or StyleTransferConfig()
    panels = [
        Panel("content", comparison.content_image, caption(scores.get("content"))),
        Panel(
            "style",
            comparison.style_image,
            "(resized to {}x{} for the fast model)".format(*STYLE_SIZE),
        ),
        one_pass_panel(
            comparison,
            "fast",
            short_fast_name(comparison.fast_model),
            comparison.fast_image,
            comparison.fast_error,
        ),
    ]
    if comparison.has_network:
        panels.append(
            one_pass_panel(
                comparison,
                "network",
                "your network",
                comparison.network_image,
                comparison.network_error,
            )
        )
    panels.append(
        Panel(
            method_name(config),
            comparison.optimized_image,
            caption(
                scores.get("optimization"),
                timings.get("optimization_load"),
                timings.get("optimization_stylize"),
            ),
        )
    )
    return side_by_side(
        panels, title="numbers: the tutorial's loss terms (VGG19), lower is better"
    )


def one_pass_panel(
    comparison: Comparison, role: str, title: str, image, error: str | None
) -> Panel:
    """A one-pass model's panel (``role`` ``"fast"`` or ``"network"``): its numbers
    under the image, or in its place why there is none."""
    if image is None:
        return Panel(title, None, error or f"{title} not run")
    timings = comparison.timings
    numbers = caption(
        comparison.scores.get(role),
        timings.get(f"{role}_load"),
        timings.get(f"{role}_stylize"),
    )
    return Panel(title, image, numbers)


def short_fast_name(source: str | None) -> str:
    if source and source.startswith("TensorFlow Lite"):
        return "fast model (TFLite)"
    if source and source.startswith("TF-Hub"):
        return "fast model (TF-Hub)"
    return "fast model"


def caption(
    scores: QualityScores | None,
    load: float | None = None,
    stylize_seconds: float | None = None,
) -> str:
    """The numbers shown under an image."""
    lines = []
    if load is not None and stylize_seconds is not None:
        lines.append(f"{'load':<10}{load:>9.2f} s")
        lines.append(f"{'stylise':<10}{stylize_seconds:>9.2f} s")
    if scores is not None:
        for measure in MEASURES:
            lines.append(f"{measure:<10}{number(scores, measure):>9}  ")
    return "\n".join(lines)
