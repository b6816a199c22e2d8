"""What the regions' brushes painted, as the library takes it: masks, the
regions of a run, their ``--region`` words and files.

Apart from :mod:`tf_style.studio.regions_panel` (the page's controls) so that a
run can be prepared without Gradio: the studio's worker process
(:mod:`tf_style.studio.worker`) runs :mod:`tf_style.studio.actions` and never
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def painted_mask(value: dict | None) -> np.ndarray | None:
    """The mask an editor's layers paint: float32 ``[H, W, 1]`` in [0, 1] (the
    strokes' opacity, the most of any layer), or None where nothing is painted.

    Args:
        value: the editor's value with ``type="numpy"`` (``layers``: RGBA arrays).
    """
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    alphas = [np.asarray(layer)[..., 3] for layer in layers if np.ndim(layer) == 3]
    if not alphas:
        return None
    mask = np.max(np.stack(alphas), axis=0).astype(np.float32) / 255.0
    return mask[..., np.newaxis] if mask.max() > 0 else None


@dataclass
class PaintedRegion:
    """One region as the tab painted it: its mask, its painting's upload, weight."""

    number: int
    mask: np.ndarray  # float32 [H, W, 1] in [0, 1]
    style: str
    weight: float

    @property
    def mask_name(self) -> str:
        """The file the mask is written to, beside the result."""
        return f"region_{self.number}_mask.png"


def painted_regions(
    masks: dict[int, np.ndarray | None], styles: list, weights: list
) -> list[PaintedRegion]:
    """The slots with both a painted mask and a painting, in order."""
    chosen = []
    for number, (style, weight) in enumerate(zip(styles, weights, strict=True), 1):
        mask = masks.get(number)
        if mask is not None and style is not None:
            chosen.append(PaintedRegion(number, mask, style, weight))
    return chosen


def library_regions(painted: list[PaintedRegion], max_dim: int, content: Any) -> list:
    """The regions as :func:`tf_style.stylize` takes them, checked as it checks
    them (a weight above 0, a mask of the photo's shape that selects something).

    Raises:
        ValueError: what the library refuses (UploadError: a painting it cannot
            read).
    """
    from tf_style.regions import Region, as_style_region, check_regions_fit
    from tf_style.studio.safety import read_upload

    regions = []
    for region in painted:
        style = read_upload(region.style, f"region {region.number}'s", max_dim)
        weight = float(region.weight if region.weight is not None else 1.0)
        regions.append(Region(region.mask, style, weight))
    loaded = [as_style_region(r, max_dim, n) for n, r in enumerate(regions, 1)]
    check_regions_fit(loaded, content.shape[1:3])
    return regions


def region_words(painted: list[PaintedRegion], name_of: Any) -> list[str]:
    """The ``--region MASK STYLE WEIGHT`` options of the painted regions."""
    words = []
    for region in painted:
        weight = float(region.weight if region.weight is not None else 1.0)
        words += ["--region", region.mask_name, name_of(region.style), repr(weight)]
    return words


def save_mask(region: PaintedRegion, folder: Path) -> Path:
    """The mask as a grey PNG, the file its ``--region`` option names."""
    from tf_style.images.tensors import save_image

    folder.mkdir(parents=True, exist_ok=True)
    return save_image(np.repeat(region.mask, 3, axis=-1), folder / region.mask_name)


__all__ = [
    "PaintedRegion",
    "library_regions",
    "painted_mask",
    "painted_regions",
    "region_words",
    "save_mask",
]
