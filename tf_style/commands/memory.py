"""The memory preflight: will one step fit, and if not, what size would?

A step's peak memory is estimated from VGG19's activations (forward and backward,
per pixel) and compared with the free memory of the device that will run it (host
RAM, or the GPU's where ``nvidia-smi`` tells), before any model is built. A refusal
names the largest ``--max-dim`` that would fit.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import PIL.Image

from tf_style.commands.cli import UsageError
from tf_style.config import StyleTransferConfig
from tf_style.orientation import QUARTER_TURNS, exif_orientation
from tf_style.shapes import tutorial_shape
from tf_style.vgg.layers import VGG19_CONV_LAYERS

# VGG19 before each block: input pixels per output pixel (2 ** poolings so far) and
# channels. A convolution's output has the block's channels at its resolution.
_BLOCK_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
# Measured: a train step (forward, backward to the image) keeps about three times the
# forward activations alive (saved activations, their gradients, oneDNN workspace):
# 3.2-3.7 KB per pixel at 256-1024 px for the tutorial's layers on CPU in float32.
ACTIVATION_FACTOR = 3.0
# TensorFlow, Keras and VGG19's weights before the first step (measured: 0.85 GB).
FIXED_BYTES = 1 << 30


def forward_bytes_per_pixel(layers: Iterable[str], dtype_bytes: int = 4) -> float:
    """Bytes of VGG19 activations per input pixel, up to the deepest of ``layers``.

    Every convolution (and the pooling after each finished block) before the
    deepest layer is counted: all are kept for the backward pass.
    """
    deepest = max(VGG19_CONV_LAYERS.index(name) for name in layers)
    values = 0.0
    for name in VGG19_CONV_LAYERS[: deepest + 1]:
        block = int(name[5])
        values += _BLOCK_CHANNELS[block] / 4 ** (block - 1)
    last_block = int(VGG19_CONV_LAYERS[deepest][5])
    for block in range(1, last_block):  # poolings between finished blocks
        values += _BLOCK_CHANNELS[block] / 4**block
    return values * dtype_bytes


def step_bytes(
    size: Sequence[int],
    layers: Iterable[str],
    *,
    precision: str = "float32",
    optimizer: str = "adam",
) -> int:
    """Estimated peak memory of one optimisation step on an image of ``size`` (H, W).

    Args:
        size: the image's height and width.
        layers: every VGG19 layer the loss reads (style and content).
        precision: VGG19's compute precision (16-bit halves the activations;
            ``auto`` is counted as float32, the larger).
        optimizer: ``lbfgs`` adds its history (10 pairs of float64 vectors).
    """
    pixels = int(size[0]) * int(size[1])
    dtype_bytes = 4 if precision in ("float32", "auto") else 2
    per_pixel = ACTIVATION_FACTOR * forward_bytes_per_pixel(layers, dtype_bytes)
    if optimizer == "lbfgs":
        per_pixel += 2 * 10 * 3 * 8
    return FIXED_BYTES + int(per_pixel * pixels)


def largest_max_dim(
    size: Sequence[int], layers: Iterable[str], available: int, **options: str
) -> int:
    """The largest ``max_dim`` whose step fits in ``available`` bytes (this shape)."""
    height, width = (int(side) for side in size)
    ratio = min(height, width) / max(height, width)
    per_pixel = step_bytes((1000, 1000), layers, **options) - FIXED_BYTES
    pixels = max(0, available - FIXED_BYTES) * 1_000_000 / per_pixel
    return int(math.sqrt(pixels / ratio))


def check_memory(
    size: Sequence[int],
    layers: Iterable[str],
    *,
    available: int | None,
    where: str,
    **options: str,
) -> None:
    """Refuse a run whose step cannot fit in ``available`` bytes (None: unknown).

    Raises:
        UsageError: the estimate exceeds what is available; the message gives the
            largest ``--max-dim`` that would fit.
    """
    if available is None:
        return
    layers = tuple(layers)
    needed = step_bytes(size, layers, **options)
    if needed <= available:
        return
    fits = largest_max_dim(size, layers, available, **options)
    height, width = (int(side) for side in size)
    raise UsageError(
        f"a {width}x{height} px image needs about {needed / 2**30:.1f} GiB per step, "
        f"more than the {available / 2**30:.1f} GiB of {where} memory available; "
        f"use --max-dim {fits} or less."
        if fits >= 32
        else f"not even a 32 px image fits in the {available / 2**30:.1f} GiB of "
        f"{where} memory available."
    )


def check_step_memory(size: Sequence[int] | None, config: StyleTransferConfig) -> None:
    """Refuse a size whose step cannot fit in the device's free memory (None: skip).

    The commands check twice: from the file's header before any pixel is decoded or
    resized (a ``--max-dim`` of 100000 would exhaust memory in the resize itself),
    and on the loaded image.
    """
    if size is None:
        return
    import tensorflow as tf  # the device decides which memory counts

    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    check_memory(
        size,
        config.style_layers + config.content_layers,
        available=available_gpu_memory() if on_gpu else available_host_memory(),
        where="GPU" if on_gpu else "host",
        precision=config.mixed_precision,
        optimizer=config.optimizer,
    )


def resized_size(path: Path, max_dim: int) -> tuple[int, int] | None:
    """(H, W) the image will have at ``max_dim``, from the file's header alone.

    None when the header cannot be read: :func:`load_image` then says why.
    """
    try:
        with PIL.Image.open(path) as image:
            width, height = image.size
            if exif_orientation(image) in QUARTER_TURNS:
                width, height = height, width
    except (OSError, ValueError, SyntaxError, PIL.Image.DecompressionBombError):
        return None
    return tutorial_shape((height, width), max_dim)


def available_host_memory() -> int | None:
    """Bytes this process may still use: MemAvailable, capped by a cgroup limit."""
    available = _meminfo_available()
    limit = _cgroup_room()
    if available is None:
        return limit
    return available if limit is None else min(available, limit)


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> int | None:
    """cgroup v2 ``memory.max - memory.current`` where a limit is set."""
    root = Path("/sys/fs/cgroup")
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((root / "memory.current").read_text())
    except (OSError, ValueError):
        return None


def available_gpu_memory() -> int | None:
    """Free memory of the first GPU from ``nvidia-smi``, or None when it cannot tell."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return None
    try:
        output = subprocess.run(
            [program, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(output.split()[0]) * 2**20
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


__all__ = [
    "available_gpu_memory",
    "available_host_memory",
    "check_memory",
    "check_step_memory",
    "resized_size",
    "step_bytes",
]
