"""Everything a folder or video run checks, and then holds, before its first step.

Checked before a video is decoded or a model built: the settings (what the mode
cannot honour is refused, :mod:`tf_style.batch.checks`), the styles, the manifest
already in the output folder (its model and its frames' source included), and every
file the run will write against every file it reads (:mod:`tf_style.batch.plan`).
Then, under the output folder's lock (so no other run gives a name meanwhile), the
inputs are listed (a video decoded once), their outputs planned and their size
checked against the memory; a refusal anywhere leaves no folder, lock or decoded
frame behind. While the run goes on the lock is held and no write may replace a
file the run reads (:func:`tf_style.paths.identity.protecting`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import tensorflow as tf

from tf_style.batch import checks
from tf_style.batch.distribute import make_strategy
from tf_style.batch.frames import numbered_frames
from tf_style.batch.inputs import collect_inputs
from tf_style.batch.lock import (
    LOCK,
    ManifestLocked,
    first_missing,
    folder_lock,
    removed_if_refused,
)
from tf_style.batch.manifest import MANIFEST, ManifestError, ManifestRecord, read_record
from tf_style.batch.plan import OWNED_FOLDERS, OutputPlan, OutputPlanError, plan_outputs
from tf_style.batch.regions import (
    RunRegions,
    check_run_regions,
    load_regions,
    region_reads,
)
from tf_style.batch.results import ProgressEvent, RunRefused
from tf_style.batch.settings import Request, check_same_model, run_settings, sha256_of
from tf_style.batch.video_source import (
    check_frames_source,
    check_one_frame_size,
    check_same_source,
    check_video_tools,
    folder_record,
    video_record,
)
from tf_style.config import INITS, StyleTransferConfig
from tf_style.fast.base import check_strength
from tf_style.images.tensors import SAVE_FORMATS, load_image
from tf_style.memory.fits import DoesNotFit, check_step_fits, resized_size
from tf_style.paths.identity import PathError, check_name_lengths, protecting
from tf_style.vgg.model import StyleContentModel, extractor_for
from tf_style.vgg.network import with_network
from tf_style.vgg.weights import WeightsNotFoundError, weights_source
from tf_style.video.files import INPUT_FRAMES, VideoError, extract_frames


@dataclass
class Prepared:
    """A run ready for its first step: checked, locked, planned, model built.

    Attributes:
        request: what was asked.
        config: the settings as run (``tiling`` decided where a strategy shares
            the batch).
        plan: every input and the output it owns.
        styles: the style images, float32 ``[1, H, W, 3]``.
        settings: what the manifest records (a change redoes the outputs).
        extractor: VGG19's features (None: a network paints).
        strategy: the ``tf.distribute`` strategy sharing a batch (None: one device).
        fps: a decoded video's frame rate (None: not a video file).
        source: a video run's frames, as the manifest identifies them.
        regions: the styles each in its own region, loaded and checked.
    """

    request: Request
    config: StyleTransferConfig
    plan: OutputPlan
    styles: list[tf.Tensor]
    settings: dict
    extractor: StyleContentModel | None = None
    strategy: tf.distribute.Strategy | None = None
    fps: float | None = None
    source: dict | None = None
    regions: RunRegions = field(default_factory=RunRegions)


def open_run(request: Request, held_open: contextlib.ExitStack) -> Prepared:
    """Check everything, lock the output folder, plan and build the model; the lock
    and the protection of the inputs stay with ``held_open``.

    Raises:
        RunRefused: anything refused (nothing is left behind).
        ImageError: a style or initial image that cannot be read.
    """
    try:
        return _open_run(request, held_open)
    except PathError as error:  # a deleted working folder, a special file
        raise RunRefused(str(error)) from None


def _open_run(request: Request, held_open: contextlib.ExitStack) -> Prepared:
    config, video_file = check_request(request)
    strategy = None
    if request.video is None and request.model is None:
        strategy = strategy_from(request.many.strategy)
    if strategy is not None:
        checks.check_strategy_fits(config, strategy.num_replicas_in_sync)
        config = checks.untiled(config)
    init_file = None if config.init in INITS else Path(config.init)
    reads = [*request.styles, *(p for p in (init_file, request.weights) if p)]
    styles = [load_image(path, config.max_dim) for path in request.styles]
    video = request.video is not None
    regions = load_regions(request.regions, config.max_dim, video=video)
    reads += region_reads(request.regions)
    if init_file is not None:
        load_image(init_file, None)  # checked as any input image is
    settings = run_settings(request, config, sha256_of(reads, request.weights))
    if video_file is not None:
        reads.append(video_file)
    output = request.output
    existing_manifest(output)  # a bad one is refused before anything is made
    with removed_if_refused(
        first_missing(output), output / INPUT_FRAMES, output / LOCK
    ):
        # Planned under the lock: another run cannot give a name meanwhile.
        lock_folder(output, held_open)
        recorded = existing_manifest(output)
        check_same_model(output, recorded.settings, settings)
        if video_file is not None:
            check_same_source(output, recorded.source, video_record(video_file))
            checked(lambda: plan_outputs([], output, spec=video_file, reads=reads))
        run = plan_run(request, config, video_file, reads, recorded)
        run.styles, run.settings, run.strategy = styles, settings, strategy
        check_run_regions(regions, run.plan, config, request)
        run.regions = regions
        if request.model is None:
            fits(largest_size(run.plan, config.max_dim), config)
            run.extractor = build_extractor(config, request)
    if run.extractor is not None:
        run.extractor = with_network(
            run.extractor, precision=config.mixed_precision, pooling=config.pooling
        )
    held_open.enter_context(protecting(run.plan.reads))
    return run


def check_request(request: Request) -> tuple[StyleTransferConfig, Path | None]:
    """Every check that needs no image: names, settings the mode cannot honour,
    tools and files; the config to run, and the video file (None: none).

    Raises:
        RunRefused: saying what to change.
    """
    regions = [(r.mask, r.style, r.style_mask) for r in request.regions]
    files = [*request.styles, *(path for named in regions for path in named)]
    for path in (request.inputs, request.output, *files, request.weights):
        if path is not None:
            check_name_lengths(path)
    config, model = request.config, request.model
    if model is None:
        checks.check_optimisation(config, len(request.styles), request.strength)
    else:
        checks.check_network_settings(
            config,
            request.many,
            request.video,
            styles=len(request.styles),
            weights=request.weights,
            regions=len(request.regions),
        )
        try:
            check_strength(
                request.strength, supported=model.supports_strength, source=model.source
            )
        except ValueError as error:
            raise RunRefused(str(error)) from None
    video_file = None
    if request.video is not None:
        checks.check_video_many(request.many)
        check_video_tools()
        video_file = check_frames_source(Path(request.inputs))
    output = request.output
    if output.suffix.lower() in SAVE_FORMATS or output.is_file():
        raise RunRefused(f"{output}: with many images --output names a folder.")
    if request.weights is not None and not request.weights.is_file():
        raise RunRefused(f"{request.weights}: no such weights file.")
    return config, video_file


def plan_run(request, config, video_file, reads, recorded: ManifestRecord) -> Prepared:
    """The inputs (a video decoded first), the plan of their outputs, a video's
    frame rate and what the frames come from.

    Raises:
        RunRefused: no inputs, a plan refused, frames of two sizes or from
            another sequence than the folder holds.
    """
    output, spec = request.output, request.inputs
    inputs, fps = collect_many(request, video_file)
    plan = checked(
        lambda: plan_outputs(
            inputs,
            output,
            spec=spec,
            reads=reads,
            held=recorded.entries,
            owned_folders=OWNED_FOLDERS if video_file is None else DECODED,
        )
    )
    source = None
    if request.video is not None:
        source = video_record(video_file) if video_file else folder_record(spec)
        check_same_source(output, recorded.source, source)
        check_one_frame_size(readable(plan), config.max_dim)
    return Prepared(request, config, plan, [], {}, fps=fps, source=source)


# A decoded video's frames live in input_frames/: the run's own files, read back.
DECODED = tuple(name for name in OWNED_FOLDERS if name != INPUT_FRAMES)


def collect_many(request: Request, video_file: Path | None):
    """The inputs in order, and a video's frame rate (None for images): a video
    is decoded once into ``output/input_frames/``.

    Raises:
        RunRefused: nothing to read, or a video ffmpeg cannot decode.
    """
    spec = request.inputs
    try:
        if video_file is not None:
            return extract_frames(video_file, request.output / INPUT_FRAMES)
        video = request.video is not None
        inputs = numbered_frames(Path(spec)) if video else collect_inputs(spec)
    except OSError as error:
        reason = error.strerror or error
        raise RunRefused(f"{spec}: cannot list the images ({reason}).") from None
    except VideoError as error:
        raise RunRefused(str(error)) from None
    if not inputs:
        raise RunRefused(f"{spec}: no images found (looked for common suffixes).")
    return inputs, None


def existing_manifest(output: Path) -> ManifestRecord:
    """The manifest already in ``output`` (one tf_style wrote, else nothing runs).

    Raises:
        RunRefused: it cannot be read or does not follow the schema.
    """
    path = output / MANIFEST
    if not os.path.lexists(path):
        return ManifestRecord({}, None, {})
    try:
        return read_record(path)
    except ManifestError as error:
        raise RunRefused(str(error)) from None


def lock_folder(output: Path, held_open: contextlib.ExitStack) -> None:
    """Make the output folder and hold its lock for the rest of the run.

    Raises:
        RunRefused: another run holds it, or it cannot be made or written.
    """
    try:
        output.mkdir(parents=True, exist_ok=True)
        held_open.enter_context(folder_lock(output))
    except ManifestLocked as error:
        raise RunRefused(str(error)) from None
    except OSError as error:
        reason = error.strerror or error
        raise RunRefused(f"{output}: cannot write there ({reason}).") from None


def checked(make_plan):
    """The plan, or its refusal."""
    try:
        return make_plan()
    except OutputPlanError as error:
        raise RunRefused(str(error)) from None


def readable(plan: OutputPlan) -> list[Path]:
    """The inputs that are regular files (a FIFO's header is never read: the read
    would wait for a writer for ever)."""
    return [item.path for item in plan.inputs if item.sha256 is not None]


def largest_size(plan: OutputPlan, max_dim: int) -> tuple[int, int] | None:
    """The largest (H, W) any input will have, from the headers (None: unknown)."""
    sizes = [resized_size(path, max_dim) for path in readable(plan)]
    sizes = [size for size in sizes if size is not None]
    return max(sizes, key=lambda size: size[0] * size[1], default=None)


def fits(size: tuple[int, int] | None, config: StyleTransferConfig) -> None:
    try:
        check_step_fits(size, config)
    except DoesNotFit as error:
        raise RunRefused(str(error)) from None


def build_extractor(config: StyleTransferConfig, request: Request):
    """VGG19's features for ``config``: the request's extractor, or built.

    Raises:
        RunRefused: no VGG19 weights could be found (every source tried named).
    """
    try:
        return extractor_for(
            config, extractor=request.extractor, weights=request.weights
        )
    except WeightsNotFoundError as error:
        raise RunRefused(str(error)) from None


def strategy_from(name: str):
    """The ``tf.distribute`` strategy, made before any other TensorFlow op: a
    multi-worker strategy's collective ops must be configured at program start.

    Raises:
        RunRefused: an unknown name, or a ``TF_CONFIG`` that is not a cluster.
    """
    try:
        return make_strategy(name)
    except (ValueError, KeyError, TypeError) as error:
        raise RunRefused(str(error)) from None


def start_event(run: Prepared, count: int) -> ProgressEvent:
    """The run starts: which model paints, and how many inputs of how many steps."""
    model = run.request.model
    message = (
        f"VGG19 weights: {weights_source(run.extractor)}"
        if model is None
        else f"Network: {model.source}"
    )
    return ProgressEvent("start", 0, count, total=run.request.steps, message=message)


__all__ = ["Prepared", "open_run", "start_event"]
