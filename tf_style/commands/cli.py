"""What the command-line programs share: options built from the config, and checks.

``tf_style.train`` and ``tf_style.compare`` read the optimisation settings from
:class:`tf_style.config.StyleTransferConfig` through :func:`add_config_arguments`,
and ``tf_style.fit`` its training settings from
:class:`tf_style.fit.config.FitConfig`, both through :func:`add_field_options`, so
no default or help text exists twice. Expected failures are :class:`UsageError`: the
programs print them as one line and exit with status 2, without a traceback.

Nothing here imports TensorFlow at module level: the commands parse their options and
call :func:`quiet_tensorflow` first.

Every command ends in one line: :class:`CommandParser` says an option's error in
one; how a command ends as a process (Ctrl-C, SIGTERM, stdout that cannot be
written) is :mod:`tf_style.commands.process`'s.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import types
import typing
import warnings
from pathlib import Path

# The exit statuses and the command's life as a process, imported from here by the
# commands and tests since before they had a module of their own.
from tf_style.commands.process import (  # noqa: F401
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NON_FINITE,
    EXIT_OK,
    EXIT_USAGE,
    STOP_SIGNALS,
    SafeStdout,
    interrupts_held,
    run_command,
    stop_on_sigterm,
)
from tf_style.config import (
    StyleTransferConfig,
)
from tf_style.images.bundled import BUNDLED, bundled_folder
from tf_style.presets import PRESETS, preset
from tf_style.quiet import stderr_silenced

# The program names, for the lines a command and the modules it calls print.
TRAIN_PROGRAM = "tf-style-train"


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


class CommandParser(argparse.ArgumentParser):
    """argparse, with an option's error as one line and exit status 2.

    argparse prints the whole usage (30 lines here) above its message; the line
    that says what was wrong is enough, with where to read more.
    """

    def error(self, message: str) -> typing.NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {text} (see {self.prog} --help)\n")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--preset`` and one option per config field, with its help text.

    An option left out takes the preset's value (the tutorial's default unless the
    preset changes it), so options given explicitly always win over the preset.
    """
    group = parser.add_argument_group("optimisation (defaults are the tutorial's)")
    group.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="tutorial",
        help="a recipe the other options adjust: tutorial (the defaults) or fast "
        "(the quickest to reach the tutorial's quality; see the README's Speed "
        "section) (default: tutorial)",
    )
    add_field_options(group, StyleTransferConfig, keep_defaults=False)


def add_field_options(
    group,
    config_class: type,
    *,
    keep_defaults: bool,
    names: tuple[str, ...] | None = None,
) -> None:
    """One option per field of the dataclass ``config_class``, from its metadata.

    An option is named after its field (``--total-variation-weight`` for
    ``total_variation_weight``), the same in every command. Each field's
    ``metadata`` (see :func:`tf_style.config.option`) gives the help text and,
    where it has them, ``choices``, ``metavar`` and ``aliases`` (other spellings
    that set it too, without ``--``: ``("tv-weight",)``). The type comes from the
    field's annotation: ``bool`` is ``--x/--no-x``, a tuple takes one or more values.

    Args:
        group: the parser or argument group to add to.
        config_class: ``StyleTransferConfig``, ``FitConfig``...
        keep_defaults: True: an option left out takes the field's default.
            False: it is left out of the namespace, so a preset can decide.
        names: only these fields (default: all), for a command that shares a
            setting of another mode's config.
    """
    defaults = config_class()
    hints = typing.get_type_hints(config_class)
    for field in dataclasses.fields(config_class):
        if names is not None and field.name not in names:
            continue
        default = getattr(defaults, field.name)
        group.add_argument(
            *option_strings(field),
            dest=field.name,
            default=default if keep_defaults else argparse.SUPPRESS,
            help=_help(field.metadata["help"], default),
            **_argument_kind(field, hints[field.name]),
        )


def option_strings(field: dataclasses.Field) -> list[str]:
    """The field's option, then its aliases: ``["--total-variation-weight",
    "--tv-weight"]``."""
    aliases = field.metadata.get("aliases", ())
    return [_flag(field.name)] + ["--" + alias for alias in aliases]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def flag_of(config_class: type, name: str) -> str:
    """The command-line option of field ``name`` (``--total-variation-weight`` for
    ``total_variation_weight``)."""
    if name not in {field.name for field in dataclasses.fields(config_class)}:
        raise KeyError(name)
    return _flag(name)


