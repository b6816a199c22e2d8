"""How large a tile may be: a memory budget per window, or a fixed core (tests).

:class:`Tiling` is what a :class:`~tf_style.objective.StyleContentLoss` holds when it
is evaluated tile by tile; :mod:`tf_style.memory` chooses it from the memory a run
may use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from tf_style.tiles.geometry import Tile, tile_grid
from tf_style.tiles.stages import Stage

# Called after each tile: (pass, stage index, tile index, tiles, stages), 0-based.
TileCallback = Callable[[str, int, int, int, int], None]


@dataclass(frozen=True)
class Tiling:
    """How large the tiles may be: activations of at most ``window_bytes`` per tile.

    Each stage gets square-ish windows of that many bytes of forward and backward
    activations (:meth:`Stage.window_bytes_per_pixel`), so the deep stages, with
    fewer positions per image pixel, cut their smaller maps into fewer tiles.
    """

    window_bytes: int
    core_pixels: int | None = None
    callback: TileCallback | None = field(default=None, compare=False)
    keep_bytes: int | None = None

    @property
    def keep_budget(self) -> int:
        """Activations pass 1 may keep for pass 2 (:mod:`tf_style.tiles.kept`):
        ``keep_bytes``, or by default one window's."""
        return self.window_bytes if self.keep_bytes is None else self.keep_bytes

    def core(self, stage: Stage, dtype_bytes: int) -> int:
        """The core side for ``stage``, in positions of its input.

        ``core_pixels``, where given, fixes it instead: that many image pixels (at
        least one pooling's width), whatever the memory (the tests use it).

        Raises:
            ValueError: a window too small to hold the stage's halo.
        """
        if self.core_pixels is not None:
            side = self.core_pixels // stage.input_stride
            return max(stage.stride, side - side % stage.stride)
        pixels = self.window_bytes / stage.window_bytes_per_pixel(dtype_bytes)
        side = int(math.sqrt(max(pixels, 0))) - 2 * stage.halo
        side -= side % stage.stride
        if side < stage.stride:
            raise ValueError(
                f"a tile of {self.window_bytes / 2**20:.0f} MiB cannot hold a window "
                f"of the stage from {stage.layers[0].name} (halo {stage.halo}); "
                "allow more memory."
            )
        return side

    def tiles(
        self, stage: Stage, size: tuple[int, int], dtype_bytes: int
    ) -> list[Tile]:
        return tile_grid(size, self.core(stage, dtype_bytes), stage.halo, stage.stride)


__all__ = ["TileCallback", "Tiling"]
