"""The frames mode of the training command: a video's frames in order.

``--temporal flow`` (the default) is Ruder et al.'s method (:mod:`tf_style.video`):
each frame starts from the previous result warped by the optical flow and its loss
holds it to the warped earlier results; ``previous`` starts from the unwarped
previous result (this command's first method, kept for comparison); ``independent``
stylises every frame on its own. Every frame goes through :func:`tf_style.stylize`,
so every option means what it means for one image. Resumable through the manifest
(flows are cached beside it); the warping error of the result and of the input, the
per-frame losses, an MP4 and a preview GIF at the end.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.artifacts import make_gif, write_json
from tf_style.batch.manifest import Manifest, output_name
from tf_style.commands.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tf_style.config import StyleTransferConfig
from tf_style.images import load_image, resize, save_image
from tf_style.losses import TEMPORAL_WEIGHT
from tf_style.optimize import stylize
from tf_style.vgg.model import StyleContentModel
from tf_style.video.files import DEFAULT_FPS, write_video
from tf_style.video.measures import warping_report
from tf_style.video.temporal import (
    FLOW_FOLDER,
    FlowCache,
    temporal_targets,
    warped_start,
)

REPORT = "frames.json"
VIDEO = "video.mp4"
PREVIEW = "preview.gif"


@dataclasses.dataclass(frozen=True)
class VideoSettings:
    """How frames depend on each other (the ``--temporal`` options).

    Attributes:
        mode: ``flow``, ``previous`` or ``independent``.
        temporal_weight: the weight of the temporal term (flow mode).
        long_term: earlier frames each frame is held to (1: Ruder et al.'s
            short-term term; more: their long-term one).
        fps: frames per second of the MP4.
    """

    mode: str = "flow"
    temporal_weight: float = TEMPORAL_WEIGHT
    long_term: int = 1
    fps: float = DEFAULT_FPS

    def record(self) -> dict:
        """What changes the frames (the frame rate does not)."""
        return {
            "mode": self.mode,
            "temporal_weight": self.temporal_weight,
            "long_term": self.long_term,
        }


@dataclasses.dataclass
class FramesSoFar:
    """The frames done so far, in order: inputs and outputs ``[H, W, 3]`` in
    [0, 1], names (their outputs' stems) and final loss terms."""

    inputs: list[np.ndarray] = dataclasses.field(default_factory=list)
    outputs: list[np.ndarray] = dataclasses.field(default_factory=list)
    names: list[str] = dataclasses.field(default_factory=list)
    losses: list[dict] = dataclasses.field(default_factory=list)
    paths: list[Path] = dataclasses.field(default_factory=list)

    def add(self, frame, result, name: str, losses: dict, path: Path) -> None:
        self.inputs.append(frame)
        self.outputs.append(result)
        self.names.append(name)
        self.losses.append(losses)
        self.paths.append(path)


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
    video: VideoSettings | None = None,
) -> int:
    """Stylise ``frames`` in order into ``output``; report, MP4 and GIF at the end.

    Resumable through the manifest: done frames are read back (they feed the next
    frame). A frame that cannot be read is skipped (the next follows the last good
    one). Ctrl-C keeps every finished frame; the interrupted frame restarts on the
    rerun. Returns the exit status (0, 2 when no frame could be stylised, or 130).
    """
    video = video or VideoSettings()
    config = dataclasses.replace(config, seed=0 if config.seed is None else config.seed)
    manifest = Manifest(output, settings)
    names = names or {source: output_name(source) for source in frames}
    flows = FlowCache(output / FLOW_FOLDER)
    done, seconds = FramesSoFar(), []
    bar = tqdm(total=len(frames), unit="frame", disable=quiet, file=sys.stderr)
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
        frame, name = content[0].numpy(), Path(names[source]).stem
        if entry["status"] == "done" and target.is_file():
            losses = entry.get("losses", {})
        else:
            started = time.perf_counter()
            outcome = stylize_one(
                content, name, styles, config, extractor, done, flows, video
            )
            if outcome.status == "interrupted":
                manifest.save()
                bar.close()
                print("interrupted; rerun to finish the frames", file=sys.stderr)
                return EXIT_INTERRUPTED
            save_image(outcome.image, target)
            losses = {k: values[-1] for k, values in outcome.history.items() if values}
            seconds.append(time.perf_counter() - started)
            manifest.update(
                source, status="done", steps=config.total_steps, losses=losses
            )
        # As written (8 bits): what the video shows, and the same on a resumed run.
        result = resize(load_image(target, None), frame.shape[:2])[0].numpy()
        done.add(frame, result, name, losses, target)
        bar.update(1)
    bar.close()
    if not done.paths:
        print("tf-style-train: error: no frame could be stylised.", file=sys.stderr)
        return EXIT_USAGE
    write_report(done, output, video, flows, seconds)
    return EXIT_OK


