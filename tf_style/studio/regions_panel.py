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

from typing import Any

import gradio as gr

from tf_style.images.bundled import bundled_image
from tf_style.studio.painted import (  # the masks as the library takes them
    PaintedRegion,
    library_regions,
    painted_mask,
    painted_regions,
    region_words,
    save_mask,
)

SLOTS = 4
SHOWN = 2  # slots on the page at first; "another region" shows one more
# The brush: one colour, semi-opaque strokes read as grey (a blend).
BRUSH_COLOR = "#ff3366"


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
