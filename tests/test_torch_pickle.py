"""The restricted reader of the legacy torch.save format, on files written here."""

import pickle

import numpy as np
import pytest

from tests.torch_writer import Layout, legacy_torch_bytes, save_legacy_torch_file
from tf_style.vgg._torch_pickle import (
    MAX_TENSOR_ELEMENTS,
    TorchFileError,
    load_legacy_torch_file,
)


def test_round_trip_keeps_dtypes_shapes_and_values(tmp_path, rng):
    tensors = {
        "indices": rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8),
        "table": rng.normal(size=256).astype(np.float32),
        "bias": rng.normal(size=4).astype(np.float32),
        "longs": np.arange(5, dtype=np.int64),
    }
    path = tmp_path / "state.bin"
    save_legacy_torch_file(tensors, path)
    loaded = load_legacy_torch_file(path)
    assert list(loaded) == list(tensors)
    for name, array in tensors.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)


def test_refuses_globals_outside_the_allow_list(tmp_path):
    path = tmp_path / "evil.bin"
    with open(path, "wb") as handle:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(header, handle, protocol=2)
        handle.write(b"cos\nsystem\n(S'echo pwned'\ntR.")  # os.system('echo pwned')
    with pytest.raises(TorchFileError, match="refusing to load global os.system"):
        load_legacy_torch_file(path)


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "other.bin"
    path.write_bytes(pickle.dumps(12345, protocol=2))
    with pytest.raises(TorchFileError, match="magic number"):
        load_legacy_torch_file(path)


def test_zip_format_is_named(tmp_path):
    path = tmp_path / "new.pt"
    path.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(TorchFileError, match="zip-based"):
        load_legacy_torch_file(path)


def test_truncated_storage(tmp_path):
    path = tmp_path / "cut.bin"
    save_legacy_torch_file({"x": np.ones(100, np.float32)}, path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(TorchFileError, match="truncated"):
        load_legacy_torch_file(path)


# --- hostile layouts: each is refused before any memory is touched ---------------

HOSTILE = {
    "huge-stride": Layout(numel=1, size=(10,), stride=(2**40,)),
    "negative-stride": Layout(numel=1, size=(4,), stride=(-(2**20),)),
    "huge-offset": Layout(numel=4, offset=2**40, size=(4,), stride=(1,)),
    "offset-past-end": Layout(numel=4, offset=2, size=(4,), stride=(1,)),
    "stride-0-enormous-size": Layout(numel=1, size=(2**40,), stride=(0,)),
    "sizes-and-strides-differ": Layout(numel=4, size=(2, 2), stride=(1,)),
    "negative-size": Layout(numel=4, size=(-1,), stride=(1,)),
    "storage-too-long": Layout(numel=MAX_TENSOR_ELEMENTS + 1, size=(1,), stride=(1,)),
    "count-on-disk-differs": Layout(count_on_disk=2**60),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_tensors_are_refused(tmp_path, case):
    path = tmp_path / f"{case}.bin"
    save_legacy_torch_file(
        {"x": np.arange(4, dtype=np.float32)}, path, layouts={"x": HOSTILE[case]}
    )
    with pytest.raises(TorchFileError):
        load_legacy_torch_file(path)


def test_a_segfaulting_file_of_old_is_an_error_in_a_fresh_process(tmp_path):
    """The stride that crashed the old reader, run where a crash cannot hide."""
    import subprocess
    import sys

    path = tmp_path / "crash.bin"
    layout = Layout(numel=1, size=(1000, 1000), stride=(2**30, 2**20))
    save_legacy_torch_file({"x": np.ones(1, np.float32)}, path, layouts={"x": layout})
    code = (
        "import sys; from tf_style.vgg._torch_pickle import *\n"
        "try: load_legacy_torch_file(sys.argv[1])\n"
        "except TorchFileError as e: print('refused:', e)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0 and "refused:" in done.stdout, done.stderr


def test_a_strided_view_inside_the_storage_is_read_correctly(tmp_path):
    """Legal strides still work: a transposed 2x3 view of six elements."""
    path = tmp_path / "view.bin"
    layout = Layout(numel=6, size=(3, 2), stride=(1, 3))
    save_legacy_torch_file(
        {"x": np.arange(6, dtype=np.float32)}, path, layouts={"x": layout}
    )
    loaded = load_legacy_torch_file(path)["x"]
    np.testing.assert_array_equal(loaded, np.arange(6).reshape(2, 3).T)


def test_bytes_of_a_valid_file_cut_anywhere_never_crash(tmp_path):
    data = legacy_torch_bytes({"x": np.arange(12, dtype=np.float32).reshape(3, 4)})
    path = tmp_path / "cut.bin"
    for end in range(0, len(data), 7):
        path.write_bytes(data[:end])
        with pytest.raises(TorchFileError):
            load_legacy_torch_file(path)
