"""Property-based tests of the legacy-torch reader: any bytes load or are refused.

The property: :func:`load_legacy_torch_file` returns a dict of arrays, each its own
copy, within the caps, and (where the test knows the storage) holding exactly the
storage's elements the layout names; or it raises TorchFileError, and never because
a check was missing (a TypeError, IndexError or KeyError turned into one at the
boundary). Never another exception, never a crash.

Each property is written once and run twice: quickly in CI (the "ci" profile of
tests/conftest.py), and long with ``-m fuzz`` (TF_STYLE_FUZZ_EXAMPLES examples each).
"""

from __future__ import annotations

import math
import pickle
import struct
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FUZZ_SETTINGS
from tests.torch_writer import HEADER, Layout, legacy_torch_bytes
from tf_style.vgg._torch_pickle import (
    MAGIC_NUMBER,
    MAX_TENSOR_ELEMENTS,
    MAX_TOTAL_BYTES,
    PROTOCOL_VERSION,
    STORAGE_DTYPES,
    TorchFileError,
    load_legacy_torch_file,
)

VALID = legacy_torch_bytes(
    {
        "conv_W_q": np.arange(2 * 3 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3, 3),
        "conv_W_table": np.linspace(-1, 1, 256, dtype=np.float32),
        "conv_b": np.array([0.5, -0.5], np.float32),
    }
)
HEADER_BYTES = b"".join(pickle.dumps(value, protocol=2) for value in HEADER)

# A missing check shows as one of these, translated at the reader's boundary.
UNCHECKED = tuple(
    f"malformed file ({name}"
    for name in ("TypeError", "IndexError", "KeyError", "MemoryError", "Recursion")
)


