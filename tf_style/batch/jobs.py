"""A folder's photos as jobs: loaded, grouped, stylised, written and recorded.

Each photo not yet done is loaded at ``max_dim`` (a file that cannot be read is
recorded as failed and skipped, never stopping the others). The optimisation runs
jobs of one size and one step count as one batch through the one pipeline,
:func:`tf_style.optimize.driver.stylize_batch`; a network paints each job in one
forward pass. Either way the result is written under the name the plan gave the
photo and recorded in the :class:`~tf_style.batch.manifest.Manifest` at once.

Ctrl-C keeps every finished image, and the current batch's images are written as
partial results (``.partial/<name>.png``) with the steps they had; the rerun starts
those from their partial image for the remaining steps, at full size. Adam's moment
estimates are not saved, so a resumed image is close to, not bit-identical with, an
uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

from tf_style.batch.manifest import Manifest
from tf_style.batch.prepare import Prepared
from tf_style.batch.results import OnProgress, ProgressEvent, is_disk_full
from tf_style.batch.stylize_many import pad_to
from tf_style.config import StyleTransferConfig
from tf_style.fast import fast_stylize
from tf_style.images.tensors import load_image, resize, save_image
from tf_style.optimize.driver import stylize_batch
from tf_style.optimize.recorder import StepReport, StylizeResult
from tf_style.paths.identity import OverwriteError, regular_file
from tf_style.regions import check_regions_fit
from tf_style.shapes import check_scaled_sizes

PARTIAL = ".partial"


@dataclasses.dataclass
class Job:
    """One input to stylise: its content, starting image and steps had."""

    source: Path
    name: str  # the output's file name, owned by this input (tf_style.batch.plan)
    index: int  # its place among the run's inputs, from 1
    content: tf.Tensor
    start: tf.Tensor | None  # a partial result to resume from, or None
    done_steps: int


def load_jobs(
    run: Prepared, manifest: Manifest, report: OnProgress, count: int
) -> list[Job]:
    """Every input not yet done, loaded; unreadable ones recorded as failed."""
    plan, config, steps = run.plan, run.config, run.request.steps
    jobs, common = [], None
    for index, item in enumerate(plan.inputs, start=1):
        name = plan.name(item.path)
        event = ProgressEvent("kept", index, count, item.path, name, steps, steps)
        try:
            entry = manifest.entry(name, item, steps)
            if entry["status"] == "done":
                report(event)
                continue
            if item.sha256 is None:
                regular_file(item.path, "input")  # says why it could not be read
            content = load_image(item.path, config.max_dim)
            check_scaled_sizes({"content": content.shape[1:3]}, config.scales)
            if run.request.many.sizing == "common":
                common = common or tuple(content.shape[1:3])
                content = pad_to(content, common)
            # Checked for the run from the headers; a file that decodes otherwise
            # fails alone here rather than stopping the batch.
            check_regions_fit(run.regions.regions, content.shape[1:3])
        except Exception as error:  # noqa: BLE001 - any bad file is skipped
            manifest.failed(name, item, error)
            failed = dataclasses.replace(event, kind="failed", step=0)
            report(dataclasses.replace(failed, message=str(error)))
            continue
        start, had = partial_start(plan.folder / PARTIAL / name, entry, content)
        entry.update(status="pending" if had == 0 else "partial", error=None)
        jobs.append(Job(item.path, name, index, content, start, had))
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


def optimise_batch(
    group: list[Job], run: Prepared, report: OnProgress, count: int
) -> list[StylizeResult]:
    """One batch through the one pipeline, reporting each image's steps."""
    config, done = run.config, group[0].done_steps
    run_config = config if done == 0 else resumed(config, config.total_steps - done)

    def on_step(step: StepReport) -> None:
        loss = step.losses.get("total")
        for job in group:
            report(
                ProgressEvent(
                    "step", job.index, count, job.source, job.name,
                    done + step.step, config.total_steps, loss,
                )
            )  # fmt: skip

    return stylize_batch(
        [job.content for job in group],
        run.styles,
        run_config,
        extractor=run.extractor,
        init_images=[job.start for job in group],
        callback=on_step,
        strategy=run.strategy,
        regions=run.regions.regions,
    )


def paint(job: Job, run: Prepared, report: OnProgress, count: int) -> StylizeResult:
    """One photo through the network: one forward pass, one step."""
    request = run.request
    image = fast_stylize(
        job.content, run.styles[0], model=request.model, strength=request.strength
    )
    report(ProgressEvent("step", job.index, count, job.source, job.name, 1, 1))
    return StylizeResult(image, history={})


def keep_results(
    group: list[Job],
    results: list[StylizeResult],
    steps: list[int],
    manifest: Manifest,
    report: OnProgress,
    total: tuple[int, int],
) -> None:
    """Write each result (or its partial image) and record it; an output that
    cannot be written fails alone, unless the disk is full.

    Args:
        steps: the steps each result has had.
        total: how many inputs the run has, and the steps each has when done.

    Raises:
        OSError: the disk is full (every later write would fail too).
        KeyboardInterrupt: the batch was interrupted (its partial images kept).
    """
    count, total_steps = total
    for job, result, had in zip(group, results, steps, strict=True):
        event = ProgressEvent(
            "done", job.index, count, job.source, job.name, had, total_steps
        )
        try:
            keep_result(job, result, had, manifest)
        except (OSError, OverwriteError) as error:
            if isinstance(error, OSError) and is_disk_full(error):
                raise
            reason = f"could not write it ({getattr(error, 'strerror', None) or error})"
            manifest.update(job.name, status="failed", error=reason)
            report(dataclasses.replace(event, kind="failed", message=reason))
            continue
        if result.status == "completed":
            report(event)
        elif result.status != "interrupted":
            report(dataclasses.replace(event, kind="failed", message=result.message))
    if any(result.status == "interrupted" for result in results):
        raise KeyboardInterrupt


def keep_result(job: Job, result: StylizeResult, steps: int, manifest: Manifest):
    """Write one result (or its partial image) and record it in the manifest."""
    output = manifest.folder
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


__all__ = [
    "PARTIAL",
    "Job",
    "batches",
    "keep_results",
    "load_jobs",
    "optimise_batch",
    "paint",
]
