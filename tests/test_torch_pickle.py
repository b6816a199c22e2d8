"""The restricted reader of the legacy torch.save format, on files written here."""

import pickle

import numpy as np
import pytest

from tf_style._torch_pickle import (
    TorchFileError,
    load_legacy_torch_file,
    save_legacy_torch_file,
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
