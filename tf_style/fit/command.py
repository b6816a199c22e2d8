"""The training command: ``python -m tf_style.fit`` (also ``tf-style-fit``).

Thin, like :mod:`tf_style.commands.train`: parse, check every input before a model
is built, run :func:`tf_style.fit.run.fit` with a progress bar, say where the
results are. The options are :class:`~tf_style.fit.config.FitConfig`'s fields, so no
default exists twice. Exit statuses are :data:`tf_style.commands.cli.EXIT_CODES`'s:
0 done, 1 an output could not be written (a full disk: no partial checkpoint is
left) or memory ran out, 2 bad input (one line, before any model is built or any
folder made: the memory a step needs, the record and checkpoint of a run to
continue, the style and photos it was trained on), 130 interrupted at any moment
(during training the last finished step is checkpointed with its record; the same
command continues it).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandParser,
    UsageError,
    add_field_options,
    notes_as_lines,
    quiet_tensorflow,
    run_command,
)

PROGRAM = "tf-style-fit"


def build_parser() -> argparse.ArgumentParser:
    """Inputs and outputs, then every FitConfig field as an option."""
    from tf_style.config.modes import ManyImagesConfig
    from tf_style.fit.config import FitConfig

    parser = CommandParser(
        prog=PROGRAM,
        description="Train a feed-forward style network with the tutorial's loss, "
        "checkpointed (the same command continues a stopped run), logged for "
        "TensorBoard and exported as a SavedModel (TF-Hub's calling convention) and "
        "TensorFlow Lite.",
    )
    parser.add_argument(
        "--style",
        required=True,
        metavar="PATH",
        help="style image (johnson), or folder/glob of styles (adain)",
    )
    parser.add_argument(
        "--content",
        required=True,
        metavar="DIR_OR_GLOB",
        help="photos to train on: a folder, a glob, or "
        "tfds:NAME[:SPLIT] (TensorFlow Datasets, prepared)",
    )
    parser.add_argument(
        "--output",
        required=True,
        type=Path,
        metavar="MODEL_DIR",
        help="the run's folder (checkpoints, logs, exported model)",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="PATH",
        help="VGG19 weights file (default: the first source found)",
    )
    add_field_options(parser, ManyImagesConfig, keep_defaults=True, names=("strategy",))
    parser.add_argument(
        "--time-limit",
        type=float,
        metavar="MINUTES",
        help="stop training after this many minutes (a resumed run counts its "
        "earlier time), then export",
    )
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="train only; do not write the SavedModel and TFLite",
    )
    options = parser.add_argument_group("training (FitConfig)")
    add_field_options(options, FitConfig, keep_defaults=True)
    return parser


def config_from_args(args: argparse.Namespace):
    """The FitConfig of the options; its checks as one usage error."""
    from tf_style.fit.config import FitConfig

    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(FitConfig)}
    values["style_layer_weights"] = tuple(values["style_layer_weights"])
    try:
        return FitConfig(**values)
    except ValueError as error:
        raise UsageError(str(error)) from None


def check_inputs(args: argparse.Namespace, config) -> tuple:
    """Style, photos, weights and output folder, before any model is built.

    Returns:
        ``(style, content)`` as :func:`~tf_style.fit.run.fit` takes them, the
        folders and globs listed (:class:`~tf_style.fit.sources.PhotoSource`):
        once here, not again when training starts.
    """
    from tf_style.commands.preflight import check_writable_location
    from tf_style.fit.sources import resolve_source

    style = Path(args.style)
    if config.architecture == "johnson" and not style.is_file():
        raise UsageError(
            f"{style}: no such style image (--style; johnson takes one "
            "image, adain a folder or glob)."
        )
    if config.architecture == "adain":
        style = resolve_source(args.style)
    content = resolve_source(args.content)
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file (--weights).")
    if args.output.exists() and not args.output.is_dir():
        raise UsageError(f"{args.output}: exists and is not a directory (--output).")
    check_writable_location(args.output)
    if args.time_limit is not None and not args.time_limit > 0:
        raise UsageError(f"--time-limit must be positive, got {args.time_limit}.")
    return style, content


def check_memory(config, style, replicas: int) -> None:
    """Refuse a training step that cannot fit in the memory of the device that
    runs it (:mod:`tf_style.fit.memory_estimate`), naming the option to change.

    Raises:
        UsageError: with the largest value of that option that would fit.
    """
    import tensorflow as tf

    from tf_style.commands.memory_check import resized_size
    from tf_style.fit.memory_estimate import (
        TooLargeToTrain,
        check_fit_memory,
        file_pixels,
    )
    from tf_style.fit.sources import PhotoSource
    from tf_style.memory.free import available_memory
    from tf_style.memory.resident import proc_bytes

    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    path = style.files[0] if isinstance(style, PhotoSource) else style
    side = round(config.style_scale * config.image_size)
    resident = proc_bytes(Path("/proc/self/status"), "VmRSS") or 0
    try:
        check_fit_memory(
            config,
            style_size=resized_size(path, side),
            style_file_pixels=file_pixels(path),
            available=available_memory(on_gpu),
            replicas=replicas,
            resident=0 if on_gpu else resident,  # the host's, not the GPU's
        )
    except TooLargeToTrain as error:
        flag = "--" + error.setting.replace("_", "-")
        where = "GPU" if on_gpu else "host"
        raise UsageError(
            f"{flag} {_number(getattr(config, error.setting))}: a training step "
            f"needs about {error.needed / 2**30:,.1f} GiB, more than the "
            f"{error.available / 2**30:.1f} GiB of {where} memory available; "
            f"{_advice(flag, error.largest)}."
        ) from None


def _advice(flag: str, largest: float | None) -> str:
    if largest is None:
        return f"no {flag} fits: free some memory"
    return f"use {flag} {_number(largest)} or less"


def _number(value: float) -> str:
    """``1000000`` for 1e6 (as typed), ``19.55`` for 19.55."""
    return str(int(value)) if float(value).is_integer() else str(value)


def main(argv: list[str] | None = None) -> int:
    """Run ``tf-style-fit``; returns the exit status (see the module docstring).

    ``argv`` None: the process's own command line
    (:func:`~tf_style.commands.cli.run_command`: a Ctrl-C at any moment, TensorFlow's
    start-up included, is one line and status 130).
    """
    return run_command(PROGRAM, lambda: _main(argv), as_program=argv is None)


def _main(argv: list[str] | None) -> int:
    # FitConfig's options name the networks' choices: TensorFlow loads with the
    # parser, so its start-up chatter is quieted first.
    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    import tensorflow as tf

    from tf_style.batch.distribute import make_strategy
    from tf_style.fit.input_checks import check_fit
    from tf_style.fit.photos import UnreadableImagesWarning
    from tf_style.fit.training import worker_index

    notes_as_lines(PROGRAM, UnreadableImagesWarning)
    try:
        config = config_from_args(args)
        style, content = check_inputs(args, config)
        strategy = make_strategy(args.strategy) or tf.distribute.get_strategy()
        check_memory(config, style, strategy.num_replicas_in_sync)
        plan = check_fit(
            config,
            style=style,
            content=content,
            directory=args.output,
            worker=worker_index(strategy),
        )
    except (UsageError, ValueError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # an input that cannot be read
        print(f"{PROGRAM}: error: {_os_error(error)}", file=sys.stderr)
        return EXIT_USAGE
    return _train(args, plan, strategy)


def _os_error(error: OSError) -> str:
    """``reason: path``, one line, as an OSError names a path."""
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else reason


def _train(args, plan, strategy) -> int:
    import tensorflow as tf

    from tf_style.fit.checkpoints import error_line
    from tf_style.fit.run import fit
    from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19

    try:
        vgg = load_vgg19(args.weights) if args.weights else None
        with _progress(plan.config) as progress:
            result = fit(
                plan.config,
                style=plan.style,
                content=plan.content,
                directory=args.output,
                strategy=strategy,
                on_step=progress,
                export=not args.no_export,
                time_limit=None if args.time_limit is None else 60 * args.time_limit,
                vgg=vgg,
                plan=plan,
            )
    except (WeightsNotFoundError, ValueError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"{PROGRAM}: error: could not write {_os_error(error)}.", file=sys.stderr)
        return EXIT_FAILED
    except tf.errors.OpError as error:  # TensorFlow's own: memory ran out, I/O
        print(f"{PROGRAM}: error: {error_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        if (args.output / "fit.json").is_file():  # written with every checkpoint
            said = (
                f"checkpoint saved in {args.output}/checkpoints; run the same "
                "command to continue."
            )
        else:
            said = "no step was finished, so nothing was saved."
        print(f"{PROGRAM}: interrupted; {said}", file=sys.stderr)
        return EXIT_INTERRUPTED
    _summary(result)
    return EXIT_OK


class _progress:
    """A tqdm bar over the run's steps with the live loss, on a terminal only (a
    log file would get every redraw, and an error's one line would not be one)."""

    def __init__(self, config):
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=config.steps,
            unit="step",
            file=sys.stderr,
            dynamic_ncols=True,
            disable=None,  # None: off where stderr is no terminal
        )

    def __call__(self, losses) -> None:
        self.bar.update(losses.step - self.bar.n)
        self.bar.set_postfix(loss=f"{losses.losses['total']:.4g}", refresh=False)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:  # the error's or the interruption's line only
            self.bar.leave = False
        self.bar.close()


def _summary(result) -> None:
    held_out = result.record["held_out_losses"]
    if held_out:
        print(
            f"held-out loss at step {held_out[-1]['step']}: {held_out[-1]['total']:.4g}"
        )
    print(f"record: {result.directory / 'fit.json'}")
    for name, path in result.exported.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    sys.exit(main())
