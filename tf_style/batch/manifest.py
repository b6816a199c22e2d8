"""The manifest: who owns each output of a folder, and what is done, so a rerun does
only what is missing and never replaces a result it did not make.

``manifest.json`` in the output folder (schema version :data:`SCHEMA_VERSION`,
checked on read) maps every output *name* to the input that owns it: the input's
real path (as the kernel resolves it) and the SHA-256 of its bytes, with its size
and modification time. A name, once given, is never given to another input: a photo
of the same name from another folder, or a photo edited in place, is another input
and gets a name of its own (:mod:`tf_style.batch.plan`). Each record also holds the
settings the output was made with (changed settings redo it), its status
(``pending``, ``partial``, ``done`` or ``failed``), the steps a ``partial`` image has
had and the error of a ``failed`` one. Written atomically after every change, so
Ctrl-C or a crash leaves the last good manifest, never half of one.

The manifest is read as a contract: at most :data:`MAX_BYTES`, a regular file (a
FIFO or a device is refused without being opened for reading), every field checked;
anything else is a :class:`ManifestError`, one line, and nothing is overwritten.
Version 2 manifests (keyed by input path) are read and converted.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from tf_style.batch.lock import LOCK, ManifestLocked, folder_lock
from tf_style.paths.atomic import atomic_write
from tf_style.paths.identity import PathError, kernel_path, read_bounded, regular_file

MANIFEST = "manifest.json"
STATUSES = ("pending", "partial", "done", "failed")
SCHEMA_VERSION = 3
# A manifest entry is about 600 bytes: 64 MB is a folder of 100,000 photos.
MAX_BYTES = 64 * 2**20
# More steps than any run takes (the tutorial's are 1,000): a larger count is a
# hand-edited record.
MAX_STEPS = 10**7


class ManifestError(ValueError):
    """A manifest that is not one tf_style wrote: nothing is overwritten."""


@dataclass(frozen=True)
class Input:
    """One input file as the run identifies it.

    Attributes:
        path: as collected (what messages show).
        real: where it really is, every symlink resolved.
        sha256: the SHA-256 of its bytes (None: it could not be read).
        bytes, mtime_ns: its size and modification time when identified.
    """

    path: Path
    real: Path
    sha256: str | None
    bytes: int = -1
    mtime_ns: int = -1

    def record(self) -> dict:
        return {
            "input": str(self.path),
            "owner": str(self.real),
            "sha256": self.sha256,
            "bytes": self.bytes,
            "mtime_ns": self.mtime_ns,
        }


def identify(path: Path) -> Input:
    """The identity of ``path``: real path and content hash (FIFOs are not read).

    Raises:
        OSError: it cannot be read.
        tf_style.paths.identity.SpecialFileError: not a regular file.
        tf_style.paths.identity.PathError: the working folder is gone.
    """
    real = kernel_path(path)
    info = regular_file(path, "input")
    return Input(Path(path), real, file_sha256(path), info.st_size, info.st_mtime_ns)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a regular file's bytes, read in 1 MB pieces."""
    digest = hashlib.sha256()
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path}: not a regular file")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def settings_key(settings: dict) -> str:
    """A short hash of the settings (config and style files) an output depends on."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def owns(entry: Mapping, source: Input, output: Path) -> bool:
    """Whether ``entry`` (an output's record) belongs to ``source``.

    The same real path and the same bytes; a version 2 record (no hash) by size and
    modification time. A record whose output was never written (failed or pending)
    is taken over by a new version of the file at the same place: there is no
    result to lose.
    """
    if entry.get("owner") != str(source.real):
        return False
    if entry.get("sha256") is not None:
        if entry["sha256"] == source.sha256:
            return True
    elif (entry.get("bytes"), entry.get("mtime_ns")) == (
        source.bytes,
        source.mtime_ns,
    ):
        return True
    return entry.get("status") in ("pending", "failed") and not os.path.lexists(output)


class Manifest:
    """The per-output records of one output folder, keyed by output name.

    Args:
        folder: the output folder; ``manifest.json`` is read from it if present.
        settings: the run's settings; an entry made with others is pending again.
    """

    def __init__(self, folder: Path, settings: dict):
        self.folder = Path(folder)
        self.path = self.folder / MANIFEST
        self.settings = settings
        self.key = settings_key(settings)
        self.entries: dict[str, dict] = {}
        self.source: dict | None = None
        if os.path.lexists(self.path):
            self.entries, self.source = read_manifest(self.path)

    def entry(self, name: str, source: Input, total_steps: int) -> dict:
        """The record of output ``name`` for ``source``: pending again if the
        settings changed, a ``done`` output is missing, or its steps cannot be."""
        old = self.entries.get(name, {})
        current = {**source.record(), "settings": self.key}
        output = self.folder / name
        steps = old.get("steps", 0)
        stale = (
            not owns(old, source, output)
            or old.get("settings") != self.key
            or (old.get("status") == "done" and not output.is_file())
            or (old.get("status") == "partial" and not 0 < steps < total_steps)
        )
        if stale:
            old = {"status": "pending", "steps": 0}
        self.entries[name] = {**old, **current, "output": str(output)}
        return self.entries[name]

    def failed(self, name: str, source: Input | Path, error: BaseException) -> None:
        """Record that ``source`` could not be used (it may be gone or unreadable)."""
        record = (
            source.record() if isinstance(source, Input) else {"input": str(source)}
        )
        self.entries[name] = {
            **self.entries.get(name, {}),
            **record,
            "settings": self.key,
            "output": str(self.folder / name),
            "status": "failed",
            "error": f"{type(error).__name__}: {error}",
        }

    def update(self, name: str, **fields: object) -> None:
        """Change output ``name``'s record and write the manifest."""
        self.entries[name].update(fields)
        self.save()

    def counts(self, names: Iterable[str] | None = None) -> dict[str, int]:
        """How many of ``names`` (default: every entry) have each status; a
        ``done`` whose file is missing is not counted as done."""
        names = list(self.entries if names is None else names)
        statuses = [self.status(n) for n in names if n in self.entries]
        return {status: statuses.count(status) for status in STATUSES}

    def status(self, name: str) -> str:
        entry = self.entries[name]
        if entry["status"] == "done" and not (self.folder / name).is_file():
            return "pending"
        return entry["status"]

    def save(self) -> None:
        record = {
            "version": SCHEMA_VERSION,
            "settings": self.settings,
            "source": self.source,
            "images": self.entries,
        }
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(record, indent=2, default=str).encode())


