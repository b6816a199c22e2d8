"""A video's stylised frames as they accumulate: what the next frame takes from them
(Ruder et al.'s warped start and temporal targets), how steady they are (the warping
error of each pair, measured as its second frame finishes) and the files made from
them at the end (``frames.json``, ``video.mp4``, ``preview.gif``).
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import PIL.Image
import tensorflow as tf

from tf_style.artifacts import make_gif, write_json
from tf_style.config.modes import VideoConfig
from tf_style.images.tensors import resize
from tf_style.losses import TemporalTarget
from tf_style.paths.identity import regular_file
from tf_style.video.files import write_video
from tf_style.video.measures import pair_record, warping_summary
from tf_style.video.temporal import FlowCache, temporal_targets, warped_start

REPORT = "frames.json"
VIDEO = "video.mp4"
PREVIEW = "preview.gif"
# The preview GIF shows at most this many frames (every k-th of a long video).
PREVIEW_FRAMES = 120


class FramesSoFar:
    """The frames done so far, in order. Only the last few frames' pixels are kept
    (what the next frame's temporal term reaches back to); each consecutive pair's
    warping error is measured as its second frame finishes, so a long video needs
    no more memory than a short one.

    Args:
        flows: the flow cache (the pairs' flows, shared with the temporal term).
        reach: frames kept (``long_term``, at least 1).
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

    def start_for(
        self, content: tf.Tensor, name: str, temporal: str
    ) -> tuple[tf.Tensor | None, list[TemporalTarget]]:
        """Where frame ``name`` starts and what holds it, by the temporal mode:
        ``previous`` the unwarped previous result; ``flow`` the previous result
        warped onto it, and the kept results warped as its temporal targets."""
        if not self.recent or temporal == "independent":
            return None, []
        if temporal == "previous":
            return tf.constant(self.outputs[-1][None]), []
        frame = content[0].numpy()
        back = range(1, len(self.recent) + 1)  # nearest first
        inputs, outputs, names = self.inputs, self.outputs, self.recent_names
        pairs = [
            self.flows.pair(inputs[-j], frame, key=f"{names[-j]}__{name}") for j in back
        ]
        earlier = [outputs[-j] for j in back]
        start = tf.constant(warped_start(earlier[0], pairs[0], frame)[None])
        return start, temporal_targets(earlier, pairs)


def read_back(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A frame this run wrote, ``float32 [H, W, 3]`` at ``size``: read without the
    checks made on inputs (a frame resized by ``max_dim`` may be under 32 px).

    Raises:
        OSError: it cannot be read (a regular file is required: no FIFO).
    """
    regular_file(path, "result")
    with PIL.Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), np.float32) / 255.0
    return resize(tf.constant(pixels[None]), size)[0].numpy()


def write_report(
    done: FramesSoFar,
    output: Path,
    video: VideoConfig,
    fps: float,
    seconds: Sequence[float] = (),
) -> dict:
    """``frames.json`` (warping errors per pair, losses per frame), the MP4 and the
    preview GIF of the stylised frames; returns the record."""
    flows = done.flows
    record = {
        "temporal": video.record(),
        "warping": warping_summary(done.pairs),
        "frames": [
            {"name": name, "losses": losses}
            for name, losses in zip(done.names, done.losses, strict=True)
        ],
        "mean_losses": mean_losses(done.losses),
        "seconds_per_frame": float(np.mean(seconds)) if seconds else None,
        "flow_seconds": round(flows.seconds, 4),
        "flows_computed": flows.computed,
    }
    write_json(record, output / REPORT)
    every = -(-len(done.paths) // PREVIEW_FRAMES)
    make_gif(done.paths[::every], output / PREVIEW, seconds_per_frame=every / fps)
    write_video(done.paths, output / VIDEO, fps)
    return record


def mean_losses(losses: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each term's mean over the frames that report it."""
    terms = sorted({term for frame in losses for term in frame})
    return {
        term: float(np.mean([frame[term] for frame in losses if term in frame]))
        for term in terms
    }


__all__ = [
    "PREVIEW",
    "REPORT",
    "VIDEO",
    "FramesSoFar",
    "mean_losses",
    "read_back",
    "write_report",
]
