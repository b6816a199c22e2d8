"""stylize_video(): a video's frames in order, resumably, with how steady they are.

The library face of ``tf-style-train --frames``. With the optimisation and
``temporal="flow"`` (the default) this is Ruder et al.'s method
(:mod:`tf_style.video`): each frame starts from the previous result warped by the
optical flow and its loss holds it to the warped earlier results; ``previous``
starts from the unwarped previous result; ``independent`` stylises every frame on
its own. A network paints each frame in one forward pass (independent frames).
Every frame goes through the same plumbing either way: the manifest (resumable;
flows cached beside it), the warping error of the result and of the input, the
per-frame losses, an MP4 and a preview GIF at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import time
from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

from tf_style.batch.manifest import Input, Manifest
from tf_style.batch.prepare import Prepared, open_run, start_event
from tf_style.batch.results import (
    OnProgress,
    OutputWriteError,
    ProgressEvent,
    RunInterrupted,
    VideoResult,
    collect_records,
    reporter,
    write_reason,
)
from tf_style.batch.sequence import (
    PREVIEW,
    VIDEO,
    FramesSoFar,
    read_back,
    write_report,
)
from tf_style.batch.settings import make_request
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import ManyImagesConfig, VideoConfig
from tf_style.fast import FastStylizer, fast_stylize
from tf_style.images.tensors import load_image, save_image
from tf_style.optimize import stylize
from tf_style.optimize.recorder import StylizeResult
from tf_style.paths.identity import PathError, regular_file
from tf_style.regions import Region, loaded_region
from tf_style.vgg.model import StyleContentModel
from tf_style.video.files import DEFAULT_FPS
from tf_style.video.temporal import FLOW_FOLDER, FlowCache

PathLike = str | os.PathLike


def stylize_video(
    frames: PathLike,
    style: PathLike | Sequence[PathLike] | None = None,
    config: StyleTransferConfig | None = None,
    *,
    output: PathLike,
    video: VideoConfig | None = None,
    many: ManyImagesConfig | None = None,
    model: FastStylizer | None = None,
    weights: PathLike | None = None,
    strength: float = 1.0,
    on_progress: OnProgress | None = None,
    extractor: StyleContentModel | None = None,
    regions: Sequence[Region] = (),
) -> VideoResult:
    """Stylise a video's frames in order into ``output``, resuming a run there.

    Writes ``frame_*.png`` (a video file is decoded once into
    ``output/input_frames/``), ``frames.json`` (the warping error of each pair,
    the losses of each frame), ``video.mp4`` and ``preview.gif``.
    ``output/manifest.json`` records each frame: a rerun reads done frames back
    (the next frame starts from them) and computes no flow twice.

    Args:
        frames: a video file (``.mp4``, ``.mov``, ...) or a folder of numbered
            frames (ordered by the last number in each name).
        style: the style image, or several blended by ``config.style_blend``;
            with ``regions``, what they leave uncovered (None: the frame there).
        config: the optimisation's settings (the tutorial's when None; the seed
            is 0 when None, so a rerun makes the same frames); with a model only
            ``max_dim`` applies.
        output: the output folder (made if missing).
        video: how frames depend on each other, and the MP4's frame rate (the
            defaults when None; with a model, independent frames).
        many: must keep its defaults: frames run one at a time, in order.
        model: a network from :func:`tf_style.fast.load_network`: one pass per
            frame (its warping error is measured all the same).
        weights, strength, on_progress, extractor: as for
            :func:`tf_style.batch.stylize_folder`.
        regions: several styles, each in its own region (:class:`tf_style.Region`,
            files only): one mask for every frame, or a folder of masks, one per
            frame in numbered order (:mod:`tf_style.batch.regions`).

    Returns:
        The frames, their manifest records and failures, the warping errors, and
        the video and preview made (None when no frame could be stylised).

    Raises:
        RunRefused, ImageError, OutputWriteError, RunInterrupted: as for
            :func:`tf_style.batch.stylize_folder`; a video or frames folder that
            cannot be read, frames of two sizes, or a folder that holds another
            video's frames are refused before any work.

    Example:
        >>> result = stylize_video("clip.mp4", "starry.jpg", output="clip_styled/",
        ...                        config=StyleTransferConfig(max_dim=256))
        >>> result.warping_error, result.video
    """
    if model is not None and video is None:
        video = VideoConfig(temporal="independent")
    request = make_request(
        frames, style, config,
        output=output, video=video or VideoConfig(), many=many, model=model,
        weights=weights, strength=strength, extractor=extractor, regions=regions,
    )  # fmt: skip
    with contextlib.ExitStack() as held_open:
        run = open_run(request, held_open)
        return run_video(run, reporter(on_progress))


def run_video(run: Prepared, report: OnProgress) -> VideoResult:
    """The frames of a prepared run in order; the report, MP4 and GIF at the end."""
    plan, video = run.plan, run.request.video
    if run.config.seed is None:  # frames that depend on each other: reproducible
        run.config = dataclasses.replace(run.config, seed=0)
    manifest = Manifest(plan.folder, run.settings)
    manifest.source = run.source
    done = FramesSoFar(FlowCache(plan.folder / FLOW_FOLDER), video.long_term)
    seconds, count, steps = [], len(plan.inputs), run.request.steps
    frames = [
        Frame(item, plan.folder / plan.name(item.path), index, count)
        for index, item in enumerate(plan.inputs, start=1)
    ]
    for frame in frames:  # what an earlier run did, said before this run starts
        if is_kept(frame, manifest.entry(frame.target.name, frame.source, steps)):
            report(frame.event("kept", steps, steps))
    report(start_event(run, count))
    result = functools.partial(video_result, run, manifest, done)
    try:
        for frame in frames:
            took = stylize_frame(frame, run, manifest, done, report)
            if took is not None:
                seconds.append(took)
        if not done.paths:
            return result()
        fps = video.fps or run.fps or DEFAULT_FPS
        record = write_report(done, plan.folder, video, fps, seconds)
    except KeyboardInterrupt:
        manifest.save()
        raise RunInterrupted(result()) from None
    except (OSError, PathError) as error:  # PathError: OverwriteError and the like
        reason = write_reason(error, plan.folder)
        raise OutputWriteError(reason, result()) from None
    return result(record=record)


@dataclasses.dataclass(frozen=True)
class Frame:
    """One frame of the run: its input, output file and place in the sequence."""

    source: Input
    target: Path
    index: int
    count: int

    def event(self, kind: str, step: int = 0, total: int = 0, **more):
        name = self.target.name
        return ProgressEvent(kind, self.index, self.count, self.source.path, name,
                             step, total, **more)  # fmt: skip


def is_kept(frame: Frame, entry: dict) -> bool:
    """Whether an earlier run's result of ``frame`` is there to read back."""
    return entry["status"] == "done" and frame.target.is_file()


