"""The studio's page: its layout and which button calls what.

Top to bottom: the two pictures (the bundled cat and Van Gogh until something is
uploaded), the regions (:mod:`tf_style.studio.regions_panel`), the preset and
size, the controls made from the config's fields (:mod:`tf_style.studio.form`),
the command they stand for, Run / Stop / Go on, the live image and loss curves,
the downloads, and the fast networks beside the optimisation
(:mod:`tf_style.studio.fast_panel`). What the buttons do is
:mod:`tf_style.studio.actions`.

One optimisation runs at a time (the queue's ``optimisation`` slot; Gradio shows
each waiting tab its place), and the fast networks have a slot of their own, so a
second person's fast request is answered while an optimisation runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr

from tf_style.config import TUTORIAL
from tf_style.images.bundled import bundled_image
from tf_style.presets import PRESETS
from tf_style.studio import actions
from tf_style.studio.engine import Engine
from tf_style.studio.fast_panel import fast_controls, wire_fast
from tf_style.studio.form import (
    FIRST,
    control_specs,
    field_spec,
    follow_preset,
    make_control,
    preset_values,
)
from tf_style.studio.regions_panel import SLOTS, region_controls, wire_regions
from tf_style.studio.safety import upload_path

TITLE = "tf-style studio"
INTRO = (
    "Gatys et al.'s style transfer as the TensorFlow tutorial teaches it. Upload a "
    "photo and a painting (or keep the cat and The Starry Night), choose the "
    "settings, and press **Run**. Every control is a `tf-style-train` option; the "
    "command below reproduces what is on screen."
)
# The result fills its box, a small run's pixels shown as squares.
PAGE_CSS = """
#result img { width: 100%; height: 100%; object-fit: contain;
              image-rendering: pixelated; }
"""
# The optimisations' concurrency slot: one at a time per device (the fast networks
# have their own, :data:`tf_style.studio.fast_panel.FAST`).
OPTIMISATION = "optimisation"
POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
# Events that read an upload take the inputs as they came (Gradio's Image would
# open the file with Pillow first, and a corrupt one would fail there, unexplained):
# tf_style reads and checks it like any input. The config checks the rest.
RAW = {"preprocess": False}


def build_app(engine: Engine | None = None) -> gr.Blocks:
    """The page, its events wired to ``engine`` (a new one by default)."""
    engine = engine or Engine()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as page:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        pictures = _pictures()
        regions = region_controls()
        above = _above_the_form()
        controls = _controls()
        command = gr.Code(
            actions.describe(_first_form()),
            language="shell",
            label="the command (tf-style-train)",
            interactive=False,
            wrap_lines=True,
            lines=2,
        )
        with gr.Row():
            run = gr.Button("Run", variant="primary", elem_id="run")
            stop = gr.Button("Stop", variant="stop", elem_id="stop")
            go_on = gr.Button("Go on", elem_id="go-on")
        shown = _results()
        fast = fast_controls()
        page_parts = {"command": command, **shown, "seed": controls["seed"]}
        named = _named_inputs(pictures, above, controls, regions)
        describe = _wire(
            page, engine, named, above, controls, page_parts, (run, stop, go_on)
        )
        for painted in wire_regions(engine, pictures["content"], regions):
            painted.then(  # a stroke changes the command's --region
                describe,
                list(named.values()),
                command,
                concurrency_limit=None,
                api_visibility="private",
                **RAW,
            )
        _wire_uploads(pictures)
        wire_fast(engine, pictures, above["size"], fast)
    return page


def _pictures() -> dict[str, Any]:
    with gr.Row():
        content = gr.Image(
            str(bundled_image("content")),
            type="filepath",
            label="content (your photo)",
            sources=["upload", "clipboard"],
            elem_id="content",
        )
        style = gr.Image(
            str(bundled_image("style")),
            type="filepath",
            label="style (a painting)",
            sources=["upload", "clipboard"],
            elem_id="style",
        )
    note = gr.Markdown(elem_id="upload-note")
    return {"content": content, "style": style, "note": note}


def _above_the_form() -> dict[str, Any]:
    with gr.Row():
        preset = gr.Radio(
            list(PRESETS),
            value="tutorial",
            label="preset",
            info="a recipe the controls start from: tutorial (the defaults) or fast",
        )
        size = make_control(field_spec("max_dim"), TUTORIAL.max_dim)
        bit_16 = gr.Checkbox(False, label="16-bit PNG", info="bits of the download")
    state = gr.State(("tutorial", TUTORIAL.max_dim))
    return {"preset": preset, "size": size, "bit_16": bit_16, "state": state}


def _controls() -> dict[str, Any]:
    values = preset_values("tutorial", TUTORIAL.max_dim)
    controls = {}
    specs = control_specs()
    with gr.Accordion("settings", open=True):
        with gr.Row(equal_height=False):
            for spec in specs[: len(FIRST)]:
                controls[spec.name] = make_control(spec, values[spec.name])
    with gr.Accordion("all settings", open=False):
        with gr.Row(equal_height=False):
            for spec in specs[len(FIRST) :]:
                controls[spec.name] = make_control(spec, values[spec.name])
    return controls


def _results() -> dict[str, Any]:
    status = gr.Markdown("Press Run to start.", elem_id="status")
    with gr.Row():
        image = gr.Image(
            label="result",
            interactive=False,
            format="png",
            height=360,
            elem_id="result",
        )
        losses = gr.LinePlot(
            x="step", y="log10 loss", color="term", label="loss terms", height=320
        )
    downloads = gr.File(label="downloads", file_count="multiple", interactive=False)
    return {"image": image, "losses": losses, "status": status, "downloads": downloads}


def _first_form() -> actions.Form:
    """The form as the page opens: the bundled pictures, the tutorial's settings."""
    return actions.Form(
        content=str(bundled_image("content")),
        style=str(bundled_image("style")),
        shown=preset_values("tutorial", TUTORIAL.max_dim),
    )


