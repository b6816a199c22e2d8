"""A folder (or glob) of photos stylised in batches, resumably, under one bar.

The inputs are grouped by size after resizing to ``max_dim`` (or fitted and padded
to one size with ``sizing="common"``) and each group runs in batches through
:class:`~tf_style.batch.stylize_many.BatchTransfer`. The
:class:`~tf_style.batch.manifest.Manifest` records every input; a rerun skips what
is done. A file that cannot be read is recorded as failed, reported on stderr and
skipped, never stopping the others.

Ctrl-C keeps every finished image, and the current batch's images are written as
partial results (``.partial/<name>.png``) with the steps they had; the rerun starts
those from their partial image for the remaining steps. Adam's moment estimates are
not saved, so a resumed image is close to, not bit-identical with, an uninterrupted
one.
"""

from __future__ import annotations

import dataclasses
import glob
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.batch.loss import BatchStyleContentLoss
from tf_style.batch.manifest import Manifest, output_name
from tf_style.batch.stylize_many import BatchTransfer, pad_to
from tf_style.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tf_style.config import StyleTransferConfig
from tf_style.images import SAVE_FORMATS, load_image, resize, save_image
from tf_style.vgg.model import StyleContentModel

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
PARTIAL = ".partial"


def collect_inputs(spec: Path | str) -> list[Path]:
    """The image files of a folder (by suffix), or the files a glob matches; sorted."""
    spec = Path(spec)
    if spec.is_dir():
        files = [p for p in spec.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    else:
        files = [Path(p) for p in glob.glob(str(spec)) if Path(p).is_file()]
    return sorted(files)


def is_many(spec: Path | str | None, output: Path | None) -> bool:
    """Whether ``--content`` and ``--output`` ask for the many-image mode.

    ``--content`` must name a folder or a glob, and ``--output`` a folder (a path
    without an image suffix): a folder given alone stays the single-image
    command's "is a directory" error, as before.
    """
    if spec is None or output is None or output.suffix.lower() in SAVE_FORMATS:
        return False
    return Path(spec).is_dir() or any(c in str(spec) for c in "*?[")


@dataclasses.dataclass
class Job:
    """One input to stylise: its content, starting image and remaining steps."""

    source: Path
    name: str  # the output's file name (see tf_style.batch.plan)
    content: tf.Tensor
    start: tf.Tensor
    done_steps: int


def stylize_folder(
    inputs: Sequence[Path],
    styles: Sequence[tf.Tensor],
    output: Path,
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel,
    settings: dict,
    batch_size: int = 4,
    sizing: str = "group",
    strategy: tf.distribute.Strategy | None = None,
    quiet: bool = False,
    names: Mapping[Path, str] | None = None,
) -> int:
    """Stylise ``inputs`` into ``output``; returns the exit status (0 or 130).

    Args:
        inputs: image files.
        styles: float32 ``[1, H, W, 3]`` style images (blended by the config).
        output: the output folder (holds the results and ``manifest.json``).
        config: settings; Adam runs batched (L-BFGS is refused by the caller).
        extractor: the feature extractor.
        settings: what the manifest records as the settings outputs depend on.
        batch_size, sizing, strategy: see :func:`tf_style.batch.stylize_many`.
        quiet: no progress bar.
        names: each input's output file name (:func:`tf_style.batch.plan.plan_outputs`
            makes them distinct); ``<stem>.png`` by default.
    """
    manifest = Manifest(output, settings)
    names = names or {source: output_name(source) for source in inputs}
    jobs = load_jobs(inputs, output, config, manifest, sizing, names)
    manifest.save()
    total = config.total_steps
    bar = tqdm(
        total=len(jobs),
        unit="image",
        disable=quiet,
        file=sys.stderr,
        bar_format="{l_bar}{bar}| {n:.1f}/{total} images [{elapsed}<{remaining}]",
    )
    try:
        for group in batches(jobs, batch_size):
            run_batch(
                group, styles, config, extractor, strategy, manifest, output, bar, total
            )
    except KeyboardInterrupt:
        bar.close()
        print(
            f"interrupted: {summary(manifest, inputs)}; rerun to finish",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    bar.close()
    print(summary(manifest, inputs), file=sys.stderr)
    counts = manifest.counts(inputs)
    if counts["done"] == 0 and counts["failed"]:
        print("tf-style-train: error: no input could be stylised.", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def load_jobs(inputs, output, config, manifest, sizing, names) -> list[Job]:
    """Every input not yet done, loaded; unreadable ones recorded as failed."""
    jobs, common = [], None
    for source in inputs:
        entry = manifest.entry(source, output / names[source])
        if entry["status"] == "done":
            continue
        try:
            content = load_image(source, config.max_dim)
        except Exception as error:  # noqa: BLE001 - any bad file is skipped
            entry.update(status="failed", error=f"{type(error).__name__}: {error}")
            print(f"skipped {source}: {error}", file=sys.stderr)
            continue
        if sizing == "common":
            common = common or tuple(content.shape[1:3])
            content = pad_to(content, common)
        start, steps = content, 0
        partial = output / PARTIAL / names[source]
        if entry["status"] == "partial" and partial.is_file():
            start = resize(load_image(partial, None), content.shape[1:3])
            steps = int(entry.get("steps", 0))
        entry.update(status="pending" if steps == 0 else "partial", error=None)
        jobs.append(Job(source, names[source], content, start, steps))
    return jobs


def batches(jobs: Sequence[Job], batch_size: int) -> list[list[Job]]:
    """Jobs of one size and one step count, in input order, ``batch_size`` at most."""
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault((*job.content.shape[1:3], job.done_steps), []).append(job)
    return [
        g[i : i + batch_size]
        for g in groups.values()
        for i in range(0, len(g), batch_size)
    ]


def run_batch(group, styles, config, extractor, strategy, manifest, output, bar, total):
    """One batch to the end, or its partial results written on Ctrl-C."""
    contents = tf.concat([job.content for job in group], 0)
    loss = BatchStyleContentLoss(extractor, contents, styles, config)
    transfer = BatchTransfer(
        loss, tf.concat([job.start for job in group], 0), config, strategy=strategy
    )
    steps = total - group[0].done_steps
    progress = {"steps": 0}

    def on_step(step: int) -> None:
        progress["steps"] = step
        bar.update(len(group) / steps)

    try:
        history = transfer.run(steps, on_step)
    except KeyboardInterrupt:
        images = tf.convert_to_tensor(transfer.image)
        for b, job in enumerate(group):
            path = save_image(images[b : b + 1], output / PARTIAL / job.name)
            manifest.update(
                job.source,
                status="partial",
                partial=str(path),
                steps=job.done_steps + progress["steps"],
            )
        raise
    images = tf.convert_to_tensor(transfer.image)
    finite = len(history) == steps
    for b, job in enumerate(group):
        save_image(images[b : b + 1], output / job.name)
        manifest.update(
            job.source,
            status="done" if finite else "failed",
            steps=job.done_steps + len(history),
            partial=None,
            error=None if finite else "the loss became non-finite; last finite kept",
        )
        (output / PARTIAL / job.name).unlink(missing_ok=True)


def summary(manifest: Manifest, inputs: Sequence[Path]) -> str:
    """ "3 done, 1 failed": this run's inputs only (not older entries)."""
    counts = manifest.counts(inputs)
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n)


__all__ = ["collect_inputs", "is_many", "stylize_folder"]