def stylize_frame(
    frame: Frame, run: Prepared, manifest: Manifest, done: FramesSoFar, report
) -> float | None:
    """One frame: read back if done, else stylised; added to ``done`` unless it
    failed. Returns the seconds it took to stylise (None: not stylised here).

    Raises:
        KeyboardInterrupt: the run was interrupted.
    """
    name, steps, target = frame.target.name, run.request.steps, frame.target
    try:
        entry = manifest.entry(name, frame.source, steps)
        if frame.source.sha256 is None:
            regular_file(frame.source.path, "frame")  # says why it could not be read
        content = load_image(frame.source.path, run.config.max_dim)
    except Exception as error:  # noqa: BLE001 - a bad frame is skipped alone
        manifest.failed(name, frame.source, error)
        manifest.save()
        report(frame.event("failed", message=str(error)))
        return None
    pixels, took = content[0].numpy(), None
    if is_kept(frame, entry):
        losses = entry.get("losses", {})
    else:
        started = time.perf_counter()
        outcome = stylize_one(content, frame, run, done, report)
        if outcome.status == "interrupted":
            raise KeyboardInterrupt
        if outcome.status != "completed":  # non-finite: not a frame to follow
            manifest.update(name, status="failed", error=outcome.message)
            report(frame.event("failed", message=outcome.message))
            return None
        save_image(outcome.image, target)
        losses = {k: values[-1] for k, values in outcome.history.items() if values}
        took = time.perf_counter() - started
        manifest.update(name, status="done", steps=steps, losses=losses)
        report(frame.event("done", steps, steps))
    # As written (8 bits): what the video shows, and the same on a resumed run.
    result = read_back(target, pixels.shape[:2])
    done.add(pixels, result, target.stem, losses, target)
    return took


def stylize_one(
    content: tf.Tensor, frame: Frame, run: Prepared, done: FramesSoFar, report
) -> StylizeResult:
    """One frame through the one pipeline, with what the temporal mode takes from
    the frames before it; or through the network."""
    request = run.request
    if request.model is not None:
        image = fast_stylize(
            content, run.styles[0], model=request.model, strength=request.strength
        )
        report(frame.event("step", 1, 1))
        return StylizeResult(image)
    video, total = request.video, run.config.total_steps
    init, targets = done.start_for(content, frame.target.stem, video.temporal)
    return stylize(
        content,
        run.styles or None,  # None: the regions' styles alone
        run.config,
        extractor=run.extractor,
        init_image=init,
        temporal=targets,
        temporal_weight=video.temporal_weight,
        callback=lambda step: report(
            frame.event("step", step.step, total, loss=step.losses.get("total"))
        ),
        regions=[loaded_region(region) for region in run.regions.at(frame.index)],
    )


def video_result(
    run: Prepared, manifest: Manifest, done: FramesSoFar, record: dict | None = None
) -> VideoResult:
    """This run's frames as the manifest records them, and what was made of them."""
    plan = run.plan
    owners = {plan.name(item.path): item.path for item in plan.inputs}
    records = collect_records(manifest.entries, owners)
    result = VideoResult(plan.folder, records=records, manifest=manifest.path)
    for name, entry in records.items():
        if entry["status"] == "failed":
            result.failures[owners[name]] = entry.get("error") or "failed"
    result.frames = list(done.paths)
    result.outputs = {owners[path.name]: path for path in done.paths}
    result.pairs = list(done.pairs)
    if record is not None:
        result.report = record
        result.warping_error = record["warping"]["output_mean"]
        result.input_warping_error = record["warping"]["input_mean"]
        result.video = plan.folder / VIDEO
        result.preview = plan.folder / PREVIEW
    return result


__all__ = ["run_video", "stylize_video"]