def _named_inputs(pictures, above, controls, regions) -> dict[str, Any]:
    """The form's inputs by the name the API gives them: the pictures, the choices
    above the form, each control by its field's name, then each region's painting
    and weight (its mask is kept with the tab as it is painted)."""
    named = {
        "content": pictures["content"],
        "style": pictures["style"],
        "preset": above["preset"],
        "max_dim": above["size"],
        "bit_16": above["bit_16"],
        **controls,
    }
    for number, slot in enumerate(regions, start=1):
        named[f"region_{number}_style"] = slot["style"]
        named[f"region_{number}_weight"] = slot["weight"]
    return named


def _form_of(values: dict[str, Any], controls: dict[str, Any]) -> actions.Form:
    """The form from the inputs as they came (see :data:`RAW`)."""
    return actions.Form(
        content=upload_path(values["content"]),
        style=upload_path(values["style"]),
        preset=values["preset"],
        max_dim=values["max_dim"],
        bit_16=values["bit_16"],
        shown={name: values[name] for name in controls},
        region_styles=[
            upload_path(values[f"region_{n}_style"]) for n in range(1, SLOTS + 1)
        ],
        region_weights=[values[f"region_{n}_weight"] for n in range(1, SLOTS + 1)],
    )


def with_parameters(names: list[str], handler: Callable) -> Callable:
    """``handler(values, request)`` as a function of one parameter per name (then
    the request), so that the API names every input as the command line does
    (``max_dim=48``) and Gradio hands over the tab's request."""
    parameters = [inspect.Parameter(name, POSITIONAL) for name in names]
    parameters.append(inspect.Parameter("request", POSITIONAL, annotation=gr.Request))

    if inspect.isgeneratorfunction(handler):

        def call(*args: Any):
            yield from handler(dict(zip(names, args[:-1], strict=True)), args[-1])
    else:

        def call(*args: Any):
            return handler(dict(zip(names, args[:-1], strict=True)), args[-1])

    call.__signature__ = inspect.Signature(parameters)
    call.__annotations__ = {"request": gr.Request}  # what Gradio reads
    call.__name__ = handler.__name__
    return call


def _wire(page, engine, named, above, controls, parts, buttons) -> Callable:
    """Run, Stop and Go on, the tab's end, and the form's command; returns the
    event handler that redraws the command."""
    run, stop, go_on = buttons
    names, inputs = list(named), list(named.values())

    def start(values: dict, request: gr.Request, go_on: bool = False):
        form = _form_of(values, controls)
        try:
            for update in actions.run(engine, request.session_hash, form, go_on=go_on):
                yield {parts[key]: value for key, value in update.items()}
        except actions.StudioError as error:
            raise gr.Error(str(error), print_exception=False) from None

    def go_on_from(values: dict, request: gr.Request):
        yield from start(values, request, go_on=True)

    def halt(request: gr.Request) -> None:
        engine.session(request.session_hash).stop()

    def closed(request: gr.Request) -> None:  # the tab went away: stop its run
        engine.close_session(request.session_hash)

    for button, handler, api in ((run, start, "run"), (go_on, go_on_from, "go_on")):
        button.click(
            with_parameters(names, handler),
            inputs=inputs,
            outputs=list(parts.values()),
            concurrency_limit=1,
            concurrency_id=OPTIMISATION,
            api_name=api,
            **RAW,
        )
    stop.click(halt, None, None, concurrency_limit=None, api_name="stop")
    page.unload(closed)

    def describe(values: dict, request: gr.Request) -> str:
        masks = engine.session(request.session_hash).masks
        return actions.describe(_form_of(values, controls), masks)

    describe_form = with_parameters(names, describe)
    _wire_form(above, controls, parts["command"], inputs, describe_form)
    return describe_form


def _wire_uploads(pictures: dict[str, Any]) -> None:
    """An upload is read at once: a file tf_style cannot use is said under it."""

    def check_content(payload: Any) -> str:
        return actions.check_upload(upload_path(payload), "content")

    def check_style(payload: Any) -> str:
        return actions.check_upload(upload_path(payload), "style")

    for role, check in (("content", check_content), ("style", check_style)):
        pictures[role].upload(
            check,
            pictures[role],
            pictures["note"],
            concurrency_limit=None,
            api_name=f"check_{role}",
            **RAW,
        )


def _wire_form(above, controls, command, inputs, describe) -> None:
    """The preset and size set the controls they decide; every change redraws the
    command."""
    names = list(controls)

    def follow(preset: str, size: Any, state: tuple, *shown: Any):
        after = (preset, int(size or TUTORIAL.max_dim))
        values = follow_preset(
            tuple(state), after, dict(zip(names, shown, strict=True))
        )
        return [after, *(values[name] for name in names)]

    gr.on(
        [above["preset"].change, above["size"].submit, above["size"].blur],
        follow,
        inputs=[above["preset"], above["size"], above["state"], *controls.values()],
        outputs=[above["state"], *controls.values()],
        concurrency_limit=None,
        api_visibility="private",
    )
    gr.on(
        [component.change for component in inputs],
        describe,
        inputs=inputs,
        outputs=command,
        concurrency_limit=None,
        api_visibility="private",
        **RAW,
    )


__all__ = ["OPTIMISATION", "PAGE_CSS", "RAW", "TITLE", "build_app", "with_parameters"]
