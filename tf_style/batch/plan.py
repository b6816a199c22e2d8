"""Where a many-image run writes: every output decided, and owned, before any model
is built.

A folder run writes one image per input, a ``manifest.json`` (and its lock) and,
for frames, ``frames.json``, ``preview.gif`` and ``video.mp4``, and fills folders
of its own: ``.partial/`` (interrupted images), ``flows/`` (the flow cache) and
``input_frames/`` (a decoded video). Decided up front, and compared as the kernel
resolves paths (:mod:`tf_style.paths.identity`: symlinks first, then ``..``; existing
files by device and inode):

- no output, side file or file of the run's own folders is a file the run reads
  (the photos, the styles, ``--init``, ``--weights``, a video);
- nothing the run reads lies inside a folder it fills with its own names;
- the output folder is not where the inputs are collected from, nor matched by the
  glob that collects them (a rerun would stylise the results);
- every output name is owned by exactly one input (:mod:`tf_style.batch.manifest`):
  an input keeps the name it was given by an earlier run; another input that
  would take a name held (by this run, by an earlier one, or by a file the run did
  not make) gets a new, stable ``<stem>-<hex>.png`` that nothing else holds;
  names are shortened to what the file system allows.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tf_style.batch.manifest import LOCK, MANIFEST, Input, identify, owns
from tf_style.paths.atomic import TEMPORARY_NAME_OVERHEAD
from tf_style.paths.identity import PathError, ReadSet, kernel_path, name_limit

SIDE_FILES = (MANIFEST, LOCK, "frames.json", "preview.gif", "video.mp4")
OWNED_FOLDERS = (".partial", "flows", "input_frames")


class OutputPlanError(ValueError):
    """An output would replace an input, or land where the inputs are read from."""


@dataclass(frozen=True)
class OutputPlan:
    """Each input's output file, and the side files, all inside ``folder``.

    Attributes:
        folder: the output folder as the kernel resolves it.
        outputs: each input (as collected) -> its output file.
        inputs: the inputs' identities, in order (duplicates left out).
        duplicates: an input -> the earlier input that is the same file.
        reads: every file the run reads.
    """

    folder: Path
    outputs: dict[Path, Path]
    inputs: list[Input] = field(default_factory=list)
    duplicates: dict[Path, Path] = field(default_factory=dict)
    reads: ReadSet = field(default_factory=ReadSet)

    def name(self, source: Path) -> str:
        return self.outputs[source].name


def plan_outputs(
    inputs: Sequence[Input | Path],
    folder: Path,
    *,
    spec: Path | str,
    reads: Iterable[Path] = (),
    held: Mapping[str, Mapping] | None = None,
    owned_folders: Sequence[str] = OWNED_FOLDERS,
) -> OutputPlan:
    """The output of every input in ``folder``, checked against everything read.

    Args:
        inputs: the images to stylise, in order (paths or identified inputs).
        folder: the output folder (it may not exist yet).
        spec: what ``--content`` or ``--frames`` named (a folder, a glob or a
            video).
        reads: every other file the run reads (styles, init, weights, a video).
        held: the output names an earlier run gave (the manifest's records).
        owned_folders: the folders inside ``folder`` the run fills.

    Raises:
        OutputPlanError: the output folder is where the inputs are read from (a
            rerun would stylise the outputs), something read lies in a folder the
            run fills, or an output would replace a file the run reads.
    """
    try:
        home = kernel_path(folder)
        identified = [
            item if isinstance(item, Input) else _identify(item) for item in inputs
        ]
    except PathError as error:
        raise OutputPlanError(str(error)) from None
    unique, duplicates = _without_duplicates(identified)
    extra = ReadSet(reads)
    everything = ReadSet([*(item.path for item in unique), *extra.paths])
    _check_folder_is_not_the_source(home, unique, spec)
    _check_nothing_read_is_inside(home, owned_folders, everything)
    names = assign_names(unique, home, held or {})
    outputs = {item.path: home / name for item, name in zip(unique, names, strict=True)}
    written = [*outputs.values(), *(home / name for name in SIDE_FILES)]
    _check_nothing_read_is_written(written, everything)
    return OutputPlan(home, outputs, unique, duplicates, everything)


def _identify(path: Path) -> Input:
    """An input's identity; one that cannot be read keeps its place by path (its
    load fails later and is recorded as failed)."""
    try:
        return identify(Path(path))
    except (OSError, ValueError):
        return Input(Path(path), kernel_path(path), None)


def _without_duplicates(
    inputs: Sequence[Input],
) -> tuple[list[Input], dict[Path, Path]]:
    """Two paths to one file (a symlink beside its target) are one input."""
    first: dict[Path, Path] = {}
    unique, duplicates = [], {}
    for item in inputs:
        if item.real in first:
            duplicates[item.path] = first[item.real]
        else:
            first[item.real] = item.path
            unique.append(item)
    return unique, duplicates


def _check_folder_is_not_the_source(
    home: Path, inputs: Sequence[Input], spec: Path | str
) -> None:
    """The outputs may not go where the inputs are collected from."""
    sources = {kernel_path(Path(item.path).parent) for item in inputs}
    sources |= {item.real.parent for item in inputs}
    if Path(spec).is_dir():
        sources.add(kernel_path(spec))
    if home in sources:
        raise OutputPlanError(
            f"{home}: --output is the folder the inputs are read from; its "
            "images would be replaced and a rerun would stylise the results. "
            "Choose another folder."
        )
    if not Path(spec).is_dir() and _glob_would_match(home / "x.png", str(spec)):
        raise OutputPlanError(
            f"{home}: the outputs would match {spec}, so a rerun would take them "
            "as inputs. Choose a folder outside the pattern."
        )


def _glob_would_match(path: Path, pattern: str) -> bool:
    """Whether ``glob`` would match ``path`` with ``pattern``: part by part, as
    ``glob.glob`` does (a ``*`` never crosses a ``/``), with the pattern's literal
    folders resolved as the kernel resolves them."""
    # Not os.path.abspath: it would fold "L/.." as text before L is followed.
    parts = (Path(os.getcwd()) / pattern).parts
    literal = next(
        (i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts)
    )
    prefix = kernel_path(Path(*parts[:literal])) if literal else Path("/")
    resolved = Path(prefix, *parts[literal:])
    if len(path.parts) != len(resolved.parts):
        return False
    return all(
        fnmatch.fnmatchcase(part, rule)
        for part, rule in zip(path.parts, resolved.parts, strict=True)
    )


def _check_nothing_read_is_inside(
    home: Path, owned_folders: Sequence[str], reads: ReadSet
) -> None:
    """No file the run reads lies in a folder it fills with names of its own, and
    each such folder is a folder (or not there yet)."""
    for name in owned_folders:
        if os.path.lexists(home / name) and not (home / name).is_dir():
            raise OutputPlanError(
                f"{home / name}: is in the way of the folder this run keeps its "
                f"{name.strip('.')} in; move it or choose another --output."
            )
        source = reads.inside(home / name)
        if source is not None:
            raise OutputPlanError(
                f"{source}: lies in {home / name}, which this run fills with files "
                "of its own; move it or choose another --output."
            )


def _check_nothing_read_is_written(written: Sequence[Path], reads: ReadSet) -> None:
    """No file the run writes is one it reads, by real path or by identity."""
    for path in written:
        source = reads.holder(path)
        if source is not None:
            raise OutputPlanError(
                f"{path}: an output of this run would replace the input {source}. "
                "Choose another --output folder."
            )


def assign_names(
    inputs: Sequence[Input], home: Path, held: Mapping[str, Mapping]
) -> list[str]:
    """Each input's output name: the one an earlier run gave it, else its plain
    ``<stem>.png`` when no other input wants it and nothing holds it, else a
    hashed name nothing holds."""
    limit = name_limit(home) - TEMPORARY_NAME_OVERHEAD
    names: dict[int, str] = {}
    for index, item in enumerate(inputs):
        mine = [name for name, entry in held.items() if owns(entry, item, home / name)]
        if mine:
            names[index] = mine[0]
    taken = {name.casefold() for name in [*held, *_names_in(home)]}
    taken |= {name.casefold() for name in (*SIDE_FILES, *OWNED_FOLDERS)}
    taken |= {name.casefold() for name in names.values()}
    waiting = [i for i in range(len(inputs)) if i not in names]
    plain = {i: _plain(inputs[i], limit) for i in waiting}
    wanted = [name.casefold() for name in plain.values() if name]
    for i in waiting:
        name = plain[i]
        if name and wanted.count(name.casefold()) == 1 and name.casefold() not in taken:
            names[i] = name
            taken.add(name.casefold())
    for i in waiting:
        if i not in names:
            names[i] = next(
                n for n in _hashed(inputs[i], limit) if n.casefold() not in taken
            )
            taken.add(names[i].casefold())
    return [names[i] for i in range(len(inputs))]


def _plain(item: Input, limit: int) -> str | None:
    """``<stem>.png``, or None when the name is too long for the file system."""
    name = item.path.stem + ".png"
    return name if len(os.fsencode(name)) <= limit else None


def _hashed(item: Input, limit: int) -> Iterator[str]:
    """``<stem>-<hex>.png`` names from the input's real path, longer and longer,
    the stem shortened to fit the file system's name limit."""
    digest = hashlib.sha256(os.fsencode(str(item.real))).hexdigest()
    longer = (f"-{digest[:n]}" for n in (8, 12, 16, 64))
    counted = (f"-{digest[:8]}-{k}" for k in itertools.count(2))
    for tag in itertools.chain(longer, counted):
        yield _shortened(item.path.stem, tag + ".png", limit)


def _shortened(stem: str, tail: str, limit: int) -> str:
    """``stem + tail`` within ``limit`` bytes, cutting the stem (never mid-letter)."""
    room = limit - len(os.fsencode(tail))
    while len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return stem + tail


def _names_in(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


__all__ = [
    "OWNED_FOLDERS",
    "SIDE_FILES",
    "OutputPlan",
    "OutputPlanError",
    "assign_names",
    "plan_outputs",
]
