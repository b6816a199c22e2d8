"""Fitting a run into the memory it may use: whether each scale's step runs whole or
tile by tile (:mod:`tf_style.tiles`), with tiles as large as the rest of the budget
allows, and the least budget a size needs, or the refusal that names it. The bytes
themselves come from :mod:`tf_style.memory.footprint`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from tf_style.config import StyleTransferConfig
from tf_style.config.byte_sizes import format_memory
from tf_style.memory.footprint import (
    step_bytes,
    tiled_fixed_bytes,
    whole_workspace_bytes,
)
from tf_style.shapes import scale_sizes
from tf_style.tiles.tiling import Tiling

# The smallest tile workspace worth running (below it the halos cost more than
# the cores).
MIN_WINDOW_BYTES = 64 << 20
# Tiles larger than this save little halo work and only cost memory.
MAX_WINDOW_BYTES = 4 << 30
# The workspace of a tiled run whose budget is unknown.
DEFAULT_WINDOW_BYTES = 1 << 30


def window_budget(
    size: Sequence[int],
    layers: Iterable[str],
    content_layers: Iterable[str],
    budget: int,
    **options,
) -> int | None:
    """Bytes left for one tile's activations within ``budget``, or None when even
    the smallest workspace does not fit."""
    room = budget - tiled_fixed_bytes(size, layers, content_layers, **options)
    return room if room >= MIN_WINDOW_BYTES else None


def largest_side(
    size: Sequence[int], fits: Callable[[tuple[int, int]], bool], limit: int = 1 << 16
) -> int:
    """The largest long side (this aspect ratio) for which ``fits((h, w))``."""
    height, width = (int(side) for side in size)
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        scale = middle / max(height, width)
        shape = (max(1, int(height * scale)), max(1, int(width * scale)))
        low, high = (middle, high) if fits(shape) else (low, middle - 1)
    return low


class TooLarge(ValueError):
    """Even tile by tile, a run of this size does not fit in the memory it may use.

    Attributes:
        largest: the largest long side (same aspect ratio) that would fit.
        needed: the least memory, in bytes, in which this run would fit
            (:func:`least_budget`).
    """

    def __init__(self, message: str, largest: int, needed: int):
        super().__init__(message)
        self.largest = largest
        self.needed = needed


def run_options(config: StyleTransferConfig, batch: int = 1) -> dict:
    """The settings of ``config`` that the estimates depend on."""
    return {
        "precision": config.mixed_precision,
        "optimizer": config.optimizer,
        "history": config.lbfgs_history,
        "preconditioner": config.preconditioner,
        "batch": batch,
    }


def plan_tiling(
    size: Sequence[int],
    config: StyleTransferConfig,
    budget: int | None,
    *,
    batch: int = 1,
) -> Tiling | None:
    """Whether a step at ``size`` runs whole (None) or tiled, and how large the tiles.

    ``config.tiling``: ``off`` never tiles, ``on`` always does, ``auto`` tiles when
    the whole-image step's estimate exceeds ``budget`` (bytes; None: unknown, so
    never; ``on`` then takes 1 GiB tiles). Tiles take what the budget leaves after
    the whole-image state.

    Raises:
        TooLarge: even tiled, the run does not fit; names the largest long side
            and the least budget that would do.
    """
    layers = (*config.style_layers, *config.content_layers)
    options = run_options(config, batch)
    if budget is None:
        return None if config.tiling != "on" else Tiling(DEFAULT_WINDOW_BYTES)
    if config.tiling != "on" and step_bytes(size, layers, **options) <= budget:
        return None
    window = None
    if config.tiling != "off":
        window = window_budget(size, layers, config.content_layers, budget, **options)
    if window is None:
        raise _refusal(
            size,
            config,
            budget,
            lambda shape: least_at_scale(shape, config, batch=batch),
        )
    if window >= MAX_WINDOW_BYTES:  # memory to spare
        return Tiling(MAX_WINDOW_BYTES)
    # The budget sized the tiles. Pass 1 keeps no stage's forward for pass 2
    # (tiles.kept): TensorFlow's pool placed a kept stage beside, not inside, the
    # later windows' room, and a 4096 px final scale peaked 0.22 GB higher.
    return Tiling(window, keep_bytes=0)


def _refusal(
    size: Sequence[int],
    config: StyleTransferConfig,
    budget: int,
    least: Callable[[Sequence[int]], int],
) -> TooLarge:
    """The refusal of a run at ``size`` that needs ``least(size)`` bytes, more than
    ``budget``, with the largest long side that ``least`` fits in it."""
    needed = least(size)
    largest = largest_side(size, lambda shape: least(shape) <= budget)
    how = "at once" if config.tiling == "off" else "even tile by tile"
    height, width = (int(side) for side in size)
    return TooLarge(
        f"a {width}x{height} px image needs {needed / 2**30:.2f} GiB {how}, more "
        f"than the {budget / 2**30:.2f} GiB it may use (memory_limit "
        f"{format_memory(needed)} or more would do).",
        largest,
        needed,
    )


def at_scale(config: StyleTransferConfig, steps: int) -> StyleTransferConfig:
    """``config`` for a scale of ``steps`` steps: L-BFGS keeps at most ``steps - 1``
    pairs (the pair a step stores serves the steps after it, so the last one's is
    never used; each costs two image-sized vectors)."""
    history = max(1, min(config.lbfgs_history, steps - 1))
    return dataclasses.replace(config, lbfgs_history=history)


def plan_scales(
    size: Sequence[int],
    config: StyleTransferConfig,
    budget: int | None,
    *,
    batch: int = 1,
) -> list[Tiling | None]:
    """:func:`plan_tiling` for each scale of ``config``'s schedule, at ``size``,
    with no scale's workspace larger than a later tiled scale's
    (:func:`no_larger_than_later`).

    Raises:
        TooLarge: the run needs more than ``budget`` at some scale; names the
            largest long side whose whole schedule fits, and the least budget
            this size needs.
    """
    least = lambda shape: least_budget(shape, config, batch=batch)  # noqa: E731
    if budget is not None and least(size) > budget:
        raise _refusal(size, config, budget, least)
    layers = (*config.style_layers, *config.content_layers)
    plans, workspaces = [], []
    for scaled, settings in _scales(size, config):
        plans.append(plan_tiling(scaled, settings, budget, batch=batch))
        workspaces.append(
            whole_workspace_bytes(scaled, layers, settings.mixed_precision, batch)
        )
    return no_larger_than_later(plans, workspaces)


def least_budget(
    size: Sequence[int], config: StyleTransferConfig, *, batch: int = 1
) -> int:
    """The least memory, in bytes, in which :func:`plan_scales` can plan a run at
    ``size``: at each scale, the whole-image step (unless ``config.tiling`` is
    ``on``) or the tiled run's image-sized state plus the smallest tile workspace
    (unless it is ``off``), whichever is less; the largest over the scales.

    Below :data:`FIXED_BYTES` (TensorFlow, Keras and VGG19's weights) nothing fits,
    whatever the size.
    """
    return max(
        least_at_scale(scaled, settings, batch=batch)
        for scaled, settings in _scales(size, config)
    )


def least_at_scale(
    size: Sequence[int], config: StyleTransferConfig, *, batch: int = 1
) -> int:
    """:func:`least_budget` of one scale's step at ``size``."""
    layers = (*config.style_layers, *config.content_layers)
    options = run_options(config, batch)
    whole = step_bytes(size, layers, **options)
    tiled = MIN_WINDOW_BYTES + tiled_fixed_bytes(
        size, layers, config.content_layers, **options
    )
    return {"off": whole, "on": tiled}.get(config.tiling, min(whole, tiled))


def _scales(
    size: Sequence[int], config: StyleTransferConfig
) -> list[tuple[tuple[int, int], StyleTransferConfig]]:
    """Each scale's size and settings (:func:`at_scale`), coarse to fine."""
    return [
        (scaled, at_scale(config, steps))
        for scaled, steps in zip(
            scale_sizes(size, config.scales), config.steps_per_scale, strict=True
        )
    ]


def no_larger_than_later(
    plans: Sequence[Tiling | None], workspaces: Sequence[int]
) -> list[Tiling | None]:
    """Each scale's plan, its workspace capped by the smallest later tiled one.

    TensorFlow's CPU allocator (oneDNN's pool) and its GPU allocator keep the
    largest workspace a process has used and never hand it back. A coarse scale
    with large tiles, or run whole, would leave a pool behind that the final
    scale, whose own image-sized state is the largest, then pays for on top: a
    4096 px run planned for 6 GB peaked at 7.6 GB this way. So a scale takes no
    larger tiles than any later tiled scale, and a scale run whole whose
    activations (``workspaces``) exceed that window is tiled with it.
    """
    capped: list[Tiling | None] = []
    smallest: Tiling | None = None
    for plan, workspace in zip(reversed(plans), reversed(workspaces), strict=True):
        if plan is not None:
            if smallest is not None and plan.window_bytes > smallest.window_bytes:
                plan = dataclasses.replace(
                    plan,
                    window_bytes=smallest.window_bytes,
                    keep_bytes=smallest.keep_bytes,
                )
            smallest = plan
        elif smallest is not None and workspace > smallest.window_bytes:
            plan = smallest
        capped.append(plan)
    return capped[::-1]
