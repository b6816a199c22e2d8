"""What the studio's buttons do, as plain functions of the form's values.

Run and Go on read the uploads as every input is read, build the config from the
form (:mod:`tf_style.studio.form`), run the memory preflight, then stream the
library's run (:mod:`tf_style.studio.stream`) and keep its result
(:mod:`tf_style.studio.results`). Each yields page updates as plain dicts
(:data:`UPDATE_KEYS`); :mod:`tf_style.studio.app` shows them. A problem with the
input is a :class:`StudioError` whose message the page shows; the server goes on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tf_style.config import MAX_SEED, TUTORIAL
from tf_style.images.bundled import BUNDLED
from tf_style.studio.engine import Engine, Session
from tf_style.studio.form import command_line, settings_from_form
from tf_style.studio.regions_panel import (
    PaintedRegion,
    library_regions,
    painted_regions,
    region_words,
)
from tf_style.studio.results import RunInputs, write_downloads
from tf_style.studio.safety import UploadError, read_upload, upload_name
from tf_style.studio.stream import Preview, Run, stream

# What a page update may hold: the image, the loss curves' table, the status line,
# the command, the downloads and the seed the run used.
UPDATE_KEYS = ("image", "losses", "status", "command", "downloads", "seed")
# The most points a loss curve sends per term: a long run's curve is thinned, so
# that an update costs the same at step 10 as at step 10 000.
PLOT_POINTS = 400


class StudioError(ValueError):
    """Something the page should say instead of running (a bad upload or setting)."""


@dataclass
class Form:
    """The form's values: the uploads, the choices above the controls, and each
    control's value by field name (:func:`tf_style.studio.form.control_specs`)."""

    content: str | None
    style: str | None
    preset: str = "tutorial"
    max_dim: int = TUTORIAL.max_dim
    bit_16: bool = False
    shown: dict[str, Any] = field(default_factory=dict)
    region_styles: list[str | None] = field(default_factory=list)
    region_weights: list[float | None] = field(default_factory=list)


def describe(form: Form, masks: dict | None = None) -> str:
    """The ``tf-style-train`` command for the form and the tab's painted ``masks``
    (a line saying what is wrong with it instead, where the config refuses a
    control)."""
    try:
        _, changed = settings_from_form(form.preset, int(form.max_dim), form.shown)
    except (TypeError, ValueError) as error:
        return f"# {error}"
    return _command(form, changed, None, _painted(form, masks or {}))


def _painted(form: Form, masks: dict) -> list[PaintedRegion]:
    return painted_regions(masks, form.region_styles, form.region_weights)


def _command(
    form: Form, changed: dict, init: str | None, painted: list[PaintedRegion]
) -> str:
    content, style = upload_name(form.content), upload_name(form.style)
    return command_line(
        form.preset,
        int(form.max_dim),
        changed,
        content=None if content == BUNDLED["content"] else content,
        style=None if style == BUNDLED["style"] else style,
        output=f"{Path(content).stem}_{Path(style).stem}.png",
        bit_depth=16 if form.bit_16 else None,
        init=init,
        extra=region_words(painted, upload_name),
    )


def check_upload(path: str | None, role: str) -> str:
    """A line on the page about an upload: empty when it reads, else why not."""
    if path is None:
        return ""
    try:
        read_upload(path, role, None)
    except UploadError as error:
        return f"**{error}**"
    return ""


def run(engine: Engine, key: str | None, form: Form, *, go_on: bool = False):
    """Run (or Go on from the tab's last result) and stream the page updates.

    Raises:
        StudioError: a bad upload or setting, nothing to go on from, a run that
            does not fit in memory, or a run that failed (its reason).
    """
    session = engine.session(key)
    if go_on and session.result is None:
        raise StudioError("Nothing to go on from yet: press Run first.")
    if form.shown.get("seed") in (None, ""):
        form.shown = form.shown | {"seed": random.randint(0, MAX_SEED)}
    painted = _painted(form, session.masks)
    config, changed, content, style, regions = _checked_inputs(form, painted)
    init = session.result.image if go_on else None
    went_on_from = session.output_name if go_on else None
    command = _command(form, changed, went_on_from, painted)
    inputs = RunInputs(
        config=config,
        content=Path(form.content),
        style=Path(form.style),
        content_name=upload_name(form.content),
        style_name=upload_name(form.style),
        command=command,
        bit_depth=16 if form.bit_16 else 8,
        regions=painted,
        went_on_from=went_on_from,
    )
    yield {"command": command, "seed": str(config.seed), "status": "Loading VGG19..."}
    images = (content, style, regions, init)
    yield from _optimise(engine, session, inputs, images, go_on)


