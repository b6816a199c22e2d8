"""What a path is, as the kernel resolves it: the one place tf_style decides it.

Comparing paths as text goes wrong in ordinary use: ``out/L/..`` is not ``out``
when ``L`` is a symlink (the kernel follows the link first, then ``..``), two
spellings of one file look different, and a hard link is another name for the same
bytes. Every command therefore asks this module, never ``os.path.abspath``:

- :func:`kernel_path` is where an open or a write of ``path`` lands: its deepest
  existing ancestor resolved as the kernel resolves it (symlinks first, then
  ``..``), the missing rest applied as the folders made for them will apply it;
- :func:`file_id` is a file's device and inode, the identity that survives every
  spelling, symlink and hard link;
- :class:`ReadSet` holds every file a run reads (by real path and by identity), and
  :func:`protecting` makes it the set that :func:`tf_style.paths.atomic.atomic_write`
  refuses to replace at the moment of writing, whatever path the write was given;
- :func:`regular_file` refuses FIFOs, devices and sockets before anything opens
  them (opening a FIFO for reading waits for a writer for ever), and
  :func:`read_bounded` reads a record no larger than a cap.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

FileId = tuple[int, int]


class PathError(ValueError):
    """A path that cannot be used as asked: one line, said before any work."""


class SpecialFileError(PathError):
    """A FIFO, device or socket where a regular file is expected."""


class OverwriteError(PathError):
    """A write would replace a file the run reads."""


def kernel_path(path: str | os.PathLike) -> Path:
    """The absolute path a write to ``path`` lands on, once its folders are made.

    The deepest existing ancestor is resolved as the kernel resolves it (each
    symlink before the ``..`` after it); the parts after it name folders yet to be
    made, which hold no symlinks, so their ``..`` simply go up.

    Raises:
        PathError: ``path`` is relative and the working folder has been deleted.
    """
    path = Path(path)
    check_name_lengths(path)
    if not path.is_absolute():
        try:
            path = Path(os.getcwd()) / path
        except FileNotFoundError:
            raise PathError(
                f"{path}: the current folder no longer exists; cd to a folder "
                "that does, or give an absolute path."
            ) from None
    parts = path.parts
    for cut in range(len(parts), 0, -1):
        prefix = Path(*parts[:cut])
        if os.path.lexists(prefix):
            real, rest = _resolved(prefix), parts[cut:]
            break
    else:  # pragma: no cover - the root always exists
        real, rest = Path(parts[0]), parts[1:]
    for part in rest:
        real = real.parent if part == ".." else real if part == "." else real / part
    return real


# What ext4, XFS, btrfs, APFS and NTFS allow for one name, and Linux for a path.
NAME_MAX = 255
PATH_MAX = 4096


def check_name_lengths(path: str | os.PathLike) -> None:
    """Every name in ``path`` fits the file system's limits (the kernel refuses a
    longer one with ENAMETOOLONG wherever it meets it, often after the work).

    Raises:
        PathError: a name over :data:`NAME_MAX` bytes or a path over
            :data:`PATH_MAX`.
    """
    encoded = os.fsencode(path)
    if len(encoded) >= PATH_MAX:
        raise PathError(
            f"{os.fsdecode(encoded[:60])}...: the path is {len(encoded)} bytes; "
            f"Linux allows {PATH_MAX - 1}."
        )
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            raise PathError(
                f"{part[:40]}...: a name of {size} bytes in {str(path)[:80]}...; "
                f"file systems allow {NAME_MAX}. Choose a shorter name."
            )


def name_limit(folder: str | os.PathLike) -> int:
    """Longest file name allowed in ``folder`` (or its deepest existing parent)."""
    folder = Path(folder)
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def _resolved(path: Path) -> Path:
    """``path`` with every symlink and ``..`` resolved; a loop or a dangling link
    resolves as far as it goes (what the kernel would then create or refuse)."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, RuntimeError):  # pragma: no cover - realpath rarely raises
        return Path(os.path.abspath(path))


