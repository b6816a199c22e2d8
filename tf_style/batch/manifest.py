"""The manifest: what a folder run has done, so a rerun does only what is missing.

``manifest.json`` in the output folder (schema version :data:`SCHEMA_VERSION`,
checked on read) records every input: its path, size and
modification time (a changed file is redone), the settings it was made with (changed
settings redo it), its status (``pending``, ``partial``, ``done`` or ``failed``), its
output, the steps a ``partial`` image has had and the error of a ``failed`` one.
Written atomically after every change, so Ctrl-C or a crash leaves the last good
manifest, never half of one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from tf_style.files import atomic_write

MANIFEST = "manifest.json"
LOCK = ".manifest.lock"
STATUSES = ("pending", "partial", "done", "failed")
SCHEMA_VERSION = 2


class ManifestError(ValueError):
    """A manifest that is not one tf_style wrote: nothing is overwritten."""


class ManifestLocked(RuntimeError):
    """Another run holds this output folder."""


def settings_key(settings: dict) -> str:
    """A short hash of the settings (config and style files) an output depends on."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(path: Path) -> dict:
    """What identifies this version of an input: size and modification time."""
    stat = path.stat()
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


class Manifest:
    """The per-input records of one output folder.

    Args:
        folder: the output folder; ``manifest.json`` is read from it if present.
        settings: the run's settings; an entry made with others is pending again.
    """

    def __init__(self, folder: Path, settings: dict):
        self.path = Path(folder) / MANIFEST
        self.settings = settings
        self.key = settings_key(settings)
        self.entries: dict[str, dict] = {}
        if self.path.exists() or self.path.is_symlink():
            self.entries = read_entries(self.path)

    def entry(self, source: Path, output: Path) -> dict:
        """The record of ``source``, reset to pending if it or the settings changed."""
        name = str(source)
        current = {"path": name, **fingerprint(source), "settings": self.key}
        old = self.entries.get(name, {})
        same = all(old.get(k) == v for k, v in current.items())
        if not same or (old.get("status") == "done" and not output.is_file()):
            old = {"status": "pending", "steps": 0}
        self.entries[name] = {**old, **current, "output": str(output)}
        return self.entries[name]

    def failed(self, source: Path, output: Path, error: BaseException) -> None:
        """Record that ``source`` could not be used (it may be gone or unreadable)."""
        name = str(source)
        self.entries[name] = {
            **self.entries.get(name, {}),
            "path": name,
            "settings": self.key,
            "output": str(output),
            "status": "failed",
            "error": f"{type(error).__name__}: {error}",
        }

    def update(self, source: Path, **fields: object) -> None:
        """Change ``source``'s record and write the manifest."""
        self.entries[str(source)].update(fields)
        self.save()

    def counts(self, inputs: Iterable[Path] | None = None) -> dict[str, int]:
        """How many of ``inputs`` (default: every entry) have each status."""
        names = self.entries if inputs is None else [str(p) for p in inputs]
        statuses = [self.entries[n]["status"] for n in names if n in self.entries]
        return {status: statuses.count(status) for status in STATUSES}

    def save(self) -> None:
        record = {
            "version": SCHEMA_VERSION,
            "settings": self.settings,
            "images": self.entries,
        }
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(record, indent=2, default=str).encode())


def read_entries(path: Path) -> dict[str, dict]:
    """The entries of the manifest at ``path``, checked against the schema.

    Raises:
        ManifestError: unreadable, not JSON, another version, or an entry with a
            missing or mistyped field; the message names the file and the fault.
    """
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ManifestError(f"{path}: not a readable manifest ({error}).") from None
    if not isinstance(record, dict) or record.get("version") != SCHEMA_VERSION:
        raise ManifestError(
            f"{path}: not a version {SCHEMA_VERSION} tf_style manifest; move it away "
            "or choose another --output folder."
        )
    entries = record.get("images")
    if not isinstance(entries, dict):
        raise ManifestError(f"{path}: 'images' must be an object.")
    for name, entry in entries.items():
        problem = _entry_problem(entry)
        if problem:
            raise ManifestError(f"{path}: the entry for {name}: {problem}.")
    return entries


def _entry_problem(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    if entry.get("status") not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}"
    for key, kind in (("bytes", int), ("mtime_ns", int), ("steps", int)):
        if key in entry and (
            not isinstance(entry[key], kind) or isinstance(entry[key], bool)
        ):
            return f"{key} must be a whole number"
    for key in ("path", "settings", "output"):
        if key in entry and not isinstance(entry[key], str):
            return f"{key} must be text"
    return None


class folder_lock:  # noqa: N801 - used like open()
    """An advisory lock on an output folder, so two runs do not both compute it.

    ``fcntl.flock`` on a lock file beside the manifest: released when the run
    ends, however it ends (the kernel drops it with the process).

    Raises:
        ManifestLocked: another process holds it.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK

    def __enter__(self) -> folder_lock:
        import fcntl

        self.handle = open(self.path, "a")  # noqa: SIM115 - held until __exit__
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise ManifestLocked(
                f"{self.path.parent}: another run is writing this folder; wait for "
                "it or choose another --output."
            ) from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.handle.close()


def output_name(source: Path, suffix: str = ".png") -> str:
    """The output file name of ``source`` (its stem, with ``suffix``)."""
    return source.stem + suffix


__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "STATUSES",
    "Manifest",
    "ManifestError",
    "ManifestLocked",
    "fingerprint",
    "folder_lock",
    "read_entries",
    "settings_key",
]
