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

import collections
import dataclasses
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import PIL.Image
import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.artifacts import make_gif, write_json
from tf_style.batch.manifest import Input, Manifest
from tf_style.batch.plan import OutputPlan
from tf_style.commands.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import load_image, resize, save_image
from tf_style.losses import TEMPORAL_WEIGHT
from tf_style.optimize import stylize
from tf_style.paths.identity import PathError, regular_file
from tf_style.vgg.model import StyleContentModel
from tf_style.video.files import DEFAULT_FPS, write_video
from tf_style.video.measures import pair_record, warping_summary
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


class FramesSoFar:
    """The frames done so far, in order. Only the last few frames' pixels are kept
    (what the next frame's temporal term reaches back to); each consecutive pair's
    warping error is measured as its second frame finishes, so a long video needs
    no more memory than a short one.

    Args:
        flows: the flow cache (the pairs' flows, shared with the temporal term).
        reach: frames kept (``--long-term``, at least 1).
    """

    def __init__(self, flows: FlowCache, reach: int):
        self.flows = flows
        self.recent: collections.deque = collections.deque(maxlen=max(1, reach))
        self.names: list[str] = []
        self.losses: list[dict] = []
        self.paths: list[Path] = []
        self.pairs: list[dict] = []

    @property
    def inputs(self) -> list[np.ndarray]:
        """The kept input frames ``[H, W, 3]``, oldest first."""
        return [frame for frame, _, _ in self.recent]

    @property
    def outputs(self) -> list[np.ndarray]:
        """The kept stylised frames, oldest first."""
        return [result for _, result, _ in self.recent]

    @property
    def recent_names(self) -> list[str]:
        return [name for _, _, name in self.recent]

    def add(self, frame, result, name: str, losses: dict, path: Path) -> None:
        if self.recent:
            earlier, earlier_result, earlier_name = self.recent[-1]
            flow = self.flows.pair(earlier, frame, key=f"{earlier_name}__{name}")
            self.pairs.append(
                pair_record(
                    [earlier_name, name],
                    [earlier, frame],
                    [earlier_result, result],
                    flow,
                )
            )
        self.recent.append((frame, result, name))
        self.names.append(name)
        self.losses.append(losses)
        self.paths.append(path)