def given_fields(args: argparse.Namespace, config_class: type) -> dict:
    """The fields of ``config_class`` given on the command line (present in
    ``args`` and not None), in the fields' order; lists become tuples."""
    given = {}
    for field in dataclasses.fields(config_class):
        value = getattr(args, field.name, None)
        if value is not None:
            given[field.name] = tuple(value) if isinstance(value, list) else value
    return given


def config_from_fields(config_class: type, values: dict) -> typing.Any:
    """``config_class(**values)``, its refusal said with the options' names.

    Raises:
        UsageError: the config's message, each field name as its option.
    """
    try:
        return config_class(**values)
    except (ValueError, TypeError) as error:
        message = str(error)
        for field in dataclasses.fields(config_class):
            if message.startswith(field.name + " "):
                message = flag_of(config_class, field.name) + message[len(field.name) :]
        raise UsageError(message) from None


def _argument_kind(field: dataclasses.Field, kind: object) -> dict:
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        return {"nargs": "+", "type": item, "metavar": _metavar(item)}
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    options: dict = {
        "type": kind,
        "metavar": field.metadata.get("metavar", _metavar(kind)),
    }
    if "choices" in field.metadata:
        options = {"choices": field.metadata["choices"]}
    return options


def _metavar(kind: type) -> str:
    return {int: "N", float: "X", str: "NAME"}.get(kind, "VALUE")


def _help(text: str, default: object) -> str:
    """The field's help, with its default unless that is empty (the text says it)."""
    if default == () or default is None:
        return text
    return f"{text} (default: {_show(default)})"


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def config_from_args(args: argparse.Namespace) -> StyleTransferConfig:
    """Build the config from parsed options.

    Raises:
        UsageError: a setting the config refuses (its message says why).
    """
    values = {}
    for field in dataclasses.fields(StyleTransferConfig):
        if hasattr(args, field.name):
            value = getattr(args, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
    try:
        return preset(getattr(args, "preset", "tutorial"), **values)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from None


def check_style_count(config: StyleTransferConfig, count: int) -> None:
    """``--style-blend`` gives one weight per style image, or none.

    Raises:
        UsageError: the counts differ.
    """
    if config.style_blend and len(config.style_blend) != count:
        raise UsageError(
            f"--style-blend gives {len(config.style_blend)} weights for {count} style "
            f"image{'s' if count != 1 else ''}; give one weight per --style image."
        )


def input_image(path: Path | None, role: str) -> Path:
    """The image path given for ``role`` ("content" or "style"), or the bundled one.

    Raises:
        UsageError: no path was given and the bundled image is missing (a broken
            install).
    """
    if path is not None:
        return path
    bundled = bundled_folder() / BUNDLED[role]
    if not bundled.is_file():
        raise UsageError(
            f"the bundled {bundled.name} is not here ({bundled}: tf_style's package "
            f"data is missing); pass --{role} PATH."
        )
    return bundled


# The library's messages name loss terms and settings; the commands name their
# options.
FLAGS = {
    name: flag_of(StyleTransferConfig, name)
    for name in (
        "style_weight",
        "content_weight",
        "total_variation_weight",
        "learning_rate",
        "min_decrease",
    )
}


def flag_message(message: str) -> str:
    """The library's message with each setting named by its command-line flag."""
    for setting, flag in FLAGS.items():
        message = message.replace(setting, flag)
    return message


def notes_as_lines(program: str, *more: type[Warning]) -> None:
    """Show the library's notes (a file decoded reduced, and ``more`` kinds) as
    ``program: note: ...``.

    The library says them as warnings
    (:class:`~tf_style.images.decode.ReducedDecodeWarning` and the like); Python's
    default display would add a file name, a line number
    and the source line to a command's stderr.
    """
    from tf_style.images.decode import ReducedDecodeWarning

    notes = (ReducedDecodeWarning, *more)
    default = getattr(warnings.showwarning, "shows_notes_of", warnings.showwarning)

    shown: set[str] = set()  # a note found by two checks of one input, said once

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, notes):
            if str(message) not in shown:
                shown.add(str(message))
                print(f"{program}: note: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    show.shows_notes_of = default  # a second call replaces, not wraps, this one
    warnings.showwarning = show


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up chatter on stderr.

    Before absl's logging starts, TensorFlow's C++ code writes lines (absl,
    oneDNN, cudart) straight to file descriptor 2, whatever ``TF_CPP_MIN_LOG_LEVEL``
    says; they would surround a command's one-line error. So the import runs with
    descriptor 2 pointed at /dev/null, and the C++ and Python log levels are raised
    to errors. A user's own ``TF_CPP_MIN_LOG_LEVEL`` is kept; ``--debug`` skips all
    this.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras  # noqa: F401 - imports tensorflow; both print at import
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
