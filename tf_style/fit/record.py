"""A run's record, ``fit.json``, read as a contract and written as one.

The record is what the next run of the same command trusts: which settings, style
and photos made the run, the losses so far and the checkpoint they belong to. So
nothing is taken from the folder on faith. A file is stat-ed before it is opened (a
FIFO where ``fit.json`` should be would block a reader forever, a link to
``/dev/zero`` would fill memory) and read up to a size cap, then parsed, its version
checked and every field type-checked. Anything else is a :class:`RecordError`: the
command says it in one line.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from tf_style.artifacts import write_json
from tf_style.fit.config import FitConfig
from tf_style.fit.fingerprints import check_identity
from tf_style.paths.identity import PathError, read_bounded

RECORD_NAME = "fit.json"
# Bumped whenever a field changes meaning; a record of another version is refused.
RECORD_VERSION = 1
# A history row takes about 200 bytes (indented JSON); 32 MiB holds some 130,000
# logged and previewed steps (tf_style.fit.input_checks refuses a run that would write
# more), and bounds what a damaged or hostile file can cost to read.
MAX_RECORD_BYTES = 32 << 20
ROW_BYTES = 256


class RecordError(ValueError):
    """A file of the run's folder that is not what this version of tf_style wrote."""


def read_capped(path: Path, limit: int, what: str = "record") -> bytes | None:
    """The bytes of the regular file ``path``, at most ``limit``; None if absent.

    The file is stat-ed before it is opened, and opened without blocking
    (:func:`tf_style.paths.identity.read_bounded`): a FIFO, a device or a socket is
    refused unopened.

    Raises:
        RecordError: ``path`` is not a regular file (or a link to one), is larger
            than ``limit`` or cannot be read.
    """
    try:
        return read_bounded(path, limit, what)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise RecordError(f"{path}: the {what} is a link to nothing.") from None
        return None
    except PathError as error:
        raise RecordError(str(error)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise RecordError(f"{path}: the {what} cannot be read ({reason}).") from None


def read_record(directory: Path) -> dict | None:
    """The record in ``directory``, checked field by field; None when there is none.

    Raises:
        RecordError: the file is not a record of this version (see the module).
    """
    path = Path(directory) / RECORD_NAME
    data = read_capped(path, MAX_RECORD_BYTES)
    if data is None:
        return None
    try:
        record = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RecordError(f"{path}: not a record ({_first_line(error)}).") from None
    try:
        check_record(record)
    except (TypeError, ValueError) as error:
        raise RecordError(f"{path}: {error}") from None
    return record


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number this run writes")


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def check_record(record: object) -> None:
    """``record`` has this version's fields, each of its type.

    Raises:
        ValueError: the first field that is missing, of another type or out of range.
    """
    if not isinstance(record, dict):
        raise ValueError(f"holds {_kind(record)} (JSON), not a record (an object).")
    version = record.get("version")
    if version != RECORD_VERSION or isinstance(version, bool):
        raise ValueError(
            f"record version {version!r}, this tf_style reads version "
            f"{RECORD_VERSION}; continue it with the version that wrote it, or give "
            "another --output."
        )
    _field(record, "config", dict)
    try:
        FitConfig.from_json(record["config"], strict=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f"config: {error}") from None
    for name in ("style", "content", "precision", "precision_reason", "checkpoint"):
        _field(record, name, str)
    check_identity(_field(record, "run", dict))
    _strings(record, "held_out")
    _whole(record, "replicas", minimum=1)
    steps_done = _whole(record, "steps_done", minimum=0)
    _seconds(record.get("seconds"), "seconds")
    if "stopped" in record:
        _field(record, "stopped", str)
    for name in ("history", "held_out_losses"):
        _rows(record, name, steps_done)


def _kind(value: object) -> str:
    """What JSON calls ``value``'s type, with its article."""
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(value), "a number")


def _field(record: dict, name: str, kind: type) -> object:
    if name not in record:
        raise ValueError(f"no {name!r} field.")
    value = record[name]
    if not isinstance(value, kind):
        expected = {dict: "an object", str: "a string", list: "an array"}[kind]
        raise ValueError(f"{name!r} is {_kind(value)}, expected {expected}.")
    return value


def _strings(record: dict, name: str) -> None:
    values = _field(record, name, list)
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{name!r} must be an array of strings.")


def _whole(record: dict, name: str, *, minimum: int) -> int:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name!r} must be a whole number >= {minimum}: {value!r}.")
    return value


def _seconds(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name!r} must be a number of seconds, got {value!r}.")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name!r} must be finite and >= 0, got {value!r}.")


def _rows(record: dict, name: str, steps_done: int) -> None:
    """Rows of losses in step order (a stop at the time limit may preview a step
    twice), none past the checkpoint's step."""
    previous = 0
    for row in _field(record, name, list):
        if not isinstance(row, dict):
            raise ValueError(f"{name!r} holds {_kind(row)}, expected objects.")
        step = row.get("step")
        if isinstance(step, bool) or not isinstance(step, int):
            raise ValueError(f"{name!r} has a row without a whole 'step'.")
        if not previous <= step <= steps_done:
            raise ValueError(
                f"{name!r} has step {step} after step {previous}, with the "
                f"checkpoint at step {steps_done}: the losses do not belong to it."
            )
        previous = step
        _seconds(row.get("seconds"), f"{name}.seconds")
        for key, value in row.items():
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if key not in ("step", "seconds") and not (value is None or number):
                raise ValueError(f"{name!r} has {_kind(value)} as its {key!r}.")


def write_record(record: dict, directory: Path) -> Path:
    """``record`` as ``directory/fit.json``, atomically, once it passes its checks."""
    check_record(record)
    return write_json(record, Path(directory) / RECORD_NAME)


def record_bytes(config: FitConfig) -> int:
    """About the most a run of ``config`` writes into its record: every logged and
    previewed step's row, the held-out photos' paths (at most 4 KiB each), 64 KiB
    for the rest."""
    rows = config.steps // config.log_every + config.steps // config.preview_every + 2
    return (64 << 10) + rows * ROW_BYTES + config.held_out * 4096


__all__ = [
    "MAX_RECORD_BYTES",
    "RECORD_NAME",
    "RECORD_VERSION",
    "RecordError",
    "check_record",
    "read_capped",
    "read_record",
    "record_bytes",
    "write_record",
]
