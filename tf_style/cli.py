"""What the command-line programs share: options built from the config, and checks.

``tf_style.train`` and ``tf_style.compare`` read the optimisation settings from
:class:`tf_style.config.StyleTransferConfig` through :func:`add_config_arguments`, so
no default or help text exists twice. Expected failures are :class:`UsageError`: the
programs print them as one line and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import types
import typing
from pathlib import Path

from tf_style.config import OPTIMIZERS, PRECISIONS, StyleTransferConfig

ASSETS = Path(__file__).resolve().parents[1] / "assets"  # present in a clone
BUNDLED = {"content": "chelsea.png", "style": "starry_night.jpg"}
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
CHOICES = {"optimizer": OPTIMIZERS, "mixed_precision": PRECISIONS}


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one option per config field, with the field's default and help text."""
    group = parser.add_argument_group("optimisation (defaults are the tutorial's)")
    defaults = StyleTransferConfig()
    for field in dataclasses.fields(StyleTransferConfig):
        flag = "--" + field.metadata.get("flag", field.name.replace("_", "-"))
        default = getattr(defaults, field.name)
        group.add_argument(
            flag,
            dest=field.name,
            default=default,
            help=_help(field.metadata["help"], default),
            **_argument_kind(field, default),
        )


def _argument_kind(field: dataclasses.Field, default: object) -> dict:
    hints = typing.get_type_hints(StyleTransferConfig)
    kind = hints[field.name]
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        return {"nargs": "+", "type": item, "metavar": _metavar(item)}
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    options: dict = {"type": kind, "metavar": _metavar(kind)}
    if field.name in CHOICES:
        options = {"choices": CHOICES[field.name]}
    return options


def _metavar(kind: type) -> str:
    return {int: "N", float: "X", str: "NAME"}.get(kind, "VALUE")


def _help(text: str, default: object) -> str:
    """The field's help, with its default unless that is empty (the text says it)."""
    return text if default == () else f"{text} (default: {_show(default)})"


def _show(value: object) -> str:
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
        value = getattr(args, field.name)
        values[field.name] = tuple(value) if isinstance(value, list) else value
    try:
        return StyleTransferConfig(**values)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from None


def input_image(path: Path | None, role: str) -> Path:
    """The image path given for ``role`` ("content" or "style"), or the bundled one.

    Raises:
        UsageError: no path was given and the bundled image is missing (tf_style
            installed without the repository's ``assets/``).
    """
    if path is not None:
        return path
    bundled = ASSETS / BUNDLED[role]
    if not bundled.is_file():
        raise UsageError(
            f"the bundled {bundled.name} is not here ({bundled}: tf_style was "
            f"installed without the repository's assets); pass --{role} PATH."
        )
    return bundled


def check_output_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) and prove it is writable, before any work.

    Raises:
        UsageError: it cannot be created or written.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"{directory}: cannot create output directory ({error.strerror})."
        ) from None
    probe = directory / f".tf_style_write_test_{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise UsageError(
            f"{directory}: output directory is not writable ({error.strerror})."
        ) from None


def describe_device() -> str:
    """The device TensorFlow runs on: "GPU: <name>" or "CPU: <processor>"."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)}"
    return f"CPU: {_cpu_name()} ({os.cpu_count()} cores)"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
