"""Fast beside slow: the one-pass networks on the tab's photo and style, timed, next
to the optimisation's result.

Each network is what ``tf-style-studio --network`` named (Magenta's TensorFlow Lite
pair, a TF-Hub handle, a ``tf-style-fit`` output folder), loaded once by
:func:`tf_style.load_network` through the :class:`~tf_style.studio.engine.Engine`
and called as :class:`~tf_style.fast.base.FastStylizer` (the content at the chosen
size, the style resized to 256 px by the network's contract). A network that cannot
load is said in words; the others still run. The panel has a concurrency slot of
its own (:data:`FAST`), so a second person's request is answered while an
optimisation runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gradio as gr

from tf_style.studio.engine import Engine, Session
from tf_style.studio.safety import UploadError, read_upload

FAST = "fast"  # the panel's concurrency slot
NO_NETWORK = (
    "No fast network: start the studio with `--network PATH_OR_HANDLE` (Magenta's "
    "TensorFlow Lite pair, a TF-Hub handle, or a tf-style-fit output folder)."
)


@dataclass
class Column:
    """One picture of the panel: the image (float32 ``[H, W, 3]`` in [0, 1]) and
    its caption (what made it, in how long)."""

    image: Any
    caption: str


def run_networks(
    engine: Engine,
    session: Session,
    content: str | None,
    style: str | None,
    max_dim: int,
) -> tuple[list[Column], list[str]]:
    """Every network on the pair, then the tab's last optimisation.

    Args:
        engine: holds the networks.
        session: the tab (its last result joins the panel).
        content, style: the uploads' paths.
        max_dim: the content's longest side.

    Returns:
        The columns, and a line for each network that failed (or that there is
        none).

    Raises:
        UploadError: an upload the checks refuse.
    """
    content_image = read_upload(content, "content", max_dim)
    style_image = read_upload(style, "style", max_dim)
    columns, notes = [], []
    for location in engine.networks:
        try:
            columns.append(_one_network(engine, location, content_image, style_image))
        except Exception as error:  # noqa: BLE001 - said on the page; others go on
            notes.append(f"{location}: {error}")
    if not engine.networks:
        notes.append(NO_NETWORK)
    if session.result is not None:
        columns.append(_optimised(session.result))
    return columns, notes


def _one_network(engine: Engine, location: str, content: Any, style: Any) -> Column:
    model = engine.network(location)
    started = time.perf_counter()
    image = model(content, style)
    seconds = time.perf_counter() - started
    caption = (
        f"{model.source or location}: {seconds:.2f} s "
        f"(loaded once in {model.load_seconds:.1f} s)"
    )
    return Column(image.numpy()[0], caption)


def _optimised(result: Any) -> Column:
    steps = len(result.history.get("total", []))
    caption = f"optimisation: {steps} steps in {result.seconds:.1f} s ({result.status})"
    return Column(result.image.numpy()[0], caption)


def fast_controls() -> dict[str, Any]:
    """The panel: a button, the pictures with their captions, a note."""
    with gr.Accordion("fast beside slow", open=False):
        button = gr.Button("Run the fast networks", elem_id="fast")
        gallery = gr.Gallery(label="one forward pass each", columns=3, height=360)
        note = gr.Markdown()
    return {"button": button, "gallery": gallery, "note": note}


def wire_fast(engine: Engine, pictures: dict, size: Any, panel: dict) -> None:
    """The button runs :func:`run_networks` on the tab's photo and style."""
    from tf_style.studio.actions import picture
    from tf_style.studio.safety import upload_path

    def side_by_side(content, style, max_dim, request: gr.Request):
        session = engine.session(request.session_hash)
        content, style = upload_path(content), upload_path(style)
        try:
            columns, notes = run_networks(engine, session, content, style, int(max_dim))
        except UploadError as error:
            raise gr.Error(str(error), print_exception=False) from None
        gallery = [(picture(column.image), column.caption) for column in columns]
        return gallery, "\n\n".join(notes)

    panel["button"].click(
        side_by_side,
        inputs=[pictures["content"], pictures["style"], size],
        outputs=[panel["gallery"], panel["note"]],
        concurrency_limit=1,
        concurrency_id=FAST,
        api_name="fast",
        preprocess=False,  # uploads as they came: tf_style reads them
    )


__all__ = ["FAST", "NO_NETWORK", "Column", "fast_controls", "run_networks", "wire_fast"]