def file_id(path: str | os.PathLike) -> FileId | None:
    """The device and inode of the file ``path`` leads to (None: nothing there)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether ``a`` and ``b`` are one file: by identity where both exist, else by
    where a write to each would land."""
    first, second = file_id(a), file_id(b)
    if first is not None and second is not None:
        return first == second
    try:
        return kernel_path(a) == kernel_path(b)
    except PathError:
        return False


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``path`` lands somewhere under ``folder`` (by kernel path, and by
    the identity of each existing ancestor, so a bind mount or a second spelling of
    ``folder`` counts too)."""
    try:
        real, home = kernel_path(path), kernel_path(folder)
    except PathError:
        return False
    if home in real.parents:
        return True
    target = file_id(home)
    if target is None:
        return False
    return any(file_id(parent) == target for parent in real.parents)


def regular_file(path: str | os.PathLike, what: str = "file") -> os.stat_result:
    """The status of ``path``, which must be a regular file (symlinks followed).

    Raises:
        FileNotFoundError: nothing is there.
        SpecialFileError: a FIFO, device, socket or folder: refused without
            opening it.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise SpecialFileError(
            f"{path}: the {what} is a {_kind(info.st_mode)}, not a regular file."
        )
    return info


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "special file")


def read_bounded(path: str | os.PathLike, limit: int, what: str = "record") -> bytes:
    """The bytes of the regular file ``path``, refused if larger than ``limit``.

    Opened without blocking and checked again on the open descriptor, so a FIFO
    swapped in after the check cannot hang the read.

    Raises:
        OSError: it cannot be read.
        SpecialFileError: not a regular file.
        PathError: larger than ``limit`` bytes.
    """
    regular_file(path, what)
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SpecialFileError(f"{path}: the {what} is not a regular file.")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PathError(
            f"{path}: the {what} is larger than {limit:,} bytes; tf_style never "
            "writes one so large."
        )
    return data


class ReadSet:
    """Every file a run reads, by where it really is and by identity.

    Args:
        paths: the files as given (content, styles, masks, init, weights, a video,
            the photos of a folder). Paths that do not exist are kept by their
            kernel path only.
    """

    def __init__(self, paths: Iterable[str | os.PathLike | None] = ()):
        self.paths: list[Path] = []
        self.reals: dict[Path, Path] = {}
        self.ids: dict[FileId, Path] = {}
        self.add(paths)

    def add(self, paths: Iterable[str | os.PathLike | None]) -> None:
        for path in paths:
            if path is None:
                continue
            path = Path(path)
            self.paths.append(path)
            with contextlib.suppress(PathError):
                self.reals.setdefault(kernel_path(path), path)
            identity = file_id(path)
            if identity is not None:
                self.ids.setdefault(identity, path)

    def holder(self, target: str | os.PathLike) -> Path | None:
        """The input that a write to ``target`` would replace (None: none)."""
        identity = file_id(target)
        if identity is not None and identity in self.ids:
            return self.ids[identity]
        with contextlib.suppress(PathError):
            return self.reals.get(kernel_path(target))
        return None

    def check_write(self, target: str | os.PathLike) -> None:
        """Raises OverwriteError when writing ``target`` would replace an input."""
        source = self.holder(target)
        if source is not None:
            raise OverwriteError(
                f"{target}: refusing to overwrite {source}, which this run reads. "
                "Choose another --output."
            )

    def inside(self, folder: str | os.PathLike) -> Path | None:
        """An input that lies under ``folder`` (None: none does)."""
        return next((path for path in self.paths if is_inside(path, folder)), None)


_PROTECTED: list[ReadSet] = []


@contextlib.contextmanager
def protecting(reads: ReadSet) -> Iterator[ReadSet]:
    """While inside, no :func:`tf_style.paths.atomic.atomic_write` may replace a file of
    ``reads``: the last check, made at the moment of the rename."""
    _PROTECTED.append(reads)
    try:
        yield reads
    finally:
        _PROTECTED.remove(reads)


def check_not_protected(target: str | os.PathLike) -> None:
    """Raises OverwriteError when ``target`` is a file some running command reads."""
    for reads in _PROTECTED:
        reads.check_write(target)


__all__ = [
    "NAME_MAX",
    "PATH_MAX",
    "FileId",
    "OverwriteError",
    "PathError",
    "ReadSet",
    "SpecialFileError",
    "check_name_lengths",
    "check_not_protected",
    "file_id",
    "is_inside",
    "kernel_path",
    "name_limit",
    "protecting",
    "read_bounded",
    "regular_file",
    "same_file",
]
