"""The manifest: what a folder run has done, so a rerun does only what is missing.

``manifest.json`` in the output folder records every input: its path, size and
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
STATUSES = ("pending", "partial", "done", "failed")


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
        if self.path.is_file():
            self.entries = json.loads(self.path.read_text()).get("images", {})

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
        record = {"settings": self.settings, "images": self.entries}
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(record, indent=2, default=str).encode())


def output_name(source: Path, suffix: str = ".png") -> str:
    """The output file name of ``source`` (its stem, with ``suffix``)."""
    return source.stem + suffix


__all__ = ["MANIFEST", "STATUSES", "Manifest", "fingerprint", "settings_key"]
