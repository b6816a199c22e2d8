"""What a video frame takes from the frames before it (Ruder et al. 2016).

Ruder, Dosovitskiy and Brox, "Artistic style transfer for videos": frame ``t``
starts from stylised frame ``t - 1`` *warped* by the optical flow, and its loss
gains ``weight * sum_j mean(c_j (x - w_j)^2)``, with ``w_j`` the stylised frame
``t - j`` warped onto frame ``t`` and ``c_j`` the reliability of that flow. With one
earlier frame this is their short-term term; with several, their long-term one,
where each pixel is held to the nearest earlier frame that saw it:
``c_long_j = max(c_j - sum_{k < j} c_k, 0)``.

Flows are computed once per frame pair, on the input frames at the run's size, and
cached beside the manifest (:class:`FlowCache`), so a resumed or repeated run never
computes them again.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from tf_style.choices import TEMPORAL_MODES
from tf_style.losses import TemporalTarget
from tf_style.video.measures import PairFlow

FLOW_FOLDER = "flows"


class FlowCache:
    """Flows of frame pairs, kept in ``folder`` as ``.npz`` files.

    A cached flow is used only if it was made from the same pixels (a digest of
    both frames is stored with it); otherwise it is computed again.

    Attributes:
        seconds: time spent computing flows (not reading them) in this process.
    """

    def __init__(self, folder: Path | None):
        self.folder = None if folder is None else Path(folder)
        self.seconds = 0.0
        self.computed = 0

    def pair(
        self, earlier: np.ndarray, current: np.ndarray, key: str | None = None
    ) -> PairFlow:
        """The flows between two frames ``[H, W, 3]`` in [0, 1]; ``key`` names the
        file (no file without it)."""
        digest = _digest(earlier, current)
        path = (
            None if self.folder is None or key is None else self.folder / f"{key}.npz"
        )
        if path is not None and path.is_file():
            try:
                with np.load(path) as stored:
                    if str(stored["digest"]) == digest:
                        return PairFlow(
                            stored["backward"], stored["forward"], stored["mask"]
                        )
            except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
                pass  # unreadable (cut short, say): computed again below
        started = time.perf_counter()
        flow = PairFlow.between(earlier, current)
        self.seconds += time.perf_counter() - started
        self.computed += 1
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial.npz")
            np.savez_compressed(
                partial,
                digest=digest,
                backward=flow.backward,
                forward=flow.forward,
                mask=flow.mask,
            )
            partial.replace(path)
        return flow


def _digest(*images: np.ndarray) -> str:
    hasher = hashlib.sha256()
    for image in images:
        array = np.ascontiguousarray(image, np.float32)
        hasher.update(str(array.shape).encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()[:32]


def long_term_weights(masks: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Ruder et al.'s long-term weights from each earlier frame's reliability,
    nearest first: a pixel counts for the nearest earlier frame that saw it."""
    weights, covered = [], np.zeros_like(masks[0]) if masks else None
    for mask in masks:
        weights.append(np.maximum(mask - covered, 0.0))
        covered = covered + mask
    return weights


def temporal_targets(
    earlier_outputs: Sequence[np.ndarray], flows: Sequence[PairFlow]
) -> list[TemporalTarget]:
    """The targets of frame ``t`` from stylised frames ``t - 1, t - 2, ...`` and
    the flows from each to ``t`` (same order, nearest first)."""
    weights = long_term_weights([flow.mask for flow in flows])
    return [
        TemporalTarget(
            image=tf.constant(flow.onto_current(output)[None]),
            weights=tf.constant(weight[None, ..., None]),
        )
        for output, flow, weight in zip(earlier_outputs, flows, weights, strict=True)
    ]


def warped_start(
    previous_output: np.ndarray, flow: PairFlow, content: np.ndarray
) -> np.ndarray:
    """Stylised frame ``t - 1`` warped onto frame ``t``; where the flow cannot be
    trusted (disoccluded, on a motion boundary, out of view) the frame's content."""
    mask = flow.mask[..., None]
    return mask * flow.onto_current(previous_output) + (1.0 - mask) * content


__all__ = [
    "FLOW_FOLDER",
    "TEMPORAL_MODES",
    "FlowCache",
    "long_term_weights",
    "temporal_targets",
    "warped_start",
]