def loads_or_refuses(data: bytes) -> dict[str, np.ndarray] | None:
    """The property, through a real file: a dict of own arrays within the caps, or
    None where the reader refused the file with a TorchFileError of its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.bin"
        path.write_bytes(data)
        try:
            state = load_legacy_torch_file(path)
        except TorchFileError as error:
            assert not str(error).startswith(UNCHECKED), error
            return None
    assert isinstance(state, dict)
    total = 0
    for name, value in state.items():
        assert isinstance(name, str) and isinstance(value, np.ndarray)
        assert value.flags.owndata  # a copy: no view of the file's bytes escapes
        assert value.size <= MAX_TENSOR_ELEMENTS
        total += value.nbytes
    assert total <= MAX_TOTAL_BYTES
    return state


# --- random bytes and mutations of a valid file ------------------------------------


def mutate(data: bytes, edits: list[tuple[int, int, int, int]]) -> bytes:
    """Apply (kind, position, value, length) edits: flip a byte, insert one, delete
    a run, truncate, or splice in a run copied from elsewhere in the file."""
    buffer = bytearray(data)
    for kind, position, value, length in edits:
        if not buffer:
            break
        where = position % len(buffer)
        if kind == 0:
            buffer[where] ^= value or 1
        elif kind == 1:
            buffer.insert(where, value)
        elif kind == 2:
            del buffer[where : where + length]
        elif kind == 3:
            del buffer[where:]
        else:
            source = (value * 257 + length) % len(buffer)
            buffer[where:where] = buffer[source : source + length]
    return bytes(buffer)


edits = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(0, 2**16),
        st.integers(0, 255),
        st.integers(1, 16),
    ),
    min_size=1,
    max_size=8,
)


def check_random_bytes(data: bytes) -> None:
    loads_or_refuses(data)


def check_random_bytes_after_a_valid_header(data: bytes) -> None:
    loads_or_refuses(HEADER_BYTES + data)


def check_mutation_of_a_valid_file(changes: list[tuple[int, int, int, int]]) -> None:
    loads_or_refuses(mutate(VALID, changes))


# --- random pickles in the reader's vocabulary --------------------------------------

_PERSISTENT_ID = (  # storage "0": 16 floats, as torch names it
    b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000"
    b"X\x03\x00\x00\x00cpuK\x10NtQ"
)
_TENSOR = (  # a tensor of 4 elements of storage "0", as torch pickles it
    b"ctorch._utils\n_rebuild_tensor_v2\n(" + _PERSISTENT_ID + b"K\x00K\x04\x85K"
    b"\x01\x85\x89ccollections\nOrderedDict\n)RtR"
)
_TOKENS = [
    *(bytes([code]) for code in b"}])(t\x85\x86\x87aesuNQRb0.\x88\x89\x93\x94"),
    _PERSISTENT_ID,
    _TENSOR,
    b"ctorch._utils\n_rebuild_tensor_v2\n",
    b"ctorch\nFloatStorage\n",
    b"ctorch\nByteStorage\n",
    b"ccollections\nOrderedDict\n",
    b"cos\nsystem\n",
    b"X\x07\x00\x00\x00storage",
    b"X\x03\x00\x00\x00cpu",
    b"X\x01\x00\x00\x000",
    b"X\x01\x00\x00\x00x",
    b"\x8c\x01x",
]
_NUMBERS = st.one_of(
    st.integers(0, 255).map(lambda n: b"K" + bytes([n])),
    st.integers(-(2**31), 2**31 - 1).map(lambda n: b"J" + struct.pack("<i", n)),
    st.integers(-(2**63), 2**63 - 1).map(lambda n: b"\x8a\x08" + struct.pack("<q", n)),
    st.integers(0, 3).map(lambda n: b"q" + bytes([n])),  # memo: mostly small indices
    st.integers(0, 2**32 - 1).map(lambda n: b"r" + struct.pack("<I", n)),
)
_MEMO_GETS = st.one_of(  # rarer: a get before its put ends the pickle
    st.integers(0, 3).map(lambda n: b"h" + bytes([n])),
    st.integers(0, 2**32 - 1).map(lambda n: b"j" + struct.pack("<I", n)),
)
_TOKEN = st.integers(0, 9).flatmap(  # 7 in 10 a token, 2 a number, 1 a memo get
    lambda k: st.sampled_from(_TOKENS) if k < 7 else _NUMBERS if k < 9 else _MEMO_GETS
)
_RUNS = st.lists(_TOKEN, max_size=24)
_KEYS = st.sampled_from([b"X\x01\x00\x00\x00x", b"X\x01\x00\x00\x00y", b"K\x01"])
_ENTRIES = st.lists(st.tuples(_KEYS, _RUNS.map(lambda run: b"".join(run[:8]))))
opcode_streams = st.one_of(
    _RUNS.map(b"".join),  # anything at all
    _ENTRIES.map(lambda entries: b"}(" + b"".join(map(b"".join, entries)) + b"u"),
)
STORAGE_0 = pickle.dumps(["0"], protocol=2) + struct.pack("<q", 16) + bytes(64)


def check_random_pickle(opcodes: bytes) -> None:
    """A random object pickle, with storage "0" (16 floats) following it."""
    loads_or_refuses(HEADER_BYTES + b"\x80\x02" + opcodes + b"." + STORAGE_0)


# --- random tensor layouts, checked against the storage they read ------------------

integers = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-4, 64),
    st.sampled_from([2**31, 2**40, 2**62, 2**63, 2**64, MAX_TENSOR_ELEMENTS]),
)
small = st.integers(0, 6)
numbers = st.one_of(small, small, small, integers)  # mostly a tensor that fits


@st.composite
def sizes_and_strides(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Equally many sizes and strides, mostly; now and then not."""
    sizes = tuple(draw(st.lists(numbers, max_size=4)))
    if draw(st.integers(0, 9)) == 0:
        return sizes, tuple(draw(st.lists(numbers, max_size=4)))
    return sizes, tuple(draw(numbers) for _ in sizes)


@st.composite
def layouts(draw) -> Layout:
    size, stride = draw(st.one_of(st.none(), sizes_and_strides())) or (None, None)
    return Layout(
        numel=draw(st.one_of(st.none(), st.integers(0, 64))),
        offset=draw(numbers),
        size=size,
        stride=stride,
        count_on_disk=draw(
            st.one_of(st.none(), st.none(), st.integers(0, 64), integers)
        ),
    )


dtypes = st.sampled_from(sorted(STORAGE_DTYPES.values(), key=str))
SEED = np.arange(12)


