"""How much memory a run needs, and when to tile: one place to import both halves.

- :mod:`tf_style.memory.footprint`: what a step holds per image pixel (VGG19's
  activations, the image-sized state of the step and its optimiser, what a tiled
  step keeps whole), from constants measured by ``benchmarks/print_size.py``;
- :mod:`tf_style.memory.budget`: each scale run whole or tile by tile
  (:mod:`tf_style.tiles`) within the memory it may use, the least budget a size
  needs, and :class:`TooLarge` where even tiles do not fit.

What a run may use is read by :mod:`tf_style.memory.free`.
"""

from __future__ import annotations

from tf_style.memory.budget import (
    DEFAULT_WINDOW_BYTES,
    MAX_WINDOW_BYTES,
    MIN_WINDOW_BYTES,
    TooLarge,
    at_scale,
    largest_side,
    least_at_scale,
    least_budget,
    no_larger_than_later,
    plan_scales,
    plan_tiling,
    run_options,
    window_budget,
)
from tf_style.memory.footprint import (
    FIXED_BYTES,
    IMAGE_COPIES,
    OPTIMIZER_COPIES,
    PRECONDITIONER_COPIES,
    boundary_bytes_per_pixel,
    dtype_bytes,
    forward_bytes_per_pixel,
    state_bytes_per_pixel,
    step_bytes,
    tiled_fixed_bytes,
    whole_workspace_bytes,
)

__all__ = [
    "DEFAULT_WINDOW_BYTES",
    "FIXED_BYTES",
    "IMAGE_COPIES",
    "MAX_WINDOW_BYTES",
    "MIN_WINDOW_BYTES",
    "OPTIMIZER_COPIES",
    "PRECONDITIONER_COPIES",
    "TooLarge",
    "at_scale",
    "boundary_bytes_per_pixel",
    "dtype_bytes",
    "forward_bytes_per_pixel",
    "largest_side",
    "least_at_scale",
    "least_budget",
    "no_larger_than_later",
    "plan_scales",
    "plan_tiling",
    "run_options",
    "state_bytes_per_pixel",
    "step_bytes",
    "tiled_fixed_bytes",
    "whole_workspace_bytes",
    "window_budget",
]
