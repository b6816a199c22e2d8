"""stylize_folder(): a folder (or glob) of photos, resumably, into an output folder.

The library face of ``tf-style-train --content DIR --output DIR``: the same checks
before anything is made (:mod:`tf_style.batch.prepare`), the same manifest, names
and files, so a run started from Python is finished by the command and the other
way round. It never prints: it reports through ``on_progress`` and returns a
:class:`~tf_style.batch.results.FolderResult`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from tf_style.batch.jobs import batches, keep_results, load_jobs, optimise_batch, paint
from tf_style.batch.manifest import Manifest
from tf_style.batch.plan import OutputPlan
from tf_style.batch.prepare import Prepared, open_run, start_event
from tf_style.batch.results import (
    FolderResult,
    OnProgress,
    OutputWriteError,
    ProgressEvent,
    RunInterrupted,
    collect_records,
    reporter,
    write_reason,
)
from tf_style.batch.settings import make_request
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import ManyImagesConfig
from tf_style.fast.base import FastStylizer
from tf_style.paths.identity import OverwriteError
from tf_style.regions import Region
from tf_style.vgg.model import StyleContentModel

PathLike = str | os.PathLike


def stylize_folder(
    photos: PathLike,
    style: PathLike | Sequence[PathLike] | None = None,
    config: StyleTransferConfig | None = None,
    *,
    output: PathLike,
    many: ManyImagesConfig | None = None,
    model: FastStylizer | None = None,
    weights: PathLike | None = None,
    strength: float = 1.0,
    on_progress: OnProgress | None = None,
    extractor: StyleContentModel | None = None,
    regions: Sequence[Region] = (),
) -> FolderResult:
    """Stylise every photo of a folder or glob into ``output``, resuming a run there.

    By optimisation (Gatys et al., as :func:`tf_style.stylize`: every setting of
    ``config`` means what it means for one image; photos of one size are optimised
    together, ``many.batch_size`` at a time) or, with ``model``, by a network's one
    forward pass per photo. ``output/manifest.json`` records each photo's output,
    owner and status: a rerun does only what is missing, redoes what changed (a
    photo, a style, a setting) and never replaces a result it did not make.

    Args:
        photos: a folder (its images) or a glob (``"shoot/*.jpg"``).
        style: the style image, or several blended by ``config.style_blend``;
            with ``regions``, what they leave uncovered (None: the photo there).
        config: the optimisation's settings (the tutorial's when None); with a
            model only ``max_dim`` applies.
        output: the output folder (made if missing).
        many: grouping and sharing of the photos (the defaults when None).
        model: a network from :func:`tf_style.fast.load_network` (or
            :func:`~tf_style.fast.load_fast_model`): one pass per photo.
        weights: VGG19's weights file (default: the usual sources).
        strength: a network's style strength in [0, 1].
        on_progress: called with a :class:`~tf_style.batch.ProgressEvent` for the
            model, every step of every photo, and each photo done, failed or
            kept from an earlier run.
        extractor: a ready VGG19 extractor with the config's layers (saves
            loading VGG19 again).
        regions: several styles, each in its own region
            (:class:`tf_style.Region`, files only); every photo shares the masks,
            so each must have their shape (see :mod:`tf_style.batch.regions`).

    Returns:
        The outputs, their manifest records and the failures (a photo that cannot
        be read, or whose loss became non-finite, fails alone).

    Raises:
        RunRefused: refused before anything was made (the message says why: an
            option the mode cannot honour, an output that would replace an input,
            another run's lock, another model's folder, no photos, too large, a
            photo of another shape than the regions' masks).
        ImageError: a style image that cannot be read.
        OutputWriteError: a write failed (a full disk) and the run stopped;
            ``error.result`` holds what was done.
        RunInterrupted: Ctrl-C (a ``KeyboardInterrupt``); finished photos and
            partial ones are recorded, so the same call goes on from there.

    Example:
        >>> result = stylize_folder("holiday/", "starry.jpg", output="styled/",
        ...                         config=StyleTransferConfig(max_dim=256))
        >>> result.summary()
        '12 done'
    """
    request = make_request(
        photos, style, config,
        output=output, many=many, model=model, weights=weights,
        strength=strength, extractor=extractor, regions=regions,
    )  # fmt: skip
    with contextlib.ExitStack() as held_open:
        run = open_run(request, held_open)
        return run_folder(run, reporter(on_progress))


def run_folder(run: Prepared, report: OnProgress) -> FolderResult:
    """The photos of a prepared run, each written and recorded as it finishes."""
    plan, request = run.plan, run.request
    manifest = Manifest(plan.folder, run.settings)
    count = len(plan.inputs)
    for path, first in plan.duplicates.items():
        same = f"the same file as {first}"
        report(ProgressEvent("skipped", 0, count, path, message=same))
    try:
        jobs = load_jobs(run, manifest, report, count)
        manifest.save()
        report(start_event(run, count))
        stylize_jobs = optimise_jobs if request.model is None else paint_jobs
        stylize_jobs(jobs, run, manifest, report, count)
    except KeyboardInterrupt:
        raise RunInterrupted(folder_result(plan, manifest)) from None
    except (OSError, OverwriteError) as error:  # a full disk, a read-only folder
        reason = write_reason(error, plan.folder)
        raise OutputWriteError(reason, folder_result(plan, manifest)) from None
    return folder_result(plan, manifest)


def optimise_jobs(jobs, run: Prepared, manifest, report: OnProgress, count: int):
    """The photos in batches of one size and one step count, through the one
    pipeline; each batch's results written as it ends."""
    total = (count, run.config.total_steps)
    for group in batches(jobs, run.request.many.batch_size):
        results = optimise_batch(group, run, report, count)
        had = group[0].done_steps
        steps = [had + len(result.history.get("total", [])) for result in results]
        keep_results(group, results, steps, manifest, report, total)


def paint_jobs(jobs, run: Prepared, manifest, report: OnProgress, count: int):
    """Each photo in one forward pass of the network, written as it ends."""
    for job in jobs:
        results = [paint(job, run, report, count)]
        keep_results([job], results, [1], manifest, report, (count, 1))


def folder_result(plan: OutputPlan, manifest: Manifest) -> FolderResult:
    """This run's outputs as the manifest records them."""
    owners = {plan.name(item.path): item.path for item in plan.inputs}
    records = collect_records(manifest.entries, owners)
    result = FolderResult(
        plan.folder, records=records, duplicates=dict(plan.duplicates)
    )
    result.manifest = manifest.path
    for name, record in records.items():
        if record["status"] == "done" and (plan.folder / name).is_file():
            result.outputs[owners[name]] = plan.folder / name
        elif record["status"] == "failed":
            result.failures[owners[name]] = record.get("error") or "failed"
    return result


__all__ = ["run_folder", "stylize_folder"]
