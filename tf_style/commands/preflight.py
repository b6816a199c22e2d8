"""Checks the commands make before any model is built, so no run's work is lost.

A run takes minutes to hours; a problem found only when its outputs are written (an
output path naming a folder, a file name too long for its temporary copy, a side file
that would replace an input image) or when its first step runs (a size that cannot fit
in memory) loses all of it. Everything that can be known in advance is checked here,
and fails as a :class:`tf_style.commands.cli.UsageError` (one line, exit status 2).

Nothing here creates a file or a folder: folders appear only when a file is written
into them, so a refused run leaves nothing behind. TensorFlow is imported only to
ask which device will run (after the commands have quieted it).
"""

from __future__ import annotations

import errno
import math
import os
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

# mkstemp's temporary name beside the target: "." + name + "." + 8 random + ".tmp".
TEMPORARY_NAME_OVERHEAD = 14


def check_outputs(
    files: Iterable[Path], inputs: Iterable[Path], *, folders: Iterable[Path] = ()
) -> None:
    """Every file and folder a command will write, against every input it reads.

    Args:
        files: each file the command may write (image, curves, record, GIF, ...).
        inputs: each file it reads (content, style, initial image, weights, ...).
        folders: folders it fills with files of its own naming (frames).

    Raises:
        UsageError: an output is an existing folder, is an input (the same file by
            inode, however spelled), a folder holds an input or exists as a file, a
            name is too long for its temporary copy, or a location cannot be
            created or written.
    """
    inputs = [path for path in inputs if path is not None]
    for path in files:
        check_output_file(path, inputs)
    for folder in folders:
        check_output_folder(folder, inputs)


def check_output_file(path: Path, inputs: Sequence[Path]) -> None:
    """One output file: not a folder, not an input, a writable place, a short name."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; name a file to write instead.")
    for source in inputs:
        if same_file(path, source):
            raise UsageError(f"{path}: refusing to overwrite the input image {source}.")
    check_writable_location(path.parent)
    check_name_length(path, extra=TEMPORARY_NAME_OVERHEAD)


def check_output_folder(folder: Path, inputs: Sequence[Path]) -> None:
    """A folder the command fills: not a file, and holding none of the inputs."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"{folder}: exists and is not a directory; it is needed for the frames. "
            "Move it or choose another --output."
        )
    for source in inputs:
        if inside(source, folder):
            raise UsageError(
                f"{folder}: refusing to write frames into the folder that holds the "
                f"input {source}; move the input or choose another --output."
            )
    check_writable_location(folder)
    check_name_length(folder / "step_000000.png", extra=TEMPORARY_NAME_OVERHEAD)


def check_writable_location(folder: Path) -> None:
    """``folder`` exists and is writable, or could be created where it is missing.

    Raises:
        UsageError: a part of the path is a file, or the deepest existing folder
            cannot be written.
    """
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise UsageError(
            f"{folder}: cannot create output directory ({existing} is not a directory)."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        verb = "is not writable" if existing == folder else "cannot be created"
        raise UsageError(f"{folder}: output directory {verb} (permission denied).")
    for part in _missing_parts(folder, existing):
        check_name_length(part, extra=0)


def _missing_parts(folder: Path, existing: Path) -> list[Path]:
    parts, current = [], folder
    while current != existing and current.parent != current:
        parts.append(current)
        current = current.parent
    return parts


def check_name_length(path: Path, *, extra: int) -> None:
    """The file name (plus ``extra`` bytes) fits the file system's name limit.

    Raises:
        UsageError: the name is too long (``OSError`` 36 only after the run).
    """
    limit = name_limit(path.parent)
    length = len(os.fsencode(path.name)) + extra
    if length > limit:
        raise UsageError(
            f"{path}: file name too long ({length - extra} bytes; the file system "
            f"allows {limit - extra} for a file written through a temporary copy). "
            "Choose a shorter --output."
        )


def name_limit(folder: Path) -> int:
    """Longest file name allowed in ``folder`` (or its deepest existing parent)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255  # what ext4, XFS, APFS and NTFS allow


def same_file(a: Path, b: Path) -> bool:
    """The same file (device and inode), however the two paths are spelled, with
    paths through folders yet to be made taken as the write will take them."""
    try:
        real_a, real_b = as_written(a), as_written(b)
        if real_a.exists() and real_b.exists():
            return os.path.samefile(real_a, real_b)
        return real_a == real_b
    except (OSError, RuntimeError):
        return False


def as_written(path: Path) -> Path:
    """Where a write to ``path`` lands once its missing folders are made.

    ``nodir/../photo.png`` with ``nodir`` absent names no file now, but the command
    makes ``nodir`` and then writes ``photo.png`` beside it: the deepest existing
    folder is resolved (symlinks and all), and the parts after it are applied as
    the folders made for them will apply them.
    """
    path = Path(path)
    parts = list(path.parts)
    for cut in range(len(parts), 0, -1):
        prefix = Path(*parts[:cut])
        if prefix.exists():
            real, rest = prefix.resolve(), parts[cut:]
            break
    else:
        real, rest = Path.cwd(), parts
    for part in rest:
        real = real.parent if part == ".." else real if part == "." else real / part
    return real


def inside(path: Path, folder: Path) -> bool:
    """``path`` lies somewhere under ``folder`` (compared by inode, not spelling)."""
    if not folder.is_dir():
        return False
    try:
        parents = Path(path).resolve().parents
    except (OSError, RuntimeError):
        return False
    return any(same_file(parent, folder) for parent in parents)


# --- memory -------------------------------------------------------------------------

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


def is_disk_full(error: OSError) -> bool:
    """ENOSPC or EDQUOT: the kind of write error no check beforehand can rule out."""
    return error.errno in (errno.ENOSPC, errno.EDQUOT)