def read_manifest(path: Path) -> tuple[dict[str, dict], dict | None]:
    """The entries (by output name) of the manifest at ``path``, and the source
    of a frames run, checked against the schema (see :func:`read_record`)."""
    record = read_record(path)
    return record.entries, record.source


class ManifestRecord(NamedTuple):
    """A manifest as read: entries by output name, a frames run's source, and the
    settings of the run that wrote it last (an object, else empty)."""

    entries: dict[str, dict]
    source: dict | None
    settings: dict


def read_record(path: Path) -> ManifestRecord:
    """The manifest at ``path``, checked against the schema.

    Raises:
        ManifestError: not a regular file, too large, not JSON, another version,
            or an entry with a missing or mistyped field; the message names the
            file and the fault.
    """
    try:
        record = json.loads(read_bounded(path, MAX_BYTES, "manifest"))
    except (OSError, PathError, UnicodeDecodeError, ValueError, RecursionError) as e:
        reason = "nested too deeply" if isinstance(e, RecursionError) else e
        raise ManifestError(f"{path}: not a readable manifest ({reason}).") from None
    if not isinstance(record, dict) or record.get("version") not in (2, SCHEMA_VERSION):
        raise ManifestError(
            f"{path}: not a version {SCHEMA_VERSION} tf_style manifest; move it away "
            "or choose another --output folder."
        )
    entries = record.get("images")
    if not isinstance(entries, dict):
        raise ManifestError(f"{path}: 'images' must be an object.")
    for name, entry in entries.items():
        problem = _entry_problem(entry, record["version"])
        if record["version"] == SCHEMA_VERSION:
            problem = problem or _name_problem(name)
        if problem:
            shown = name[:200].encode("utf-8", "backslashreplace").decode()
            raise ManifestError(f"{path}: the entry for {shown!r}: {problem}.")
    source = record.get("source")
    if source is not None and not _flat_record(source):
        raise ManifestError(f"{path}: 'source' must be an object of plain values.")
    if record["version"] == 2:
        entries = _from_version_2(entries)
    settings = record.get("settings")
    return ManifestRecord(
        entries, source, settings if isinstance(settings, dict) else {}
    )


def _entry_problem(entry: object, version: int) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    if entry.get("status") not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}"
    for key in ("bytes", "mtime_ns", "steps"):
        if key in entry and (
            not isinstance(entry[key], int) or isinstance(entry[key], bool)
        ):
            return f"{key} must be a whole number"
    if not 0 <= entry.get("steps", 0) <= MAX_STEPS:
        return f"steps must be 0 to {MAX_STEPS:,}"
    text = ("path", "settings", "output", "input", "owner", "partial", "error")
    for key in text:
        if entry.get(key) is not None and not isinstance(entry[key], str):
            return f"{key} must be text"
    if entry.get("sha256") is not None and not _is_hex_digest(entry["sha256"]):
        return "sha256 must be 64 hex digits"
    if version == SCHEMA_VERSION and not isinstance(entry.get("owner"), str):
        return "owner must be text"
    if version == 2 and not isinstance(entry.get("output", ""), str):
        return "output must be text"
    return None


def _name_problem(name: str) -> str | None:
    """An output name is a plain ``.png`` file name of the folder itself: no
    folder part, not hidden (side files and the run's folders are), encodable."""
    try:
        size = len(os.fsencode(name))
    except UnicodeError:
        return "the name is not encodable as a file name"
    if "/" in name or "\0" in name or name.startswith(".") or size > 255:
        return "the name must be a plain file name in the output folder"
    if not name.lower().endswith(".png"):
        return "the name must end in .png"
    return None


def _is_hex_digest(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 64
        and all(c in "0123456789abcdef" for c in value)
    )


def _flat_record(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, str | int | float | type(None)) and not isinstance(v, bool)
        for v in value.values()
    )


def _from_version_2(entries: dict[str, dict]) -> dict[str, dict]:
    """Version 2 (keyed by input path, no hash) as version 3: each output name
    owned by its input's real path, matched by size and modification time."""
    converted = {}
    for path, entry in entries.items():
        name = Path(entry.get("output") or Path(path).stem + ".png").name
        try:
            owner = str(kernel_path(path))
        except PathError:
            owner = path
        converted[name] = {**entry, "input": path, "owner": owner, "sha256": None}
    return converted


__all__ = [
    "LOCK",
    "MANIFEST",
    "MAX_BYTES",
    "SCHEMA_VERSION",
    "STATUSES",
    "Input",
    "Manifest",
    "ManifestError",
    "ManifestLocked",
    "ManifestRecord",
    "file_sha256",
    "folder_lock",
    "identify",
    "owns",
    "read_manifest",
    "read_record",
    "settings_key",
]
