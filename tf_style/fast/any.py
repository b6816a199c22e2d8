"""load_network(): any network that paints in one pass, from whatever names it.

One argument, as the command line's ``--network`` takes it, and the kind found from
what is there: a TF-Hub URL handle, a ``.tar.gz`` of a SavedModel, a SavedModel
folder, a :mod:`tf_style.fit` output folder (its SavedModel; its ``tflite/`` folder
or a ``network_*.tflite`` file for the TensorFlow Lite export), or a folder with
the Magenta TensorFlow Lite pair. :func:`~tf_style.fast.load_fast_model` does the
loading; this module only decides which door, and notes which network it is (where
it came from and the SHA-256 of its files) so that a folder of results can tell one
network from another.
"""

from __future__ import annotations

import functools
import hashlib
import os
from functools import partial
from pathlib import Path

from tf_style.fast.archive import file_digest, is_tar_gz
from tf_style.fast.base import FastModelError, FastStylizer
from tf_style.fast.fit_network import (
    TFLITE_FILES,
    NetworkLiteStylizer,
    find_network_tflite,
)
from tf_style.fast.saved_model import HubStylizer, is_url, saved_model_folder
from tf_style.fast.tflite import LiteStylizer, find_tflite_pair

WHAT_IT_TAKES = (
    "a tf-style-fit output folder, a folder with the TensorFlow Lite pair "
    "(style_predict*.tflite and style_transfer*.tflite), a network_*.tflite file, a "
    "SavedModel folder or .tar.gz, or a TF-Hub URL handle"
)


def load_network(
    path_or_handle: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None
) -> FastStylizer:
    """The network ``path_or_handle`` names, loaded; see the module for the kinds.

    Args:
        path_or_handle: a path or a TF-Hub URL handle.
        cache_dir: where a ``.tar.gz`` is extracted (see
            :func:`~tf_style.fast.load_fast_model`).

    Returns:
        A :class:`FastStylizer` whose ``identity`` says where it came from and the
        SHA-256 of its files (None for a URL handle: the download is Hub's).

    Raises:
        FastModelError: nothing loadable there; the message lists what is taken.

    Example:
        >>> model = load_network("outputs/fit_starry")  # tf-style-fit's folder
        >>> image = model(content, style)
    """
    text = os.fspath(path_or_handle)
    if is_url(text):
        model = HubStylizer(text, cache_dir=cache_dir)
        model.identity = {"kind": "saved_model", "location": text, "sha256": None}
        return model
    path = Path(text)
    if not path.exists():
        raise FastModelError(f"{path}: no such file or folder; give {WHAT_IT_TAKES}.")
    kind, files, load = _door(path, cache_dir)
    model = load()
    model.identity = {
        "kind": kind,
        "location": str(path.resolve()),
        "sha256": files_digest(files),
    }
    return model


def _door(path: Path, cache_dir) -> tuple[str, list[Path], functools.partial]:
    """The kind of network at ``path``, the files that make it, and its loader."""
    if path.is_file() and is_tar_gz(path):
        return "saved_model", [path], partial(HubStylizer, path, cache_dir=cache_dir)
    variants = {name: variant for variant, name in TFLITE_FILES.items()}
    if path.is_file() and path.name in variants:
        load = partial(NetworkLiteStylizer, path.parent, variant=variants[path.name])
        return "tflite_network", [path], load
    if path.is_dir():
        saved = saved_model_folder(path)
        if (saved / "saved_model.pb").is_file():
            files = sorted(p for p in saved.rglob("*") if p.is_file())
            return "saved_model", files, partial(HubStylizer, saved)
        found = find_network_tflite(path)
        if found:
            variant = next(iter(found))  # float16 where both are there
            load = partial(NetworkLiteStylizer, path, variant=variant)
            return "tflite_network", [found[variant]], load
        if any(path.glob("style_predict*.tflite")):
            return (
                "tflite_pair",
                list(find_tflite_pair(path)),
                partial(LiteStylizer, path),
            )
    raise FastModelError(f"{path}: no network found here; give {WHAT_IT_TAKES}.")


def files_digest(files: list[Path]) -> str:
    """One SHA-256 over the files' names and contents: another file, or a file
    changed (a network trained further in its folder), is another network."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}:{file_digest(path, length=64)}\n".encode())
    return digest.hexdigest()


__all__ = ["load_network"]
