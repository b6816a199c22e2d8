"""Regions: paint where each style goes, on the photo, with a brush.

Each of :data:`SLOTS` regions is a sketch over the photo
(``gr.ImageEditor``), a painting and a weight: :class:`tf_style.Region`\\ (mask,
style, weight), the library's own (see :mod:`tf_style.regions`). The page shows
:data:`SHOWN` of them; "another region" shows the next. What the brush
covers, in any layer, is the mask (the strokes' opacity: soft edges blend). The
main style paints what no region covers, as ``--style`` does beside ``--region``.

The sketch reaches the server as it is painted (each change, the last one
winning), and its mask is kept with the tab (``masks`` of
:class:`tf_style.studio.engine.Session`), so that Run reads uploads as they came
and the masks as they were painted. A run with regions writes each mask beside its
result and names it in its ``--region`` option, so its command reproduces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from tf_style.images.bundled import bundled_image

SLOTS = 4
SHOWN = 2  # slots on the page at first; "another region" shows one more
# The brush: one colour, semi-opaque strokes read as grey (a blend).
BRUSH_COLOR = "#ff3366"


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


def region_controls() -> list[dict[str, Any]]:
    """The slots' components, in an accordion under the pictures: the first
    :data:`SHOWN` on view, the rest shown one at a time by "another region"."""
    slots = []
    with gr.Accordion("regions: a style for each painted part", open=False):
        gr.Markdown(
            "Paint over the photo where a painting's style goes; what no region "
            "covers takes the main style. Each region is a `--region MASK STYLE "
            "WEIGHT` of tf-style-train."
        )
        for number in range(1, SLOTS + 1):
            with gr.Row(visible=number <= SHOWN) as row:
                editor = gr.ImageEditor(
                    {
                        "background": str(bundled_image("content")),
                        "layers": [],
                        "composite": None,
                    },
                    type="numpy",
                    label=f"region {number}: paint where its style goes",
                    brush=gr.Brush(colors=[BRUSH_COLOR], color_mode="fixed"),
                    sources=(),
                    transforms=(),
                    elem_id=f"region-{number}-mask",
                )
                style = gr.Image(
                    str(bundled_image("style")),  # until a painting is uploaded
                    type="filepath",
                    label=f"region {number}: its painting",
                    sources=["upload", "clipboard"],
                    elem_id=f"region-{number}-style",
                )
                weight = gr.Number(
                    1.0,
                    label=f"region {number}: weight",
                    info="its style loss times this (times style-weight)",
                    elem_id=f"region-{number}-weight",
                )
            slots.append(
                {"row": row, "editor": editor, "style": style, "weight": weight}
            )
        another = gr.Button("another region", size="sm", elem_id="another-region")
    shown = gr.State(SHOWN)

    def show_one_more(count: int) -> list:
        count = min(count + 1, SLOTS)
        rows = [gr.update(visible=number <= count) for number in range(1, SLOTS + 1)]
        return [count, *rows, gr.update(visible=count < SLOTS)]

    another.click(
        show_one_more,
        shown,
        [shown, *(slot["row"] for slot in slots), another],
        concurrency_limit=None,
        api_visibility="private",
    )
    return slots


def wire_regions(engine: Any, content: Any, slots: list[dict[str, Any]]) -> list:
    """The photo is each sketch's background (a new photo clears the masks); each
    sketch's mask is kept with the tab as it is painted.

    Returns:
        The events that keep a mask, for what follows a stroke (the command).
    """
    from tf_style.studio.safety import upload_path

    def background(payload: Any, request: gr.Request) -> list[dict]:
        engine.session(request.session_hash).masks.clear()  # painted on another
        path = upload_path(payload)
        return [{"background": path, "layers": [], "composite": None}] * len(slots)

    content.change(
        background,
        content,
        [slot["editor"] for slot in slots],
        preprocess=False,
        concurrency_limit=None,
        api_visibility="private",
    )
    kept = []
    for number, slot in enumerate(slots, start=1):

        def keep(value: dict | None, request: gr.Request, number: int = number) -> None:
            masks = engine.session(request.session_hash).masks
            masks[number] = painted_mask(value)

        kept.append(
            gr.on(
                [slot["editor"].change, slot["editor"].input, slot["editor"].apply],
                keep,
                slot["editor"],
                None,
                trigger_mode="always_last",
                concurrency_limit=None,
                api_name=f"paint_region_{number}",
            )
        )
    return kept


__all__ = [
    "SHOWN",
    "SLOTS",
    "PaintedRegion",
    "library_regions",
    "painted_mask",
    "painted_regions",
    "region_controls",
    "region_words",
    "save_mask",
    "wire_regions",
]
