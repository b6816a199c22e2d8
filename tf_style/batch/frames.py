"""Frame sequences: numbered frames stylised in order, each from the previous result.

Starting frame ``t`` from stylised frame ``t - 1`` (and a fixed seed) is the cheap
route to temporal stability: the optimisation only has to follow what changed in the
photo, so strokes stay where they were instead of being re-invented every frame. No
optical flow is used. :func:`flicker` measures the result: the mean absolute
difference between consecutive output frames divided by that of the input frames
(1 means the stylised video flickers no more than the footage moves).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.artifacts import make_gif, write_json
from tf_style.batch.folder import IMAGE_SUFFIXES
from tf_style.batch.manifest import Manifest, output_name
from tf_style.cli import EXIT_INTERRUPTED, EXIT_OK
from tf_style.config import StyleTransferConfig
from tf_style.images import load_image, resize, save_image
from tf_style.optimize.stylize import stylize
from tf_style.vgg.model import StyleContentModel


def numbered_frames(folder: Path) -> list[Path]:
    """The images of ``folder`` in frame order (by the last number in the name)."""

    def number(path: Path) -> tuple[int, str]:
        digits = re.findall(r"\d+", path.stem)
        return (int(digits[-1]) if digits else -1, path.name)

    files = [p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=number)


def mean_step_difference(frames: Sequence[np.ndarray]) -> float:
    """Mean absolute difference between consecutive frames (same size, [0, 1])."""
    if len(frames) < 2:
        return 0.0
    return float(
        np.mean(
            [np.abs(b - a).mean() for a, b in zip(frames[:-1], frames[1:], strict=True)]
        )
    )


def flicker(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> dict:
    """Consecutive-frame difference of the outputs, of the inputs, and their ratio."""
    moved, flick = mean_step_difference(inputs), mean_step_difference(outputs)
    return {
        "input_mean_abs_difference": moved,
        "output_mean_abs_difference": flick,
        "ratio": flick / moved if moved > 0 else float("nan"),
    }


def stylize_frames(
    frames: Sequence[Path],
    styles: Sequence[tf.Tensor],
    output: Path,
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel,
    settings: dict,
    quiet: bool = False,
    names: Mapping[Path, str] | None = None,
) -> int:
    """Stylise ``frames`` in order into ``output``; flicker record and GIF at the end.

    Resumable through the manifest: done frames are skipped (their output starts the
    next frame). Ctrl-C keeps every finished frame; the interrupted frame restarts
    from the previous output on the rerun. Returns the exit status (0 or 130).
    """
    config = dataclasses.replace(config, seed=0 if config.seed is None else config.seed)
    manifest = Manifest(output, settings)
    names = names or {source: output_name(source) for source in frames}
    bar = tqdm(total=len(frames), unit="frame", disable=quiet, file=sys.stderr)
    previous = None
    for source in frames:
        target = output / names[source]
        entry = manifest.entry(source, target)
        content = load_image(source, config.max_dim)
        if entry["status"] != "done":
            init = None if previous is None else resize(previous, content.shape[1:3])
            result = stylize(
                content, styles, config, extractor=extractor, init_image=init
            )
            if result.status == "interrupted":
                manifest.save()
                bar.close()
                print("interrupted; rerun to finish the frames", file=sys.stderr)
                return EXIT_INTERRUPTED
            save_image(result.image, target)
            manifest.update(source, status="done", steps=config.total_steps)
        previous = load_image(target, None)
        bar.update(1)
    bar.close()
    write_report(frames, output, config, names)
    return EXIT_OK


def write_report(
    frames: Sequence[Path],
    output: Path,
    config,
    names: Mapping[Path, str] | None = None,
) -> dict:
    """``flicker.json`` and ``preview.gif`` of the stylised frames."""
    names = names or {source: output_name(source) for source in frames}
    outputs = [output / names[source] for source in frames]
    out = [load_image(p, None)[0].numpy() for p in outputs]
    size = out[0].shape[:2]
    inputs = [resize(load_image(p, config.max_dim), size)[0].numpy() for p in frames]
    record = flicker(inputs, out)
    write_json(record, output / "flicker.json")
    make_gif(outputs, output / "preview.gif", seconds_per_frame=0.1)
    print(
        f"flicker: outputs change {record['output_mean_abs_difference']:.4f} per "
        f"frame, inputs {record['input_mean_abs_difference']:.4f} "
        f"(ratio {record['ratio']:.2f}); preview {output / 'preview.gif'}",
        file=sys.stderr,
    )
    return record


__all__ = ["flicker", "numbered_frames", "stylize_frames", "write_report"]
