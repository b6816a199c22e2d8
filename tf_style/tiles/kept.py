"""Stages that pass 1 runs in one tile keep their forward for pass 2.

Pass 2 normally runs each tile's forward again (pass 1 could not back-propagate:
the seeds need every tile's Gram sums first). That costs a forward of the whole
network per evaluation, a third more than the untiled step, and VGG19's deep
stages cost as much per image pixel as its first: at 2048 px the stages after
``block3_pool`` were 40% of pass 1. Their maps are small, though, so they usually
fit in one tile, and a one-tile stage may record its forward on a tape in pass 1
and differentiate it in pass 2 without running it again: the sum it back-propagates
is the same surrogate, ``sum_l <D_l, G_l> + sum_l c_l S_l + <g, output>``, taken as
the tape's output gradients.

Only the *trailing* stages are kept (pass 2 runs them first, so their tapes live
from the end of pass 1 to the start of pass 2, while no other window is alive),
and only while their activations together fit in the memory of one window
(:attr:`Tiling.keep_budget`). Even so TensorFlow's pool may place them beside the
room later windows use: :func:`~tf_style.memory.estimate.plan_tiling` lets only
tiles with memory to spare keep stages (at 2048 px in 6G, float32: 29.3 -> 23.3 s per
evaluation, the untiled step 17.3 s), not tiles the budget sized.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import tensorflow as tf

from tf_style.tiles.stages import Stage
from tf_style.tiles.tiling import Tiling


@dataclass
class KeptStage:
    """A one-tile stage's forward from pass 1, on a tape, for pass 2."""

    tape: tf.GradientTape
    window: tf.Tensor
    grams: Mapping[str, tf.Tensor]  # style layer: the tile's F^T F
    contents: Mapping[str, tf.Tensor]  # content layer: the squared distance
    output: tf.Tensor | None  # the stage's output (None: the last stage)

    def gradient(
        self,
        style_seeds: Mapping[str, tf.Tensor],
        content_seeds: Mapping[str, tf.Tensor],
        upstream: tf.Tensor | None,
    ) -> tf.Tensor:
        """The surrogate's gradient with respect to the window (float32): what
        :class:`~tf_style.tiles.compiled.StageFunctions`'s ``gradient``
        computes, without the forward."""
        targets, seeds = [], []
        for name, seed in style_seeds.items():
            targets.append(self.grams[name])
            seeds.append(tf.cast(seed, self.grams[name].dtype))
        for name, seed in content_seeds.items():
            targets.append(self.contents[name])
            seeds.append(tf.cast(seed, self.contents[name].dtype))
        if upstream is not None:
            targets.append(self.output)
            seeds.append(tf.cast(upstream, self.output.dtype))
        gradient = self.tape.gradient(targets, self.window, output_gradients=seeds)
        return tf.cast(gradient, tf.float32)


def kept_stages(
    stages: Sequence[Stage],
    sizes: Sequence[tuple[int, int]],
    batch: int,
    tiling: Tiling,
    dtype_bytes: int,
) -> set[int]:
    """The indices of the trailing stages whose forward pass 1 keeps.

    Args:
        sizes: each stage's input size (height, width).
    """
    budget = tiling.keep_budget
    kept: set[int] = set()
    for index in reversed(range(len(stages))):
        stage = stages[index]
        if len(tiling.tiles(stage, sizes[index], dtype_bytes)) > 1:
            break
        cost = (
            batch * stage.window_bytes_per_pixel(dtype_bytes) * math.prod(sizes[index])
        )
        if cost > budget:
            break
        budget -= cost
        kept.add(index)
    return kept


__all__ = ["KeptStage", "kept_stages"]
