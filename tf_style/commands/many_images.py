"""The training command's many-image mode: a folder, a glob or ``--frames``.

Called by :mod:`tf_style.commands.train` when ``--content`` names a folder or a glob
and ``--output`` a folder, or ``--frames`` is given (``--output`` then defaults to
``outputs/<folder>_<style>/``). Parse, call the library
(:func:`tf_style.batch.stylize_folder` or :func:`tf_style.batch.stylize_video`),
print its progress and summary, and map how it ended to the exit status: 0 every
input done; 1 an input failed or a write stopped the run; 2 refused, or no input
could be stylised; 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from tf_style.batch import (
    FolderResult,
    OutputWriteError,
    RunInterrupted,
    RunRefused,
    VideoResult,
    stylize_folder,
    stylize_video,
)
from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    config_from_args,
    input_image,
)
from tf_style.commands.cli import (
    TRAIN_PROGRAM as PROGRAM,
)
from tf_style.commands.many_progress import ManyProgress
from tf_style.commands.network_option import load_model, network_config, strength
from tf_style.commands.preflight import check_path_arguments
from tf_style.commands.region_option import regions_from_args
from tf_style.paths.identity import PathError
from tf_style.video.files import is_video


def run_many(args: argparse.Namespace) -> int:
    """Stylise a folder, glob or frame sequence; returns the exit status.

    Raises:
        UsageError: anything refused before the run (one line, exit 2).
    """
    try:
        return _run_many(args)
    except (RunRefused, PathError) as error:  # PathError: a deleted working folder
        raise UsageError(str(error)) from None


def _run_many(args: argparse.Namespace) -> int:
    check_path_arguments(args)
    refuse_single_image_options(args)
    model = load_model(args)
    config = config_from_args(args) if model is None else network_config(args)
    regions = regions_from_args(args)
    styles = args.style or ([] if regions else [input_image(None, "style")])
    spec = args.frames or args.content
    named = styles[0] if styles else Path(regions[0].style)
    output = args.output or default_output(spec, args.frames, named)
    progress = ManyProgress("frame" if args.frames else "image", quiet=args.quiet)
    options = {
        "output": output,
        "many": args.many_config,
        "model": model,
        "weights": args.weights,
        "strength": strength(args),
        "on_progress": progress,
        "regions": regions,
    }
    try:
        if args.frames is None:
            result = stylize_folder(args.content, styles, config, **options)
        else:
            video = video_config(args, model)
            result = stylize_video(args.frames, styles, config, video=video, **options)
    except RunInterrupted as stop:
        progress.close()
        return said_interrupted(stop.result)
    except OutputWriteError as error:
        progress.close()
        return said_write_error(error)
    finally:
        progress.close()
    if isinstance(result, VideoResult):
        return said_video(result)
    return said_folder(result)


def video_config(args: argparse.Namespace, model):
    """The video settings given; with a network and no ``--temporal``, independent
    frames (a network has no temporal term: ``flow``, the default, would be
    refused)."""
    given = args.video_config
    if model is not None and getattr(args, "temporal", None) is None:
        return dataclasses.replace(given, temporal="independent")
    return given


def said_folder(result: FolderResult) -> int:
    """The summary line; 0 all done, 1 some failed, 2 none could be stylised."""
    print(result.summary(), file=sys.stderr)
    counts = result.counts()
    if counts["done"] == 0 and counts["failed"]:
        print(f"{PROGRAM}: error: no input could be stylised.", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if counts["failed"] else EXIT_OK


def said_video(result: VideoResult) -> int:
    """The warping-error line; 0 all done, 1 a frame failed, 2 none was done."""
    if not result.frames:
        print(f"{PROGRAM}: error: no frame could be stylised.", file=sys.stderr)
        return EXIT_USAGE
    style = result.report["mean_losses"].get("style")
    print(
        f"warping error: output {result.warping_error:.5f}, input "
        f"{result.input_warping_error:.5f} (Lai et al. 2018; lower is steadier); mean "
        f"style loss {style:.4g}; {result.video}, {result.preview}"
        if style is not None
        else f"warping error: output {result.warping_error:.5f}, input "
        f"{result.input_warping_error:.5f}; {result.video}, {result.preview}",
        file=sys.stderr,
    )
    return EXIT_FAILED if result.counts()["failed"] else EXIT_OK


def said_interrupted(result: FolderResult) -> int:
    if isinstance(result, VideoResult):
        print("interrupted; rerun to finish the frames", file=sys.stderr)
    else:
        print(f"interrupted: {result.summary()}; rerun to finish", file=sys.stderr)
    return EXIT_INTERRUPTED


def said_write_error(error: OutputWriteError) -> int:
    if isinstance(error.result, VideoResult):
        kept = "the frames done so far are kept. Rerun to finish."
    else:
        kept = f"{error.result.summary()}. Rerun to finish once it can be written."
    print(f"{PROGRAM}: error: {error.reason}; {kept}", file=sys.stderr)
    return EXIT_FAILED


def default_output(spec: Path | str, frames: Path | None, style: Path) -> Path:
    """``outputs/<folder or video>_<style>/``."""
    name = Path(str(spec).split("*")[0].rstrip("/")).name or "images"
    if frames is not None and is_video(frames):
        name = frames.stem
    return Path("outputs") / f"{name}_{style.stem}"


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


__all__ = ["run_many"]
