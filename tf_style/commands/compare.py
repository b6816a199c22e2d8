"""The comparison command: ``python -m tf_style.compare`` (also ``tf-style-compare``).

Kept thin, like :mod:`tf_style.train`: parse the options, quiet TensorFlow's start-up
logging, check every input and every file the command will write before any model is
built, then call :func:`~tf_style.evaluation.comparison.run_comparison` and print its
table.
Exit statuses are those of :data:`tf_style.commands.cli.EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NON_FINITE,
    EXIT_USAGE,
    CommandParser,
    UsageError,
    add_config_arguments,
    check_style_count,
    config_from_args,
    input_image,
    notes_as_lines,
    quiet_tensorflow,
    run_command,
)
from tf_style.commands.preflight import check_outputs
from tf_style.config import StyleTransferConfig
from tf_style.quiet import log_to_stderr

PROGRAM = "tf-style-compare"


def build_parser() -> argparse.ArgumentParser:
    """Inputs, the fast model's source, your network, then the training command's
    options."""
    from tf_style.fast import TRUST_WARNING, TUTORIAL_HUB_HANDLE  # imports TF

    parser = CommandParser(
        prog=PROGRAM,
        description="Stylise one pair with Magenta's fast model and with the "
        "tutorial's optimisation; time both, score both with the same measures "
        "(lower is better) and write a side-by-side figure, JSON and Markdown. "
        "With --network, a network you trained with tf-style-fit joins them.",
    )
    inputs = parser.add_argument_group("inputs and outputs")
    inputs.add_argument(
        "--content",
        type=Path,
        metavar="PATH",
        help="content image (default: the bundled assets/chelsea.png)",
    )
    inputs.add_argument(
        "--style",
        type=Path,
        metavar="PATH",
        help="style image (default: the bundled assets/starry_night.jpg)",
    )
    inputs.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        default=Path("outputs/compare"),
        help="output directory (default: outputs/compare)",
    )
    fast = parser.add_argument_group("fast model (one of)")
    choice = fast.add_mutually_exclusive_group()
    choice.add_argument(
        "--hub-handle",
        metavar="HANDLE",
        help="TF-Hub SavedModel: URL handle, local SavedModel folder or .tar.gz "
        f"(default: {TUTORIAL_HUB_HANDLE}). {TRUST_WARNING}",
    )
    choice.add_argument(
        "--tflite-dir",
        type=Path,
        metavar="DIR",
        help="folder with the TensorFlow Lite pair (style_predict*.tflite and "
        "style_transfer*.tflite, from Kaggle Models "
        "google/arbitrary-image-stylization-v1; run by the lite extra, "
        'pip install -e ".[lite]"), instead of the SavedModel',
    )
    fast.add_argument(
        "--strength",
        type=float,
        metavar="X",
        default=1.0,
        help="fast model's style strength in [0, 1] (TFLite only; default: 1)",
    )
    yours = parser.add_argument_group("your network (optional; runs at full strength)")
    yours.add_argument(
        "--network",
        type=Path,
        metavar="MODEL_DIR",
        help="a network trained with tf-style-fit: its folder or saved_model/ folder",
    )
    inputs.add_argument(
        "--weights",
        type=Path,
        metavar="PATH",
        help="VGG19 weights file (default: the first source found, see README)",
    )
    add_config_arguments(parser)
    return parser


def check_inputs(args: argparse.Namespace, config: StyleTransferConfig) -> dict:
    """Everything that can be checked before a model is built, one error at a time.

    Returns:
        ``{"content", "style"}``: each image's path (the bundled image where none
        was given) and its pixels, decoded once here, at ``config.max_dim``.

    Raises:
        UsageError: a missing or unreadable image, model path, network folder or
            weights file, an output that cannot be written or would replace an
            input, or an impossible strength.
        ImageError: an image file that cannot be decoded.
    """
    from tf_style.evaluation.report import FILES
    from tf_style.fast import check_strength  # these import TensorFlow
    from tf_style.fast.saved_model import is_url
    from tf_style.fast.tflite import LITE_RUNTIME_HELP, TFLITE_PAIR_SOURCE
    from tf_style.images.tensors import load_image

    content = input_image(args.content, "content")
    style = input_image(args.style, "style")
    check_style_count(config, 1)
    try:
        check_strength(
            args.strength,
            supported=args.tflite_dir is not None,
            source="the SavedModel",
        )
    except ValueError as error:
        raise UsageError(f"--{error}") from None
    if args.hub_handle and not is_url(args.hub_handle):
        if not Path(args.hub_handle).exists():
            raise UsageError(f"{args.hub_handle}: no such SavedModel folder or file.")
    if args.tflite_dir is not None and not args.tflite_dir.is_dir():
        raise UsageError(
            f"{args.tflite_dir}: no such folder (--tflite-dir). Give the TensorFlow "
            "Lite pair, style_predict*.tflite and style_transfer*.tflite from "
            f"{TFLITE_PAIR_SOURCE}; {LITE_RUNTIME_HELP}."
        )
    if args.network is not None and not args.network.is_dir():
        raise UsageError(f"{args.network}: no such folder (--network).")
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file (--weights).")
    if args.output.exists() and not args.output.is_dir():
        raise UsageError(f"{args.output}: exists and is not a directory (--output).")
    check_outputs(
        [args.output / name for name in FILES.values()], [content, style, args.weights]
    )
    return {
        role: (path, load_image(path, config.max_dim))
        for role, path in (("content", content), ("style", style))
    }


def main(argv: list[str] | None = None) -> int:
    """Run ``tf-style-compare``; returns the exit status.

    0 when done (with or without the fast model), 2 for bad input or missing VGG19
    weights (one line, no traceback, before any model is built), 3 when the loss
    became non-finite, 130 when interrupted, at any moment (one line; see
    :func:`~tf_style.commands.cli.run_command`).
    """
    return run_command(PROGRAM, lambda: _main(argv), as_program=argv is None)


def _main(argv: list[str] | None) -> int:
    quiet_tensorflow()  # compare has no --debug: its parser needs the hub module
    notes_as_lines(PROGRAM)
    args = build_parser().parse_args(argv)
    log_to_stderr(PROGRAM)
    from tf_style.commands.progress import TqdmProgress
    from tf_style.evaluation.comparison import run_comparison
    from tf_style.evaluation.report import markdown_table
    from tf_style.images.tensors import ImageError
    from tf_style.vgg.weights import WeightsNotFoundError

    try:
        config = config_from_args(args)
        images = check_inputs(args, config)
    except (UsageError, ImageError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with TqdmProgress(config.total_steps) as progress:
            comparison = run_comparison(
                images["content"][1],
                images["style"][1],
                args.output,
                config,
                hub_handle=args.hub_handle,
                tflite_dir=args.tflite_dir,
                weights=args.weights,
                strength=args.strength,
                callback=progress,
                input_names={role: str(path) for role, (path, _) in images.items()},
                network=args.network,
            )
    except WeightsNotFoundError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(
            f"{PROGRAM}: error: could not write the outputs ({error}).", file=sys.stderr
        )
        return EXIT_FAILED
    print_summary(comparison, markdown_table(comparison))
    status = exit_status(comparison.optimization_status)
    if status == EXIT_INTERRUPTED:
        print(f"{PROGRAM}: interrupted; the work so far was saved.", file=sys.stderr)
    return status


def print_summary(comparison, table: str) -> None:
    """The Markdown table on stdout; a missing fast model or network also on
    stderr."""
    if comparison.fast_error:
        print(
            f"{PROGRAM}: fast model missing: {comparison.fast_error}", file=sys.stderr
        )
    if comparison.network_error:
        print(
            f"{PROGRAM}: your network missing: {comparison.network_error}",
            file=sys.stderr,
        )
    print(table)
    for name, path in comparison.paths.items():
        print(f"{name}: {path}")


def exit_status(status: str) -> int:
    return {"completed": 0, "interrupted": EXIT_INTERRUPTED}.get(
        status, EXIT_NON_FINITE
    )


if __name__ == "__main__":
    sys.exit(main())