def check_random_layout(layout: Layout, dtype: np.dtype) -> None:
    """One tensor over ``np.resize(arange(12), numel)``: refused, or exactly the
    elements ``offset + sum(index * stride)`` of that storage."""
    try:
        data = legacy_torch_bytes({"x": SEED.astype(dtype)}, layouts={"x": layout})
    except (OverflowError, struct.error):  # numbers the writer cannot write
        return
    state = loads_or_refuses(data)
    if state is None:
        return
    numel = SEED.size if layout.numel is None else layout.numel
    storage = np.resize(SEED.astype(dtype), numel)
    size = (12,) if layout.size is None else layout.size
    stride = (1,) if layout.stride is None else layout.stride
    loaded = state["x"]
    assert loaded.shape == size and loaded.dtype == dtype
    if math.prod(size) <= 4096:  # the expected tensor, indexed one element at a time
        index = layout.offset + sum(
            i * s for i, s in zip(np.indices(size, dtype=object), stride, strict=True)
        )
        expected = storage[np.asarray(index, dtype=np.int64)] if loaded.size else loaded
        np.testing.assert_array_equal(loaded, expected)
    else:  # big only by stride 0: a sample of its elements is in the storage
        assert np.isin(loaded.ravel()[:: loaded.size // 4096], storage).all()


# --- random Python values where torch writes ints, tuples, ids and keys ------------

values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=4),
        st.sampled_from(["storage", "cpu", "0", "x"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.lists(children, max_size=6).map(tuple),
        st.dictionaries(st.text(max_size=2), children, max_size=3),
    ),
    max_leaves=12,
)


def check_random_values(place: int, position: int, value: object) -> None:
    """``value`` written into the rebuild arguments, the persistent id, the storage
    keys or the dict itself, at ``position``."""

    def put(items):
        items = list(items)
        items[position % (len(items) + 1) :] = [value]
        return tuple(items)

    options = [
        {"layouts": {"x": Layout(args=put)}},
        {"layouts": {"x": Layout(persistent_id=put)}},
        {"storage_keys": lambda keys: list(put(keys))},
        {"root": lambda state: {**state, "y": value}},
        {"header": (MAGIC_NUMBER, PROTOCOL_VERSION, value)},
    ]
    loads_or_refuses(
        legacy_torch_bytes({"x": SEED.astype(np.float32)}, **options[place])
    )


places = st.integers(0, 4)
positions = st.integers(0, 7)


# --- quick, in CI -------------------------------------------------------------------


def test_the_valid_seed_file_loads():
    state = loads_or_refuses(VALID)
    assert state is not None and state["conv_W_q"].shape == (2, 3, 3, 3)


@given(st.binary(max_size=512))
def test_random_bytes(data):
    check_random_bytes(data)


@given(st.binary(max_size=512))
def test_random_bytes_after_a_valid_header(data):
    check_random_bytes_after_a_valid_header(data)


@given(edits)
def test_mutations_of_a_valid_file(changes):
    check_mutation_of_a_valid_file(changes)


@given(opcode_streams)
def test_random_pickles(opcodes):
    check_random_pickle(opcodes)


@given(layouts(), dtypes)
def test_random_tensor_layouts(layout, dtype):
    check_random_layout(layout, dtype)


@given(places, positions, values)
def test_random_values_in_the_metadata(place, position, value):
    check_random_values(place, position, value)


# --- what fuzzing found (regressions) -----------------------------------------------


def test_found_a_file_that_is_not_a_dict_of_tensors_is_refused(tmp_path):
    pickles = (MAGIC_NUMBER, PROTOCOL_VERSION, {}, [1, 2], [])
    path = tmp_path / "list.bin"
    path.write_bytes(b"".join(pickle.dumps(value, protocol=2) for value in pickles))
    with pytest.raises(TorchFileError, match="dict of named tensors"):
        load_legacy_torch_file(path)


def test_found_a_huge_pickle_memo_index_allocates_nothing(tmp_path):
    """LONG_BINPUT 1107978339 made the C unpickler allocate a 17 GB memo table."""
    path = tmp_path / "memo.bin"
    path.write_bytes(b"\x80\x02\x8a\x01\x05r" + struct.pack("<I", 1107978339) + b".")
    # ru_maxrss of a forked child starts at its parent's size: compare before/after.
    code = (
        "import resource, sys\n"
        "from tf_style.vgg._torch_pickle import TorchFileError, "
        "load_legacy_torch_file\n"
        "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "before = peak()\n"
        "try: load_legacy_torch_file(sys.argv[1])\n"
        "except TorchFileError: pass\n"
        "print(peak() - before)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) < 200_000  # KB: no table of a billion


def test_found_a_bad_escape_in_a_global_name_is_refused():
    """A backslash inserted into a GLOBAL's name ("\\collections"): pickletools
    unescaped it and warned, and where warnings are errors that escaped the reader."""
    data = mutate(VALID, [(1, 3288, 92, 1)])
    assert b"\\" in data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loads_or_refuses(data) is None


# --- long, with -m fuzz -------------------------------------------------------------


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes_long(data):
    check_random_bytes(data)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes_after_a_valid_header_long(data):
    check_random_bytes_after_a_valid_header(data)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(edits)
def test_mutations_of_a_valid_file_long(changes):
    check_mutation_of_a_valid_file(changes)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(opcode_streams)
def test_random_pickles_long(opcodes):
    check_random_pickle(opcodes)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(layouts(), dtypes)
def test_random_tensor_layouts_long(layout, dtype):
    check_random_layout(layout, dtype)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(places, positions, values)
def test_random_values_in_the_metadata_long(place, position, value):
    check_random_values(place, position, value)
