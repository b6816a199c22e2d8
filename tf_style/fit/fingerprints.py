"""What a run is, beyond its settings: the style's bytes and the photos' listing.

A checkpoint holds a network trained on one style and a data iterator positioned in
one list of files. Continuing it with another style image (however it is named), or
with another list of photos (a file added or removed moves every later position),
would mix two runs, or fail deep inside TensorFlow. So the record keeps the run's
identity and a continued run must have the same:

* a style image: the SHA-256 of its bytes;
* a folder, glob or file of images (photos, or AdaIN's styles): the files' names
  relative to the folder the source names, and a fingerprint of each (its size and
  the SHA-256 of its first and last 4 KiB: two small reads of 80,000 photos, yet
  an edited photo changes it). Moving the folder, or naming it by another path,
  keeps it;
* a TensorFlow Datasets source: its name and split.

The settings that fix the networks' architecture and sizes are FitConfig's
(:data:`~tf_style.fit.config.FIXED_ON_RESUME`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tf_style.fit.sources import PhotoSource, listing_root
from tf_style.fit.tfds import parse_tfds_source

_ENDS = 4 << 10  # bytes hashed at each end of a photo
_CHUNK = 1 << 20


def run_identity(style: Path | PhotoSource, content: PhotoSource) -> dict:
    """The identity the record keeps: ``{"style": ..., "content": ...}``."""
    return {"style": style_identity(style), "content": source_identity(content)}


def style_identity(style: Path | PhotoSource) -> dict:
    """A style image's SHA-256 and size, or a style folder's listing."""
    if isinstance(style, PhotoSource):
        return source_identity(style)
    digest = hashlib.sha256()
    with open(style, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "bytes": os.path.getsize(style)}


def source_identity(source: PhotoSource) -> dict:
    """A TFDS source's name and split, or a listing's names and fingerprints."""
    if source.is_tfds:
        name, split = parse_tfds_source(source.text)
        return {"tfds": f"{name}:{split}"}
    root = listing_root(source.text)
    names = hashlib.sha256()
    contents = hashlib.sha256()
    for path in source.files:
        name = os.path.relpath(path, root)
        names.update(os.fsencode(name) + b"\0")
        contents.update(os.fsencode(name) + b"\0" + _fingerprint(path) + b"\n")
    return {
        "files": len(source.files),
        "names": names.hexdigest(),
        "contents": contents.hexdigest(),
    }


def _fingerprint(path: Path) -> bytes:
    """Size, and the SHA-256 of the first and last 4 KiB (the whole of a small
    file)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = hashlib.sha256(handle.read(_ENDS))
        if size > 2 * _ENDS:
            handle.seek(size - _ENDS)
        digest.update(handle.read(_ENDS))
    return str(size).encode() + b":" + digest.digest()


def identity_changes(saved: dict, now: dict) -> list[str]:
    """What differs between a run's identity and the one asked for, each said as
    the option that names it: ``--style`` or ``--content``."""
    changes = []
    for key, flag in (("style", "--style"), ("content", "--content")):
        before, after = saved.get(key), now[key]
        if before != after:
            changes.append(f"{flag}: {_difference(before, after)}")
    return changes


def _difference(before: object, after: dict) -> str:
    if not isinstance(before, dict):
        return "the record does not say what it was"
    if "sha256" in after:
        if "sha256" not in before:
            return "the run was trained on a folder of styles, not one image"
        return "another image (its bytes differ from the style the run was trained on)"
    if "tfds" in after or "tfds" in before:
        then, now = before.get("tfds", "a folder"), after.get("tfds", "a folder")
        return f"{then} then, {now} now"
    if before.get("files") != after["files"]:
        return f"{before.get('files')} image files then, {after['files']} now"
    if before.get("names") != after["names"]:
        return f"other file names ({after['files']} files, as before)"
    return "the same file names, but some files' contents changed"


def check_identity(value: object) -> None:
    """A record's identity has the shape :func:`run_identity` gives it.

    Raises:
        ValueError: naming what is wrong.
    """
    if not isinstance(value, dict) or set(value) != {"style", "content"}:
        raise ValueError("'run' must name the run's style and content.")
    for key, part in value.items():
        if not isinstance(part, dict) or not part:
            raise ValueError(f"'run.{key}' must be an object.")
        for name, item in part.items():
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise ValueError(f"'run.{key}.{name}' must be a string or a number.")


__all__ = [
    "check_identity",
    "identity_changes",
    "run_identity",
    "source_identity",
    "style_identity",
]