def _checked_inputs(form: Form, painted: list[PaintedRegion]) -> tuple:
    """The config, what differs from the preset, both images and the regions; then
    the memory preflight."""
    from tf_style.memory.fits import DoesNotFit, check_step_fits

    try:
        config, changed = settings_from_form(form.preset, int(form.max_dim), form.shown)
        content = read_upload(form.content, "content", config.max_dim)
        style = read_upload(form.style, "style", config.max_dim)
        regions = library_regions(painted, config.max_dim, content)
        check_step_fits(tuple(content.shape[1:3]), config)
    except (ValueError, DoesNotFit) as error:  # UploadError is a ValueError
        raise StudioError(str(error)) from None
    return config, changed, content, style, regions


def _optimise(engine, session, inputs, images, go_on):
    """Stream one run of :func:`tf_style.stylize`, then keep its result."""
    import tf_style
    from tf_style.device import describe_device
    from tf_style.vgg.network import resolve_precision

    try:
        extractor = engine.extractor(inputs.config)
    except tf_style.WeightsNotFoundError as error:
        raise StudioError(str(error)) from None
    if not go_on:
        session.steps_before, session.history = 0, {}
    content, style, regions, init = images
    start = partial(
        tf_style.stylize,
        content,
        style,
        inputs.config,
        extractor=extractor,
        init_image=init,
        regions=regions,
    )
    session.run = run = Run(
        lambda report: start(callback=report), inputs.config.total_steps
    )
    where = f"{resolve_precision(inputs.config.mixed_precision)} on {describe_device()}"
    first = (init if init is not None else content).numpy()[0]
    try:
        for preview in stream(run, first=first):
            if preview.result is None:
                yield _progress(preview, session, where, stopping=run.stopped)
            else:
                yield _finish(engine, session, inputs, preview)
    except UploadError as error:
        raise StudioError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - the run's reason, on the page
        raise StudioError(f"The run failed: {error}") from None
    finally:
        session.run = None


def _progress(preview: Preview, session: Session, where: str, *, stopping: bool):
    """The status line, the curves and the image of one preview."""
    left = preview.seconds_left
    parts = [f"Step {preview.step}/{preview.total_steps}, {preview.elapsed:.1f} s"]
    if left is not None:
        parts[0] += f", about {left:.0f} s left"
    parts.append(where)
    if preview.step:
        parts.append(f"page updates {preview.update_share:.1%} of the time")
    if stopping:
        parts.append("stopping after this step...")
    update = {
        "status": "; ".join(parts),
        "losses": loss_table(session, preview.history),
    }
    if preview.image is not None:
        update["image"] = picture(preview.image)
    return update


def _finish(engine: Engine, session: Session, inputs: RunInputs, preview: Preview):
    """Keep the result (image, record, plot) and say how the run ended."""
    from tf_style.vgg.weights import weights_source

    result = preview.result
    session.result = result
    downloads = write_downloads(
        engine.run_folder(session),
        result,
        inputs,
        weights_source=weights_source(engine.vgg()),
        build_seconds=engine.build_seconds,
        studio={
            "update_share": round(preview.update_share, 4),
            "cpu_seconds": round(preview.cpu_seconds, 3),
            "steps_before": session.steps_before,
        },
    )
    session.downloads, session.output_name = downloads, inputs.output_name
    history = loss_table(session, preview.history)
    session.history = _joined(session, preview.history)
    session.steps_before += preview.step
    ended = {
        "completed": f"Done: {preview.step} steps in {preview.elapsed:.1f} s",
        "interrupted": f"Stopped after {preview.step} steps; the work so far is kept",
    }.get(result.status, result.message)
    return {
        "image": picture(preview.image),
        "losses": history,
        "status": f"{ended} (page updates took {preview.update_share:.1%} of the "
        "time). Go on continues from this image.",
        "downloads": [str(path) for path in downloads.values()],
        "command": inputs.command,
    }


def _joined(session: Session, history: dict) -> dict[str, list[float]]:
    """The tab's earlier runs' history (Go on) followed by this one's."""
    before = getattr(session, "history", {}) or {}
    return {
        term: before.get(term, []) + list(values) for term, values in history.items()
    }


def loss_table(session: Session, history: dict):
    """The loss curves as the plot takes them: step, term, log10 of the loss (None
    before the first step: an empty table would fix the plot's column types)."""
    import numpy as np
    import pandas as pd

    rows = []
    for term, values in _joined(session, history).items():
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            continue
        keep = values > 0
        every = max(1, values.size // PLOT_POINTS)
        thinned = np.zeros_like(keep)
        thinned[::every] = True
        thinned[-1] = True  # the last step always shows
        keep &= thinned
        steps = np.arange(1, values.size + 1)[keep]
        rows.append(
            pd.DataFrame(
                {"step": steps, "log10 loss": np.log10(values[keep]), "term": term}
            )
        )
    table = pd.concat(rows, ignore_index=True) if rows else None
    return None if table is None or table.empty else table


def picture(image):
    """An image of the run as the page shows it (8 bits, as saved)."""
    from tf_style.images.tensors import tensor_to_image

    return tensor_to_image(image)


__all__ = [
    "UPDATE_KEYS",
    "Form",
    "StudioError",
    "check_upload",
    "describe",
    "loss_table",
    "picture",
    "run",
]
