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
import io
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from tf_style.config.choices import TEMPORAL_MODES
from tf_style.losses import TemporalTarget
from tf_style.paths.atomic import atomic_write
from tf_style.video.files import VideoError, read_regular_file
from tf_style.video.measures import PairFlow

FLOW_FOLDER = "flows"
_log = logging.getLogger(__name__)


class FlowCacheError(VideoError):
    """The flow cache's folder cannot be one: a file (or another non-folder) is
    where it should be. A ``ValueError``, as :class:`VideoError` is."""


class FlowCache:
    """Flows of frame pairs, kept in ``folder`` as ``.npz`` files.

    A cached flow is used only if it was made from the same pixels (a digest of
    both frames is stored with it) and holds what a flow of those frames holds
    (names, dtypes, shapes, finite values); anything else (a file cut short,
    damaged, oversized, mistyped, or not a regular file) is computed again. Each
    file is written through a temporary file and a rename; a write that fails (a
    full disk) leaves nothing behind and does not stop the run: the flow is used,
    the cache is only a cache. The first such failure is logged (to stderr where
    logging is not set up) and kept in ``unwritable``.

    Attributes:
        seconds: time spent computing flows (not reading them) in this process.
        computed: how many flows were computed (not read) in this process.
        unwritable: why the cache could not be written, or None.

    Raises:
        FlowCacheError: on construction, where ``folder`` or a parent of it exists
            and is not a folder.
    """

    def __init__(self, folder: Path | None):
        self.folder = None if folder is None else Path(folder)
        self.seconds = 0.0
        self.computed = 0
        self.unwritable: str | None = None
        if self.folder is not None:
            _check_folder(self.folder)

    def pair(
        self, earlier: np.ndarray, current: np.ndarray, key: str | None = None
    ) -> PairFlow:
        """The flows between two frames ``[H, W, 3]`` in [0, 1]; ``key`` names the
        file (no file without it)."""
        digest = _digest(earlier, current)
        path = (
            None if self.folder is None or key is None else self.folder / f"{key}.npz"
        )
        if path is not None:
            cached = _read_flow(path, digest, earlier.shape[:2])
            if cached is not None:
                return cached
        started = time.perf_counter()
        flow = PairFlow.between(earlier, current)
        self.seconds += time.perf_counter() - started
        self.computed += 1
        if path is not None:
            self._write(path, digest, flow)
        return flow

    def _write(self, path: Path, digest: str, flow: PairFlow) -> None:
        try:
            with atomic_write(path) as handle:
                np.savez_compressed(
                    handle,
                    digest=digest,
                    backward=flow.backward,
                    forward=flow.forward,
                    mask=flow.mask,
                )
        except OSError as error:
            if self.unwritable is None:
                self.unwritable = f"{path}: {error.strerror or error}"
                _log.warning(
                    "tf_style: cannot cache optical flows (%s); the run goes on, and "
                    "a rerun computes them again.",
                    self.unwritable,
                )


_FLOW_ARRAYS = ("backward", "forward", "mask")


def _check_folder(folder: Path) -> None:
    for each in (folder, *folder.parents):
        if each.is_dir():
            return
        if each.exists() or each.is_symlink():
            raise FlowCacheError(
                f"{each} is not a folder, where the optical flows are cached "
                f"({folder}); move it away, or choose another output folder."
            )


def _read_flow(path: Path, digest: str, size: tuple[int, int]) -> PairFlow | None:
    """The flow cached at ``path`` for frames of ``size`` (height, width) with this
    ``digest``, or None where there is none that is whole and well-typed."""
    height, width = size
    limits = {"digest.npy": 4096}
    limits |= {f"{name}.npy": 4096 + height * width * 8 for name in _FLOW_ARRAYS}
    try:
        data = read_regular_file(path, limit=sum(limits.values()) + 2**16)
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            members = stored.zip.infolist()  # checked before any is decompressed
            if sorted(m.filename for m in members) != sorted(limits) or any(
                m.file_size > limits[m.filename] for m in members
            ):
                return None
            stored_digest = stored["digest"]
            arrays = [stored[name] for name in _FLOW_ARRAYS]
    except Exception:  # a cache: whatever is wrong with it, the flow is computed
        return None
    shapes = [(height, width, 2), (height, width, 2), (height, width)]
    if (
        stored_digest.shape != ()
        or stored_digest.dtype.kind != "U"
        or str(stored_digest) != digest
        or any(a.dtype != np.float32 for a in arrays)
        or [a.shape for a in arrays] != shapes
        or not all(np.isfinite(a).all() for a in arrays)
    ):
        return None
    return PairFlow(*arrays)


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
    "FlowCacheError",
    "long_term_weights",
    "temporal_targets",
    "warped_start",
]
