"""What one step holds, per image pixel: VGG19's activations (kept for the backward
pass), the image-sized tensors of the step and its optimiser, and what a tiled step
keeps whole. The constants are measured: ``benchmarks/print_size.py`` checks the
estimate against the peak resident memory of real runs. Plain values in, bytes out:
:mod:`tf_style.memory.budget` turns these figures into a plan for a config.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tf_style.config import TUTORIAL
from tf_style.tiles.stages import BACKWARD_FACTOR, STAGE_ENDS, VGG19_ORDER

# VGG19 before each block: channels. A convolution's output has the block's channels
# at its resolution (1 / 4 ** (block - 1) of the image's pixels).
_BLOCK_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
# TensorFlow, Keras, VGG19's weights and the step's own overhead: the intercept of
# the measured whole-image peaks at 512 and 1024 px (benchmarks/print_size.py).
FIXED_BYTES = 5 << 28  # 1.25 GiB
# Image-sized float32 tensors alive during a step besides the optimiser's own (the
# image, content, start, composed image, gradients, temporaries): measured.
IMAGE_COPIES = 12
# Optimiser state in image-sized float32 tensors: Adam's moments; L-BFGS's
# working vectors (direction, trial point and gradient, the two-loop's), with its
# history (2 per pair) on top.
OPTIMIZER_COPIES = {"adam": 2, "lbfgs": 6}
# The Fourier preconditioner's lasting state (its local scale, the filter) and
# what its FFTs add. Alone the FFTs take 6.6 image copies at 4096 x 2730, but they
# run between evaluations and take that memory from the allocator's pool, which
# the tiles' workspace has already grown and then left free.
PRECONDITIONER_COPIES = 2
# Checked at 4096 x 2730 on a 2-core AMX Xeon (benchmarks/results/print_size/):
# the fast preset's final scale alone peaked at 5.10 GB in bfloat16 planned for
# 6 GiB and 5.42 GB in float32 planned for 8 GiB; its whole 7-scale run at 6 GiB
# at 5.69-5.92 GB (the pool's history across scales varies between runs). An
# earlier calibration (10 L-BFGS, 8 preconditioner copies) fitted a run whose
# coarse scales had left a 4 GiB pool behind (budget.no_larger_than_later).


def forward_bytes_per_pixel(layers: Iterable[str], dtype_bytes: int = 4) -> float:
    """Bytes of VGG19 activations per input pixel, up to the deepest of ``layers``.

    Every convolution (and the pooling after each finished block) before the
    deepest layer is counted: all are kept for the backward pass.
    """
    names = [name for name in VGG19_ORDER if "conv" in name]
    deepest = max(names.index(name) for name in layers)
    values = 0.0
    for name in names[: deepest + 1]:
        block = int(name[5])
        values += _BLOCK_CHANNELS[block] / 4 ** (block - 1)
    last_block = int(names[deepest][5])
    for block in range(1, last_block):  # poolings between finished blocks
        values += _BLOCK_CHANNELS[block] / 4**block
    return values * dtype_bytes


def state_bytes_per_pixel(
    optimizer: str = TUTORIAL.optimizer,
    history: int = TUTORIAL.lbfgs_history,
    preconditioner: str = TUTORIAL.preconditioner,
) -> float:
    """Bytes per image pixel of everything image-sized a run keeps (3 channels)."""
    copies = IMAGE_COPIES + OPTIMIZER_COPIES[optimizer]
    if optimizer == "lbfgs":
        copies += 2 * history
        copies += PRECONDITIONER_COPIES if preconditioner != "none" else 0
    return copies * 3 * 4


def dtype_bytes(precision: str) -> int:
    """Bytes per activation: 16-bit precisions halve them; ``auto`` counts as what
    it picks on this machine (:func:`tf_style.precision.auto_precision`)."""
    if precision == "auto":
        from tf_style.precision import auto_precision  # may measure, once a machine

        precision = auto_precision().precision
    return 4 if precision == "float32" else 2


def step_bytes(
    size: Sequence[int],
    layers: Iterable[str],
    *,
    precision: str = TUTORIAL.mixed_precision,
    optimizer: str = TUTORIAL.optimizer,
    history: int = TUTORIAL.lbfgs_history,
    preconditioner: str = TUTORIAL.preconditioner,
    batch: int = 1,
) -> int:
    """Estimated peak memory of a run whose steps see the whole image at once."""
    pixels = int(size[0]) * int(size[1]) * batch
    state = state_bytes_per_pixel(optimizer, history, preconditioner) * pixels
    return (
        FIXED_BYTES + whole_workspace_bytes(size, layers, precision, batch) + int(state)
    )


def boundary_bytes_per_pixel(
    layers: Iterable[str], content_layers: Iterable[str], precision: str
) -> float:
    """Bytes per image pixel a tiled step keeps whole: each stage's input (kept
    from the forward pass for the backward one), the largest two stage gradients
    (float32) and the content layers' targets (float32)."""
    deepest = max(VGG19_ORDER.index(name) for name in layers)
    kept, gradients = [], []
    for end in STAGE_ENDS:
        if VGG19_ORDER.index(end) < deepest:
            values = _values_after(end)
            kept.append(values * dtype_bytes(precision))
            gradients.append(values * 4)
    content = sum(_values_after(name) * 4 for name in set(content_layers))
    return sum(kept) + sum(sorted(gradients)[-2:]) + content


def _values_after(name: str) -> float:
    """Values per image pixel of the output of VGG19's layer ``name``."""
    block = int(name[5])
    poolings = block if name.endswith("pool") else block - 1
    return _BLOCK_CHANNELS[block] / 4**poolings


def tiled_fixed_bytes(
    size: Sequence[int],
    layers: Iterable[str],
    content_layers: Iterable[str],
    *,
    precision: str = TUTORIAL.mixed_precision,
    optimizer: str = TUTORIAL.optimizer,
    history: int = TUTORIAL.lbfgs_history,
    preconditioner: str = TUTORIAL.preconditioner,
    batch: int = 1,
) -> int:
    """Memory of a tiled run before its tile workspace."""
    pixels = int(size[0]) * int(size[1]) * batch
    per_pixel = state_bytes_per_pixel(optimizer, history, preconditioner)
    per_pixel += boundary_bytes_per_pixel(layers, content_layers, precision)
    return FIXED_BYTES + int(per_pixel * pixels)


def whole_workspace_bytes(
    size: Sequence[int], layers: Iterable[str], precision: str, batch: int = 1
) -> int:
    """The activations of a whole-image step (:func:`step_bytes` less the state)."""
    pixels = int(size[0]) * int(size[1]) * batch
    activations = forward_bytes_per_pixel(layers, dtype_bytes(precision))
    per_pixel = BACKWARD_FACTOR * activations
    return int(per_pixel * pixels)