def stylize_frames(
    plan: OutputPlan,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel,
    settings: dict,
    quiet: bool = False,
    video: VideoSettings | None = None,
    source: dict | None = None,
) -> int:
    """Stylise the plan's frames in order into its folder; report, MP4 and GIF at
    the end.

    Resumable through the manifest: done frames are read back (they feed the next
    frame). A frame that cannot be read, or whose loss became non-finite, is
    recorded as failed (the next follows the last good one). Ctrl-C keeps every
    finished frame; the interrupted frame restarts on the rerun.

    Args:
        source: what the frames come from (a video's or a folder's identity),
            recorded in the manifest so another sequence is not mixed in.

    Returns:
        The exit status: 0; 1 when a frame failed (named on stderr) or a file
        could not be written; 2 when no frame could be stylised; 130.
    """
    video = video or VideoSettings()
    config = dataclasses.replace(config, seed=0 if config.seed is None else config.seed)
    output = plan.folder
    manifest = Manifest(output, settings)
    manifest.source = source
    flows = FlowCache(output / FLOW_FOLDER)
    done, seconds = FramesSoFar(flows, video.long_term), []
    bar = tqdm(total=len(plan.inputs), unit="frame", disable=quiet, file=sys.stderr)
    try:
        for item in plan.inputs:
            step = stylize_frame(
                item, output / plan.name(item.path), styles, config, extractor,
                manifest, done, video,
            )  # fmt: skip
            if step is not None:
                seconds.append(step)
            bar.update(1)
        bar.close()
        if not done.paths:
            print("tf-style-train: error: no frame could be stylised.", file=sys.stderr)
            return EXIT_USAGE
        write_report(done, output, video, flows, seconds)
    except KeyboardInterrupt:
        manifest.save()
        bar.close()
        print("interrupted; rerun to finish the frames", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (OSError, PathError) as error:  # PathError: OverwriteError and the like
        bar.close()
        reason = getattr(error, "strerror", None) or error
        where = getattr(error, "filename", None) or output
        print(
            f"tf-style-train: error: could not write {where} ({reason}); the frames "
            "done so far are kept. Rerun to finish.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    failed = manifest.counts(plan.name(item.path) for item in plan.inputs)["failed"]
    return EXIT_FAILED if failed else EXIT_OK


def stylize_frame(
    source: Input,
    target: Path,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    extractor: StyleContentModel,
    manifest: Manifest,
    done: FramesSoFar,
    video: VideoSettings,
) -> float | None:
    """One frame: read back if done, else stylised; added to ``done`` unless it
    failed. Returns the seconds it took to stylise (None: not stylised here).

    Raises:
        KeyboardInterrupt: the run was interrupted (the manifest is saved).
    """
    name = target.name
    try:
        entry = manifest.entry(name, source, config.total_steps)
        if source.sha256 is None:
            regular_file(source.path, "frame")  # says why it could not be read
        content = load_image(source.path, config.max_dim)
    except Exception as error:  # noqa: BLE001 - a bad frame is skipped alone
        manifest.failed(name, source, error)
        manifest.save()
        print(f"skipped {source.path}: {error}", file=sys.stderr)
        return None
    frame, took = content[0].numpy(), None
    if entry["status"] == "done" and target.is_file():
        losses = entry.get("losses", {})
    else:
        started = time.perf_counter()
        outcome = stylize_one(
            content, target.stem, styles, config, extractor, done, video
        )
        if outcome.status == "interrupted":
            raise KeyboardInterrupt
        if outcome.status != "completed":  # non-finite: not a frame to follow
            manifest.update(name, status="failed", error=outcome.message)
            print(f"skipped {source.path}: {outcome.message}", file=sys.stderr)
            return None
        save_image(outcome.image, target)
        losses = {k: values[-1] for k, values in outcome.history.items() if values}
        took = time.perf_counter() - started
        manifest.update(name, status="done", steps=config.total_steps, losses=losses)
    # As written (8 bits): what the video shows, and the same on a resumed run.
    result = read_back(target, frame.shape[:2])
    done.add(frame, result, target.stem, losses, target)
    return took


def read_back(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A frame this run wrote, ``float32 [H, W, 3]`` at ``size``: read without the
    checks made on inputs (a frame resized by ``--max-dim`` may be under 32 px).

    Raises:
        OSError: it cannot be read (a regular file is required: no FIFO).
    """
    regular_file(path, "result")
    with PIL.Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), np.float32) / 255.0
    return resize(tf.constant(pixels[None]), size)[0].numpy()


def stylize_one(
    content: tf.Tensor,
    name: str,
    styles: Sequence[tf.Tensor],
    config: StyleTransferConfig,
    extractor: StyleContentModel,
    done: FramesSoFar,
    video: VideoSettings,
):
    """One frame through the one pipeline, with what ``video.mode`` takes from the
    frames before it."""
    init, targets = None, []
    if done.recent and video.mode == "previous":
        init = tf.constant(done.outputs[-1][None])
    elif done.recent and video.mode == "flow":
        frame = content[0].numpy()
        back = range(1, len(done.recent) + 1)  # nearest first
        inputs, outputs, names = done.inputs, done.outputs, done.recent_names
        pairs = [
            done.flows.pair(inputs[-j], frame, key=f"{names[-j]}__{name}") for j in back
        ]
        earlier = [outputs[-j] for j in back]
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


# The preview GIF shows at most this many frames (every k-th of a long video).
PREVIEW_FRAMES = 120


def write_report(
    done: FramesSoFar,
    output: Path,
    video: VideoSettings,
    flows: FlowCache,
    seconds: Sequence[float] = (),
) -> dict:
    """``frames.json`` (warping errors per pair, losses per frame), the MP4 and the
    preview GIF of the stylised frames; the summary on stderr."""
    record = {
        "temporal": video.record(),
        "warping": warping_summary(done.pairs),
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
    every = -(-len(done.paths) // PREVIEW_FRAMES)
    make_gif(done.paths[::every], output / PREVIEW, seconds_per_frame=every / video.fps)
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
