"""Optical flow between frames, warping by it, and where it can be trusted.

The flow is OpenCV's DIS (Kroeger et al. 2016, "Fast Optical Flow using Dense
Inverse Search"), from ``opencv-python-headless``: a well-kept library whose dense
flow takes milliseconds per frame pair on a CPU (measured in ``benchmarks/video.py``)
where a stylised frame takes seconds, so the flow is never the slow part. Ruder et
al. used DeepFlow/EpicFlow, which are slower and not packaged for Python.

Conventions: images are float ``[H, W, 3]`` in [0, 1] (NumPy); a flow is float32
``[H, W, 2]`` holding ``(dx, dy)`` per pixel, and ``flow_from(a, b)`` maps each pixel
``x`` of ``a`` to where it is in ``b``: ``a(x) ~ b(x + flow(x))``. So
``warp(b, flow_from(a, b))`` is ``b`` seen from ``a``'s pixels.
"""

from __future__ import annotations

import numpy as np

# DIS's "medium" preset: on 160x120 clips with known motion its end-point error was
# a fraction of a pixel (tests/test_video.py); "fast" loses detail, "ultrafast" more.
DIS_PRESET = "MEDIUM"

# Ruder et al. 2016, section 3.3: a pixel is disoccluded where the forward and
# backward flows do not cancel, and on a motion boundary where the flow's gradient
# is large (their constants, for flows in pixels).
CONSISTENCY_RELATIVE = 0.01
CONSISTENCY_ABSOLUTE = 0.5
BOUNDARY_RELATIVE = 0.01
BOUNDARY_ABSOLUTE = 0.002


class FlowUnavailable(RuntimeError):
    """OpenCV is not installed (the ``video`` extra)."""


def _cv2():
    try:
        import cv2
    except ImportError as error:  # pragma: no cover - depends on the install
        raise FlowUnavailable(
            "optical flow needs OpenCV: pip install 'tf_style[video]' "
            "(opencv-python-headless)"
        ) from error
    return cv2


def to_grey_bytes(image: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` in [0, 1] as the 8-bit grey image DIS reads."""
    grey = np.asarray(image, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(grey * 255.0), 0, 255).astype(np.uint8)


def flow_from(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from image ``a`` to image ``b`` (see the module's conventions)."""
    cv2 = _cv2()
    if a.shape != b.shape:
        raise ValueError(
            f"flow between frames of different sizes: {a.shape}, {b.shape}"
        )
    dis = cv2.DISOpticalFlow_create(
        getattr(cv2, f"DISOPTICAL_FLOW_PRESET_{DIS_PRESET}")
    )
    flow = dis.calc(to_grey_bytes(a), to_grey_bytes(b), None)
    return np.asarray(flow, np.float32)


def sample_positions(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel's flow lands: ``(x + dx, y + dy)`` as float32 maps."""
    height, width = flow.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``x + flow(x)`` (bilinear; the border repeated).

    ``warp(previous_output, flow_from(frame, previous_frame))`` moves the previous
    result onto the current frame's pixels.
    """
    cv2 = _cv2()
    map_x, map_y = sample_positions(flow)
    warped = cv2.remap(
        np.asarray(image, np.float32),
        map_x,
        map_y,
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return warped.reshape(np.shape(image))


def reliability(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Ruder et al.'s weights ``c``: 1 where the backward flow can be trusted, 0 at
    disocclusions and motion boundaries. ``[H, W]`` float32.

    Args:
        backward: flow from the current frame to the earlier one.
        forward: flow from the earlier frame to the current one.
    """
    returned = warp(forward, backward)  # the forward flow at where each pixel came from
    mismatch = np.sum((backward + returned) ** 2, axis=-1)
    scale = np.sum(backward**2, axis=-1) + np.sum(returned**2, axis=-1)
    disoccluded = mismatch > CONSISTENCY_RELATIVE * scale + CONSISTENCY_ABSOLUTE
    steepness = sum(_forward_differences(backward[..., k]) for k in range(2))
    boundary = (
        steepness > BOUNDARY_RELATIVE * np.sum(backward**2, -1) + BOUNDARY_ABSOLUTE
    )
    outside = _leaves_frame(backward)
    return (~(disoccluded | boundary | outside)).astype(np.float32)


def _forward_differences(channel: np.ndarray) -> np.ndarray:
    """``|grad|^2`` by forward differences (0 past the last row and column), as
    Ruder et al.'s code: central differences would halve a sharp step."""
    dy = np.zeros_like(channel)
    dx = np.zeros_like(channel)
    dy[:-1] = np.diff(channel, axis=0)
    dx[:, :-1] = np.diff(channel, axis=1)
    return dy**2 + dx**2


def _leaves_frame(flow: np.ndarray) -> np.ndarray:
    """Pixels whose flow points outside the frame: nothing there to agree with."""
    height, width = flow.shape[:2]
    map_x, map_y = sample_positions(flow)
    return (map_x < 0) | (map_x > width - 1) | (map_y < 0) | (map_y > height - 1)


__all__ = [
    "DIS_PRESET",
    "FlowUnavailable",
    "flow_from",
    "reliability",
    "sample_positions",
    "to_grey_bytes",
    "warp",
]
