"""The frames mode of the training command: frames in order, each from the last.

Resumable through the manifest; the flicker record and preview GIF at the end. The
frame arithmetic (numbering, flicker) is library code in
:mod:`tf_style.batch.frames`.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.artifacts import make_gif, write_json
from tf_style.batch.frames import flicker
from tf_style.batch.manifest import Manifest, output_name
from tf_style.commands.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tf_style.config import StyleTransferConfig
from tf_style.images import load_image, resize, save_image
from tf_style.optimize import stylize
from tf_style.vgg.model import StyleContentModel


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
    next frame). A frame that cannot be read is skipped (the next starts from the
    last good one). Ctrl-C keeps every finished frame; the interrupted frame
    restarts from the previous output on the rerun. Returns the exit status (0, 2
    when no frame could be stylised, or 130).
    """
    config = dataclasses.replace(config, seed=0 if config.seed is None else config.seed)
    manifest = Manifest(output, settings)
    names = names or {source: output_name(source) for source in frames}
    bar = tqdm(total=len(frames), unit="frame", disable=quiet, file=sys.stderr)
    previous, kept = None, []
    for source in frames:
        target = output / names[source]
        try:
            entry = manifest.entry(source, target)
            content = load_image(source, config.max_dim)
        except Exception as error:  # noqa: BLE001 - a bad frame is skipped alone
            manifest.failed(source, target, error)
            manifest.save()
            print(f"skipped {source}: {error}", file=sys.stderr)
            bar.update(1)
            continue
        if entry["status"] == "done" and target.is_file():
            previous = load_image(target, None)
        else:
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
            previous = result.image
        kept.append(source)
        bar.update(1)
    bar.close()
    if not kept:
        print("tf-style-train: error: no frame could be stylised.", file=sys.stderr)
        return EXIT_USAGE
    write_report(kept, output, config, names)
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


__all__ = ["stylize_frames", "write_report"]
