"""A folder (or glob) of photos stylised in batches, resumably, under one bar.

The inputs are grouped by size after resizing to ``max_dim`` (or fitted and padded
to one size with ``sizing="common"``) and each group runs through the one pipeline,
:func:`tf_style.optimize.driver.stylize_batch`, so every option means what it means
for one image. The
:class:`~tf_style.batch.manifest.Manifest` records every input; a rerun skips what
is done. A file that cannot be read is recorded as failed, reported on stderr and
skipped, never stopping the others.

Ctrl-C keeps every finished image, and the current batch's images are written as
partial results (``.partial/<name>.png``) with the steps they had; the rerun starts
those from their partial image for the remaining steps, at full size. Adam's moment
estimates are not saved, so a resumed image is close to, not bit-identical with, an
uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.batch.manifest import Manifest
from tf_style.batch.plan import OutputPlan
from tf_style.batch.stylize_many import pad_to
from tf_style.commands.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tf_style.commands.preflight import is_disk_full
from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import load_image, resize, save_image
from tf_style.optimize.driver import stylize_batch
from tf_style.optimize.recorder import StepReport
from tf_style.paths.identity import OverwriteError, regular_file
from tf_style.shapes import check_scaled_sizes
from tf_style.vgg.model import StyleContentModel

PARTIAL = ".partial"


@dataclasses.dataclass
class Job:
    """One input to stylise: its content, starting image and remaining steps."""

    source: Path
    name: str  # the output's file name, owned by this input (tf_style.batch.plan)
    content: tf.Tensor
    start: tf.Tensor | None  # a partial result to resume from, or None
    done_steps: int


def stylize_folder(
    plan: OutputPlan,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel,
    settings: dict,
    batch_size: int = 4,
    sizing: str = "group",
    strategy: tf.distribute.Strategy | None = None,
    quiet: bool = False,
) -> int:
    """Stylise the plan's inputs into its folder; returns the exit status.

    Args:
        plan: the inputs and the output each owns
            (:func:`tf_style.batch.plan.plan_outputs`).
        styles: float32 ``[1, H, W, 3]`` style images (blended by the config).
        config: settings, every one honoured as for one image.
        extractor: the feature extractor.
        settings: what the manifest records as the settings outputs depend on.
        batch_size, sizing, strategy: see :func:`tf_style.batch.stylize_many`.
        quiet: no progress bar.

    Returns:
        0 when every input is done; 1 when some failed (named on stderr) or the
        disk filled up (the run stops there); 2 when none could be stylised; 130
        when interrupted.
    """
    output = plan.folder
    manifest = Manifest(output, settings)
    names = [plan.name(item.path) for item in plan.inputs]
    jobs = load_jobs(plan, config, manifest, sizing)
    bar = tqdm(
        total=len(jobs),
        unit="image",
        disable=quiet,
        file=sys.stderr,
        bar_format="{l_bar}{bar}| {n:.1f}/{total} images [{elapsed}<{remaining}]",
    )
    try:
        manifest.save()
        for group in batches(jobs, batch_size):
            run_batch(group, styles, config, extractor, strategy, manifest, output, bar)
    except KeyboardInterrupt:
        bar.close()
        print(
            f"interrupted: {summary(manifest, names)}; rerun to finish",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except (OSError, OverwriteError) as error:  # a full disk, a folder made read-only
        bar.close()
        where = getattr(error, "filename", None) or output
        why = getattr(error, "strerror", None) or error
        reason = (
            f"the disk is full ({where})"
            if isinstance(error, OSError) and is_disk_full(error)
            else f"could not write {where} ({why})"
        )
        print(
            f"tf-style-train: error: {reason}; {summary(manifest, names)}. "
            "Rerun to finish once it can be written.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    bar.close()
    print(summary(manifest, names), file=sys.stderr)
    counts = manifest.counts(names)
    if counts["done"] == 0 and counts["failed"]:
        print("tf-style-train: error: no input could be stylised.", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if counts["failed"] else EXIT_OK


def load_jobs(
    plan: OutputPlan, config: StyleTransferConfig, manifest: Manifest, sizing: str
) -> list[Job]:
    """Every input not yet done, loaded; unreadable ones recorded as failed."""
    jobs, common = [], None
    for item in plan.inputs:
        name = plan.name(item.path)
        try:
            entry = manifest.entry(name, item, config.total_steps)
            if entry["status"] == "done":
                continue
            if item.sha256 is None:
                regular_file(item.path, "input")  # says why it could not be read
            content = load_image(item.path, config.max_dim)
            check_scaled_sizes({"content": content.shape[1:3]}, config.scales)
        except Exception as error:  # noqa: BLE001 - any bad file is skipped
            manifest.failed(name, item, error)
            print(f"skipped {item.path}: {error}", file=sys.stderr)
            continue
        if sizing == "common":
            common = common or tuple(content.shape[1:3])
            content = pad_to(content, common)
        start, steps = partial_start(plan.folder / PARTIAL / name, entry, content)
        entry.update(status="pending" if steps == 0 else "partial", error=None)
        jobs.append(Job(item.path, name, content, start, steps))
    return jobs


def partial_start(
    partial: Path, entry: dict, content: tf.Tensor
) -> tuple[tf.Tensor | None, int]:
    """An interrupted image to go on from, and its steps (None, 0: start over).

    The partial file is only a cache of this run's own: one that is missing, not a
    regular file, unreadable or of another size is ignored.
    """
    if entry["status"] != "partial":
        return None, 0
    try:
        regular_file(partial, "partial image")
        start = resize(load_image(partial, None), content.shape[1:3])
    except Exception:  # noqa: BLE001 - any fault: the image starts over
        return None, 0
    return start, int(entry.get("steps", 0))


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


def run_batch(group, styles, config, extractor, strategy, manifest, output, bar):
    """One batch through the pipeline, or its partial results written on Ctrl-C."""
    done = group[0].done_steps
    run_config = config if done == 0 else resumed(config, config.total_steps - done)

    def on_step(report: StepReport) -> None:
        bar.update(len(group) / report.total_steps)

    results = stylize_batch(
        [job.content for job in group],
        styles,
        run_config,
        extractor=extractor,
        init_images=[job.start for job in group],
        callback=on_step,
        strategy=strategy,
    )
    for job, result in zip(group, results, strict=True):
        try:
            keep_result(job, result, done, manifest, output)
        except (OSError, OverwriteError) as error:
            if isinstance(error, OSError) and is_disk_full(error):
                raise  # every later write would fail too: the run stops here
            reason = f"could not write it ({getattr(error, 'strerror', None) or error})"
            print(f"skipped {job.source}: {reason}", file=sys.stderr)
            manifest.update(job.name, status="failed", error=reason)
    if any(result.status == "interrupted" for result in results):
        raise KeyboardInterrupt


def keep_result(job: Job, result, done: int, manifest: Manifest, output: Path) -> None:
    """Write one result (or its partial image) and record it in the manifest."""
    steps = done + len(result.history["total"])
    if result.status == "interrupted":
        path = save_image(result.image, output / PARTIAL / job.name)
        manifest.update(job.name, status="partial", partial=str(path), steps=steps)
        return
    save_image(result.image, output / job.name)
    finite = result.status == "completed"
    manifest.update(
        job.name,
        status="done" if finite else "failed",
        steps=steps,
        partial=None,
        error=None if finite else result.message,
    )
    (output / PARTIAL / job.name).unlink(missing_ok=True)


def resumed(config: StyleTransferConfig, steps: int) -> StyleTransferConfig:
    """The settings that finish a partial image: its remaining ``steps`` at full
    size, from the partial image itself (no noise added)."""
    return dataclasses.replace(
        config, scales=(1.0,), scale_steps=(steps,), init_noise_ratio=0.0
    )


def summary(manifest: Manifest, names: Sequence[str]) -> str:
    """ "3 done, 1 failed": this run's outputs only (not older entries); an output
    counts as done only while its file is there."""
    counts = manifest.counts(names)
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n)


__all__ = ["PARTIAL", "stylize_folder"]
