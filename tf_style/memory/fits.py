"""Will a run fit, whole or tile by tile, and if not, what size would?

The estimates (:mod:`tf_style.memory.estimate`) are compared with the memory the run
may use (``memory_limit``, or the free memory of the device that will run it: host
RAM, or the GPU's where ``nvidia-smi`` tells) before any model is built. A refusal
names the largest ``--max-dim`` that would fit. The commands and the folder and video
runs (:mod:`tf_style.batch`) ask here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import PIL.Image

from tf_style.config import StyleTransferConfig
from tf_style.config.byte_sizes import format_memory, parse_memory
from tf_style.images.orientation import QUARTER_TURNS, exif_orientation
from tf_style.memory.estimate import TooLarge, plan_scales
from tf_style.memory.free import available_gpu_memory, available_host_memory
from tf_style.shapes import tutorial_shape


class DoesNotFit(ValueError):
    """A run of this size cannot fit in the memory it may use; the message (one
    line) names the largest ``--max-dim`` that would."""


def check_run_fits(
    size: Sequence[int],
    config: StyleTransferConfig,
    *,
    available: int | None,
    where: str,
) -> None:
    """Refuse a run that cannot fit in ``available`` bytes (None: unknown), whole
    or (unless ``config.tiling`` is ``off``) tile by tile.

    Raises:
        DoesNotFit: naming the largest ``--max-dim`` that would fit.
    """
    try:
        plan_scales(size, config, available)
    except TooLarge as error:
        raise DoesNotFit(_refusal(size, config, error, available, where)) from None


def _refusal(
    size: Sequence[int],
    config: StyleTransferConfig,
    error: TooLarge,
    available: int,
    where: str,
) -> str:
    """One line: what the run needs, what it may use, and each way to fit it: the
    least ``--memory-limit`` (where that was the limit), the largest ``--max-dim``,
    ``--tiling auto``."""
    height, width = (int(side) for side in size)
    how = "at once" if config.tiling == "off" else "even tile by tile"
    if where == "--memory-limit":
        room = f"the {available / 2**30:.2f} GiB --memory-limit gives"
        ways = [f"give --memory-limit {format_memory(error.needed)} or more"]
    else:
        room = f"the {available / 2**30:.1f} GiB of {where} memory available"
        ways = []
    if error.largest >= 32:
        ways.append(f"use --max-dim {error.largest} or less")
    if config.tiling == "off":
        ways.append("leave --tiling at auto")
    if not ways:
        ways.append("free some memory")
    small = "" if error.largest >= 32 else " (not even a 32 px image fits)"
    return (
        f"a {width}x{height} px image needs about {error.needed / 2**30:.2f} GiB "
        f"{how}, more than {room}{small}; {', or '.join(ways)}."
    )


def check_step_fits(size: Sequence[int] | None, config: StyleTransferConfig) -> None:
    """Refuse a size that cannot fit in the memory the run may use (None: skip).

    Checked twice: from the file's header before any pixel is decoded or resized (a
    ``max_dim`` of 100000 would exhaust memory in the resize itself), and on the
    loaded image.

    Raises:
        DoesNotFit: as :func:`check_run_fits`.
    """
    if size is None:
        return
    if config.memory_limit != "auto":
        available, where = parse_memory(config.memory_limit), "--memory-limit"
    else:
        import tensorflow as tf  # the device decides which memory counts

        on_gpu = bool(tf.config.list_physical_devices("GPU"))
        available = available_gpu_memory() if on_gpu else available_host_memory()
        where = "GPU" if on_gpu else "host"
    check_run_fits(size, config, available=available, where=where)


def resized_size(path: Path, max_dim: int) -> tuple[int, int] | None:
    """(H, W) the image will have at ``max_dim``, from the file's header alone.

    None when the header cannot be read: :func:`load_image` then says why.
    """
    if not Path(path).is_file():  # a FIFO's header would never come
        return None
    try:
        with PIL.Image.open(path) as image:
            width, height = image.size
            if exif_orientation(image) in QUARTER_TURNS:
                width, height = height, width
    except (OSError, ValueError, SyntaxError, PIL.Image.DecompressionBombError):
        return None
    return tutorial_shape((height, width), max_dim)


__all__ = ["DoesNotFit", "check_run_fits", "check_step_fits", "resized_size"]
