"""The temporal warping error (Lai et al. 2018, "Learning Blind Video Temporal
Consistency"), the field's measure of how steady a processed video is.

For consecutive frames ``t - 1, t``: warp output ``t - 1`` onto frame ``t`` with the
*input's* optical flow, and average the squared difference (over RGB, values in
[0, 1], as their reference code) over the pixels the forward-backward check
trusts. A plain difference of consecutive outputs cannot tell stability from
ghosting (a frozen picture scores best); the warped one asks that the picture move
with the scene. The same measure on
the input frames says how well the flow itself explains the footage: the floor a
stylised video can approach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tf_style.video.flow import flow_from, reliability, warp


@dataclass(frozen=True)
class PairFlow:
    """Flows between an earlier frame and the current one, and where they hold.

    Attributes:
        backward: flow from the current frame to the earlier one ``[H, W, 2]``.
        forward: flow from the earlier frame to the current one.
        mask: Ruder et al.'s reliability ``[H, W]`` (1 trusted, 0 not).
    """

    backward: np.ndarray
    forward: np.ndarray
    mask: np.ndarray

    @classmethod
    def between(cls, earlier: np.ndarray, current: np.ndarray) -> PairFlow:
        """Both flows of a frame pair (``[H, W, 3]`` in [0, 1]) and their mask."""
        backward = flow_from(current, earlier)
        forward = flow_from(earlier, current)
        return cls(backward, forward, reliability(backward, forward))

    def onto_current(self, earlier_image: np.ndarray) -> np.ndarray:
        """An image of the earlier frame (its output, say) moved onto the current."""
        return warp(earlier_image, self.backward)


def warping_error(current: np.ndarray, earlier: np.ndarray, flow: PairFlow) -> float:
    """Mean over trusted pixels and RGB of ``(current - warp(earlier))^2``.

    As Lai et al.'s reference code (``evaluate_WarpError.py``) computes it: the
    mask repeated over the channels, so values lie in [0, 1]. NaN where no pixel
    is trusted.
    """
    mask = flow.mask
    if not mask.sum() > 0:
        return float("nan")
    squared = np.mean((current - flow.onto_current(earlier)) ** 2, axis=-1)
    return float(np.sum(mask * squared) / np.sum(mask))


def pair_record(
    names: Sequence[str],
    inputs: Sequence[np.ndarray],
    outputs: Sequence[np.ndarray],
    flow: PairFlow,
) -> dict:
    """One consecutive pair's entry: its names, the outputs' and the inputs'
    warping error, and the share of trusted pixels. Sequences are (earlier,
    current)."""
    return {
        "frames": list(names),
        "output": warping_error(outputs[1], outputs[0], flow),
        "input": warping_error(inputs[1], inputs[0], flow),
        "trusted_fraction": float(np.mean(flow.mask)),
    }


def warping_summary(pairs: Sequence[dict]) -> dict:
    """The record of a sequence from its :func:`pair_record` entries."""
    return {
        "measure": MEASURE,
        "output_mean": _mean([pair["output"] for pair in pairs]),
        "input_mean": _mean([pair["input"] for pair in pairs]),
        "pairs": list(pairs),
    }


MEASURE = (
    "warping error (Lai et al. 2018, as their evaluate_WarpError.py): mean over "
    "RGB and over the pixels the forward-backward check trusts of the squared "
    "difference between frame t and frame t-1 warped onto it by the input's flow; "
    "values in [0, 1]"
)


def warping_report(
    inputs: Sequence[np.ndarray],
    outputs: Sequence[np.ndarray],
    flows: Sequence[PairFlow],
    names: Sequence[str] | None = None,
) -> dict:
    """Per consecutive pair: the outputs' warping error and the inputs'; their means.

    Args:
        inputs, outputs: frames ``[H, W, 3]`` in [0, 1], in order, one size.
        flows: ``flows[t - 1]`` between frames ``t - 1`` and ``t``.
        names: the frames' names for the record (default: their numbers).
    """
    if not len(inputs) == len(outputs) == len(flows) + 1:
        raise ValueError(
            f"{len(inputs)} inputs, {len(outputs)} outputs and {len(flows)} flows: "
            "expected one flow per consecutive pair."
        )
    names = list(names or (str(t) for t in range(len(inputs))))
    pairs = [
        pair_record(
            names[t - 1 : t + 1], inputs[t - 1 : t + 1], outputs[t - 1 : t + 1], flow
        )
        for t, flow in enumerate(flows, start=1)
    ]
    return warping_summary(pairs)


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


__all__ = [
    "MEASURE",
    "PairFlow",
    "pair_record",
    "warping_error",
    "warping_report",
    "warping_summary",
]
