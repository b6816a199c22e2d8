"""Where a many-image run writes: every output decided before any model is built.

A folder run writes one image per input, a ``manifest.json`` and, for frames,
``frames.json``, ``preview.gif`` and ``video.mp4`` (and the ``flows/`` cache).
Decided up front, each is checked against every file the run reads (the inputs,
the style images, ``--init`` and ``--weights``) by real path and inode, so no input
is ever overwritten; and outputs that would share a name (``a.png``, ``a.jpg`` and
``a.PNG`` in one folder; ``day1/x.png`` and ``day2/x.png`` through a glob) get
distinct, deterministic names, recorded in the manifest, instead of
overwriting each other.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SIDE_FILES = ("manifest.json", "frames.json", "preview.gif", "video.mp4")


class OutputPlanError(ValueError):
    """An output would replace an input, or land where the inputs are read from."""


@dataclass(frozen=True)
class OutputPlan:
    """Each input's output file, and the side files, all inside ``folder``."""

    folder: Path
    outputs: dict[Path, Path]

    def name(self, source: Path) -> str:
        return self.outputs[source].name


def plan_outputs(
    inputs: Sequence[Path],
    folder: Path,
    *,
    spec: Path | str,
    reads: Iterable[Path] = (),
) -> OutputPlan:
    """The output of every input in ``folder``, checked against everything read.

    Args:
        inputs: the images to stylise, in order.
        folder: the output folder (it may not exist yet).
        spec: what ``--content`` or ``--frames`` named (a folder or a glob).
        reads: every other file the run reads (styles, init, weights).

    Raises:
        OutputPlanError: the output folder is where the inputs are read from (a
            rerun would stylise the outputs), or an output would replace a file
            the run reads.
    """
    folder = Path(os.path.abspath(folder))
    _check_folder_is_not_the_source(folder, inputs, spec)
    outputs = dict(zip(inputs, _distinct_names(inputs, folder), strict=True))
    written = [*outputs.values(), *(folder / name for name in SIDE_FILES)]
    _check_nothing_read_is_written(written, [*inputs, *reads])
    return OutputPlan(folder, outputs)


def _check_folder_is_not_the_source(
    folder: Path, inputs: Sequence[Path], spec: Path | str
) -> None:
    """The outputs may not go where the inputs are collected from."""
    real = _real(folder)
    sources = {_real(Path(source).parent) for source in inputs}
    if Path(spec).is_dir():
        sources.add(_real(spec))
    if real in sources:
        raise OutputPlanError(
            f"{folder}: --output is the folder the inputs are read from; its "
            "images would be replaced and a rerun would stylise the results. "
            "Choose another folder."
        )
    pattern = Path(os.path.abspath(str(spec)))
    if not Path(spec).is_dir() and _glob_matches(real / "x.png", pattern):
        raise OutputPlanError(
            f"{folder}: the outputs would match {spec}, so a rerun would take them "
            "as inputs. Choose a folder outside the pattern."
        )


def _glob_matches(path: Path, pattern: Path) -> bool:
    """Whether ``glob`` would match ``path`` with ``pattern``: part by part, as
    ``glob.glob`` does (a ``*`` never crosses a ``/``)."""
    if len(path.parts) != len(pattern.parts):
        return False
    return all(
        fnmatch.fnmatchcase(part, rule)
        for part, rule in zip(path.parts, pattern.parts, strict=True)
    )


def _distinct_names(inputs: Sequence[Path], folder: Path) -> list[Path]:
    """``<stem>.png`` for each input; inputs sharing one (by case) get a suffix.

    The suffix is 8 hex digits of a hash of the input's full path: deterministic
    (the same on every rerun, so resuming finds the same files) and distinct.
    """
    plain = [Path(source).stem + ".png" for source in inputs]
    counts: dict[str, int] = {}
    for name in plain:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    names = []
    for source, name in zip(inputs, plain, strict=True):
        if counts[name.casefold()] > 1:
            digest = hashlib.sha256(str(_real(source)).encode()).hexdigest()
            name = f"{Path(source).stem}-{digest[:8]}.png"
        names.append(folder / name)
    return names


def _real(path: Path | str) -> Path:
    """The path with symlinks resolved; a broken or looping link as written."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return Path(os.path.abspath(path))


def _check_nothing_read_is_written(written: Sequence[Path], reads: Sequence[Path]):
    """No file the run writes is one it reads, by real path or by inode."""
    read_paths = {_real(path): Path(path) for path in reads}
    read_inodes = {}
    for path in reads:
        try:
            stat = Path(path).stat()
        except OSError:
            continue
        read_inodes[(stat.st_dev, stat.st_ino)] = Path(path)
    for path in written:
        real = _real(path)
        clash = read_paths.get(real)
        try:
            stat = real.stat()
            clash = clash or read_inodes.get((stat.st_dev, stat.st_ino))
        except OSError:
            pass
        if clash is not None:
            raise OutputPlanError(
                f"{path}: an output of this run would replace the input {clash}. "
                "Choose another --output folder."
            )


__all__ = ["SIDE_FILES", "OutputPlan", "OutputPlanError", "plan_outputs"]