def stylize_one(
    content: tf.Tensor,
    name: str,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    extractor: StyleContentModel,
    done: FramesSoFar,
    flows: FlowCache,
    video: VideoSettings,
):
    """One frame through the one pipeline, with what ``video.mode`` takes from the
    frames before it."""
    init, targets = None, []
    if done.outputs and video.mode == "previous":
        init = tf.constant(done.outputs[-1][None])
    elif done.outputs and video.mode == "flow":
        frame = content[0].numpy()
        back = range(1, min(video.long_term, len(done.outputs)) + 1)
        pairs = [
            flows.pair(done.inputs[-j], frame, key=f"{done.names[-j]}__{name}")
            for j in back
        ]
        earlier = [done.outputs[-j] for j in back]
        targets = temporal_targets(earlier, pairs)
        init = tf.constant(warped_start(earlier[0], pairs[0], frame)[None])
    return stylize(
        content,
        styles,
        config,
        extractor=extractor,
        init_image=init,
        temporal=targets,
        temporal_weight=video.temporal_weight,
    )


def write_report(
    done: FramesSoFar,
    output: Path,
    video: VideoSettings,
    flows: FlowCache,
    seconds: Sequence[float] = (),
) -> dict:
    """``frames.json`` (warping errors per pair, losses per frame), the MP4 and the
    preview GIF of the stylised frames; the summary on stderr."""
    pairs = [
        flows.pair(
            done.inputs[t - 1],
            done.inputs[t],
            key=f"{done.names[t - 1]}__{done.names[t]}",
        )
        for t in range(1, len(done.inputs))
    ]
    record = {
        "temporal": video.record(),
        "warping": warping_report(done.inputs, done.outputs, pairs, done.names),
        "frames": [
            {"name": name, "losses": losses}
            for name, losses in zip(done.names, done.losses, strict=True)
        ],
        "mean_losses": _mean_losses(done.losses),
        "seconds_per_frame": float(np.mean(seconds)) if seconds else None,
        "flow_seconds": round(flows.seconds, 4),
        "flows_computed": flows.computed,
    }
    write_json(record, output / REPORT)
    make_gif(done.paths, output / PREVIEW, seconds_per_frame=1.0 / video.fps)
    movie = write_video(done.paths, output / VIDEO, video.fps)
    warping = record["warping"]
    style = record["mean_losses"].get("style")
    print(
        f"warping error: output {warping['output_mean']:.5f}, input "
        f"{warping['input_mean']:.5f} (Lai et al. 2018; lower is steadier); mean "
        f"style loss {style:.4g}; {movie}, {output / PREVIEW}"
        if style is not None
        else f"warping error: output {warping['output_mean']:.5f}; {movie}",
        file=sys.stderr,
    )
    return record


def _mean_losses(losses: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each term's mean over the frames that report it."""
    terms = sorted({term for frame in losses for term in frame})
    return {
        term: float(np.mean([frame[term] for frame in losses if term in frame]))
        for term in terms
    }


__all__ = ["REPORT", "VideoSettings", "stylize_frames", "write_report"]
