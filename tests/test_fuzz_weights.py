"""Property-based tests of the legacy-torch reader: any bytes load or are refused.

Each input either loads as a dict of arrays that fit inside the file, or raises
TorchFileError; never another exception, never a crash. The quick tests run in CI;
``-m fuzz`` runs the same properties long (TF_STYLE_FUZZ_EXAMPLES examples each).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FUZZ_SETTINGS
from tests.torch_writer import Layout, legacy_torch_bytes
from tf_style.vgg._torch_pickle import (
    MAX_TENSOR_ELEMENTS,
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


def loads_or_refuses(data: bytes) -> None:
    """The property: a valid dict of arrays within bounds, or TorchFileError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.bin"
        path.write_bytes(data)
        try:
            state = load_legacy_torch_file(path)
        except TorchFileError:
            return
    assert isinstance(state, dict)
    for value in state.values():
        assert isinstance(value, np.ndarray) and value.size <= MAX_TENSOR_ELEMENTS


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, byte) edits: flip, insert, delete or truncate."""
    buffer = bytearray(data)
    for kind, position, value in edits:
        if not buffer:
            break
        where = position % len(buffer)
        if kind == 0:
            buffer[where] ^= value or 1
        elif kind == 1:
            buffer.insert(where, value)
        elif kind == 2:
            del buffer[where]
        else:
            del buffer[where:]
    return bytes(buffer)


edits = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2**16), st.integers(0, 255)),
    min_size=1,
    max_size=8,
)
integers = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-4, 64),
    st.sampled_from([2**31, 2**40]),
)
layouts = st.builds(
    Layout,
    numel=st.one_of(st.none(), st.integers(0, 64)),
    offset=st.integers(-4, 2**62),
    size=st.one_of(st.none(), st.lists(integers, max_size=4).map(tuple)),
    stride=st.one_of(st.none(), st.lists(integers, max_size=4).map(tuple)),
)


def structured(layout: Layout) -> bytes:
    try:
        return legacy_torch_bytes(
            {"x": np.arange(12, dtype=np.float32)}, layouts={"x": layout}
        )
    except (OverflowError, ValueError, MemoryError):  # the writer's own limits
        return VALID


# --- quick, in CI -----------------------------------------------------------------


@given(st.binary(max_size=512))
def test_random_bytes(data):
    loads_or_refuses(data)


@given(edits)
def test_mutations_of_a_valid_file(changes):
    loads_or_refuses(mutate(VALID, changes))


@given(layouts)
def test_random_tensor_layouts(layout):
    loads_or_refuses(structured(layout))


def test_the_valid_seed_file_loads():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.bin"
        path.write_bytes(VALID)
        assert load_legacy_torch_file(path)["conv_W_q"].shape == (2, 3, 3, 3)


# --- long, with -m fuzz -------------------------------------------------------------


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes_long(data):
    loads_or_refuses(data)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(edits)
def test_mutations_of_a_valid_file_long(changes):
    loads_or_refuses(mutate(VALID, changes))


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(layouts)
def test_random_tensor_layouts_long(layout):
    loads_or_refuses(structured(layout))


def test_found_a_file_that_is_not_a_dict_of_tensors_is_refused():
    import pickle

    from tf_style.vgg._torch_pickle import MAGIC_NUMBER, PROTOCOL_VERSION

    pickles = (MAGIC_NUMBER, PROTOCOL_VERSION, {}, [1, 2], [])
    data = b"".join(pickle.dumps(value, protocol=2) for value in pickles)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.bin"
        path.write_bytes(data)
        with pytest.raises(TorchFileError, match="dict of named tensors"):
            load_legacy_torch_file(path)


def test_found_a_huge_pickle_memo_index_allocates_nothing(tmp_path):
    """LONG_BINPUT 1107978339 made the C unpickler allocate a 17 GB memo table."""
    import struct
    import subprocess
    import sys

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
