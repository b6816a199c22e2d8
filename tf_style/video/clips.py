"""Test clips with known motion: a pan, a zoom, and an object crossing a pan.

Made here, so tests and benchmarks need no footage and know the true flow. The
scene is a smooth random texture with some edges (something for both the flow and
the style to hold on to), rendered by sampling one large still at moving positions:
frame ``t`` of a pan shows the still shifted by ``t`` times the velocity, so the
true flow from frame ``t`` to ``t - 1`` is the velocity everywhere the object is
not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLIP_KINDS = ("pan", "zoom", "occluder")


@dataclass(frozen=True)
class Clip:
    """Frames ``[H, W, 3]`` in [0, 1] and the true backward flows.

    ``flows[t - 1]`` maps each pixel of frame ``t`` to frame ``t - 1`` (NaN where the
    point was hidden by the object a frame before; a flow pointing out of the
    frame is left as it is).
    """

    frames: list[np.ndarray]
    flows: list[np.ndarray]


def still(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth coloured texture with a few hard-edged shapes, ``[H, W, 3]``."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width] / max(height, width)
    image = np.zeros((height, width, 3))
    for _ in range(12):  # smooth waves
        fy, fx = rng.uniform(-12, 12, 2)
        phase = rng.uniform(0, 2 * np.pi)
        image += (
            rng.uniform(0.02, 0.08, 3)
            * np.sin(2 * np.pi * (fy * ys + fx * xs) + phase)[..., None]
        )
    for _ in range(10):  # discs with hard edges
        cy, cx, radius = (
            rng.uniform(0, 1),
            rng.uniform(0, width / max(height, width)),
            rng.uniform(0.03, 0.1),
        )
        inside = (ys - cy) ** 2 + (xs - cx) ** 2 < radius**2
        image[inside] += rng.uniform(-0.3, 0.3, 3)
    return np.clip(image + 0.5, 0, 1).astype(np.float32)


def _sample(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``image`` at float positions (clamped to the edges)."""
    height, width = image.shape[:2]
    x = np.clip(map_x, 0, width - 1)
    y = np.clip(map_y, 0, height - 1)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    x1, y1 = np.minimum(x0 + 1, width - 1), np.minimum(y0 + 1, height - 1)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def _fit(photo: np.ndarray, height: int, width: int) -> np.ndarray:
    """``photo`` resized (bilinear) to exactly ``height`` x ``width``."""
    rows, cols = photo.shape[:2]
    ys = np.linspace(0, rows - 1, height, dtype=np.float32)
    xs = np.linspace(0, cols - 1, width, dtype=np.float32)
    map_x, map_y = np.meshgrid(xs, ys)
    return _sample(np.asarray(photo, np.float32), map_x, map_y)


def make_clip(
    kind: str,
    frames: int = 6,
    size: tuple[int, int] = (48, 64),
    *,
    speed: float = 2.0,
    seed: int = 0,
    scene: np.ndarray | None = None,
) -> Clip:
    """A clip of ``kind`` (one of :data:`CLIP_KINDS`), ``size`` = (H, W).

    ``speed`` is pixels per frame: the pan's shift, the zoom's growth at the
    corners, the object's own motion (it moves against the pan). ``scene``: a
    photo ``[h, w, 3]`` in [0, 1] to film instead of the generated still (resized
    to cover the frame and the camera's travel).
    """
    if kind not in CLIP_KINDS:
        raise ValueError(
            f"unknown clip {kind!r}; choose one of {', '.join(CLIP_KINDS)}"
        )
    height, width = size
    margin = int(np.ceil(speed * frames)) + 4
    scene = (
        still(height + 2 * margin, width + 2 * margin, seed)
        if scene is None
        else _fit(scene, height + 2 * margin, width + 2 * margin)
    )
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    velocity = np.array([speed, 0.5 * speed], np.float32)  # (dx, dy) of the camera
    centre = np.array([(width - 1) / 2, (height - 1) / 2], np.float32)
    # zoom: frame t shows the scene scaled by growth**t about the centre
    growth = 1.0 + speed / max(centre.max(), 1.0)
    side = max(4, min(height, width) // 3)
    patch = still(side, side, seed + 1)[..., ::-1]  # the object: other colours
    pictures, positions = [], []
    for t in range(frames):
        if kind == "zoom":
            zoom = growth**t
            px = centre[0] + (xs - centre[0]) / zoom + margin
            py = centre[1] + (ys - centre[1]) / zoom + margin
        else:
            px, py = xs + margin + t * velocity[0], ys + margin + t * velocity[1]
        picture = _sample(scene, px, py)
        if kind == "occluder":
            top = int(height / 2 - side / 2)
            left = int(2 + t * 1.5 * speed) % max(1, width - side)
            picture[top : top + side, left : left + side] = patch
            positions.append((top, left))
        pictures.append(picture)
    flows = []
    for t in range(1, frames):
        if kind == "zoom":
            flow = np.stack(
                [
                    (xs - centre[0]) / growth + centre[0] - xs,
                    (ys - centre[1]) / growth + centre[1] - ys,
                ],
                -1,
            )
        else:
            flow = np.broadcast_to(velocity, (height, width, 2)).copy()
        if kind == "occluder":
            (top0, left0), (top1, left1) = positions[t - 1], positions[t]
            flow[top1 : top1 + side, left1 : left1 + side] = (
                left0 - left1,
                top0 - top1,
            )
            # background pixels that were under the object a frame ago: hidden then
            back_x, back_y = xs + flow[..., 0], ys + flow[..., 1]
            was_hidden = (
                (back_y >= top0)
                & (back_y < top0 + side)
                & (back_x >= left0)
                & (back_x < left0 + side)
            )
            on_object = np.zeros((height, width), bool)
            on_object[top1 : top1 + side, left1 : left1 + side] = True
            flow[was_hidden & ~on_object] = np.nan
        flows.append(flow.astype(np.float32))
    return Clip(pictures, flows)


__all__ = ["CLIP_KINDS", "Clip", "make_clip", "still"]
