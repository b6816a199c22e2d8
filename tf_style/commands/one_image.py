"""One run of the training command on files: plan, optimise, write every output.

:mod:`tf_style.commands.train` parses the command line and calls :func:`make_plan`
then :func:`run`. The plan checks every input and every file the run will write
before a model is built (:mod:`tf_style.commands.preflight`), so a run is refused in
a second rather than failing after an hour. What the run writes, and how a file
that cannot be written is reported, is :mod:`tf_style.commands.run_outputs`.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import tensorflow as tf

from tf_style.artifacts import FrameSaver
from tf_style.commands.cli import (
    EXIT_INTERRUPTED,
    EXIT_NON_FINITE,
    UsageError,
    check_style_count,
    config_from_args,
    input_image,
    interrupts_held,
)
from tf_style.commands.memory_check import check_step_memory, resized_size
from tf_style.commands.preflight import (
    check_bit_depth,
    check_outputs,
    check_path_arguments,
)
from tf_style.commands.progress import FrameProgress
from tf_style.commands.region_option import load_regions, regions_from_args
from tf_style.commands.run_outputs import (
    PROGRAM,
    OutputError,
    Plan,
    print_summary,
    write_outputs,
)
from tf_style.controls import scaled_style_size
from tf_style.device import describe_device
from tf_style.images.decode import ReducedDecodeWarning
from tf_style.images.tensors import SAVE_FORMATS, load_image
from tf_style.optimize import stylize
from tf_style.paths.identity import ReadSet, protecting
from tf_style.shapes import check_scaled_sizes
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19, weights_source


def make_plan(args: argparse.Namespace) -> Plan:
    """Check every input, output and size; load the images. Changes nothing on disk.

    Raises:
        UsageError: a setting, file, location or size that cannot work.
        ImageError: an image that cannot be read.
    """
    check_path_arguments(args)
    config = config_from_args(args)
    content = input_image(args.content, "content")
    regions = regions_from_args(args)
    # With regions, no --style means none: what no mask covers keeps the photo.
    styles = args.style or ([] if regions else [input_image(None, "style")])
    check_style_count(config, len(styles))
    named = styles[0] if styles else Path(regions[0].style)
    output = args.output or Path("outputs") / f"{content.stem}_{named.stem}.png"
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
        regions,
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
    images["regions"] = load_regions(
        plan.regions, images["content"], plan.config.max_dim
    )
    return images


def check_sizes(plan: Plan) -> None:
    """Every scale's size is large enough for VGG19, and a step fits in memory."""
    content = plan.images["content"].shape[1:3]
    paintings = {
        f"style {number}": style
        for number, style in enumerate(plan.images["styles"], start=1)
    } | {
        f"region {number}'s style": region.style
        for number, region in enumerate(plan.images["regions"], start=1)
    }
    sizes = {"content": content} | {
        name: scaled_style_size(style.shape[1:3], content, plan.config.style_scale)
        for name, style in paintings.items()
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
            plan.images["styles"] or None,  # None: the regions' styles alone
            config,
            extractor=extractor,
            init_image=plan.images.get("init"),
            mask=plan.images.get("mask"),
            callback=progress,
            regions=plan.images["regions"],
        )
    except tf.errors.ResourceExhaustedError:
        size = "x".join(str(side) for side in plan.images["content"].shape[2:0:-1])
        raise OutputError(
            f"out of memory during a step at {size} px; lower --max-dim."
        ) from None
    finally:
        progress.close()
    # Writing the outputs is not cut short by a second Ctrl-C or SIGTERM; one that
    # arrives meanwhile is counted, and the command then ends with 130.
    # And none of them replaces an input, checked again at each rename.
    with interrupts_held(), protecting(ReadSet(plan.inputs)):
        written = write_outputs(
            plan, result, progress.frames, weights_source(vgg), build_seconds
        )
    print_summary(result, written)
    return {"completed": 0, "interrupted": EXIT_INTERRUPTED}.get(
        result.status, EXIT_NON_FINITE
    )


def make_frames(plan: Plan) -> FrameSaver | None:
    return FrameSaver(plan.frames_folder, plan.save_every) if plan.save_every else None


__all__ = ["OutputError", "Plan", "make_plan", "run"]
