"""One run of the training command on files: plan, optimise, write every output.

:mod:`tf_style.commands.train` parses the command line and calls :func:`make_plan`
then :func:`run`. The plan checks every input and every file the run will write
before a model is built (:mod:`tf_style.commands.preflight`), so a run is refused in
a second rather than failing after an hour. The image is written first; a side file
that cannot be written (a full disk) is reported in one line and never costs the
image.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import tensorflow as tf

from tf_style.artifacts import FrameSaver, library_versions, make_gif, write_json
from tf_style.commands.cli import (
    EXIT_INTERRUPTED,
    EXIT_NON_FINITE,
    UsageError,
    check_style_count,
    config_from_args,
    flag_message,
    input_image,
)
from tf_style.commands.memory import check_step_memory, resized_size
from tf_style.commands.preflight import check_bit_depth, check_outputs
from tf_style.commands.progress import FrameProgress
from tf_style.config import INITS, StyleTransferConfig
from tf_style.controls import scaled_style_size
from tf_style.decode import ReducedDecodeWarning, rgb_icc_profile
from tf_style.device import describe_device
from tf_style.images import SAVE_FORMATS, load_image, save_image
from tf_style.optimize import StylizeResult, stylize
from tf_style.optimize.multiscale import check_scaled_sizes
from tf_style.plotting import plot_losses, save_figure
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import precision_reason, resolve_precision
from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19, weights_source

PROGRAM = "tf-style-train"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class OutputError(Exception):
    """A file of the run could not be written: one line, exit status 1."""


@dataclass
class Plan:
    """Everything checked before the run: settings, images and where outputs go."""

    config: StyleTransferConfig
    content_path: Path
    style_paths: list[Path]
    output: Path
    save_every: int
    weights: Path | None
    mask_path: Path | None = None
    bit_depth: int | None = None
    images: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def init_path(self) -> Path | None:
        """The starting image's file, where ``--init`` names one."""
        return None if self.config.init in INITS else Path(self.config.init)

    @property
    def inputs(self) -> list[Path]:
        """Every file the run reads."""
        files = [self.content_path, *self.style_paths]
        files += [self.init_path, self.weights, self.mask_path]
        return [path for path in files if path is not None]

    def output_file(self, suffix: str) -> Path:
        """A file next to the image: ``cat.png`` -> ``cat<suffix>``."""
        return self.output.with_name(self.output.stem + suffix)

    @property
    def side_files(self) -> list[Path]:
        """Every file written beside the image."""
        suffixes = ["_losses.png", ".json"] + ([".gif"] if self.save_every else [])
        return [self.output_file(suffix) for suffix in suffixes]

    @property
    def frames_folder(self) -> Path | None:
        return self.output_file("_frames") if self.save_every else None


def make_plan(args: argparse.Namespace) -> Plan:
    """Check every input, output and size; load the images. Changes nothing on disk.

    Raises:
        UsageError: a setting, file, location or size that cannot work.
        ImageError: an image that cannot be read.
    """
    config = config_from_args(args)
    content = input_image(args.content, "content")
    styles = args.style or [input_image(None, "style")]
    check_style_count(config, len(styles))
    output = args.output or Path("outputs") / f"{content.stem}_{styles[0].stem}.png"
    if output.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(f"{output}: output must end in {', '.join(SAVE_FORMATS)}.")
    check_bit_depth(output, args.bit_depth)
    if args.save_every < 0:
        raise UsageError(
            f"--save-every must be zero or positive, got {args.save_every}."
        )
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file.")
    plan = Plan(
        config,
        content,
        styles,
        output,
        args.save_every,
        args.weights,
        args.mask,
        args.bit_depth,
    )
    folders = [plan.frames_folder] if plan.frames_folder else []
    check_outputs([output, *plan.side_files], plan.inputs, folders=folders)
    check_step_memory(resized_size(content, config.max_dim), config)
    plan.images, plan.notes = load_images(plan)
    check_sizes(plan)
    return plan


def load_images(plan: Plan) -> tuple[dict[str, tf.Tensor], list[str]]:
    """The run's images, and what the loader said of them (a reduced decode)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReducedDecodeWarning)
        images = _load_images(plan)
    notes = [str(w.message) for w in caught if w.category is ReducedDecodeWarning]
    return images, notes


def _load_images(plan: Plan) -> dict[str, tf.Tensor]:
    images = {
        "content": load_image(plan.content_path, plan.config.max_dim),
        "styles": [load_image(path, plan.config.max_dim) for path in plan.style_paths],
    }
    if plan.init_path is not None:
        images["init"] = load_image(plan.init_path, None)
    if plan.mask_path is not None:
        images["mask"] = load_image(plan.mask_path, None)
    return images


def check_sizes(plan: Plan) -> None:
    """Every scale's size is large enough for VGG19, and a step fits in memory."""
    content = plan.images["content"].shape[1:3]
    sizes = {"content": content} | {
        f"style {number}": scaled_style_size(
            style.shape[1:3], content, plan.config.style_scale
        )
        for number, style in enumerate(plan.images["styles"], start=1)
    }
    try:
        check_scaled_sizes(sizes, plan.config.scales)
    except ValueError as error:
        raise UsageError(
            f"{error} Raise --max-dim or use a less narrow image."
        ) from None
    check_step_memory(sizes["content"], plan.config)


