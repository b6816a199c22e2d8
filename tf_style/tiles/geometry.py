"""Tiles of an image: a core each (the positions it owns) and a window (core + halo).

Pure geometry, checked by hand in the tests. Cores partition the image; a window is
the core grown by ``halo`` on every side and clipped to the image. Every core edge
and every window edge inside the image is a multiple of ``align`` (the stride of the
stage's poolings), so a pooling sees the same 2x2 groups in a window as in the whole
image, and the core's positions at any layer of the stage are whole numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """One axis of a tile: core ``[start, end)`` inside window ``[low, high)``."""

    start: int
    end: int
    low: int
    high: int
    size: int  # the whole axis

    def core_in(self, stride: int) -> tuple[int, int]:
        """The core as ``[first, last)`` of a layer at ``stride`` *inside the window*.

        A core ending at the image's edge ends its window too, and a map at
        ``stride`` then has ``(high - low) // stride`` positions (each 2x2 pooling
        floors an odd side), so one formula serves every core.
        """
        return (self.start - self.low) // stride, (self.end - self.low) // stride

    def core_at(self, stride: int) -> tuple[int, int]:
        """The core as ``[first, last)`` of a layer at ``stride`` in the *whole* map."""
        return self.start // stride, self.end // stride


@dataclass(frozen=True)
class Tile:
    """A tile: its rows and its columns (see :class:`Span`)."""

    rows: Span
    cols: Span

    @property
    def window_pixels(self) -> int:
        return (self.rows.high - self.rows.low) * (self.cols.high - self.cols.low)


def cuts(size: int, core: int, align: int) -> list[int]:
    """Core edges along one axis: ``0, ..., size``, about ``core`` apart, aligned.

    The cores are made as equal as alignment allows (eleven 100 px cores, not ten
    and a sliver), so the windows, and their cost, are alike.
    """
    if core < align:
        raise ValueError(f"a core of {core} px is smaller than the alignment {align}.")
    count = max(1, math.ceil(size / core))
    edges = [0]
    for index in range(1, count):
        edge = round(index * size / count / align) * align
        if edges[-1] < edge < size:
            edges.append(edge)
    return [*edges, size]


def spans(size: int, core: int, halo: int, align: int) -> list[Span]:
    """The spans of one axis."""
    if halo % align:
        raise ValueError(f"the halo {halo} is not a multiple of the alignment {align}.")
    edges = cuts(size, core, align)
    return [
        Span(start, end, max(0, start - halo), min(size, end + halo), size)
        for start, end in zip(edges, edges[1:], strict=False)
    ]


def tile_grid(
    size: Sequence[int], core: Sequence[int] | int, halo: int, align: int
) -> list[Tile]:
    """Tiles covering an image of ``size`` (H, W), row by row.

    Args:
        size: the image's (H, W).
        core: the largest core side (one number, or (rows, cols)); rounded as
            :func:`cuts` says.
        halo: how far a window reaches past its core (a multiple of ``align``).
        align: what every inner edge is a multiple of.
    """
    core_rows, core_cols = (core, core) if isinstance(core, int) else core
    return [
        Tile(rows, cols)
        for rows in spans(int(size[0]), int(core_rows), halo, align)
        for cols in spans(int(size[1]), int(core_cols), halo, align)
    ]


__all__ = ["Span", "Tile", "cuts", "spans", "tile_grid"]
