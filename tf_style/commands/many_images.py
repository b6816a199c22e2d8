"""The training command's many-image mode: a folder, a glob or ``--frames``.

Called by :mod:`tf_style.train` when ``--content`` names a folder or a glob and
``--output`` a folder, or ``--frames`` is given (``--output`` then defaults to
``outputs/<folder>_<style>/``). Each run records its settings in the folder's
``manifest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
import sys
from pathlib import Path

from tf_style.batch.distribute import make_strategy
from tf_style.batch.frames import numbered_frames
from tf_style.batch.inputs import collect_inputs
from tf_style.batch.manifest import (
    LOCK,
    MANIFEST,
    ManifestError,
    ManifestLocked,
    file_sha256,
    folder_lock,
    read_manifest,
)
from tf_style.batch.plan import (
    OWNED_FOLDERS,
    OutputPlan,
    OutputPlanError,
    plan_outputs,
)
from tf_style.commands.cli import (
    UsageError,
    check_style_count,
    config_from_args,
    input_image,
)
from tf_style.commands.folder import stylize_folder
from tf_style.commands.frames import VideoSettings, stylize_frames
from tf_style.commands.frames_source import (
    check_frames_source,
    check_one_frame_size,
    check_same_source,
    check_video_tools,
    folder_record,
    video_record,
)
from tf_style.commands.memory import check_step_memory, resized_size
from tf_style.commands.preflight import check_path_arguments
from tf_style.config import INITS
from tf_style.config.choices import TEMPORAL_WEIGHT
from tf_style.images.tensors import SAVE_FORMATS, load_image
from tf_style.paths.identity import (
    PathError,
    protecting,
)
from tf_style.vgg.model import extractor_for
from tf_style.vgg.network import with_network
from tf_style.vgg.weights import WeightsNotFoundError
from tf_style.video.files import (
    DEFAULT_FPS,
    INPUT_FRAMES,
    VideoError,
    extract_frames,
    is_video,
)


def run_many(args: argparse.Namespace) -> int:
    """Stylise a folder, glob or frame sequence; returns the exit status.

    Raises:
        UsageError: anything refused before the run (one line, exit 2).
    """
    try:
        return _run_many(args)
    except PathError as error:  # a deleted working folder, a special file
        raise UsageError(str(error)) from None


def _run_many(args: argparse.Namespace) -> int:
    """The many-image run (see :func:`run_many`).

    Everything that can be checked is checked before a video is decoded or a
    model built: the options, the styles, the manifest already in the output
    folder, and every file the run will write against every file it reads.
    """
    check_path_arguments(args)
    config = config_from_args(args)
    styles = args.style or [input_image(None, "style")]
    check_style_count(config, len(styles))
    if args.frames is not None:
        check_video_tools()
    spec = args.frames or args.content
    video_file = check_frames_source(args.frames)
    output = args.output or default_output(spec, video_file, styles[0])
    if output.suffix.lower() in SAVE_FORMATS or output.is_file():
        raise UsageError(f"{output}: with many images --output names a folder.")
    refuse_single_image_options(args)
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}.")
    strategy = None if args.frames else strategy_from(args.strategy)
    if strategy is not None and config.optimizer != "adam":
        raise UsageError(
            f"--strategy shares an Adam batch across {strategy.num_replicas_in_sync} "
            "replicas; L-BFGS optimises one image at a time. Use --optimizer adam "
            "or --strategy none."
        )
    if strategy is not None:
        config = untiled(config, strategy)
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file.")
    init_file = None if config.init in INITS else Path(config.init)
    reads = [*styles, *(p for p in (init_file, args.weights) if p is not None)]
    style_images = [load_image(s, config.max_dim) for s in styles]
    if init_file is not None:
        load_image(init_file, None)  # checked as any input image is
    if video_file is not None:
        reads.append(video_file)
    settings = {
        "config": dataclasses.asdict(config),
        "style": [str(s) for s in styles],
        # The contents, not only the names: a style replaced under the same name
        # must redo every output.
        "inputs_sha256": {
            str(p): file_sha256(p) for p in reads if p not in (args.weights, video_file)
        },
        "sizing": args.sizing,
    }
    check_existing_manifest(output)  # a bad one is refused before anything is made
    with contextlib.ExitStack() as held_open:
        with removed_if_refused(
            first_missing(output), output / INPUT_FRAMES, output / LOCK
        ):
            # Planned under the lock: another run cannot give a name meanwhile.
            lock_folder(output, held_open)
            held, source = check_existing_manifest(output)
            if video_file is not None:
                check_same_source(output, source, video_record(video_file))
                checked(lambda: plan_outputs([], output, spec=video_file, reads=reads))
            plan, fps, frames_source = plan_many(
                args, config.max_dim, spec, output, video_file, reads, (held, source)
            )
            check_step_memory(largest_size(plan, config.max_dim), config)
            try:
                extractor = extractor_for(config, weights=args.weights)
            except WeightsNotFoundError as error:
                raise UsageError(str(error)) from None
        extractor = with_network(
            extractor, precision=config.mixed_precision, pooling=config.pooling
        )
        video = VideoSettings(
            mode=args.temporal or "flow",
            temporal_weight=TEMPORAL_WEIGHT
            if args.temporal_weight is None
            else args.temporal_weight,
            long_term=args.long_term or 1,
            fps=args.fps or fps or DEFAULT_FPS,
        )
        if args.frames:
            settings["temporal"] = video.record()
        held_open.enter_context(protecting(plan.reads))
        if args.frames:
            return stylize_frames(
                plan,
                style_images,
                config,
                extractor=extractor,
                settings=settings,
                quiet=args.quiet,
                video=video,
                source=frames_source,
            )
        return stylize_folder(
            plan,
            style_images,
            config,
            extractor=extractor,
            settings=settings,
            batch_size=args.batch_size,
            sizing=args.sizing,
            strategy=strategy,
            quiet=args.quiet,
        )


def plan_many(args, max_dim, spec, output, video_file, reads, recorded):
    """The inputs (a video decoded first), the plan of their outputs, the frame
    rate of a video (None otherwise) and what the frames come from."""
    held, source = recorded
    inputs, fps = collect_many(args, spec, output)
    plan = checked(
        lambda: plan_outputs(
            inputs,
            output,
            spec=spec,
            reads=reads,
            held=held,
            owned_folders=OWNED_FOLDERS if video_file is None else DECODED,
        )
    )
    frames_source = None
    if args.frames is not None:
        frames_source = video_record(video_file) if video_file else folder_record(spec)
        check_same_source(output, source, frames_source)
        check_one_frame_size(readable(plan), max_dim)
    say_duplicates(plan)
    return plan, fps, frames_source


# A decoded video's frames live in input_frames/: the run's own files, read back.
DECODED = tuple(name for name in OWNED_FOLDERS if name != INPUT_FRAMES)


def lock_folder(output: Path, held_open: contextlib.ExitStack) -> None:
    """Make the output folder and hold its lock for the rest of the run.

    Raises:
        UsageError: another run holds it, or it cannot be made or written.
    """
    try:
        output.mkdir(parents=True, exist_ok=True)
        held_open.enter_context(folder_lock(output))
    except ManifestLocked as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        reason = error.strerror or error
        raise UsageError(f"{output}: cannot write there ({reason}).") from None


def untiled(config, strategy):
    """The settings for a batch shared across replicas, which a tiled loss cannot
    be: ``--tiling auto`` is decided as off (the same on every worker, whatever
    memory each measures), ``--tiling on`` is refused with the reason.

    Raises:
        UsageError: ``--tiling on`` with a strategy.
    """
    if config.tiling == "on":
        raise UsageError(
            f"--tiling on evaluates one image tile by tile on one device; --strategy "
            f"shares a batch across {strategy.num_replicas_in_sync} replicas. Use "
            "--strategy none to tile, or --tiling off."
        )
    return dataclasses.replace(config, tiling="off")


def checked(make_plan):
    """The plan, or its refusal as a usage error (one line, exit 2)."""
    try:
        return make_plan()
    except OutputPlanError as error:
        raise UsageError(str(error)) from None


def default_output(spec: Path | str, video_file: Path | None, style: Path) -> Path:
    """``outputs/<folder or video>_<style>/``."""
    name = Path(str(spec).split("*")[0].rstrip("/")).name or "images"
    if video_file is not None:
        name = video_file.stem
    return Path("outputs") / f"{name}_{style.stem}"


def first_missing(path: Path) -> Path:
    """The highest folder of ``path`` that does not exist yet (``path`` itself when
    its parent exists): what making ``path`` creates."""
    missing = path
    while not os.path.lexists(missing.parent) and missing.parent != missing:
        missing = missing.parent
    return missing


@contextlib.contextmanager
def removed_if_refused(*folders: Path):
    """Leaves no trace of a refused run: each of ``folders`` (or files) that this
    run made (the output folder, its lock, a decoded video's ``input_frames/``) is
    removed again when the run is refused or interrupted before it starts."""
    made = [folder for folder in folders if not os.path.lexists(folder)]
    try:
        yield
    except BaseException:
        for path in reversed(made):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        raise


def say_duplicates(plan) -> None:
    """One line for each input that is another path to an earlier one."""
    for path, first in plan.duplicates.items():
        print(f"skipped {path}: the same file as {first}", file=sys.stderr)


def refuse_single_image_options(args: argparse.Namespace) -> None:
    """What many images cannot honour is refused with the reason.

    Raises:
        UsageError: ``--mask``, ``--bit-depth`` or ``--save-every``.
    """
    if args.mask is not None:
        raise UsageError(
            "--mask is drawn for one photo; it cannot be honoured for many images."
        )
    if args.bit_depth is not None:
        raise UsageError(
            "--bit-depth sets one print's file; many images are written as 8-bit "
            "PNGs named after their inputs. Run the print alone with --output x.tif."
        )
    if args.save_every:
        raise UsageError(
            "--save-every animates one run; with many images use --frames for video."
        )


def collect_many(
    args: argparse.Namespace, spec: Path | str, output: Path
) -> tuple[list[Path], float | None]:
    """The inputs in order, and a video's frame rate (None for images): a video
    is decoded once into ``output/input_frames/``.

    Raises:
        UsageError: nothing to read, or a video ffmpeg cannot decode.
    """
    try:
        if args.frames is not None and is_video(args.frames):
            return extract_frames(args.frames, output / INPUT_FRAMES)
        inputs = numbered_frames(spec) if args.frames else collect_inputs(spec)
    except OSError as error:
        reason = error.strerror or error
        raise UsageError(f"{spec}: cannot list the images ({reason}).") from None
    except VideoError as error:
        raise UsageError(str(error)) from None
    if not inputs:
        raise UsageError(f"{spec}: no images found (looked for common suffixes).")
    return inputs, None


def check_existing_manifest(output: Path) -> tuple[dict[str, dict], dict | None]:
    """The records of a manifest already in ``output`` (one tf_style wrote, else
    nothing runs): the output names earlier runs gave, and a frames run's source.

    Raises:
        UsageError: it cannot be read or does not follow the schema.
    """
    path = output / MANIFEST
    if not os.path.lexists(path):
        return {}, None
    try:
        return read_manifest(path)
    except ManifestError as error:
        raise UsageError(str(error)) from None


def readable(plan: OutputPlan) -> list[Path]:
    """The inputs that are regular files (a FIFO's header is never read: the read
    would wait for a writer for ever)."""
    return [item.path for item in plan.inputs if item.sha256 is not None]


def largest_size(plan: OutputPlan, max_dim: int) -> tuple[int, int] | None:
    """The largest (H, W) any input will have, from the headers (None: unknown)."""
    sizes = [resized_size(path, max_dim) for path in readable(plan)]
    sizes = [size for size in sizes if size is not None]
    return max(sizes, key=lambda size: size[0] * size[1], default=None)


def strategy_from(name: str):
    """The ``tf.distribute`` strategy, made before any other TensorFlow op: a
    multi-worker strategy's collective ops must be configured at program start.

    Raises:
        UsageError: an unknown name, or a ``TF_CONFIG`` that is not a cluster.
    """
    try:
        return make_strategy(name)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(str(error)) from None


__all__ = ["run_many"]