def run(plan: Plan, *, quiet: bool) -> int:
    """Build the model, optimise with a progress bar, write every output.

    Returns:
        The exit status (see the README's table).
    """
    print(f"Device: {describe_device()}")
    for note in plan.notes:
        print(f"Note: {note}")
    started = time.perf_counter()
    try:
        vgg = load_vgg19(plan.weights)
    except WeightsNotFoundError as error:
        raise UsageError(str(error)) from None
    print(f"VGG19 weights: {weights_source(vgg)}")
    config = plan.config
    extractor = StyleContentModel(config.style_layers, config.content_layers, vgg=vgg)
    build_seconds = time.perf_counter() - started

    progress = FrameProgress(
        config.total_steps, quiet=quiet, frames=make_frames(plan), program=PROGRAM
    )
    progress.save_frame(0, plan.images.get("init", plan.images["content"]))
    try:
        result = stylize(
            plan.images["content"],
            plan.images["styles"],
            config,
            extractor=extractor,
            init_image=plan.images.get("init"),
            mask=plan.images.get("mask"),
            callback=progress,
        )
    except tf.errors.ResourceExhaustedError:
        size = "x".join(str(side) for side in plan.images["content"].shape[2:0:-1])
        raise OutputError(
            f"out of memory during a step at {size} px; lower --max-dim."
        ) from None
    finally:
        progress.close()
    # Writing the outputs must not be cut short by a second Ctrl-C or SIGTERM.
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
    try:
        written = write_outputs(
            plan, result, progress.frames, weights_source(vgg), build_seconds
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    print_summary(result, written)
    return {"completed": 0, "interrupted": EXIT_INTERRUPTED}.get(
        result.status, EXIT_NON_FINITE
    )


def make_frames(plan: Plan) -> FrameSaver | None:
    return FrameSaver(plan.frames_folder, plan.save_every) if plan.save_every else None


def write_outputs(
    plan: Plan,
    result: StylizeResult,
    frames: FrameSaver | None,
    weights_source: str,
    build_seconds: float,
) -> dict[str, str]:
    """The image first, then the loss curves, GIF and JSON record; each atomically.

    Raises:
        OutputError: a file could not be written; the message says which, and
            whether the image was kept.
    """
    try:
        image = save_image(
            result.image,
            plan.output,
            bit_depth=plan.bit_depth,
            icc_profile=rgb_icc_profile(plan.content_path),
        )
        written = {"image": str(image)}
    except OSError as error:
        raise OutputError(
            f"could not write the image {plan.output} ({_reason(error)})."
        ) from None
    failed: list[str] = []
    for name, write in side_file_writers(plan, result, frames):
        try:
            written[name] = str(write())
        except OSError as error:
            failed.append(f"{name} ({_reason(error)})")
    record_path = plan.output_file(".json")
    record = run_record(plan, result, weights_source, build_seconds, written)
    try:
        written["record"] = str(write_json(record, record_path))
    except OSError as error:
        failed.append(f"record {record_path} ({_reason(error)})")
    if failed:
        raise OutputError(
            f"could not write {'; '.join(failed)}; the image was kept at {plan.output}."
        )
    return written


def side_file_writers(plan: Plan, result: StylizeResult, frames: FrameSaver | None):
    """(name, write) for the loss curves, the last frame and the GIF."""
    writers = []
    if result.history["total"]:
        title = f"{plan.output.name} ({result.status})"
        path = plan.output_file("_losses.png")
        writers.append(
            (
                "losses",
                lambda: save_figure(plot_losses(result.history, title=title), path),
            )
        )
    if frames is not None:

        def animate() -> Path:
            frames.save_final(len(result.history["total"]), result.image)
            return make_gif(frames.paths, plan.output_file(".gif"))

        writers.append(("gif", animate))
    return writers


def _reason(error: OSError) -> str:
    where = f": {error.filename}" if error.filename else ""
    return f"{error.strerror or error}{where}"


def run_record(
    plan: Plan,
    result: StylizeResult,
    weights_source: str,
    build_seconds: float,
    written: dict[str, str],
) -> dict:
    """Settings, sources, device, versions, timings, final losses and the outcome."""
    steps = len(result.history["total"])
    final = {term: values[-1] for term, values in result.history.items() if values}
    return {
        "status": result.status,
        "message": flag_message(result.message),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [PROGRAM, *sys.argv[1:]],
        "settings": plan.config.to_dict(),
        "content": str(plan.content_path),
        "style": [str(path) for path in plan.style_paths],
        "mask": str(plan.mask_path) if plan.mask_path else None,
        "init": str(plan.init_path) if plan.init_path else None,
        "image_size": list(result.image.shape[1:3]),
        "weights_source": weights_source,
        "device": describe_device(),
        "precision": resolve_precision(plan.config.mixed_precision),
        "precision_reason": precision_reason(plan.config.mixed_precision),
        "notes": plan.notes,
        "versions": library_versions(),
        "timings": {
            "model_build_seconds": round(build_seconds, 3),
            "optimisation_seconds": round(result.seconds, 3),
            "seconds_per_step": round(result.seconds / steps, 4) if steps else None,
        },
        "steps_completed": steps,
        "steps_planned": plan.config.total_steps,
        "scales": result.scales,
        "final_losses": final,
        "outputs": {**written, "record": str(plan.output_file(".json"))},
    }


def print_summary(result: StylizeResult, written: dict[str, str]) -> None:
    steps = len(result.history["total"])
    if result.status == "completed":
        print(f"Done: {steps} steps in {result.seconds:.1f} s.")
    elif result.status == "interrupted":
        print(f"Interrupted after {steps} steps; saved the work so far.")
    else:
        print(f"{PROGRAM}: error: {flag_message(result.message)}", file=sys.stderr)
    if steps:
        first, last = result.history["total"][0], result.history["total"][-1]
        print(f"Total loss: {first:.4g} -> {last:.4g}")
    for name, path in written.items():
        print(f"  {name:>7}: {path}")


__all__ = ["OutputError", "Plan", "make_plan", "run"]
