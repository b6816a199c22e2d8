"""What keeps the studio safe by default: where it listens, what it serves, what it
takes in.

* It listens on 127.0.0.1 (this machine only) unless a host is given, and then says
  plainly who can reach it (:func:`host_notice`). It never makes a share link.
* It serves no file of the machine but the uploads and what it made itself: Gradio
  serves its cache folder and ``allowed_paths``; the studio allows no path, gives
  Gradio a cache folder of its own (:func:`studio_cache`), and blocks the home and
  working folders besides (:func:`blocked_paths`).
* An upload is capped in bytes by Gradio (:data:`MAX_UPLOAD`) and then read like
  any input, by :func:`tf_style.images.tensors.load_image`, whose checks (corrupt,
  truncated, too large, a decompression bomb, not an image) become a message on the
  page (:func:`read_upload`); the server goes on.
* No telemetry: Gradio's analytics are off before Gradio loads.
* A tab that closes stops its run: the page's heartbeat comes every
  :data:`HEARTBEAT_SECONDS`, and the first one missed ends the tab's session.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tf_style.images.bundled import BUNDLED, bundled_image

LOOPBACK = "127.0.0.1"
# The largest file an upload may be: a 61-megapixel camera JPEG is about 30 MB;
# style transfer runs at a few hundred to a few thousand pixels.
MAX_UPLOAD = "40mb"
# Set before Gradio is imported (it reads them once).
GRADIO_ENVIRONMENT = {"GRADIO_ANALYTICS_ENABLED": "False"}
# How often the page tells the server it is still open (Gradio's default is 15 s):
# a closed tab's run stops within this many seconds.
HEARTBEAT_SECONDS = "3"


class UploadError(ValueError):
    """An uploaded file the studio cannot use; the message names it by its name."""


def prepare_environment() -> None:
    """Analytics off and a cache folder of the studio's own, before Gradio loads.

    A Gradio already imported (in a notebook) keeps its folder: it read the
    setting when it loaded, and its uploads go there.
    """
    os.environ.update(GRADIO_ENVIRONMENT)
    os.environ.setdefault("GRADIO_HEARTBEAT_INTERVAL", HEARTBEAT_SECONDS)
    if "gradio" not in sys.modules:
        os.environ.setdefault("GRADIO_TEMP_DIR", str(studio_cache()))


def studio_cache() -> Path:
    """A fresh folder for this process's uploads and results (Gradio's cache)."""
    return Path(tempfile.mkdtemp(prefix="tf-style-studio-"))


def blocked_paths() -> list[str]:
    """Folders Gradio must never serve: the home and working folders (where the
    user's files and the repository are), unless the cache lies inside one."""
    cache = Path(os.environ.get("GRADIO_TEMP_DIR", tempfile.gettempdir())).resolve()
    folders = {Path.home().resolve(), Path.cwd().resolve()}
    return sorted(str(f) for f in folders if not cache.is_relative_to(f))


def is_loopback(host: str) -> bool:
    """True for a name or address only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_notice(host: str, port: int) -> str | None:
    """What to say when the studio listens beyond this machine (None: it does not).

    The studio has no login; anyone who reaches the port can upload images and
    run optimisations.
    """
    if is_loopback(host):
        return None
    return (
        f"listening on {host}:{port}: anyone who can reach this machine on port "
        f"{port} can use the studio (upload images, run optimisations); it has no "
        f"login. Leave --host out to listen on {LOOPBACK} only."
    )


def upload_path(payload: Any) -> str | None:
    """The file of an upload as Gradio hands it over unprocessed (its ``path``);
    Gradio has already checked that it lies in its own cache."""
    if payload is None:
        return None
    path = payload.get("path") if isinstance(payload, dict) else payload
    return None if path is None else str(path)


def upload_name(path: str | None) -> str:
    """The name an upload is known by: a bundled picture's own name where the
    bytes are its, else the uploaded file's name."""
    if path is None:
        return "none"
    digest = _digest(Path(path))
    for name in BUNDLED.values():
        if digest == _digest(bundled_image(name)):
            return name
    return Path(path).name


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def read_upload(path: str | os.PathLike | None, role: str, max_dim: int | None):
    """An uploaded picture as float32 ``[1, H, W, 3]`` in [0, 1], checked as every
    input file is (:func:`tf_style.images.tensors.load_image`).

    Args:
        path: the upload in Gradio's cache (None: nothing uploaded).
        role: ``content``, ``style`` or the like, for the message.
        max_dim: the longest side wanted (None: the file's own).

    Raises:
        UploadError: nothing uploaded, or a file the checks refuse; the message
            names the file by its own name, not the server's path.
    """
    from tf_style.images.tensors import ImageError, load_image

    if path is None:
        raise UploadError(f"No {role} image: upload one (or reload the page).")
    try:
        return load_image(path, max_dim)
    except ImageError as error:
        message = str(error).replace(str(path), Path(path).name)
        raise UploadError(f"The {role} image cannot be used: {message}") from None


__all__ = [
    "LOOPBACK",
    "MAX_UPLOAD",
    "UploadError",
    "blocked_paths",
    "host_notice",
    "is_loopback",
    "prepare_environment",
    "read_upload",
    "studio_cache",
    "upload_name",
    "upload_path",
]
